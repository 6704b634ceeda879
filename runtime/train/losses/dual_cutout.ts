/**
 * Dual-Cutout loss (DeVries & Taylor's Cutout applied twice, consistency as in arXiv 1802.07426),
 * as the original's `DualCutoutLoss`: ½·(CE(z₁, y) + CE(z₂, y)) + α · mean((z₁ − z₂)²), the MSE
 * averaged over N·K.
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from './cross_entropy';

/**
 * @param out1 logits of the first cut copies [N, K]
 * @param out2 logits of the second cut copies [N, K]
 * @param labels [N] int32
 * @param alpha weight of the consistency term (`augmentation.cutout.dual_cutout_alpha`)
 */
export function dualCutoutLoss(out1: tf.Tensor2D, out2: tf.Tensor2D, labels: tf.Tensor1D, alpha: number): tf.Scalar {
  return tf.tidy(() => {
    const ce = tf.mul(tf.add(crossEntropy(out1, labels), crossEntropy(out2, labels)), 0.5);
    return tf.add(ce, tf.mul(tf.mean(tf.squaredDifference(out1, out2)), alpha)) as tf.Scalar;
  });
}
