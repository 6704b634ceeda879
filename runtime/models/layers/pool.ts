import * as tf from '@tensorflow/tfjs-core';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';

/**
 * Max pooling as PyTorch's `nn.MaxPool2d(kernel, stride, padding)`: symmetric explicit padding that
 * never wins the max (−inf semantics), output size floor((s + 2p − k) / stride) + 1.
 */
export class MaxPool2d {
  readonly name: string;

  constructor(
    registry: ParamRegistry,
    name: string,
    readonly kernelSize: number,
    readonly stride: number,
    readonly padding = 0,
  ) {
    this.name = registry.qualify(name);
  }

  /** @param x [N, H, W, C] → [N, H', W', C] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const y = tf.maxPool(x, this.kernelSize, this.stride, this.padding === 0 ? 'valid' : this.padding);
    recordLayer({ name: this.name, type: 'MaxPool2d', outputShape: y.shape, params: 0, macs: 0 });
    return y;
  }
}

/**
 * Average pooling without padding, as PyTorch's `nn.AvgPool2d(kernel, stride)` (and `F.avg_pool2d`):
 * output size floor((s − k) / stride) + 1.
 */
export class AvgPool2d {
  readonly name: string;

  constructor(
    registry: ParamRegistry,
    name: string,
    readonly kernelSize: number,
    readonly stride: number,
  ) {
    this.name = registry.qualify(name);
  }

  /** @param x [N, H, W, C] → [N, H', W', C] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const y = tf.avgPool(x, this.kernelSize, this.stride, 'valid');
    recordLayer({ name: this.name, type: 'AvgPool2d', outputShape: y.shape, params: 0, macs: 0 });
    return y;
  }
}

/** Output size of a PyTorch pooling or convolution window over `size` pixels (floor mode). */
export function pooledSize(size: number, kernelSize: number, stride: number, padding = 0): number {
  return Math.floor((size + 2 * padding - kernelSize) / stride) + 1;
}
