/**
 * Training-mode batch norm (arXiv 1502.03167) through a fused kernel pair of runtime/kernels/kernel_names.ts, with
 * the gradient wiring they share: BN alone (`BatchNormTrain`), BN → ReLU (`BatchNormReluTrain`) and BN → Add
 * (→ ReLU) (`BatchNormAddTrain`). Only the kernel-calling wrapper lives here; the ops (./batch_norm.ts,
 * ./batch_norm_relu.ts, ./batch_norm_add.ts) choose it where the active backend has the kernels and otherwise run
 * their composed default.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from '../../kernels/dispatch';

/** Result of training-mode batch norm (./batch_norm.ts `batchNormTrain` and the fused ops). */
export interface BatchNormTrainResult {
  /** Normalised output [N, H, W, C], differentiable w.r.t. x, gamma and beta. */
  y: tf.Tensor4D;
  /** Batch mean per channel [C] (not on the gradient path). */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel [C], the one used to normalise (not on the gradient path). */
  variance: tf.Tensor1D;
  /**
   * Values per channel the statistics cover: N·H·W, or with synchronised batch norm the sum of
   * N·H·W over all workers (what `updateRunningStats` un-biases the variance with).
   */
  count: number;
}

/** Which fused kernel pair to run, and what it needs. */
export interface FusedBatchNormKernels {
  /** Forward kernel: inputs x, (residual,) gamma, beta; outputs y, mean, invstd, biased variance. */
  forward: string;
  /** Gradient kernel: inputs dy, (y,) x, gamma, mean, invstd; outputs dx, dγ, dβ (, the residual's gradient). */
  backward: string;
  /** Attributes of both kernels. */
  attrs: object;
  /**
   * Whether a ReLU ends the operation: y is then saved for the gradient (its mask y > 0, as PyTorch's in-place ReLU
   * saves its output) and passed to the gradient kernel, which also returns the residual's gradient.
   */
  relu: boolean;
}

/**
 * Runs `kernels.forward` on x (and the residual) with a gradient through `kernels.backward` that reads only what it
 * needs: x, γ, the batch mean and invstd, and y where a ReLU ends the operation (PyTorch's BN saves x, its in-place
 * ReLU the output; its Add saves nothing).
 * @param x activations [N, H, W, C] (NHWC) float32
 * @param residual tensor of x's shape added after the normalisation (the block's shortcut), or null
 * @param gamma scale γ [C]
 * @param beta shift β [C]
 * @returns y [N, H, W, C] differentiable w.r.t. x, residual, γ and β; the batch mean and biased variance [C]; N·H·W
 * @throws tfjs's "not registered" error on a backend without the kernels
 */
export function batchNormTrainViaKernels(
  x: tf.Tensor4D,
  residual: tf.Tensor4D | null,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  kernels: FusedBatchNormKernels,
): BatchNormTrainResult {
  const { forward, backward, attrs, relu } = kernels;
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xIn, res, g, b] = (residual ? args : [args[0], null, args[1], args[2]]) as [tf.Tensor4D, tf.Tensor4D | null, tf.Tensor1D, tf.Tensor1D];
    const inputs: Record<string, tf.Tensor> = { x: xIn, gamma: g, beta: b };
    if (res) inputs.residual = res;
    const [y, mean, invstd, variance] = runKernel<[tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]>(forward, inputs, attrs);
    // The forward runs inside a tidy: keep the statistics past it (cloned into the caller's scope below).
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save(relu ? [xIn, g, mean, invstd, y] : [xIn, g, mean, invstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, gm, mu, inv, ys] = saved;
        const gradInputs: Record<string, tf.Tensor> = { dy, x: xs, gamma: gm, mean: mu, invstd: inv };
        if (ys) gradInputs.y = ys;
        const [dx, dGamma, dBeta, dRes] = runKernel<tf.Tensor[]>(backward, gradInputs, attrs);
        if (!residual) return [dx, dGamma, dBeta];
        // Without a ReLU the Add passes dy on unchanged (a clone: the backward pass frees dy once this node has run).
        return [dx, relu ? dRes : tf.clone(dy), dGamma, dBeta];
      },
    };
  });
  const y = (residual ? op(x, residual, gamma, beta) : op(x, gamma, beta)) as tf.Tensor4D;
  // Kept past customGrad's scope; the clones (sharing the data) belong to the caller's scope.
  const kept = stats as unknown as { mean: tf.Tensor1D; variance: tf.Tensor1D };
  const out = { y, mean: tf.clone(kept.mean), variance: tf.clone(kept.variance), count: x.shape[0] * x.shape[1] * x.shape[2] };
  kept.mean.dispose();
  kept.variance.dispose();
  return out;
}
