/**
 * What data-parallel training exchanges through the {@link ProcessGroup}: the gradients of each step (averaged, in
 * libtorch tensors), the step's measurements (summed in float64, with the stop flag), model tensors (broadcast from
 * rank 0), and scalar sums (metrics).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/types';
import type { BatchGrads, GradExchange } from '../train/step';
import type { ProcessGroup } from './process_group';

/** Sums `values` over all ranks (float64). */
export function sumOver(pg: ProcessGroup, values: number[]): number[] {
  const buf = Float64Array.from(values);
  pg.sumF64(buf);
  return Array.from(buf);
}

/**
 * The gradient exchange of one step: the gradients of every parameter (model order) are averaged over the ranks by
 * one bucketed all-reduce ({@link ProcessGroup.allReduceMean}); the loss (weighted by batch size) and correct counts
 * are summed in float64 with `stopFlag` (1 when this worker was asked to stop), so every worker learns at the same
 * step whether any of them was. `onStop` receives the agreed flag. A parameter without a gradient contributes zeros,
 * as in the replicas that have one.
 */
export function gradExchange(pg: ProcessGroup, model: Model, batchSize: () => number, stopFlag: () => boolean, onStop: (stop: boolean) => void): GradExchange {
  return (local: BatchGrads) => {
    const n = batchSize();
    const vars = model.params.map((p) => p.variable);
    const made: tf.Tensor[] = [];
    const grads = vars.map((v) => {
      const g = local.grads[v.name];
      if (g) return g;
      const z = tf.zerosLike(v);
      made.push(z);
      return z;
    });
    let reduced: tf.Tensor[];
    try {
      reduced = pg.allReduceMean(grads);
    } finally {
      tf.dispose([...Object.values(local.grads), ...made]);
    }
    const stats = sumOver(pg, [local.loss * n, local.correct1, local.correct5, n, stopFlag() ? 1 : 0]);
    onStop(stats[4] > 0);
    const out: Record<string, tf.Tensor> = {};
    vars.forEach((v, i) => (out[v.name] = reduced[i]));
    return Promise.resolve({ grads: out, loss: stats[0] / stats[3], correct1: stats[1], correct5: stats[2], n: stats[3] });
  };
}

/** True when any rank's flag is set. */
export function anyOver(pg: ProcessGroup, flag: boolean): boolean {
  if (pg.worldSize === 1) return flag;
  const [s] = sumOver(pg, [flag ? 1 : 0]);
  return s > 0;
}
