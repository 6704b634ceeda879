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
 *
 * ImageNet type (`models/imagenet/vgg.py`): the same 5 stages (no 7×7 stem), flatten in (C, H, W) order, then
 * fc1 (4096) → ReLU → dropout 0.5 → fc2 (4096) → ReLU → dropout 0.5 → fc3 (classes). The input size is
 * `dataset.image_size` (at least 32). Parameters: VGG16-BN ([2, 2, 3, 3, 3] layers, 224×224, 1000 classes)
 * 138,365,992.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../../config/config_error';
import { bool, ints, section, type ConfigOf } from '../../config/spec';
import type { BuildContext, Nn } from '../build_context';
import type { BatchNorm2d, Conv2d, MaxPool2d, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { defineFamily } from './define';

const SECTION = section('VGG with optional batch norm (5 stages)', {
  n_channels: ints([64, 128, 256, 512, 512], 'Output channels of each of the 5 stages', { lengths: [5], minimum: 1 }),
  n_layers: ints([2, 2, 3, 3, 3], 'Conv layers in each of the 5 stages', { lengths: [5], minimum: 1 }),
  use_bn: bool(true, 'Batch norm after every conv'),
}, '1409.1556');

/** The `model.vgg` config section. */
export type VggConfig = ConfigOf<typeof SECTION>;

/** Width of the two hidden fully connected layers of the imagenet type. */
export const VGG_HIDDEN = 4096;
/** Dropout after fc1 and fc2 of the imagenet type (`F.dropout`'s default p). */
const HIDDEN_DROP_RATE = 0.5;

/** One VGG stage: n × [conv3×3(bias) → BN? → ReLU], then max-pool 2×2/2. Names `conv{i}`, `bn{i}`, `pool`. */
export class VggStage {
  private readonly nn: Nn;
  private readonly convs: Conv2d[] = [];
  private readonly bns: BatchNorm2d[] = [];
  private readonly pool: MaxPool2d;

  constructor(r: ParamRegistry, inC: number, outC: number, nLayers: number, useBn: boolean, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    for (let i = 0; i < nLayers; i++) {
      this.convs.push(new nn.Conv2d(r, `conv${i}`, i === 0 ? inC : outC, outC, 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1, bias: true }));
      if (useBn) this.bns.push(new nn.BatchNorm2d(r, `bn${i}`, outC));
    }
    this.pool = new nn.MaxPool2d(r, 'pool', 2, 2);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    this.convs.forEach((conv, i) => {
      x = conv.apply(x);
      x = this.bns.length ? this.bns[i].applyRelu(x, training) : this.nn.relu(x);
    });
    return this.pool.apply(x);
  }
}

/**
 * Side of the last feature map of the 5 VGG stages (each halves with a 2×2/2 max-pool).
 * @throws ConfigError naming the input size, the chain of map sizes and what works, when the map vanishes
 *   (any input under 32 pixels, e.g. 28×28 MNIST; the original cannot build these either).
 */
export function vggFeatureMapSize(nn: Pick<Nn, 'pooledSize'>, imageSize: number, modelType: 'cifar' | 'imagenet'): number {
  const chain = [imageSize];
  for (let stage = 1; stage <= 5; stage++) {
    const next = nn.pooledSize(chain[chain.length - 1], 2, 2);
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
export function flattenChw(nn: Nn, x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  const chw = h * w === 1 ? x : nn.transpose(x, [0, 3, 1, 2]);
  return nn.reshape(chw, [n, c * h * w]);
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
export function buildVgg(cfg: VggConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const side = vggFeatureMapSize(nn, ctx.imageSize, 'cifar');
  const root = nn.ParamRegistry.root(ctx);
  const stages = buildVggStages(root, cfg, ctx);
  const featureSize = cfg.n_channels[4] * side * side;
  const fc = new nn.Linear(root, 'fc', featureSize, ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(vgg.name, root, (x, training) => {
    let h = x;
    for (const stage of stages) h = nn.tidy(() => stage.apply(h, training));
    return fc.apply(flattenChw(nn, h));
  });
}

/**
 * Builds the ImageNet-type VGG.
 * @param hidden width of fc1 and fc2: 4096 as the original; smaller only for quick tests
 * @throws Error when the input is too small for 5 halvings.
 */
export function buildImagenetVgg(cfg: VggConfig, ctx: BuildContext, hidden = VGG_HIDDEN): Model {
  const { nn } = ctx;
  const side = vggFeatureMapSize(nn, ctx.imageSize, 'imagenet');
  const root = nn.ParamRegistry.root(ctx);
  const stages = buildVggStages(root, cfg, ctx);
  const fc1 = new nn.Linear(root, 'fc1', cfg.n_channels[4] * side * side, hidden, ctx.initMode, ctx.rng);
  const drop1 = new nn.Dropout(root, 'dropout1', HIDDEN_DROP_RATE, ctx.noise);
  const fc2 = new nn.Linear(root, 'fc2', hidden, hidden, ctx.initMode, ctx.rng);
  const drop2 = new nn.Dropout(root, 'dropout2', HIDDEN_DROP_RATE, ctx.noise);
  const fc3 = new nn.Linear(root, 'fc3', hidden, ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(vgg.name, root, (x, training) => {
    let h = x;
    for (const stage of stages) h = nn.tidy(() => stage.apply(h, training));
    let f = flattenChw(nn, h);
    f = drop1.apply(nn.relu(fc1.apply(f)), training);
    f = drop2.apply(nn.relu(fc2.apply(f)), training);
    return fc3.apply(f);
  });
}

/** VGG lists its layers: no depth rule. */
const vgg = defineFamily({ name: 'vgg', types: ['cifar', 'imagenet'], section: SECTION, build: { cifar: buildVgg, imagenet: buildImagenetVgg } });
export default vgg;
