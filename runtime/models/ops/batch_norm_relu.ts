/**
 * relu(batch norm(x)), the BN → ReLU pair of every pre-activation and post-activation block (arXiv 1603.05027,
 * 1512.03385), as one operation: the active backend's `BatchNormReluTrain` / `BatchNormReluInference` kernels where
 * it registers them (runtime/kernels/kernel_names.ts; libtorch: native/bn_relu.cc, one pass over the activations
 * forward and two backward fewer than BN then ReLU); elsewhere, and with synchronised batch norm, exactly `tf.relu`
 * of ./batch_norm.ts's result.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dispatch, hasKernel, runKernel } from '../../kernels/dispatch';
import { BatchNormReluInference, BatchNormReluTrain, BatchNormReluTrainGrad, type BatchNormAttrs } from '../../kernels/kernel_names';
import { batchNormInference, batchNormTrain, type BatchNormTrainResult } from './batch_norm';
import { batchNormTrainViaKernels } from './batch_norm_kernel';
import type { BatchNormReducer } from './batch_norm_sync';

/**
 * Training-mode relu(batch norm(x)) with batch statistics; see `batchNormTrain` for the statistics.
 * @param x activations [N, H, W, C] (NHWC) float32
 * @param gamma scale γ [C]
 * @param beta shift β [C]
 * @param eps added to the variance (PyTorch: 1e-5)
 * @param reduce the synchronised batch norm's sum over the workers, or null for this batch's statistics
 * @returns y = relu(BN(x)) [N, H, W, C] (differentiable w.r.t. x, γ, β), the batch mean and biased variance [C]
 *   and their count
 * @throws as `batchNormTrain`
 */
export function batchNormReluTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, reduce: BatchNormReducer | null = null): BatchNormTrainResult {
  if (!reduce && hasKernel(BatchNormReluTrain)) {
    const attrs: BatchNormAttrs = { eps };
    return batchNormTrainViaKernels(x, null, gamma, beta, { forward: BatchNormReluTrain, backward: BatchNormReluTrainGrad, attrs, relu: true });
  }
  const out = batchNormTrain(x, gamma, beta, eps, reduce);
  return { ...out, y: tf.relu(out.y) as tf.Tensor4D };
}

/**
 * Inference-mode relu(batch norm(x)) with running statistics; see `batchNormInference`.
 * @param x [N, H, W, C] (NHWC); the others [C] (running variance unbiased, as PyTorch stores it)
 * @returns [N, H, W, C]
 */
export function batchNormReluInference(
  x: tf.Tensor4D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): tf.Tensor4D {
  const attrs: BatchNormAttrs = { eps };
  return dispatch(
    BatchNormReluInference,
    () => runKernel<tf.Tensor4D>(BatchNormReluInference, { x, mean: runningMean, variance: runningVar, gamma, beta }, attrs),
    () => tf.tidy(() => tf.relu(batchNormInference(x, runningMean, runningVar, gamma, beta, eps)) as tf.Tensor4D),
  );
}
