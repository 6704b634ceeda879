/**
 * Batch normalisation (Ioffe & Szegedy, arXiv 1502.03167) for NHWC tensors, as PyTorch's `nn.BatchNorm2d`, with a
 * hand-written backward pass.
 *
 * Why not `tf.moments` + `tf.batchNorm`: tfjs-core's FusedBatchNorm gradient tiles rsqrt(var) to the activation
 * shape with a naive `Tile` and gradients also flow back through `tf.moments`; on tfjs-backend-wasm that made BN
 * 41% of a ResNet training step. One `tf.customGrad` with the closed-form backward, broadcast mul/add instead of
 * the FusedBatchNorm kernel, and per-channel means as a global `avgPool` followed by `ones[1,N] @ [N,C]` trains
 * 2.3–2.6× faster on wasm (/work/shared/notes/wasm-engine.md §3). Only generic ops are used, so it is also exact on
 * the `cpu` and `tensorflow` backends.
 *
 * That composed form is the default. A backend that registers the batch-norm kernels of
 * runtime/kernels/kernel_names.ts (libtorch: the addon's own batch-norm loops with PyTorch's CPU arithmetic, and its
 * running-statistics loop) runs them instead, through runtime/kernels/dispatch.ts; nothing here names a backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dispatch, runKernel } from '../../kernels/dispatch';
import {
  BatchNormInference, BatchNormRunningStats, BatchNormTrain, BatchNormTrainGrad, type BatchNormAttrs, type RunningStatsAttrs,
} from '../../kernels/kernel_names';
import { batchNormTrainViaKernels, type BatchNormTrainResult } from './batch_norm_kernel';
import type { BatchNormReducer } from './batch_norm_sync';

/** PyTorch's default BN epsilon. */
export const PYTORCH_BN_EPS = 1e-5;
/** PyTorch's default BN momentum (weight of the new batch statistic). */
export const PYTORCH_BN_MOMENTUM = 0.1;

/**
 * Per-channel mean over N, H, W: a global average pool over H×W (one XNNPACK pass on wasm) then the mean over N as a
 * [1, N] @ [N, C] product. About 8× faster on wasm than `tf.mean(t, [0, 1, 2])`, whose kernel transposes first.
 * @param t [N, H, W, C] → [C]
 */
function channelMean(t: tf.Tensor4D): tf.Tensor1D {
  const [n, h, w, c] = t.shape;
  const pooled = h * w > 1 ? tf.avgPool(t, [h, w], 1, 'valid') : t; // [N, 1, 1, C]
  const rows = tf.reshape(pooled, [n, c]);
  return tf.reshape(tf.matMul(tf.fill([1, n], 1 / n), rows), [c]);
}

export type { BatchNormTrainResult } from './batch_norm_kernel';

/**
 * Training-mode batch norm with batch statistics: y = γ·(x − μ)/√(σ² + eps) + β per channel, σ² biased.
 * Runs the active backend's `BatchNormTrain` kernel where it has one (runtime/kernels/kernel_names.ts), else
 * {@link batchNormTrainComposed}; with a reducer (synchronised batch norm, the model's build context
 * `syncBatchNorm`), the statistics are those of the global batch of all data-parallel workers instead, see
 * {@link batchNormTrainSynced} (no kernel then).
 *
 * @param x activations [N, H, W, C] (NHWC) float32
 * @param gamma scale γ [C]
 * @param beta shift β [C]
 * @param eps added to the variance (PyTorch: 1e-5)
 * @param reduce the synchronised batch norm's sum over the workers, or null for this batch's statistics
 * @returns y [N, H, W, C], the batch mean and biased variance [C] and their count, for {@link updateRunningStats}
 * @throws the reducer's DistError when synchronised and a worker died or did not answer
 */
export function batchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, reduce: BatchNormReducer | null = null): BatchNormTrainResult {
  if (reduce) return batchNormTrainSynced(x, gamma, beta, eps, reduce);
  const attrs: BatchNormAttrs = { eps };
  return dispatch(
    BatchNormTrain,
    () => batchNormTrainViaKernels(x, null, gamma, beta, { forward: BatchNormTrain, backward: BatchNormTrainGrad, attrs, relu: false }),
    () => batchNormTrainComposed(x, gamma, beta, eps),
  );
}

/**
 * {@link batchNormTrain} composed of generic tfjs ops, with one `tf.customGrad` for the closed-form backward
 * (M = N·H·W, xc = x − μ, invstd = 1/√(σ² + eps), a = γ·invstd):
 * dx = dy·a + xc·k1 + k2 with k1 = −a·invstd²·Σ(dy·xc)/M and k2 = −a·Σdy/M; dγ = Σ(dy·xc)·invstd; dβ = Σdy.
 * Only x, μ, invstd and γ are saved for the backward (x shares its buffer), xc is recomputed there.
 * Arguments and result as {@link batchNormTrain}.
 */
function batchNormTrainComposed(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): BatchNormTrainResult {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = channelMean(xIn);
    const xc = tf.sub(xIn, mean);
    const variance = channelMean(tf.square(xc) as tf.Tensor4D);
    const invstd = tf.rsqrt(tf.add(variance, eps));
    const y = tf.add(tf.mul(xc, tf.mul(g, invstd)), b) as tf.Tensor4D;
    // The forward runs inside a tidy: keep the statistics past it (cloned into the caller's scope below).
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save([xIn, mean, invstd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gm] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const m = xs.shape[0] * xs.shape[1] * xs.shape[2];
        const xcB = tf.sub(xs, mu);
        const meanDy = channelMean(dy); // Σdy / M
        const meanDyXc = channelMean(tf.mul(dy, xcB)); // Σ(dy·xc) / M
        const a = tf.mul(gm, inv);
        const k1 = tf.neg(tf.mul(tf.mul(a, tf.square(inv)), meanDyXc));
        const k2 = tf.neg(tf.mul(a, meanDy));
        const dx = tf.add(tf.add(tf.mul(dy, a), tf.mul(xcB, k1)), k2);
        const dGamma = tf.mul(tf.mul(meanDyXc, inv), m);
        const dBeta = tf.mul(meanDy, m);
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = bn(x, gamma, beta) as tf.Tensor4D;
  const kept = stats as unknown as { mean: tf.Tensor1D; variance: tf.Tensor1D };
  const mean = tf.clone(kept.mean);
  const variance = tf.clone(kept.variance);
  kept.mean.dispose();
  kept.variance.dispose();
  return { y, mean, variance, count: x.shape[0] * x.shape[1] * x.shape[2] };
}

/**
 * Synchronised batch norm (PyTorch's `nn.SyncBatchNorm`; Ioffe & Szegedy, arXiv 1502.03167): training-mode batch
 * norm with the statistics of the global batch, the union of every data-parallel worker's batch.
 *
 * Forward: each worker computes its local per-channel mean μ_r and biased variance σ²_r (centred, in float32),
 * then `reduce` sums the float64 buffer [m_r·μ_r (C), m_r·(σ²_r + μ_r²) (C), m_r] over the workers (m_r = N·H·W of
 * worker r), giving M = Σm_r, μ = Σm_r·μ_r / M and the biased σ² = Σm_r·(σ²_r + μ_r²) / M − μ² (in float64).
 * y = γ·(x − μ)/√(σ² + eps) + β.
 *
 * Backward: `reduce` sums [Σdy (C), Σdy·xc (C)] (xc = x − μ, sums over this worker's N·H·W) over the workers, and
 * dx = dy·a + xc·k1 + k2 with a = γ·invstd, k1 = −a·invstd²·Σ_all(dy·xc)/M, k2 = −a·Σ_all(dy)/M: the exact gradient
 * of the global-batch BN for each worker's rows. dγ = Σ_local(dy·xc)·invstd and dβ = Σ_local(dy) stay local, as
 * in PyTorch: the data-parallel gradient average then makes them the global batch's.
 *
 * Two `reduce` calls per layer and step (2C+1 and 2C float64 values); every worker must run the same layers in
 * the same order. Runs on any backend with generic ops (plus one small `dataSync` per call).
 *
 * @param x this worker's activations [N, H, W, C] (NHWC) float32
 * @param gamma scale γ [C]
 * @param beta shift β [C]
 * @param eps added to the variance (PyTorch: 1e-5)
 * @param reduce in-place synchronous sum over the workers (see `BatchNormReducer`)
 * @returns y [N, H, W, C], the global mean and biased variance [C], and the global count M
 * @throws whatever `reduce` throws (a DistError naming the lost worker or the timeout)
 */
export function batchNormTrainSynced(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, reduce: BatchNormReducer): BatchNormTrainResult {
  const [n, h, w, c] = x.shape;
  const mLocal = n * h * w;
  let total = 0;
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const local = tf.tidy(() => {
      const mu = channelMean(xIn);
      return tf.concat([mu, channelMean(tf.square(tf.sub(xIn, mu)) as tf.Tensor4D)]);
    });
    const lv = local.dataSync();
    local.dispose();
    const sums = new Float64Array(2 * c + 1);
    for (let i = 0; i < c; i++) {
      sums[i] = mLocal * lv[i];
      sums[c + i] = mLocal * (lv[c + i] + lv[i] * lv[i]);
    }
    sums[2 * c] = mLocal;
    reduce(sums);
    total = sums[2 * c];
    const meanG = new Float32Array(c);
    const varG = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const mu = sums[i] / total;
      meanG[i] = mu;
      varG[i] = Math.max(0, sums[c + i] / total - mu * mu);
    }
    const mean = tf.tensor1d(meanG);
    const variance = tf.tensor1d(varG);
    const invstd = tf.rsqrt(tf.add(variance, eps));
    const y = tf.add(tf.mul(tf.sub(xIn, mean), tf.mul(g, invstd)), b) as tf.Tensor4D;
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save([xIn, mean, invstd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gm] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const xcB = tf.sub(xs, mu);
        const sumDy = tf.mul(channelMean(dy), mLocal); // local Σdy
        const sumDyXc = tf.mul(channelMean(tf.mul(dy, xcB) as tf.Tensor4D), mLocal); // local Σ(dy·xc)
        const both = tf.concat([sumDy, sumDyXc]);
        const global = Float64Array.from(both.dataSync());
        both.dispose();
        reduce(global);
        const meanDy = tf.tensor1d(Float32Array.from(global.subarray(0, c), (v) => v / total));
        const meanDyXc = tf.tensor1d(Float32Array.from(global.subarray(c), (v) => v / total));
        const a = tf.mul(gm, inv);
        const k1 = tf.neg(tf.mul(tf.mul(a, tf.square(inv)), meanDyXc));
        const k2 = tf.neg(tf.mul(a, meanDy));
        const dx = tf.add(tf.add(tf.mul(dy, a), tf.mul(xcB, k1)), k2);
        return [dx, tf.mul(sumDyXc, inv), sumDy];
      },
    };
  });
  const y = bn(x, gamma, beta) as tf.Tensor4D;
  const kept = stats as unknown as { mean: tf.Tensor1D; variance: tf.Tensor1D };
  const mean = tf.clone(kept.mean);
  const variance = tf.clone(kept.variance);
  kept.mean.dispose();
  kept.variance.dispose();
  return { y, mean, variance, count: total };
}

/**
 * Inference-mode batch norm with running statistics: the active backend's `BatchNormInference` kernel where it has
 * one, else y = x·a + b with per-channel a = γ/√(running_var + eps) and b = β − running_mean·a.
 * @param x [N, H, W, C] (NHWC)
 * @param runningMean [C]
 * @param runningVar [C] (unbiased, as PyTorch stores it)
 * @param gamma [C]
 * @param beta [C]
 * @param eps PyTorch: 1e-5
 * @returns [N, H, W, C]
 */
export function batchNormInference(
  x: tf.Tensor4D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): tf.Tensor4D {
  const attrs: BatchNormAttrs = { eps };
  const viaKernel = () => runKernel<tf.Tensor4D>(BatchNormInference, { x, mean: runningMean, variance: runningVar, gamma, beta }, attrs);
  return dispatch(BatchNormInference, viaKernel, () => tf.tidy(() => {
    const a = tf.mul(gamma, tf.rsqrt(tf.add(runningVar, eps)));
    const b = tf.sub(beta, tf.mul(runningMean, a));
    return tf.add(tf.mul(x, a), b) as tf.Tensor4D;
  }));
}

/**
 * PyTorch's running-statistics update for BatchNorm in training mode (`torch.nn.functional.batch_norm`):
 * running_mean ← (1 − momentum)·running_mean + momentum·mean;
 * running_var ← (1 − momentum)·running_var + momentum·variance·count/(count − 1) (the UNBIASED batch variance).
 * Assigns the variables in place; `mean` and `variance` stay owned by the caller. Not recorded for gradients.
 * One `BatchNormRunningStats` kernel where the active backend has one, else composed of generic ops.
 * With synchronised batch norm, pass the global count of all workers ({@link BatchNormTrainResult.count}), as
 * PyTorch's SyncBatchNorm does, so every worker's running stats are the same.
 * @param runningMean variable [C]
 * @param runningVar variable [C]
 * @param mean batch mean [C] from {@link batchNormTrain}
 * @param variance biased batch variance [C] from {@link batchNormTrain}
 * @param count values per channel the statistics cover, N·H·W or the global count (must be > 1, as in PyTorch)
 * @param momentum PyTorch default 0.1
 * @throws Error when the count is not above 1
 */
export function updateRunningStats(
  runningMean: tf.Variable,
  runningVar: tf.Variable,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  count: number,
  momentum = PYTORCH_BN_MOMENTUM,
): void {
  if (!(count > 1)) throw new Error(`BatchNorm needs more than 1 value per channel when training (got ${count})`);
  tf.tidy(() => {
    const attrs: RunningStatsAttrs = { count, momentum };
    // One kernel instead of seven where the backend has it (19 BN layers a ResNet-preact-20 step).
    const [m, v] = dispatch(
      BatchNormRunningStats,
      () => runKernel<[tf.Tensor1D, tf.Tensor1D]>(BatchNormRunningStats, { runningMean, runningVar, mean, variance }, attrs),
      () => [
        tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)),
        tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(tf.mul(variance, count / (count - 1)), momentum)),
      ],
    );
    runningMean.assign(m);
    runningVar.assign(v);
  });
}
