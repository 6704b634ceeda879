/**
 * relu(batch norm(x)), the BN → ReLU pair of every pre-activation and post-activation block (arXiv 1603.05027,
 * 1512.03385), as one operation: on the libtorch backend one fused kernel (runtime/backend/libtorch/native/bn_relu.cc:
 * one pass over the activations forward and two backward fewer than BN then ReLU); elsewhere, and with synchronised
 * batch norm, exactly `tf.relu` of ./batch_norm.ts's result.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormReluInferenceFused, batchNormReluTrainFused } from '../../backend/libtorch/ops';
import { batchNormInference, batchNormTrain, type BatchNormTrainResult } from './batch_norm';
import { batchNormSync } from './batch_norm_sync';

/**
 * Training-mode relu(batch norm(x)) with batch statistics; see `batchNormTrain` for the statistics.
 * @param x activations [N, H, W, C] (NHWC) float32
 * @param gamma scale γ [C]
 * @param beta shift β [C]
 * @param eps added to the variance (PyTorch: 1e-5)
 * @returns y = relu(BN(x)) [N, H, W, C] (differentiable w.r.t. x, γ, β), the batch mean and biased variance [C]
 * @throws as `batchNormTrain`
 */
export function batchNormReluTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): BatchNormTrainResult {
  if (tf.getBackend() === 'libtorch' && !batchNormSync()) {
    return { ...batchNormReluTrainFused(x, gamma, beta, eps), count: x.shape[0] * x.shape[1] * x.shape[2] };
  }
  const out = batchNormTrain(x, gamma, beta, eps);
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
  if (tf.getBackend() === 'libtorch') return batchNormReluInferenceFused(x, runningMean, runningVar, gamma, beta, eps);
  return tf.tidy(() => tf.relu(batchNormInference(x, runningMean, runningVar, gamma, beta, eps)) as tf.Tensor4D);
}
