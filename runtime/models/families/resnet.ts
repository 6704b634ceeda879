/**
 * ResNet (He et al., "Deep Residual Learning for Image Recognition", arXiv 1512.03385), CIFAR type
 * (3×3 stem conv-BN-ReLU, 3 stages at strides 1, 2, 2), exactly as the original framework builds it
 * (`models/cifar/resnet.py`):
 * - basic block conv3×3(stride)-BN-ReLU-conv3×3-BN, + shortcut, ReLU; depth = 6n+2 (n blocks per stage);
 * - bottleneck block conv1×1-BN-ReLU-conv3×3(stride)-BN-ReLU-conv1×1-BN (width out/4), + shortcut,
 *   ReLU; depth = 9n+2;
 * - stage outputs [c, 2c·e, 4c·e] (c = `initial_channels`, e = 1 basic / 4 bottleneck): stage 1 keeps
 *   c even for bottlenecks (the framework's rule, not the paper's 4c);
 * - projection shortcut conv1×1(stride)+BN when in ≠ out channels, identity otherwise;
 * - global average pooling, Linear.
 * Parameters on CIFAR-10: ResNet-20 272,474; ResNet-56 855,770; ResNet-110 1,730,714;
 * ResNet-164 (bottleneck) 1,620,058.
 *
 * ImageNet type (`models/imagenet/resnet.py`): the 7×7/2 stem with max-pool (see {@link ImagenetStem}), 4 stages
 * at strides 1, 2, 2, 2 with `n_blocks[i]` blocks (no depth rule: the list gives the blocks), stage outputs
 * [c, 2c·e, 4c·e, 8c·e] (stage 1 keeps c even for bottlenecks, unlike torchvision's ResNet-50), the CIFAR type's
 * blocks and projection shortcuts, global average pooling, Linear. Any `dataset.image_size` works.
 * Parameters (224×224, 1000 classes): ResNet-18 ([2, 2, 2, 2] basic) 11,689,512; ResNet-34
 * ([3, 4, 6, 3] basic) 21,797,672.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { int, ints, section, str, type ConfigOf } from '../../config/spec';
import { ImagenetStem } from '../blocks/stem';
import type { BuildContext, Nn } from '../build_context';
import type { BatchNorm2d, Conv2d, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { BLOCK_TYPES, IMAGENET_BLOCKS, POSITIVE, RESIDUAL_DEPTH, cifarBlocks, defineFamily, imagenetBlocks } from './define';

/** The keys ResNet and ResNet-preact share: depth (cifar), n_blocks (imagenet), block type, first-stage width. */
export const resnetKeys = (blockDescription: string) => ({
  depth: int(110, 'Depth of the cifar model (basic: 6n+2, bottleneck: 9n+2)', POSITIVE),
  n_blocks: ints([2, 2, 2, 2], 'Blocks per stage of the imagenet model (4 stages)', IMAGENET_BLOCKS),
  block_type: str('basic', blockDescription, { allowed: BLOCK_TYPES }),
  initial_channels: int(16, 'Channels of the first stage', POSITIVE),
});

const SECTION = section('ResNet', resnetKeys('Residual block: basic (two 3x3 convs) or bottleneck (1x1-3x3-1x1)'), '1512.03385');

/** The `model.resnet` config section (the cifar type reads depth, the imagenet type n_blocks). */
export type ResNetConfig = ConfigOf<typeof SECTION>;

/** A residual block: [N, H, W, in] → [N, H/stride, W/stride, out]. */
export interface ResidualBlock {
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/** A block class with its channel expansion (output / bottleneck width). */
export interface ResidualBlockClass {
  readonly expansion: number;
  new (r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext): ResidualBlock;
}

/** Projection shortcut conv1×1(stride) + BN (`shortcut.conv`, `shortcut.bn`), used when in ≠ out. */
class ProjectionShortcut {
  private readonly conv: Conv2d;
  private readonly bn: BatchNorm2d;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    this.conv = new ctx.nn.Conv2d(r, 'conv', inC, outC, 1, { initMode: ctx.initMode, rng: ctx.rng, stride });
    this.bn = new ctx.nn.BatchNorm2d(r, 'bn', outC);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.bn.apply(this.conv.apply(x), training);
  }
}

/** conv3×3(stride)-BN-ReLU-conv3×3-BN, + shortcut, ReLU. */
export class BasicBlock implements ResidualBlock {
  static readonly expansion = 1;
  private readonly nn: Nn;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly shortcut?: ProjectionShortcut;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    const conv = { initMode: ctx.initMode, rng: ctx.rng, padding: 1 };
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, outC, 3, { ...conv, stride });
    this.bn1 = new nn.BatchNorm2d(r, 'bn1', outC);
    this.conv2 = new nn.Conv2d(r, 'conv2', outC, outC, 3, conv);
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', outC);
    if (inC !== outC) this.shortcut = new ProjectionShortcut(r.child('shortcut'), inC, outC, stride, ctx);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const y = this.bn1.applyRelu(this.conv1.apply(x), training);
    return this.bn2.applyAddRelu(this.conv2.apply(y), this.shortcut ? this.shortcut.apply(x, training) : x, training);
  }
}

/** conv1×1-BN-ReLU-conv3×3(stride)-BN-ReLU-conv1×1-BN (width out/4), + shortcut, ReLU. */
export class BottleneckBlock implements ResidualBlock {
  static readonly expansion = 4;
  private readonly nn: Nn;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv3: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly shortcut?: ProjectionShortcut;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    const mid = Math.floor(outC / BottleneckBlock.expansion);
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, mid, 1, conv);
    this.bn1 = new nn.BatchNorm2d(r, 'bn1', mid);
    this.conv2 = new nn.Conv2d(r, 'conv2', mid, mid, 3, { ...conv, stride, padding: 1 });
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', mid);
    this.conv3 = new nn.Conv2d(r, 'conv3', mid, outC, 1, conv);
    this.bn3 = new nn.BatchNorm2d(r, 'bn3', outC);
    if (inC !== outC) this.shortcut = new ProjectionShortcut(r.child('shortcut'), inC, outC, stride, ctx);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let y = this.bn1.applyRelu(this.conv1.apply(x), training);
    y = this.bn2.applyRelu(this.conv2.apply(y), training);
    return this.bn3.applyAddRelu(this.conv3.apply(y), this.shortcut ? this.shortcut.apply(x, training) : x, training);
  }
}

/** The block class of `block_type`. */
export function resNetBlock(blockType: string): ResidualBlockClass {
  if (blockType === 'basic') return BasicBlock;
  if (blockType === 'bottleneck') return BottleneckBlock;
  throw new Error(`resnet: block_type ${blockType} is not basic or bottleneck`);
}

/**
 * Builds the stages `stage1`… of a ResNet: stage s has n[s] blocks with `channels[s]` outputs, its first
 * block takes the previous stage's channels and strides by `strides[s]`.
 */
export function buildResNetStages(
  root: ParamRegistry,
  Block: ResidualBlockClass,
  inC: number,
  channels: number[],
  n: number[],
  strides: number[],
  ctx: BuildContext,
): ResidualBlock[][] {
  return channels.map((outC, s) => {
    const stage = root.child(`stage${s + 1}`);
    const blocks: ResidualBlock[] = [];
    for (let b = 0; b < n[s]; b++) {
      blocks.push(new Block(stage.child(`block${b + 1}`), b === 0 ? inC : outC, outC, b === 0 ? strides[s] : 1, ctx));
    }
    inC = outC;
    return blocks;
  });
}

/** Builds the CIFAR-type ResNet. */
export function buildResNet(cfg: ResNetConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const Block = resNetBlock(cfg.block_type);
  const n = cifarBlocks(resnet, cfg.depth, cfg.block_type);
  const c = cfg.initial_channels;
  const channels = [c, c * 2 * Block.expansion, c * 4 * Block.expansion];
  const root = nn.ParamRegistry.root(ctx);
  const conv = new nn.Conv2d(root, 'conv', ctx.inChannels, c, 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const bn = new nn.BatchNorm2d(root, 'bn', c);
  const stages = buildResNetStages(root, Block, c, channels, n, [1, 2, 2], ctx);
  const fc = new nn.Linear(root, 'fc', channels[2], ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(resnet.name, root, (x, training) => {
    let h = bn.applyRelu(conv.apply(x), training);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

/** Builds the ImageNet-type ResNet. */
export function buildImagenetResNet(cfg: ResNetConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const Block = resNetBlock(cfg.block_type);
  const n = imagenetBlocks(resnet, cfg.n_blocks);
  const c = cfg.initial_channels;
  const e = Block.expansion;
  const channels = [c, c * 2 * e, c * 4 * e, c * 8 * e];
  const root = nn.ParamRegistry.root(ctx);
  const stem = new ImagenetStem(root, ctx.inChannels, c, ctx);
  const stages = buildResNetStages(root, Block, c, channels, n, [1, 2, 2, 2], ctx);
  const fc = new nn.Linear(root, 'fc', channels[3], ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(resnet.name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

const resnet = defineFamily({
  name: 'resnet',
  types: ['cifar', 'imagenet'],
  depth: RESIDUAL_DEPTH,
  section: SECTION,
  build: { cifar: buildResNet, imagenet: buildImagenetResNet },
});
export default resnet;
