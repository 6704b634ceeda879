import * as tf from '@tensorflow/tfjs-core';
import { groupedConv2d, type ConvPad } from '../ops/grouped_conv2d';
import type { Conv2dOptions } from './conv2d';
import { kaimingNormal } from './init';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';

/** Options of {@link GroupedConv2d}: those of Conv2d (no bias: no model of the zoo uses one here) plus `groups`. */
export interface GroupedConv2dOptions extends Omit<Conv2dOptions, 'bias'> {
  /** Number of groups G; inChannels and outChannels must be multiples of it. */
  groups: number;
  /** Groups merged per conv call (a divisor of G); default: the measured choice of the op. */
  groupsPerCall?: number;
}

/**
 * 2-D convolution with PyTorch's `groups` (NHWC): weight [kh, kw, inChannels/G, outChannels], each group of
 * inChannels/G inputs feeding its own outChannels/G outputs; explicit symmetric padding as PyTorch's.
 * Init as the original's initializer on PyTorch's weight [out, in/G, k, k]: Kaiming normal (ReLU gain) with
 * fan_in = (inChannels/G)·k·k and fan_out = outChannels·k·k. MACs as thop counts them: output elements ×
 * (inChannels/G)·k·k.
 */
export class GroupedConv2d {
  readonly weight: tf.Variable;
  readonly name: string;
  readonly groups: number;
  private readonly stride: number;
  private readonly pad: ConvPad;
  private readonly groupsPerCall?: number;

  constructor(
    registry: ParamRegistry,
    name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: GroupedConv2dOptions,
  ) {
    const { groups } = options;
    if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`${registry.qualify(name)}: in (${inChannels}) and out (${outChannels}) channels must be multiples of groups (${groups})`);
    }
    const k = kernelSize;
    const r = registry.child(name);
    this.name = registry.qualify(name);
    this.groups = groups;
    this.groupsPerCall = options.groupsPerCall;
    this.stride = options.stride ?? 1;
    const p = options.padding ?? 0;
    this.pad = p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]];
    const cg = inChannels / groups;
    this.weight = r.param(
      'weight',
      'conv_weight',
      kaimingNormal([k, k, cg, outChannels], cg * k * k, outChannels * k * k, options.initMode, options.rng),
    );
  }

  /** @param x [N, H, W, inChannels] → [N, H', W', outChannels] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const y = groupedConv2d(x, this.weight as tf.Tensor4D, this.groups, this.stride, this.pad, this.groupsPerCall);
    const [n, oh, ow, oc] = y.shape;
    recordLayer({
      name: this.name,
      type: 'GroupedConv2d',
      outputShape: y.shape,
      params: this.weight.size,
      macs: n * oh * ow * oc * (this.inChannels / this.groups) * this.kernelSize * this.kernelSize,
    });
    return y;
  }
}
