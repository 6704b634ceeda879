import * as tf from '@tensorflow/tfjs-core';
import type { Param } from '../../models/types';
import { SlotOptimizer } from './adam';

/** Settings of {@link LARS} (`train.momentum`, `optim.lars`). */
export interface LarsOptions {
  momentum: number;
  /** `optim.lars.eps`, added to the denominator of the local lr. */
  eps: number;
  /** `optim.lars.threshold`: weight norms below it get local lr 1. */
  threshold: number;
}

/**
 * LARS (You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks", arXiv 1708.03888)
 * in the original's variant (`optim/lars.py`), which has no trust coefficient η and folds lr into
 * the momentum buffer. Per parameter w with gradient grad and weight decay wd:
 *
 *   local = ‖w‖ / (eps + ‖grad‖ + wd·‖w‖), or 1 when ‖w‖ < threshold;
 *   g = grad + wd·w;  buf = momentum·buf + lr·local·g (buf starts at 0);  w ← w − buf.
 */
export class LARS extends SlotOptimizer {
  readonly name = 'lars';

  constructor(params: readonly Param[], private readonly o: LarsOptions, weightDecayOf: (param: Param) => number = () => 0) {
    super(params, weightDecayOf, ['momentum_buffer'], false, 'lars');
    if (!(Number.isFinite(o.momentum) && o.momentum >= 0)) throw new Error(`lars: momentum must be a finite number >= 0, got ${o.momentum}`);
    if (!(o.eps >= 0)) throw new Error(`lars: eps must be >= 0, got ${o.eps}`);
    if (!(o.threshold >= 0)) throw new Error(`lars: threshold must be >= 0, got ${o.threshold}`);
  }

  protected update(p: Param, grad: tf.Tensor, lr: number, wd: number, _t: number, slot: (name: string) => tf.Tensor | undefined): Record<string, tf.Tensor> {
    const w = p.variable;
    const wn = tf.norm(w);
    const gn = tf.norm(grad);
    const ratio = tf.div(wn, tf.add(tf.add(gn, this.o.eps), tf.mul(wn, wd)));
    const local = tf.where(tf.less(wn, this.o.threshold), tf.onesLike(ratio), ratio);
    const g = wd !== 0 ? tf.add(grad, tf.mul(w, wd)) : grad;
    const delta = tf.mul(g, tf.mul(local, lr));
    const old = slot('momentum_buffer');
    const buf = old ? tf.add(tf.mul(old, this.o.momentum), delta) : delta;
    w.assign(tf.sub(w, buf));
    return { momentum_buffer: buf };
  }
}
