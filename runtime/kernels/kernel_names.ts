/**
 * Names, inputs and attributes of this project's fused kernels, the counterpart of tfjs-core's `kernel_names.ts`.
 * Ops and optimizers call them by name through ./dispatch.ts; a backend that has a faster implementation registers a
 * kernel of that name (`tf.registerKernel`, e.g. runtime/backend/libtorch/fused_kernels.ts), and every other backend
 * runs the op's composed default (generic tfjs ops, the same arithmetic). No backend is named here.
 *
 * Layouts: activations NHWC [N, H, W, C] float32, per-channel vectors [C].
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Attributes of the batch-norm kernels: ε added to the variance (PyTorch: 1e-5). */
export interface BatchNormAttrs {
  eps: number;
}

/**
 * Training-mode batch norm (arXiv 1502.03167) with batch statistics.
 * Inputs x [N, H, W, C], gamma [C], beta [C]; outputs y [N, H, W, C], batch mean [C], invstd = 1/√(σ² + ε) [C] and
 * the biased batch variance σ² [C]. Attributes {@link BatchNormAttrs}.
 */
export const BatchNormTrain = 'BatchNormTrain';
/**
 * Gradient of {@link BatchNormTrain}. Inputs dy, x [N, H, W, C], gamma, mean, invstd [C] (the forward's); outputs dx
 * [N, H, W, C], dγ [C], dβ [C]. Attributes {@link BatchNormAttrs}.
 */
export const BatchNormTrainGrad = 'BatchNormTrainGrad';

/**
 * relu(batch norm(x)) in training mode (the BN → ReLU pair of arXiv 1603.05027 and 1512.03385).
 * Inputs x, gamma, beta as {@link BatchNormTrain}; outputs y = relu(BN(x)) [N, H, W, C], batch mean [C], invstd [C],
 * biased batch variance [C]. Attributes {@link BatchNormAttrs}.
 */
export const BatchNormReluTrain = 'BatchNormReluTrain';
/**
 * Gradient of {@link BatchNormReluTrain}. Inputs dy (w.r.t. the ReLU output), y, x [N, H, W, C], gamma, mean, invstd
 * [C]; outputs dx [N, H, W, C], dγ [C], dβ [C]. No attributes.
 */
export const BatchNormReluTrainGrad = 'BatchNormReluTrainGrad';

/**
 * Inference-mode batch norm with running statistics. Inputs x [N, H, W, C], mean, variance (unbiased, as PyTorch
 * stores it), gamma, beta [C]; output [N, H, W, C]. Attributes {@link BatchNormAttrs}.
 */
export const BatchNormInference = 'BatchNormInference';
/** relu of {@link BatchNormInference}: same inputs, attributes and output shape. */
export const BatchNormReluInference = 'BatchNormReluInference';

/** Attributes of the {@link BatchNormAddTrain} kernels. */
export interface BatchNormAddAttrs extends BatchNormAttrs {
  /** Whether a ReLU follows the Add (the end of a post-activation residual block). */
  relu: boolean;
}
/**
 * [relu](batch norm(x) + residual) in training mode: the end of a post-activation residual block (BN → Add → ReLU,
 * arXiv 1512.03385) or, without the ReLU, of a PyramidNet block (BN → Add, arXiv 1610.02915).
 * Inputs x, residual [N, H, W, C], gamma, beta [C]; outputs y [N, H, W, C], batch mean [C], invstd [C] and the
 * biased batch variance [C], as {@link BatchNormReluTrain}. Attributes {@link BatchNormAddAttrs}.
 */
export const BatchNormAddTrain = 'BatchNormAddTrain';
/**
 * Gradient of {@link BatchNormAddTrain}. Inputs dy (w.r.t. y), y (only with `relu`: the mask y > 0), x [N, H, W, C],
 * gamma, mean, invstd [C] (the forward's); outputs dx [N, H, W, C], dγ [C], dβ [C] and, with `relu`, the residual's
 * gradient [N, H, W, C] (dy where y > 0; without the ReLU it is dy itself and not an output). Attributes
 * {@link BatchNormAddAttrs}.
 */
export const BatchNormAddTrainGrad = 'BatchNormAddTrainGrad';
/**
 * [relu](batch norm(x) + residual) with running statistics. Inputs x, residual [N, H, W, C], mean, variance
 * (unbiased), gamma, beta [C]; output [N, H, W, C]. Attributes {@link BatchNormAddAttrs}.
 */
export const BatchNormAddInference = 'BatchNormAddInference';

/** Attributes of {@link BatchNormRunningStats}. */
export interface RunningStatsAttrs {
  /** Values per channel the batch statistics cover (N·H·W), > 1. */
  count: number;
  /** Weight of the batch statistic (PyTorch: 0.1). */
  momentum: number;
}
/**
 * PyTorch's running-statistics update of BatchNorm: inputs runningMean, runningVar, mean, variance (biased) [C];
 * outputs the new running mean and running variance [C]. Attributes {@link RunningStatsAttrs}.
 */
export const BatchNormRunningStats = 'BatchNormRunningStats';

/**
 * Squeeze-and-excitation (arXiv 1709.01507) as the original's `SELayer`: y = x·sigmoid(relu(mean_HW(x)·w1 + b1)·w2 + b2)
 * with the scale broadcast over H, W. Inputs x [N, H, W, C], w1 [C, R], b1 [R], w2 [R, C], b2 [C] (Linear weights
 * [in, out]); outputs y [N, H, W, C], scale [N, C], hidden = relu(…) [N, R], squeezed = mean_HW(x) [N, C] (the last
 * three for the gradient). No attributes.
 */
export const SqueezeExcitation = 'SqueezeExcitation';
/**
 * Gradient of {@link SqueezeExcitation}. Inputs dy, x [N, H, W, C], w1, w2, and the forward's squeezed, hidden, scale;
 * outputs dx [N, H, W, C], dw1 [C, R], db1 [R], dw2 [R, C], db2 [C]. No attributes.
 */
export const SqueezeExcitationGrad = 'SqueezeExcitationGrad';

/** Gradient of ReLU: inputs dy, x (same shape); output dy where x > 0, else 0. No attributes. */
export const ReluGrad = 'ReluGrad';

/** Attributes of {@link SgdStep}. */
export interface SgdStepAttrs {
  /** Parameters in the step. */
  n: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  /** L2 coefficient per parameter (coupled: added to the gradient). */
  weightDecay: number[];
  /** Whether parameter i has a momentum buffer (input `b${i}`); without one the new buffer is the gradient. */
  hasBuffer: boolean[];
}
/**
 * One `torch.optim.SGD` step (dampening 0) for n parameters. Inputs `p${i}` (parameter), `g${i}` (gradient) and,
 * where `hasBuffer[i]`, `b${i}` (momentum buffer), each of parameter i's shape. Outputs: the n new parameters, then
 * (momentum > 0) the n new buffers. Per parameter: d = g + wd·p; buf = momentum·buf + d (d on the first step);
 * d = d + momentum·buf (Nesterov) or buf; p ← p − lr·d. Attributes {@link SgdStepAttrs}.
 */
export const SgdStep = 'SgdStep';

/** Inputs of a kernel by name. */
export type KernelInputs = Record<string, tf.Tensor>;
