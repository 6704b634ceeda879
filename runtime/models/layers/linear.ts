import * as tf from '@tensorflow/tfjs-core';
import { kaimingNormal, type InitMode, type NormalSource } from './init';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';

/**
 * Fully connected layer y = x·W + b, W [inFeatures, outFeatures] (PyTorch stores the transpose).
 * Init as the original's initializer: Kaiming normal weight (ReLU gain; fan_in = inFeatures,
 * fan_out = outFeatures), zero bias.
 */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly name: string;

  constructor(
    registry: ParamRegistry,
    name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    initMode: InitMode,
    rng: NormalSource,
  ) {
    const r = registry.child(name);
    this.name = registry.qualify(name);
    this.weight = r.param('weight', 'linear_weight', kaimingNormal([inFeatures, outFeatures], inFeatures, outFeatures, initMode, rng));
    this.bias = r.param('bias', 'linear_bias', tf.zeros([outFeatures]));
  }

  /** @param x [N, inFeatures] → [N, outFeatures] */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.add(tf.matMul(x, this.weight as tf.Tensor2D), this.bias) as tf.Tensor2D;
    this.record(x.shape[0]);
    return y;
  }

  /** Records a call on `batch` rows for `npm run summary` (./trace.ts), for ops that use the weights directly. */
  record(batch: number): void {
    recordLayer({
      name: this.name,
      type: 'Linear',
      outputShape: [batch, this.outFeatures],
      params: this.weight.size + this.bias.size,
      macs: batch * this.inFeatures * this.outFeatures,
    });
  }
}
