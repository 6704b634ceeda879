import * as tf from '@tensorflow/tfjs-core';
import { batchNormInference, batchNormTrain, PYTORCH_BN_EPS, PYTORCH_BN_MOMENTUM, updateRunningStats } from '../ops/batch_norm';
import { batchNormAddInference, batchNormAddTrain } from '../ops/batch_norm_add';
import { batchNormReluInference, batchNormReluTrain } from '../ops/batch_norm_relu';
import type { BatchNormReducer } from '../ops/batch_norm_sync';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';


/**
 * Batch normalisation over N, H, W of an NHWC tensor (arXiv 1502.03167), as PyTorch's
 * `nn.BatchNorm2d`: γ = 1, β = 0 at init; in training, normalises with the batch statistics and
 * updates the running mean and (unbiased) variance with momentum 0.1; in evaluation, uses them. Synchronised
 * (PyTorch's `nn.SyncBatchNorm`) when the model's build context has a `syncBatchNorm` reducer.
 */
export class BatchNorm2d {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly name: string;
  private readonly sync: BatchNormReducer | null;

  /** @param registry its `syncBatchNorm` (from the model's build context) makes this layer synchronised */
  constructor(registry: ParamRegistry, name: string, readonly channels: number) {
    const r = registry.child(name);
    this.name = registry.qualify(name);
    this.sync = registry.syncBatchNorm;
    this.gamma = r.param('weight', 'bn_gamma', tf.ones([channels]));
    this.beta = r.param('bias', 'bn_beta', tf.zeros([channels]));
    this.runningMean = r.buffer('running_mean', tf.zeros([channels]));
    this.runningVar = r.buffer('running_var', tf.ones([channels]));
  }

  /** @param x [N, H, W, channels] → same shape */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.run(x, training, false);
  }

  /** relu(apply(x)), fused into one kernel where the backend has one. @param x [N, H, W, channels] → same shape */
  applyRelu(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.run(x, training, true);
  }

  /**
   * apply(x) + residual (PyramidNet's block end), fused into one kernel where the backend has one.
   * @param x [N, H, W, channels]; residual the same shape → same shape
   */
  applyAdd(x: tf.Tensor4D, residual: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.run(x, training, false, residual);
  }

  /**
   * relu(apply(x) + residual), the end of a post-activation residual block, fused into one kernel where the backend
   * has one. @param x [N, H, W, channels]; residual the same shape → same shape
   */
  applyAddRelu(x: tf.Tensor4D, residual: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.run(x, training, true, residual);
  }

  private run(x: tf.Tensor4D, training: boolean, relu: boolean, residual?: tf.Tensor4D): tf.Tensor4D {
    const gamma = this.gamma as tf.Tensor1D;
    const beta = this.beta as tf.Tensor1D;
    let y: tf.Tensor4D;
    if (training) {
      const out = residual
        ? batchNormAddTrain(x, residual, gamma, beta, PYTORCH_BN_EPS, relu, this.sync)
        : (relu ? batchNormReluTrain : batchNormTrain)(x, gamma, beta, PYTORCH_BN_EPS, this.sync);
      updateRunningStats(this.runningMean, this.runningVar, out.mean, out.variance, out.count, PYTORCH_BN_MOMENTUM);
      y = out.y;
    } else {
      const stats = [this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D] as const;
      y = residual
        ? batchNormAddInference(x, residual, ...stats, gamma, beta, PYTORCH_BN_EPS, relu)
        : (relu ? batchNormReluInference : batchNormInference)(x, ...stats, gamma, beta, PYTORCH_BN_EPS);
    }
    recordLayer({ name: this.name, type: 'BatchNorm2d', outputShape: y.shape, params: 2 * this.channels, macs: 0 });
    return y;
  }
}
