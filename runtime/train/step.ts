import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type Config } from '../config';
import type { Model } from '../models/types';
import { variableGrads } from './backprop';
import { trainLoss, type LossTargets, type TrainLossOptions } from './losses';
import { topkCorrect } from './metrics';
import type { Optimizer } from './optim/types';

/** One training batch, NHWC float32 normalised images and int class labels. */
export interface TrainBatch {
  /** [n, H, W, C] row-major. */
  x: Float32Array;
  y: Int32Array;
  n: number;
  /** Dual cutout: the second cut copy of every image, like `x`. */
  x2?: Float32Array;
  /** Mixup / CutMix / RICAP: label sets (each [n]) and their weights (summing to 1). */
  mix?: { labels: Int32Array[]; weights: number[] };
}

/** What one optimizer step measured. */
export interface StepResult {
  /** Training loss of the batch (mean over its images, see {@link trainLoss}). */
  loss: number;
  /**
   * Top-1 correct count in the batch; for mixed batches the weighted sum Σ_k w_k·correct(labels_k)
   * (the original's train accuracy), so it may be fractional.
   */
  correct1: number;
  /** Top-5 correct count (top-min(5, K)), weighted as correct1. */
  correct5: number;
}

/** Static settings of the training step. */
export interface StepOptions {
  /** Image shape [H, W, C]. */
  imageShape: [number, number, number];
  nClasses: number;
  /** Max global L2 norm of the gradients; 0 disables clipping (`train.gradient_clip`). */
  gradientClip: number;
  /** `train.subdivision`: chunks per batch (ghost batch norm / gradient accumulation); default 1. */
  subdivision?: number;
  /** Label smoothing / dual cutout; default plain cross-entropy (mixed targets come with the batch). */
  loss?: TrainLossOptions;
}

/** The step settings a config asks for (loss choice, subdivision, clipping). */
export function trainStepOptions(cfg: Config, imageShape: [number, number, number], nClasses: number): StepOptions {
  const a = cfg.augmentation;
  return {
    imageShape,
    nClasses,
    gradientClip: cfg.train.gradient_clip,
    subdivision: cfg.train.subdivision,
    loss: {
      labelSmoothing: a.use_label_smoothing ? a.label_smoothing.epsilon : null,
      dualCutoutAlpha: a.use_dual_cutout ? a.cutout.dual_cutout_alpha : null,
    },
  };
}

/**
 * Scales `grads` in place (as new tensors) so that their global L2 norm is at most `maxNorm`,
 * as PyTorch's `clip_grad_norm_` (factor maxNorm / (norm + 1e-6), applied only when below 1).
 */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): Record<string, tf.Tensor> {
  const names = Object.keys(grads);
  const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]))))).dataSync()[0]);
  const factor = maxNorm / (norm + 1e-6);
  if (factor >= 1) return grads;
  const clipped: Record<string, tf.Tensor> = {};
  for (const k of names) {
    clipped[k] = tf.mul(grads[k], factor);
    grads[k].dispose();
  }
  return clipped;
}

/** Correct counts of rows [s, e) of a batch, weighted over mixed label sets. */
function chunkCorrect(logits: Float32Array, batch: TrainBatch, s: number, e: number, nClasses: number): [number, number] {
  const sets = batch.mix ? batch.mix.labels.map((l, k) => [l, batch.mix!.weights[k]] as const) : [[batch.y, 1] as const];
  let c1 = 0;
  let c5 = 0;
  for (const [labels, weight] of sets) {
    const [a, b] = topkCorrect(logits, labels.subarray(s, e), nClasses, [1, 5]);
    c1 += weight * a;
    c5 += weight * b;
  }
  return [c1, c5];
}

/**
 * Gradients and measurements of rows [s, e) of a batch: forward in training mode (BN batch
 * statistics of these rows, running statistics updated; with dual cutout the model runs on each
 * copy separately, as the original), the training loss, backward.
 */
function chunkGrads(model: Model, batch: TrainBatch, s: number, e: number, opts: StepOptions): { loss: number; grads: Record<string, tf.Tensor>; correct: [number, number] } {
  const [h, w, c] = opts.imageShape;
  const size = h * w * c;
  const m = e - s;
  const whole = s === 0 && e === batch.n;
  const images = (a: Float32Array) => tf.tensor4d(whole ? a : a.slice(s * size, e * size), [m, h, w, c]);
  const ints = (a: Int32Array) => tf.tensor1d(whole ? a : a.slice(s, e), 'int32');
  const xs = [images(batch.x), ...(batch.x2 ? [images(batch.x2)] : [])];
  const targets: LossTargets = { labels: ints(batch.y) };
  if (batch.mix) targets.mix = { labels: batch.mix.labels.map(ints), weights: batch.mix.weights };
  let outs: tf.Tensor2D[] = [];
  const { value, grads } = variableGrads(() => {
    const o = xs.map((x) => model.apply(x, true));
    outs = o.map((t) => tf.keep(t));
    return trainLoss(o, targets, opts.loss ?? { labelSmoothing: null, dualCutoutAlpha: null });
  }, model.params.map((p) => p.variable));
  const logits = outs.length === 1 ? (outs[0].dataSync() as Float32Array) : (tf.tidy(() => tf.div(tf.add(outs[0], outs[1]), 2)).dataSync() as Float32Array);
  const loss = value.dataSync()[0];
  tf.dispose([...xs, targets.labels, ...(targets.mix?.labels ?? []), value, ...outs]);
  return { loss, grads, correct: chunkCorrect(logits, batch, s, e, opts.nClasses) };
}

/** Averaged gradients of one batch (before clipping) and what the step measured. */
export interface BatchGrads extends StepResult {
  /** Gradients by variable name (the caller owns and disposes them). */
  grads: Record<string, tf.Tensor>;
}

/**
 * The gradients of a batch, as {@link trainStep} computes them before the optimizer: with
 * `subdivision` k the batch is cut into k chunks of ⌈n/k⌉ rows (as `torch.chunk`), each runs
 * forward and backward on its own (ghost batch norm), and the gradients are averaged weighted by
 * chunk size. Frees every tensor it creates except the returned gradients.
 */
export function batchGrads(model: Model, batch: TrainBatch, opts: StepOptions): BatchGrads {
  const k = opts.subdivision ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new ConfigError(`must be a positive integer, got ${k}`, { key: 'train.subdivision' });
  const chunk = Math.ceil(batch.n / k);
  let sum: Record<string, tf.Tensor> | null = null;
  let loss = 0;
  let correct1 = 0;
  let correct5 = 0;
  for (let s = 0; s < batch.n; s += chunk) {
    const e = Math.min(batch.n, s + chunk);
    const frac = (e - s) / batch.n;
    const r = chunkGrads(model, batch, s, e, opts);
    loss += frac * r.loss;
    correct1 += r.correct[0];
    correct5 += r.correct[1];
    if (sum === null && frac === 1) {
      sum = r.grads;
      continue;
    }
    const next: Record<string, tf.Tensor> = {};
    for (const [key, g] of Object.entries(r.grads)) {
      next[key] = tf.tidy(() => (sum ? tf.add(sum[key], tf.mul(g, frac)) : tf.mul(g, frac)));
    }
    tf.dispose([...Object.values(r.grads), ...(sum ? Object.values(sum) : [])]);
    sum = next;
  }
  return { grads: sum ?? {}, loss, correct1, correct5 };
}

/** Clips `grads` (`gradientClip` > 0), updates the weights at `lr`, and frees the gradients. */
export function applyGrads(optimizer: Optimizer, grads: Record<string, tf.Tensor>, lr: number, opts: StepOptions): void {
  const finalGrads = opts.gradientClip > 0 ? clipByGlobalNorm(grads, opts.gradientClip) : grads;
  optimizer.step(finalGrads, lr);
  tf.dispose(Object.values(finalGrads));
}

/**
 * One optimizer step on a batch. With `subdivision` k the batch is cut into k chunks of ⌈n/k⌉ rows
 * (as `torch.chunk`): each chunk runs forward and backward on its own (ghost batch norm: BN
 * statistics per chunk, running statistics updated once per chunk) and the gradients are averaged
 * weighted by chunk size, so for a model without BN they equal the full batch's. The reported loss
 * is the batch mean (the original reports the sum of the chunk losses). Clipping (`gradientClip`)
 * applies to the averaged gradient (the original clips the sum, before dividing by k). Then the
 * optimizer updates at `lr`. Frees every tensor it creates.
 */
export function trainStep(model: Model, optimizer: Optimizer, batch: TrainBatch, lr: number, opts: StepOptions): StepResult {
  const { grads, loss, correct1, correct5 } = batchGrads(model, batch, opts);
  applyGrads(optimizer, grads, lr, opts);
  return { loss, correct1, correct5 };
}

/**
 * Exchanges a batch's gradients and measurements with the other data-parallel workers: returns
 * the gradients averaged over the workers (taking ownership of the ones it is given) and the
 * measurements summed over them (see runtime/distributed/sync.ts).
 */
export type GradExchange = (local: BatchGrads) => Promise<BatchGrads & { n: number }>;

/**
 * {@link trainStep} for data-parallel training: the batch's gradients go through `exchange`
 * (an all-reduce) before clipping and the optimizer, so every worker applies the same averaged
 * gradient. Returns the measurements over all workers' batches and their image count `n`.
 */
export async function trainStepExchanged(
  model: Model, optimizer: Optimizer, batch: TrainBatch, lr: number, opts: StepOptions, exchange: GradExchange,
): Promise<StepResult & { n: number }> {
  const reduced = await exchange(batchGrads(model, batch, opts));
  applyGrads(optimizer, reduced.grads, lr, opts);
  return { loss: reduced.loss, correct1: reduced.correct1, correct5: reduced.correct5, n: reduced.n };
}
