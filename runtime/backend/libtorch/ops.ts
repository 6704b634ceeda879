/**
 * Fused operations that only the `libtorch` backend implements, for callers that can use them when
 * `tf.getBackend() === 'libtorch'`.
 *
 * {@link batchNormTrainFused} has the contract of runtime/models/ops/batch_norm.ts's `batchNormTrain` (NHWC, batch
 * statistics, biased variance, gradients for x, γ, β), but runs ATen's channels_last `native_batch_norm` forward and
 * `native_batch_norm_backward`: about 4 passes over the activations per training step instead of about 14 for the
 * composed generic ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LtTensor } from './addon';
import type { KernelScope, LibtorchBackend } from './backend';

/** Kernel names (registered for 'libtorch' only). */
export const BN_TRAIN_KERNEL = '_LibtorchBatchNormTrain';
export const BN_TRAIN_GRAD_KERNEL = '_LibtorchBatchNormTrainGrad';

type Impl<A = { eps: number }> = (s: KernelScope, inputs: Record<string, tf.TensorInfo>, attrs: A) => LtTensor[];

/** y, batch mean, 1/√(σ²+eps) of `x` [N, H, W, C] with γ, β [C]. */
export const bnTrainImpl: Impl = (s, { x, gamma, beta }, { eps }) => {
  const xn = s.call('aten::permute', s.id(x), [0, 3, 1, 2]);
  const [y, mean, invstd] = s.callList('aten::native_batch_norm', xn, s.id(gamma), s.id(beta), null, null, true, 0.1, eps) as LtTensor[];
  return [s.call('aten::permute', y, [0, 2, 3, 1]), mean, invstd];
};

/** dx, dγ, dβ from dy and the forward's saved x, γ, mean, invstd. */
export const bnTrainGradImpl: Impl = (s, { dy, x, gamma, mean, invstd }, { eps }) => {
  const nchw = (t: tf.TensorInfo) => s.call('aten::permute', s.id(t), [0, 3, 1, 2]);
  const [dx, dgamma, dbeta] = s.callList('aten::native_batch_norm_backward', nchw(dy), nchw(x), s.id(gamma), null, null, s.id(mean), s.id(invstd),
    true, eps, [true, true, true]) as LtTensor[];
  return [s.call('aten::permute', dx, [0, 2, 3, 1]), dgamma, dbeta];
};

/**
 * Training-mode batch norm on the libtorch backend (see the module comment).
 * @returns y [N, H, W, C] (differentiable w.r.t. x, γ, β), the batch mean and the biased batch variance [C]
 * @throws Error when the current backend is not libtorch
 */
export function batchNormTrainFused(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (!(tf.backend() as LibtorchBackend | undefined)?.addon) throw new Error('batchNormTrainFused needs the libtorch backend');
  let stats: { mean: tf.Tensor1D; invstd: tf.Tensor1D } | undefined;
  const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const [y, mean, invstd] = tf.engine().runKernel(BN_TRAIN_KERNEL, { x: xIn, gamma: g, beta: b }, { eps }) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
    stats = { mean: tf.keep(mean), invstd: tf.keep(invstd) };
    save([xIn, g, mean, invstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, gm, mu, inv] = saved;
        return tf.engine().runKernel(BN_TRAIN_GRAD_KERNEL, { dy, x: xs, gamma: gm, mean: mu, invstd: inv }, { eps }) as tf.Tensor[];
      },
    };
  });
  const y = bn(x, gamma, beta) as tf.Tensor4D;
  const kept = stats as unknown as { mean: tf.Tensor1D; invstd: tf.Tensor1D };
  const mean = tf.clone(kept.mean);
  const variance = tf.tidy(() => tf.sub(tf.reciprocal(tf.square(kept.invstd)), eps) as tf.Tensor1D);
  kept.mean.dispose();
  kept.invstd.dispose();
  return { y, mean, variance };
}

/** dy where x > 0, else 0 (ATen threshold_backward: one pass instead of Step, Cast and Multiply). */
export const RELU_GRAD_KERNEL = '_LibtorchReluGrad';
export const reluGradImpl: Impl = (s, { dy, x }) => [s.call('aten::threshold_backward', s.id(dy), s.id(x), 0)];

let reluGradRegistered = false;

/**
 * Replaces tfjs-core's `Relu` gradient, dy·step(x), by one that runs {@link RELU_GRAD_KERNEL} when the current
 * backend is libtorch and tfjs-core's formula otherwise. It saves the output y = max(x, 0) instead of the input, as
 * PyTorch's in-place ReLU does: step(y) = step(x) for every x (NaN included), so the gradient is the same to the
 * bit, and the input (in a post-activation block, the sum of the residual Add) need not stay alive for the backward
 * pass. Idempotent.
 */
export function registerReluGradient(): void {
  if (reluGradRegistered) return;
  reluGradRegistered = true;
  const stock = tf.getGradient(tf.Relu);
  tf.registerGradient({
    kernelName: tf.Relu,
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      if (tf.getBackend() !== 'libtorch' && stock) return stock.gradFunc(dy, saved, attrs);
      const [y] = saved;
      return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: y }, {}) as tf.Tensor };
    },
  });
}

/** Kernel names of the fused BN + ReLU (native/bn_relu.cc, registered for 'libtorch' only). */
export const BN_RELU_TRAIN_KERNEL = '_LibtorchBnReluTrain';
export const BN_RELU_TRAIN_GRAD_KERNEL = '_LibtorchBnReluTrainGrad';
export const BN_RELU_EVAL_KERNEL = '_LibtorchBnReluEval';

/** y = relu(BN(x)), batch mean, 1/√(σ²+eps) and biased σ² of `x` [N, H, W, C] with γ, β [C]. */
export const bnReluTrainImpl: Impl = (s, { x, gamma, beta }, { eps }) => s.callList('icl::bn_relu_train', s.id(x), s.id(gamma), s.id(beta), eps) as LtTensor[];

/** dx, dγ, dβ from dy (w.r.t. the ReLU output y) and the forward's y, x, γ, mean, invstd. */
export const bnReluTrainGradImpl: Impl = (s, { dy, y, x, gamma, mean, invstd }) =>
  s.callList('icl::bn_relu_train_backward', s.id(dy), s.id(y), s.id(x), s.id(gamma), s.id(mean), s.id(invstd)) as LtTensor[];

/** relu(BN(x)) with running statistics. */
export const bnReluEvalImpl: Impl = (s, { x, mean, variance, gamma, beta }, { eps }) => [
  s.call('icl::bn_relu_eval', s.id(x), s.id(mean), s.id(variance), s.id(gamma), s.id(beta), eps),
];

/**
 * relu(batch norm(x)) in training mode on the libtorch backend, in one pass forward and two backward (see
 * native/bn_relu.cc): the contract of `batchNormTrain` followed by `tf.relu`, gradients for x, γ, β.
 * @param x [N, H, W, C] float32
 * @param gamma γ [C]
 * @param beta β [C]
 * @param eps added to the variance (PyTorch: 1e-5)
 * @returns y = relu(BN(x)) [N, H, W, C], the batch mean and the biased batch variance [C]
 * @throws Error when the current backend is not libtorch
 */
export function batchNormReluTrainFused(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (!(tf.backend() as LibtorchBackend | undefined)?.addon) throw new Error('batchNormReluTrainFused needs the libtorch backend');
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const bnRelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const [y, mean, invstd, variance] = tf.engine().runKernel(BN_RELU_TRAIN_KERNEL, { x: xIn, gamma: g, beta: b }, { eps }) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save([y, xIn, g, mean, invstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [ys, xs, gm, mu, inv] = saved;
        return tf.engine().runKernel(BN_RELU_TRAIN_GRAD_KERNEL, { dy, y: ys, x: xs, gamma: gm, mean: mu, invstd: inv }, {}) as tf.Tensor[];
      },
    };
  });
  const y = bnRelu(x, gamma, beta) as tf.Tensor4D;
  // Kept past customGrad's scope; clones (sharing the data) belong to the caller's scope.
  const kept = stats as unknown as { mean: tf.Tensor1D; variance: tf.Tensor1D };
  const out = { y, mean: tf.clone(kept.mean), variance: tf.clone(kept.variance) };
  kept.mean.dispose();
  kept.variance.dispose();
  return out;
}

/**
 * relu(batch norm(x)) with running statistics on the libtorch backend, one pass.
 * @param x [N, H, W, C]; the others [C] (running variance unbiased, as PyTorch stores it)
 * @returns [N, H, W, C]
 */
export function batchNormReluInferenceFused(
  x: tf.Tensor4D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): tf.Tensor4D {
  return tf.engine().runKernel(BN_RELU_EVAL_KERNEL, { x, mean: runningMean, variance: runningVar, gamma, beta }, { eps }) as tf.Tensor4D;
}

/** Kernel name of the running-statistics update (registered for 'libtorch' only). */
export const BN_RUNNING_STATS_KERNEL = '_LibtorchBnRunningStats';

/** New running mean and variance (native/bn_relu.cc: one loop, the float32 arithmetic of models/ops/batch_norm.ts). */
export const bnRunningStatsImpl: Impl<{ count: number; momentum: number }> = (s, { runningMean, runningVar, mean, variance }, { count, momentum }) =>
  s.callList('icl::bn_running_stats', s.id(runningMean), s.id(runningVar), s.id(mean), s.id(variance), count, momentum) as LtTensor[];

/**
 * PyTorch's running-statistics update (see `updateRunningStats`) as one kernel on the libtorch backend.
 * @param runningMean [C], runningVar [C] (unbiased), mean [C] and biased variance [C] of the batch
 * @param count values per channel in the batch (N·H·W), > 1
 * @param momentum weight of the batch statistic (PyTorch: 0.1)
 * @returns the new running mean and running variance [C]
 */
export function runningStatsFused(runningMean: tf.Tensor, runningVar: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, count: number, momentum: number): [tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(BN_RUNNING_STATS_KERNEL, { runningMean, runningVar, mean, variance }, { count, momentum }) as [tf.Tensor1D, tf.Tensor1D];
}
