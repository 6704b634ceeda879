/**
 * VGG-style network (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
 * Recognition", arXiv 1409.1556), CIFAR type, exactly as the original framework builds it
 * (`models/cifar/vgg.py`):
 * - 5 stages; stage i has `n_layers[i]` × [conv3×3 (with bias, padding 1) → BN (if `use_bn`) → ReLU]
 *   with `n_channels[i]` outputs, then a 2×2 max-pool (stride 2); no depth rule: the layers are listed;
 * - the last map is flattened in PyTorch's (C, H, W) order and fed to one Linear.
 * Parameters: the default config (13 convs, [64, 128, 256, 512, 512] × [2, 2, 3, 3, 3], BN) on
 * CIFAR-10: 14,728,266; on CIFAR-100: 14,774,436.
 *
 * 28×28 input (MNIST family): five halvings take 28 to 14, 7, 3, 1 and 0; the original fails while
 * probing the feature size. This port throws a clear error at build time instead (see
 * {@link vggFeatureMapSize}); VGG needs images of at least 32×32 pixels.
 *
 * Init: conv and Linear weights Kaiming normal by `model.init_mode`, Linear bias 0, BN γ = 1, β = 0;
 * the conv biases keep PyTorch's default U(±1/sqrt(fan_in)), as the original leaves them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../../config/errors';
import type { BuildContext } from '../build_context';
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, ParamRegistry, pooledSize } from '../layers';
import type { Model } from '../types';
import { assembleModel } from '../assemble';

/** The `model.vgg` config section. */
export interface VggConfig {
  n_channels: number[];
  n_layers: number[];
  use_bn: boolean;
}

/** One VGG stage: n × [conv3×3(bias) → BN? → ReLU], then max-pool 2×2/2. Names `conv{i}`, `bn{i}`, `pool`. */
export class VggStage {
  private readonly convs: Conv2d[] = [];
  private readonly bns: BatchNorm2d[] = [];
  private readonly pool: MaxPool2d;

  constructor(r: ParamRegistry, inC: number, outC: number, nLayers: number, useBn: boolean, ctx: BuildContext) {
    for (let i = 0; i < nLayers; i++) {
      this.convs.push(new Conv2d(r, `conv${i}`, i === 0 ? inC : outC, outC, 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1, bias: true }));
      if (useBn) this.bns.push(new BatchNorm2d(r, `bn${i}`, outC));
    }
    this.pool = new MaxPool2d(r, 'pool', 2, 2);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    this.convs.forEach((conv, i) => {
      x = conv.apply(x);
      x = this.bns.length ? this.bns[i].applyRelu(x, training) : tf.relu(x);
    });
    return this.pool.apply(x);
  }
}

/**
 * Side of the last feature map of the 5 VGG stages (each halves with a 2×2/2 max-pool).
 * @throws ConfigError naming the input size, the chain of map sizes and what works, when the map vanishes
 *   (any input under 32 pixels, e.g. 28×28 MNIST; the original cannot build these either).
 */
export function vggFeatureMapSize(imageSize: number, modelType: 'cifar' | 'imagenet'): number {
  const chain = [imageSize];
  for (let stage = 1; stage <= 5; stage++) {
    const next = pooledSize(chain[chain.length - 1], 2, 2);
    chain.push(Math.max(next, 0));
    if (next < 1) {
      throw new ConfigError(
        `vgg (${modelType} type) cannot be built for dataset.image_size ${imageSize}: its 5 stages each halve the map ` +
          `with a 2x2 max-pool (${chain.join(' -> ')}), so the map vanishes at stage ${stage}; the original framework fails ` +
          `there too. VGG needs images of at least 32x32 pixels (e.g. CIFAR-10/100); for 28x28 data use another model ` +
          `(all other cifar-type models end with global average pooling and accept 28x28).`,
      );
    }
  }
  return chain[5];
}

/** Flattens [N, H, W, C] in PyTorch's NCHW order (so fc weights match the original's layout). */
export function flattenChw(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  const chw = h * w === 1 ? x : tf.transpose(x, [0, 3, 1, 2]);
  return tf.reshape(chw, [n, c * h * w]);
}

/** Builds the 5 VGG stages (`stage1` … `stage5`). */
export function buildVggStages(root: ParamRegistry, cfg: VggConfig, ctx: BuildContext): VggStage[] {
  if (cfg.n_channels.length !== 5 || cfg.n_layers.length !== 5) {
    throw new ConfigError(`vgg: n_channels and n_layers need 5 entries (one per stage), got ${cfg.n_channels.length} and ${cfg.n_layers.length}`);
  }
  let inC = ctx.inChannels;
  return cfg.n_channels.map((outC, s) => {
    const stage = new VggStage(root.child(`stage${s + 1}`), inC, outC, cfg.n_layers[s], cfg.use_bn, ctx);
    inC = outC;
    return stage;
  });
}

/**
 * Builds the CIFAR-type VGG.
 * @throws Error when the input is too small for 5 halvings (see {@link vggFeatureMapSize}).
 */
export function buildVgg(cfg: VggConfig, ctx: BuildContext, name = 'vgg'): Model {
  const side = vggFeatureMapSize(ctx.imageSize, 'cifar');
  const root = ParamRegistry.root(ctx);
  const stages = buildVggStages(root, cfg, ctx);
  const featureSize = cfg.n_channels[4] * side * side;
  const fc = new Linear(root, 'fc', featureSize, ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = x;
    for (const stage of stages) h = tf.tidy(() => stage.apply(h, training));
    return fc.apply(flattenChw(h));
  });
}
