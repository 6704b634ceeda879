/**
 * The training losses (the original's `losses/`), chosen with its priority
 * mixup > ricap > cutmix (mixed targets) > label smoothing > dual cutout > cross-entropy.
 * Validation and test always use the plain mean cross-entropy (`../loss.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from './cross_entropy';
import { dualCutoutLoss } from './dual_cutout';
import { labelSmoothingLoss } from './label_smoothing';
import { mixedCrossEntropy } from './mixed';

export { softCrossEntropy } from './soft_targets';
export { labelSmoothingLoss } from './label_smoothing';
export { mixedCrossEntropy } from './mixed';
export { dualCutoutLoss } from './dual_cutout';

/** Which training loss: from the `augmentation` section. */
export interface TrainLossOptions {
  /** `augmentation.label_smoothing.epsilon` when `use_label_smoothing`, else null. */
  labelSmoothing: number | null;
  /** `augmentation.cutout.dual_cutout_alpha` when `use_dual_cutout`, else null. */
  dualCutoutAlpha: number | null;
}

/** Targets of a batch (or chunk) as tensors: the labels and, for mixed batches, the label sets and weights. */
export interface LossTargets {
  labels: tf.Tensor1D;
  mix?: { labels: tf.Tensor1D[]; weights: number[] };
}

/** The loss of one output [N, K] (no dual-cutout term). */
function singleLoss(out: tf.Tensor2D, t: LossTargets, o: TrainLossOptions): tf.Scalar {
  if (t.mix) return mixedCrossEntropy(out, t.mix.labels, t.mix.weights);
  if (o.labelSmoothing !== null) return labelSmoothingLoss(out, t.labels, o.labelSmoothing);
  return crossEntropy(out, t.labels);
}

/**
 * The training loss of a batch.
 * @param outputs the logits: one [N, K], or two with dual cutout (first and second cut copies)
 * - mixed targets: Σ_k w_k·CE; label smoothing: the smoothed CE; dual cutout alone:
 *   {@link dualCutoutLoss}; otherwise the mean cross-entropy.
 * - Dual cutout together with mixing or label smoothing (the original feeds the stacked
 *   [N, 2, K] outputs to those losses, which is not meaningful): the mean of that loss over the
 *   two copies, without the consistency term.
 */
export function trainLoss(outputs: readonly tf.Tensor2D[], t: LossTargets, o: TrainLossOptions): tf.Scalar {
  if (outputs.length === 1) return singleLoss(outputs[0], t, o);
  if (outputs.length !== 2) throw new Error(`trainLoss takes one or two outputs, got ${outputs.length}`);
  if (!t.mix && o.labelSmoothing === null) return dualCutoutLoss(outputs[0], outputs[1], t.labels, o.dualCutoutAlpha ?? 0);
  return tf.tidy(() => tf.mul(tf.add(singleLoss(outputs[0], t, o), singleLoss(outputs[1], t, o)), 0.5) as tf.Scalar);
}
