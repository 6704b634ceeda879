/**
 * The stem of the original's ImageNet-type models (ResNet, ResNet-preact, DenseNet, PyramidNet,
 * ResNeXt): conv7×7/2 (padding 3, no bias) → BN → ReLU → max-pool 3×3/2 (padding 1), as PyTorch's
 * `F.max_pool2d(x, 3, 2, 1)`. Names `conv`, `bn`, `maxpool` (the pool has no parameters). A 224×224
 * input leaves 56×56; any `dataset.image_size` works (output side ⌊(⌊(s−1)/2⌋ + 1 − 1)/2⌋ + 1).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BuildContext, Nn } from '../build_context';
import type { BatchNorm2d, Conv2d, MaxPool2d, ParamRegistry } from '../layers';

export class ImagenetStem {
  private readonly nn: Nn;
  private readonly conv: Conv2d;
  private readonly bn: BatchNorm2d;
  private readonly pool: MaxPool2d;

  constructor(r: ParamRegistry, inC: number, outC: number, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    this.conv = new nn.Conv2d(r, 'conv', inC, outC, 7, { initMode: ctx.initMode, rng: ctx.rng, stride: 2, padding: 3 });
    this.bn = new nn.BatchNorm2d(r, 'bn', outC);
    this.pool = new nn.MaxPool2d(r, 'maxpool', 3, 2, 1);
  }

  /** Side of the stem's output map for an input of `imageSize` pixels. */
  outputSize(imageSize: number): number {
    return this.nn.pooledSize(this.nn.pooledSize(imageSize, 7, 2, 3), 3, 2, 1);
  }

  /** @param x [N, S, S, inC] → [N, S/4, S/4, outC] */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.pool.apply(this.bn.applyRelu(this.conv.apply(x), training));
  }
}
