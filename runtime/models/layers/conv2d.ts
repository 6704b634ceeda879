import * as tf from '@tensorflow/tfjs-core';
import { kaimingNormal, pytorchDefaultBias, type InitMode, type NormalSource } from './init';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';

/** Options of {@link Conv2d}, named as PyTorch's `nn.Conv2d`. */
export interface Conv2dOptions {
  stride?: number;
  /** Zero padding on each side, in pixels (PyTorch style: symmetric). Default 0. */
  padding?: number;
  bias?: boolean;
  initMode: InitMode;
  rng: NormalSource & { uniform(): number };
}

/**
 * 2-D convolution, NHWC, weight [kh, kw, inChannels, outChannels] (HWIO). Padding is explicit and
 * symmetric as PyTorch's, which differs from TensorFlow's 'same' for strided convs on even sizes.
 * Weight init: Kaiming normal (ReLU gain); bias (when enabled): PyTorch's default uniform.
 */
export class Conv2d {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  readonly name: string;
  private readonly stride: number;
  private readonly pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]];

  constructor(
    registry: ParamRegistry,
    name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv2dOptions,
  ) {
    const k = kernelSize;
    const r = registry.child(name);
    this.name = registry.qualify(name);
    this.stride = options.stride ?? 1;
    const p = options.padding ?? 0;
    this.pad = p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]];
    this.weight = r.param(
      'weight',
      'conv_weight',
      kaimingNormal([k, k, inChannels, outChannels], inChannels * k * k, outChannels * k * k, options.initMode, options.rng),
    );
    if (options.bias) {
      this.bias = r.param('bias', 'conv_bias', pytorchDefaultBias(outChannels, inChannels * k * k, () => options.rng.uniform()));
    }
  }

  /** @param x [N, H, W, inChannels] → [N, H', W', outChannels] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    let y = tf.conv2d(x, this.weight as tf.Tensor4D, this.stride, this.pad);
    if (this.bias) y = tf.add(y, this.bias);
    const [n, oh, ow, oc] = y.shape;
    recordLayer({
      name: this.name,
      type: 'Conv2d',
      outputShape: y.shape,
      params: this.weight.size + (this.bias?.size ?? 0),
      macs: n * oh * ow * oc * this.inChannels * this.kernelSize * this.kernelSize,
    });
    return y;
  }
}
