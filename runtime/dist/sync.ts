/**
 * What data-parallel training exchanges through a {@link RingComm}: the gradients of each step
 * (averaged), the step's measurements (summed), model tensors (broadcast from rank 0), and scalar
 * sums (metrics, the stop flag).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/types';
import type { BatchGrads, GradExchange } from '../train/step';
import type { RingComm } from './ring';

/** Sums `values` over all ranks (float64). */
export async function sumOver(comm: RingComm, values: number[]): Promise<number[]> {
  const buf = Float64Array.from(values);
  await comm.allReduce(buf);
  return Array.from(buf);
}

/**
 * The gradient exchange of one step: the gradients of every parameter (in the model's parameter
 * order, one flat float32 buffer) are summed by the ring and divided by the world size; the loss
 * (weighted by batch size) and correct counts are summed in float64, with `stopFlag` (1 when this
 * worker was asked to stop) so every worker learns at the same step whether any of them was.
 * `onStop` receives the agreed flag.
 */
export function gradExchange(comm: RingComm, model: Model, batchSize: () => number, stopFlag: () => boolean, onStop: (stop: boolean) => void): GradExchange {
  const world = comm.worldSize;
  return async (local: BatchGrads) => {
    const n = batchSize();
    const names = model.params.map((p) => p.variable.name);
    const sizes = model.params.map((p) => p.variable.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const flat = new Float32Array(total);
    let off = 0;
    for (let i = 0; i < names.length; i++) {
      const g = local.grads[names[i]];
      if (g) flat.set(g.dataSync() as Float32Array, off);
      off += sizes[i];
    }
    tf.dispose(Object.values(local.grads));
    const stats = Float64Array.from([local.loss * n, local.correct1, local.correct5, n, stopFlag() ? 1 : 0]);
    await Promise.all([comm.allReduce(flat), comm.allReduce(stats)]);
    const grads: Record<string, tf.Tensor> = {};
    off = 0;
    for (let i = 0; i < names.length; i++) {
      const part = flat.subarray(off, off + sizes[i]);
      for (let j = 0; j < part.length; j++) part[j] /= world;
      grads[names[i]] = tf.tensor(part, model.params[i].variable.shape, 'float32');
      off += sizes[i];
    }
    onStop(stats[4] > 0);
    return { grads, loss: stats[0] / stats[3], correct1: stats[1], correct5: stats[2], n: stats[3] };
  };
}

/** Replaces `variables` on every rank by rank `root`'s values (one flat broadcast). */
export async function broadcastVariables(comm: RingComm, variables: readonly tf.Variable[], root = 0): Promise<void> {
  if (comm.worldSize === 1 || variables.length === 0) return;
  const sizes = variables.map((v) => v.size);
  const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let off = 0;
  for (const v of variables) {
    flat.set(v.dataSync() as Float32Array, off);
    off += v.size;
  }
  await comm.broadcast(flat, root);
  off = 0;
  for (const v of variables) {
    const t = tf.tensor(flat.subarray(off, off + v.size), v.shape, v.dtype);
    v.assign(t);
    t.dispose();
    off += v.size;
  }
}

/** True when any rank's flag is set. */
export async function anyOver(comm: RingComm, flag: boolean): Promise<boolean> {
  if (comm.worldSize === 1) return flag;
  const [s] = await sumOver(comm, [flag ? 1 : 0]);
  return s > 0;
}
