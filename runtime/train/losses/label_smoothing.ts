/**
 * Label smoothing (Szegedy et al., arXiv 1512.00567 §7) as the original's `LabelSmoothingLoss`:
 * target = (1 − ε)·onehot(y) + ε/K (the uniform part includes the true class), loss = the mean
 * over the batch of Σ_c −target_c · log softmax(z)_c.
 */
import * as tf from '@tensorflow/tfjs-core';
import { softCrossEntropy } from './soft_targets';

/**
 * @param logits [N, K]
 * @param labels [N] int32
 * @param epsilon in [0, 1]
 */
export function labelSmoothingLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, epsilon: number): tf.Scalar {
  if (!(epsilon >= 0 && epsilon <= 1)) throw new Error(`label smoothing epsilon must be in [0, 1], got ${epsilon}`);
  const k = logits.shape[1];
  return tf.tidy(() => softCrossEntropy(logits, tf.oneHot(labels, k, 1 - epsilon + epsilon / k, epsilon / k, 'float32') as tf.Tensor2D));
}
