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
 */
import * as tf from '@tensorflow/tfjs-core';
import { blocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { BatchNorm2d, Conv2d, Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { assembleModel } from '../assemble';

/** The `model.resnet` config section (the cifar type reads depth, the imagenet type n_blocks). */
export interface ResNetConfig {
  depth: number;
  n_blocks: number[];
  block_type: string;
  initial_channels: number;
}

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
    this.conv = new Conv2d(r, 'conv', inC, outC, 1, { initMode: ctx.initMode, rng: ctx.rng, stride });
    this.bn = new BatchNorm2d(r, 'bn', outC);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return this.bn.apply(this.conv.apply(x), training);
  }
}

/** conv3×3(stride)-BN-ReLU-conv3×3-BN, + shortcut, ReLU. */
export class BasicBlock implements ResidualBlock {
  static readonly expansion = 1;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly shortcut?: ProjectionShortcut;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const conv = { initMode: ctx.initMode, rng: ctx.rng, padding: 1 };
    this.conv1 = new Conv2d(r, 'conv1', inC, outC, 3, { ...conv, stride });
    this.bn1 = new BatchNorm2d(r, 'bn1', outC);
    this.conv2 = new Conv2d(r, 'conv2', outC, outC, 3, conv);
    this.bn2 = new BatchNorm2d(r, 'bn2', outC);
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
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv3: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly shortcut?: ProjectionShortcut;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    const mid = Math.floor(outC / BottleneckBlock.expansion);
    this.conv1 = new Conv2d(r, 'conv1', inC, mid, 1, conv);
    this.bn1 = new BatchNorm2d(r, 'bn1', mid);
    this.conv2 = new Conv2d(r, 'conv2', mid, mid, 3, { ...conv, stride, padding: 1 });
    this.bn2 = new BatchNorm2d(r, 'bn2', mid);
    this.conv3 = new Conv2d(r, 'conv3', mid, outC, 1, conv);
    this.bn3 = new BatchNorm2d(r, 'bn3', outC);
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
export function buildResNet(cfg: ResNetConfig, ctx: BuildContext, name = 'resnet'): Model {
  const Block = resNetBlock(cfg.block_type);
  const n = blocksPerStage('resnet', cfg.depth, cfg.block_type);
  const c = cfg.initial_channels;
  const channels = [c, c * 2 * Block.expansion, c * 4 * Block.expansion];
  const root = ParamRegistry.root(ctx);
  const conv = new Conv2d(root, 'conv', ctx.inChannels, c, 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const bn = new BatchNorm2d(root, 'bn', c);
  const stages = buildResNetStages(root, Block, c, channels, n, [1, 2, 2], ctx);
  const fc = new Linear(root, 'fc', channels[2], ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = bn.applyRelu(conv.apply(x), training);
    for (const blocks of stages) for (const block of blocks) h = tf.tidy(() => block.apply(h, training));
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
