import * as tf from '@tensorflow/tfjs-core';

/**
 * Cross-entropy against soft targets: −(1/N) Σ_i Σ_c t_ic · log softmax(z_i)_c.
 * @param logits [N, K]
 * @param targets [N, K], rows summing to 1
 */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}
