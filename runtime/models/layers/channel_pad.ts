import * as tf from '@tensorflow/tfjs-core';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';

/**
 * Zero-channel padding of a shortcut (PyramidNet, arXiv 1610.02915): appends zero channels after
 * the existing ones, as the original's `F.pad(x, (0, 0, 0, 0, 0, extra))` on NCHW.
 */
export class ZeroChannelPad {
  readonly name: string;

  constructor(
    registry: ParamRegistry,
    name: string,
    readonly inChannels: number,
    readonly outChannels: number,
  ) {
    this.name = registry.qualify(name);
    if (outChannels < inChannels) throw new Error(`${this.name}: cannot pad ${inChannels} channels down to ${outChannels}`);
  }

  /** @param x [N, H, W, inChannels] → [N, H, W, outChannels] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const extra = this.outChannels - this.inChannels;
    const y = extra === 0 ? x : tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, extra]]);
    recordLayer({ name: this.name, type: 'ZeroChannelPad', outputShape: y.shape, params: 0, macs: 0 });
    return y;
  }
}
