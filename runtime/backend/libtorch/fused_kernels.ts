/**
 * The libtorch backend's implementations of this project's fused kernels (runtime/kernels/kernel_names.ts), which the
 * ops and optimizers run through runtime/kernels/dispatch.ts wherever the active backend registered them
 * (kernels.ts registers {@link LIBTORCH_FUSED_KERNELS}); every other backend runs the ops' composed defaults.
 *
 * Training batch norm, alone, followed by a ReLU, or by a residual Add (and a ReLU), and the running-statistics update
 * run the addon's own kernels (native/bn_relu.cc: PyTorch's CPU arithmetic, 3 passes over the activations forward and
 * 2 backward, the Add and the ReLU inside them); inference batch norm alone ATen's channels_last
 * `native_batch_norm`; the SGD step ATen's multi-tensor operators (./sgd_kernel.ts).
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  BatchNormAddInference, BatchNormAddTrain, BatchNormAddTrainGrad, type BatchNormAddAttrs, BatchNormInference, BatchNormReluInference, BatchNormReluTrain, BatchNormReluTrainGrad, BatchNormRunningStats, BatchNormTrain, BatchNormTrainGrad,
  ReluGrad, SgdStep, SqueezeExcitation, SqueezeExcitationGrad, type BatchNormAttrs, type RunningStatsAttrs,
} from '../../kernels/kernel_names';
import type { LtTensor } from './addon';
import type { KernelScope } from './backend';
import { sgdStepImpl } from './sgd_kernel';

/** One kernel's implementation: ATen calls on the scope, returning its output or outputs. */
// Attributes are typed per kernel at the use site.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FusedImpl = (s: KernelScope, inputs: Record<string, tf.TensorInfo>, attrs: any) => LtTensor | LtTensor[];

/** y, batch mean, 1/√(σ²+eps) and biased σ² of `x` [N, H, W, C] with γ, β [C] (native/bn_relu.cc, PyTorch's arithmetic). */
const bnTrainImpl: FusedImpl = (s, { x, gamma, beta }, { eps }: BatchNormAttrs) =>
  s.callList('icl::bn_train', s.id(x), s.id(gamma), s.id(beta), null, false, eps) as LtTensor[];

/** dx, dγ, dβ from dy and the forward's saved x, γ, mean, invstd. */
const bnTrainGradImpl: FusedImpl = (s, { dy, x, gamma, mean, invstd }) => {
  const [dx, , dgamma, dbeta] = s.callList('icl::bn_train_backward', s.id(dy), null, s.id(x), s.id(gamma), s.id(mean), s.id(invstd), false, false) as LtTensor[];
  return [dx, dgamma, dbeta];
};

/** Inference batch norm in one channels_last pass (ATen's `native_batch_norm`, as the FusedBatchNorm kernel). */
const bnEvalImpl: FusedImpl = (s, { x, mean, variance, gamma, beta }, { eps }: BatchNormAttrs) => {
  const nchw = (t: tf.TensorInfo) => s.call('aten::permute', s.id(t), [0, 3, 1, 2]);
  const [y] = s.callList('aten::native_batch_norm', nchw(x), s.id(gamma), s.id(beta), s.id(mean), s.id(variance), false, 0.1, eps) as LtTensor[];
  return s.call('aten::permute', y, [0, 2, 3, 1]);
};

/** y = relu(BN(x)), batch mean, 1/√(σ²+eps) and biased σ² of `x` [N, H, W, C] with γ, β [C]. */
const bnReluTrainImpl: FusedImpl = (s, { x, gamma, beta }, { eps }: BatchNormAttrs) =>
  s.callList('icl::bn_train', s.id(x), s.id(gamma), s.id(beta), null, true, eps) as LtTensor[];

/** dx, dγ, dβ from dy (w.r.t. the ReLU output y) and the forward's y, x, γ, mean, invstd. */
const bnReluTrainGradImpl: FusedImpl = (s, { dy, y, x, gamma, mean, invstd }) => {
  const [dx, , dgamma, dbeta] = s.callList('icl::bn_train_backward', s.id(dy), s.id(y), s.id(x), s.id(gamma), s.id(mean), s.id(invstd), true, false) as LtTensor[];
  return [dx, dgamma, dbeta];
};

/** relu(BN(x)) with running statistics, one pass. */
const bnReluEvalImpl: FusedImpl = (s, { x, mean, variance, gamma, beta }, { eps }: BatchNormAttrs) =>
  s.call('icl::bn_eval', s.id(x), s.id(mean), s.id(variance), s.id(gamma), s.id(beta), null, true, eps);

/** y = [relu](BN(x) + residual), batch mean, invstd and biased σ², one pass writing y. */
const bnAddTrainImpl: FusedImpl = (s, { x, residual, gamma, beta }, { eps, relu }: BatchNormAddAttrs) =>
  s.callList('icl::bn_train', s.id(x), s.id(gamma), s.id(beta), s.id(residual), relu, eps) as LtTensor[];

/** dx, dγ, dβ and (relu) d residual, the masked dy written by the first backward pass and read by the second. */
const bnAddTrainGradImpl: FusedImpl = (s, { dy, y, x, gamma, mean, invstd }, { relu }: BatchNormAddAttrs) => {
  const [dx, dres, dgamma, dbeta] = s.callList('icl::bn_train_backward', s.id(dy), relu ? s.id(y) : null, s.id(x), s.id(gamma), s.id(mean), s.id(invstd),
    relu, relu) as LtTensor[];
  return relu ? [dx, dgamma, dbeta, dres] : [dx, dgamma, dbeta];
};

/** [relu](BN(x) + residual) with running statistics, one pass. */
const bnAddEvalImpl: FusedImpl = (s, { x, residual, mean, variance, gamma, beta }, { eps, relu }: BatchNormAddAttrs) =>
  s.call('icl::bn_eval', s.id(x), s.id(mean), s.id(variance), s.id(gamma), s.id(beta), s.id(residual), relu, eps);

/** New running mean and variance (native/bn_relu.cc: one loop, the float32 arithmetic of the composed update). */
const bnRunningStatsImpl: FusedImpl = (s, { runningMean, runningVar, mean, variance }, { count, momentum }: RunningStatsAttrs) =>
  s.callList('icl::bn_running_stats', s.id(runningMean), s.id(runningVar), s.id(mean), s.id(variance), count, momentum) as LtTensor[];

/** Squeeze-and-excitation forward: y, scale, hidden, squeezed (native/squeeze_excitation.cc). */
const seImpl: FusedImpl = (s, { x, w1, b1, w2, b2 }) => s.callList('icl::se_forward', s.id(x), s.id(w1), s.id(b1), s.id(w2), s.id(b2)) as LtTensor[];

/** Squeeze-and-excitation gradient: dx, dw1, db1, dw2, db2. */
const seGradImpl: FusedImpl = (s, { dy, x, w1, w2, squeezed, hidden, scale }) =>
  s.callList('icl::se_backward', s.id(dy), s.id(x), s.id(w1), s.id(w2), s.id(squeezed), s.id(hidden), s.id(scale)) as LtTensor[];

/** dy where x > 0, else 0 (ATen threshold_backward: one pass instead of Step, Cast and Multiply). */
const reluGradImpl: FusedImpl = (s, { dy, x }) => s.call('aten::threshold_backward', s.id(dy), s.id(x), 0);

/** The fused kernels this backend implements, by kernel name. */
export const LIBTORCH_FUSED_KERNELS: Readonly<Record<string, FusedImpl>> = {
  [BatchNormTrain]: bnTrainImpl,
  [BatchNormTrainGrad]: bnTrainGradImpl,
  [BatchNormInference]: bnEvalImpl,
  [BatchNormReluTrain]: bnReluTrainImpl,
  [BatchNormReluTrainGrad]: bnReluTrainGradImpl,
  [BatchNormReluInference]: bnReluEvalImpl,
  [BatchNormAddTrain]: bnAddTrainImpl,
  [BatchNormAddTrainGrad]: bnAddTrainGradImpl,
  [BatchNormAddInference]: bnAddEvalImpl,
  [BatchNormRunningStats]: bnRunningStatsImpl,
  [ReluGrad]: reluGradImpl,
  [SqueezeExcitation]: seImpl,
  [SqueezeExcitationGrad]: seGradImpl,
  [SgdStep]: sgdStepImpl,
};
