import * as tf from '@tensorflow/tfjs-core';
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

  /** @param x [N, H, W, C] → same shape */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const [n, , , c] = x.shape;
    const squeezed = tf.mean(x, [1, 2]) as tf.Tensor2D;
    const scale = tf.sigmoid(this.fc2.apply(tf.relu(this.fc1.apply(squeezed))));
    const y = tf.mul(x, tf.reshape(scale, [n, 1, 1, c])) as tf.Tensor4D;
    recordLayer({ name: this.name, type: 'SELayer', outputShape: y.shape, params: 0, macs: 0 });
    return y;
  }
}
