/**
 * [relu](batch norm(x) + residual): the end of every post-activation residual block (BN → Add → ReLU, arXiv
 * 1512.03385: ResNet, ResNeXt) and, without the ReLU, of every PyramidNet block (BN → Add, arXiv 1610.02915), as one
 * operation: the active backend's `BatchNormAddTrain` / `BatchNormAddInference` kernels where it registers them
 * (runtime/kernels/kernel_names.ts; libtorch: native/bn_relu.cc, the Add and the ReLU inside the pass that
 * normalises, and the residual's gradient written by the first backward pass); elsewhere, and with synchronised batch
 * norm, exactly the separate ops `relu(add(batchNorm(x), residual))`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dispatch, hasKernel, runKernel } from '../../kernels/dispatch';
import { BatchNormAddInference, BatchNormAddTrain, BatchNormAddTrainGrad, type BatchNormAddAttrs } from '../../kernels/kernel_names';
import { batchNormInference, batchNormTrain, type BatchNormTrainResult } from './batch_norm';
import { batchNormTrainViaKernels } from './batch_norm_kernel';
import type { BatchNormReducer } from './batch_norm_sync';

/**
 * Training-mode [relu](batch norm(x) + residual) with batch statistics; see `batchNormTrain` for the statistics.
 * @param x activations [N, H, W, C] (NHWC) float32
 * @param residual the shortcut [N, H, W, C], added after the normalisation
 * @param gamma scale γ [C]
 * @param beta shift β [C]
 * @param eps added to the variance (PyTorch: 1e-5)
 * @param relu whether a ReLU follows the Add
 * @param reduce the synchronised batch norm's sum over the workers, or null for this batch's statistics
 * @returns y [N, H, W, C] (differentiable w.r.t. x, residual, γ, β), the batch mean and biased variance [C] and
 *   their count
 * @throws Error when residual's shape is not x's; as `batchNormTrain` otherwise
 */
export function batchNormAddTrain(
  x: tf.Tensor4D,
  residual: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  relu: boolean,
  reduce: BatchNormReducer | null = null,
): BatchNormTrainResult {
  checkResidual(x, residual);
  if (!reduce && hasKernel(BatchNormAddTrain)) {
    const attrs: BatchNormAddAttrs = { eps, relu };
    return batchNormTrainViaKernels(x, residual, gamma, beta, { forward: BatchNormAddTrain, backward: BatchNormAddTrainGrad, attrs, relu });
  }
  const out = batchNormTrain(x, gamma, beta, eps, reduce);
  const sum = tf.add<tf.Tensor4D>(out.y, residual);
  return { ...out, y: relu ? tf.relu(sum) : sum };
}

/**
 * Inference-mode [relu](batch norm(x) + residual) with running statistics; see `batchNormInference`.
 * @param x [N, H, W, C] (NHWC); residual the same shape; the statistics and γ, β [C] (running variance unbiased)
 * @returns [N, H, W, C]
 * @throws Error when residual's shape is not x's
 */
export function batchNormAddInference(
  x: tf.Tensor4D,
  residual: tf.Tensor4D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  relu: boolean,
): tf.Tensor4D {
  checkResidual(x, residual);
  const attrs: BatchNormAddAttrs = { eps, relu };
  return dispatch(
    BatchNormAddInference,
    () => runKernel<tf.Tensor4D>(BatchNormAddInference, { x, residual, mean: runningMean, variance: runningVar, gamma, beta }, attrs),
    () => tf.tidy(() => {
      const sum = tf.add<tf.Tensor4D>(batchNormInference(x, runningMean, runningVar, gamma, beta, eps), residual);
      return relu ? tf.relu(sum) : sum;
    }),
  );
}

function checkResidual(x: tf.Tensor4D, residual: tf.Tensor4D): void {
  if (!tf.util.arraysEqual(x.shape, residual.shape)) {
    throw new Error(`batch norm + add: the residual's shape [${residual.shape}] is not the input's [${x.shape}]`);
  }
}
