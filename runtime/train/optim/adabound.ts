import * as tf from '@tensorflow/tfjs-core';
import type { Param } from '../../models/types';
import { checkBetas, SlotOptimizer } from './adam';
import { ConfigError } from '../../config/config_error';

/** Settings of {@link AdaBound} (`optim.adabound` and `train.base_lr`). */
export interface AdaBoundOptions {
  betas: readonly number[];
  /** `optim.adabound.final_lr`: the SGD learning rate the bounds converge to, at lr = base_lr. */
  finalLr: number;
  /** `optim.adabound.gamma`: convergence speed of the bounds, in [0, 1). */
  gamma: number;
  /** `train.base_lr`: final_lr is scaled by lr/base_lr so that the lr schedule moves the bounds too. */
  baseLr: number;
  /** Default 1e-8. */
  eps?: number;
  /** AdaBoundW: decoupled weight decay (w ← w − wd·w each step, not scaled by lr) instead of L2 in the gradient. */
  decoupled?: boolean;
}

/**
 * AdaBound and AdaBoundW (Luo et al., "Adaptive Gradient Methods with Dynamic Bound of Learning
 * Rate", arXiv 1902.09843), with the semantics of the authors' PyTorch code (Luolc/AdaBound, which
 * the original ports). Per parameter, step t:
 *
 *   AdaBound: g = grad + wd·w (AdaBoundW: g = grad);  m = β₁·m + (1−β₁)·g;  v = β₂·v + (1−β₂)·g²;
 *   η = lr·√(1−β₂ᵗ)/(1−β₁ᵗ) / (√v + eps);  f = final_lr·lr/base_lr;
 *   η ← clip(η, f·(1 − 1/(γ·t + 1)), f·(1 + 1/(γ·t)));  w ← w − η·m  (AdaBoundW: then w ← w − wd·w_old).
 *
 * AMSBound (the authors' `amsbound` flag) is not exposed by the original's config and not offered.
 */
export class AdaBound extends SlotOptimizer {
  readonly name: 'adabound' | 'adaboundw';
  private readonly o: Required<AdaBoundOptions>;
  private readonly betas: [number, number];

  constructor(params: readonly Param[], options: AdaBoundOptions, weightDecayOf: (param: Param) => number = () => 0) {
    const name = options.decoupled ? 'adaboundw' : 'adabound';
    super(params, weightDecayOf, ['exp_avg', 'exp_avg_sq'], true, name);
    this.name = name;
    this.betas = checkBetas(name, options.betas);
    this.o = { eps: 1e-8, decoupled: false, ...options };
    const { finalLr, gamma, baseLr, eps } = this.o;
    if (!(Number.isFinite(finalLr) && finalLr >= 0)) throw new Error(`${name}: final_lr must be >= 0, got ${finalLr}`);
    if (!(gamma >= 0 && gamma < 1)) throw new Error(`${name}: gamma must be in [0, 1), got ${gamma}`);
    if (!(Number.isFinite(baseLr) && baseLr > 0)) throw new ConfigError(`must be > 0 for ${name} (final_lr is scaled by lr/base_lr), got ${baseLr}`, { key: 'train.base_lr' });
    if (!(eps >= 0)) throw new Error(`${name}: eps must be >= 0, got ${eps}`);
  }

  protected update(p: Param, grad: tf.Tensor, lr: number, wd: number, t: number, slot: (name: string) => tf.Tensor | undefined): Record<string, tf.Tensor> {
    const [b1, b2] = this.betas;
    const { finalLr, gamma, baseLr, eps, decoupled } = this.o;
    const w = p.variable;
    const g = !decoupled && wd !== 0 ? tf.add(grad, tf.mul(w, wd)) : grad;
    const m0 = slot('exp_avg');
    const v0 = slot('exp_avg_sq');
    const m = m0 ? tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1)) : tf.mul(g, 1 - b1);
    const v = v0 ? tf.add(tf.mul(v0, b2), tf.mul(tf.square(g), 1 - b2)) : tf.mul(tf.square(g), 1 - b2);
    const stepSize = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const f = (finalLr * lr) / baseLr;
    const lower = f * (1 - 1 / (gamma * t + 1));
    const upper = f * (1 + 1 / (gamma * t));
    const eta = tf.clipByValue(tf.div(stepSize, tf.add(tf.sqrt(v), eps)), lower, upper);
    let next = tf.sub(w, tf.mul(eta, m));
    if (decoupled && wd !== 0) next = tf.sub(next, tf.mul(w, wd));
    w.assign(next);
    return { exp_avg: m, exp_avg_sq: v };
  }
}
