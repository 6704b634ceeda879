/**
 * Cross-entropy of mixed targets (the original's Mixup/CutMix/RICAP losses):
 * Σ_k w_k · CE(z, y_k), each CE a batch mean; computed as one cross-entropy against the soft
 * targets Σ_k w_k·onehot(y_k), which is the same sum.
 */
import * as tf from '@tensorflow/tfjs-core';
import { softCrossEntropy } from './soft_targets';

/**
 * @param logits [N, K]
 * @param labels label sets, each [N] int32
 * @param weights one per label set
 */
export function mixedCrossEntropy(logits: tf.Tensor2D, labels: readonly tf.Tensor1D[], weights: readonly number[]): tf.Scalar {
  if (labels.length !== weights.length || labels.length === 0) throw new Error(`mixed cross-entropy needs one weight per label set, got ${labels.length} and ${weights.length}`);
  const k = logits.shape[1];
  return tf.tidy(() => {
    const targets = tf.addN(labels.map((y, i) => tf.oneHot(y, k, weights[i], 0, 'float32')));
    return softCrossEntropy(logits, targets as tf.Tensor2D);
  });
}
