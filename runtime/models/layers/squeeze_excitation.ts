import * as tf from '@tensorflow/tfjs-core';
import { squeezeExcitation } from '../ops/squeeze_excitation';
import type { InitMode, NormalSource } from './init';
import { Linear } from './linear';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';

/**
 * Squeeze-and-excitation (Hu et al., arXiv 1709.01507) as the original's `SELayer`: global average
 * pooling → Linear(c, c // r) → ReLU → Linear(c // r, c) → sigmoid → channel-wise scale of x.
 * Both linears have a bias; their names are `<name>.fc1` and `<name>.fc2`.
 */
export class SqueezeExcitation {
  readonly name: string;
  private readonly fc1: Linear;
  private readonly fc2: Linear;

  constructor(registry: ParamRegistry, name: string, readonly channels: number, reduction: number, initMode: InitMode, rng: NormalSource) {
    const mid = Math.floor(channels / reduction);
    this.name = registry.qualify(name);
    if (mid < 1) throw new Error(`${this.name}: ${channels} channels with reduction ${reduction} leave no hidden unit (needs channels >= reduction)`);
    const r = registry.child(name);
    this.fc1 = new Linear(r, 'fc1', channels, mid, initMode, rng);
    this.fc2 = new Linear(r, 'fc2', mid, channels, initMode, rng);
  }

  /** @param x [N, H, W, C] → same shape (one kernel each way where the backend has it: ../ops/squeeze_excitation.ts) */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const { fc1, fc2 } = this;
    const y = squeezeExcitation(x, { w1: fc1.weight as tf.Tensor2D, b1: fc1.bias as tf.Tensor1D, w2: fc2.weight as tf.Tensor2D, b2: fc2.bias as tf.Tensor1D });
    fc1.record(x.shape[0]);
    fc2.record(x.shape[0]);
    recordLayer({ name: this.name, type: 'SELayer', outputShape: y.shape, params: 0, macs: 0 });
    return y;
  }
}
