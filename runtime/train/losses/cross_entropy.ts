import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean softmax cross-entropy, as PyTorch's `nn.CrossEntropyLoss()`:
 * loss = −(1/N) Σ_i log softmax(z_i)[y_i].
 * @param logits [N, K] float32
 * @param labels [N] int32 class indices in [0, K)
 * @returns scalar loss
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[1];
    const target = tf.oneHot(labels, k, 1, 0, 'float32');
    const logProbs = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logProbs), 1))) as tf.Scalar;
  });
}
