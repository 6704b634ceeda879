import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/types';
import { crossEntropy } from './loss';
import { topkCorrect } from './metrics';
import type { Optimizer } from './optim/types';

/** One training batch, NHWC float32 normalised images and int class labels. */
export interface TrainBatch {
  /** [n, H, W, C] row-major. */
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** What one optimizer step measured. */
export interface StepResult {
  /** Mean cross-entropy of the batch. */
  loss: number;
  /** Top-1 correct count in the batch. */
  correct1: number;
  /** Top-5 correct count (top-min(5, K)). */
  correct5: number;
}

/** Static settings of the training step. */
export interface StepOptions {
  /** Image shape [H, W, C]. */
  imageShape: [number, number, number];
  nClasses: number;
  /** Max global L2 norm of the gradients; 0 disables clipping (`train.gradient_clip`). */
  gradientClip: number;
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

/**
 * One SGD-family step on a batch: forward in training mode (BN batch statistics, running
 * statistics updated), mean cross-entropy, backward, optional clipping, optimizer update at `lr`.
 * Frees every tensor it creates.
 */
export function trainStep(model: Model, optimizer: Optimizer, batch: TrainBatch, lr: number, opts: StepOptions): StepResult {
  const [h, w, c] = opts.imageShape;
  const x = tf.tensor4d(batch.x, [batch.n, h, w, c]);
  const y = tf.tensor1d(batch.y, 'int32');
  let logits: tf.Tensor2D | undefined;
  const trainable = model.params.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, true);
    logits = tf.keep(out);
    return crossEntropy(out, y);
  }, trainable);
  const finalGrads = opts.gradientClip > 0 ? clipByGlobalNorm(grads, opts.gradientClip) : grads;
  optimizer.step(finalGrads, lr);
  const loss = value.dataSync()[0];
  const logitValues = logits!.dataSync() as Float32Array;
  const [correct1, correct5] = topkCorrect(logitValues, batch.y, opts.nClasses, [1, 5]);
  tf.dispose([x, y, value, logits!, ...Object.values(finalGrads)]);
  return { loss, correct1, correct5 };
}
