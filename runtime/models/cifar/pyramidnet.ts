/**
 * PyramidNet (Han et al., "Deep Pyramidal Residual Networks", arXiv 1610.02915), CIFAR type, exactly
 * as the original framework builds it (`models/cifar/pyramidnet.py`):
 * - depth = 6n+2 (basic) or 9n+2 (bottleneck): n blocks per stage, 3 stages at strides 1, 2, 2;
 * - widths grow additively over all 3n blocks: w_0 = `initial_channels`, w_i = w_{i−1} + α/(3n)
 *   (float sums), block i outputs round(w_i)·e channels with NumPy's round half to even (e = 1 basic,
 *   4 bottleneck);
 * - 3×3 stem conv + BN (no ReLU); basic block BN-conv3×3(stride)-BN-ReLU-conv3×3-BN; bottleneck
 *   BN-conv1×1-BN-ReLU-conv3×3(stride)-BN-ReLU-conv1×1(×4)-BN;
 * - parameter-free shortcut: identity, or avg-pool 2×2/2 when strided, then zero channels appended
 *   up to the block's width (see {@link ZeroChannelPad});
 * - final BN-ReLU, global average pooling, Linear.
 * Parameters on CIFAR-10: 110/α=48 1,772,706; 110/α=84 3,904,446; 110/α=270 28,485,477 (on 28×28×1
 * Kuzushiji-MNIST 28,485,189); 164 bottleneck/α=270 27,216,021; 272 bottleneck/α=200 (the YAML) 26,210,842.
 * A strided block needs an even input side (the avg-pool shortcut floors, the conv rounds up), as in
 * the original; 32×32 and 28×28 inputs are fine.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { AvgPool2d, BatchNorm2d, Conv2d, Linear, ParamRegistry, ZeroChannelPad } from '../layers';
import type { Model } from '../types';
import { assembleModel } from '../assemble';

/** The `model.pyramidnet` config section (the cifar type reads depth, the imagenet type n_blocks). */
export interface PyramidNetConfig {
  depth: number;
  n_blocks: number[];
  initial_channels: number;
  block_type: string;
  alpha: number;
}

/** NumPy's `np.round` for one float: to the nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Channel widths as the original computes them: [c0, round(w_1)·e, …, round(w_N)·e] with
 * w_i = w_{i−1} + α/N accumulated in floating point (N = total blocks).
 */
export function pyramidWidths(initialChannels: number, alpha: number, totalBlocks: number, expansion: number): number[] {
  const rate = alpha / totalBlocks;
  const widths = [initialChannels];
  let w = initialChannels;
  for (let i = 0; i < totalBlocks; i++) {
    w += rate;
    widths.push(roundHalfEven(w) * expansion);
  }
  return widths;
}

/** A pyramidal block: [N, H, W, in] → [N, H/stride, W/stride, out]. */
export interface PyramidBlock {
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/** The parameter-free shortcut: avg-pool 2×2/2 when strided, then zero-channel padding. */
class PyramidShortcut {
  private readonly pool?: AvgPool2d;
  private readonly pad: ZeroChannelPad;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number) {
    if (stride > 1) this.pool = new AvgPool2d(r, 'shortcut', 2, 2);
    this.pad = new ZeroChannelPad(r, 'shortcut_pad', inC, outC);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return this.pad.apply(this.pool ? this.pool.apply(x) : x);
  }
}

/** BN-conv3×3(stride)-BN-ReLU-conv3×3-BN, + shortcut. */
export class PyramidBasicBlock implements PyramidBlock {
  static readonly expansion = 1;
  private readonly bn1: BatchNorm2d;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly shortcut: PyramidShortcut;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const conv = { initMode: ctx.initMode, rng: ctx.rng, padding: 1 };
    this.bn1 = new BatchNorm2d(r, 'bn1', inC);
    this.conv1 = new Conv2d(r, 'conv1', inC, outC, 3, { ...conv, stride });
    this.bn2 = new BatchNorm2d(r, 'bn2', outC);
    this.conv2 = new Conv2d(r, 'conv2', outC, outC, 3, conv);
    this.bn3 = new BatchNorm2d(r, 'bn3', outC);
    this.shortcut = new PyramidShortcut(r, inC, outC, stride);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let y = this.conv1.apply(this.bn1.apply(x, training));
    y = this.conv2.apply(this.bn2.applyRelu(y, training));
    return this.bn3.applyAdd(y, this.shortcut.apply(x), training);
  }
}

/** BN-conv1×1-BN-ReLU-conv3×3(stride)-BN-ReLU-conv1×1-BN (width out/4), + shortcut. */
export class PyramidBottleneckBlock implements PyramidBlock {
  static readonly expansion = 4;
  private readonly bn1: BatchNorm2d;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly conv3: Conv2d;
  private readonly bn4: BatchNorm2d;
  private readonly shortcut: PyramidShortcut;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    const mid = Math.floor(outC / PyramidBottleneckBlock.expansion);
    this.bn1 = new BatchNorm2d(r, 'bn1', inC);
    this.conv1 = new Conv2d(r, 'conv1', inC, mid, 1, conv);
    this.bn2 = new BatchNorm2d(r, 'bn2', mid);
    this.conv2 = new Conv2d(r, 'conv2', mid, mid, 3, { ...conv, stride, padding: 1 });
    this.bn3 = new BatchNorm2d(r, 'bn3', mid);
    this.conv3 = new Conv2d(r, 'conv3', mid, outC, 1, conv);
    this.bn4 = new BatchNorm2d(r, 'bn4', outC);
    this.shortcut = new PyramidShortcut(r, inC, outC, stride);
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let y = this.conv1.apply(this.bn1.apply(x, training));
    y = this.conv2.apply(this.bn2.applyRelu(y, training));
    y = this.conv3.apply(this.bn3.applyRelu(y, training));
    return this.bn4.applyAdd(y, this.shortcut.apply(x), training);
  }
}

/** The block class of `block_type`. */
export function pyramidBlock(blockType: string): typeof PyramidBasicBlock | typeof PyramidBottleneckBlock {
  if (blockType === 'basic') return PyramidBasicBlock;
  if (blockType === 'bottleneck') return PyramidBottleneckBlock;
  throw new Error(`pyramidnet: block_type ${blockType} is not basic or bottleneck`);
}

/**
 * Builds the stages `stage1`… of a PyramidNet from the width list (`widths[i]` → `widths[i+1]` for
 * block i overall); the first block of stage s strides by `strides[s]`.
 * @param side input side of the first stage, to refuse odd maps at strided blocks (the avg-pool
 *   shortcut and the strided conv would disagree, as they do in the original)
 */
export function buildPyramidStages(
  root: ParamRegistry,
  Block: typeof PyramidBasicBlock | typeof PyramidBottleneckBlock,
  widths: number[],
  n: number[],
  strides: number[],
  side: number,
  ctx: BuildContext,
): PyramidBlock[][] {
  let i = 0;
  return n.map((count, s) => {
    if (strides[s] > 1) {
      if (side % 2 !== 0) {
        throw new Error(
          `pyramidnet: stage ${s + 1} halves a ${side}x${side} map; with an odd side its avg-pool shortcut (${Math.floor(side / 2)}) and ` +
            `strided conv (${Math.ceil(side / 2)}) disagree (the original fails too): choose dataset.image_size so that every strided stage gets an even side`,
        );
      }
      side /= 2;
    }
    const stage = root.child(`stage${s + 1}`);
    const blocks: PyramidBlock[] = [];
    for (let b = 0; b < count; b++, i++) {
      blocks.push(new Block(stage.child(`block${b + 1}`), widths[i], widths[i + 1], b === 0 ? strides[s] : 1, ctx));
    }
    return blocks;
  });
}

/** Builds the CIFAR-type PyramidNet. */
export function buildPyramidNet(cfg: PyramidNetConfig, ctx: BuildContext, name = 'pyramidnet'): Model {
  const Block = pyramidBlock(cfg.block_type);
  const n = blocksPerStage('pyramidnet', cfg.depth, cfg.block_type);
  const widths = pyramidWidths(cfg.initial_channels, cfg.alpha, n.reduce((a, b) => a + b, 0), Block.expansion);
  const root = ParamRegistry.root(ctx);
  const conv = new Conv2d(root, 'conv', ctx.inChannels, widths[0], 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const bn1 = new BatchNorm2d(root, 'bn1', widths[0]);
  const stages = buildPyramidStages(root, Block, widths, n, [1, 2, 2], ctx.imageSize, ctx);
  const last = widths[widths.length - 1];
  const bn2 = new BatchNorm2d(root, 'bn2', last);
  const fc = new Linear(root, 'fc', last, ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = bn1.apply(conv.apply(x), training);
    for (const blocks of stages) for (const block of blocks) h = tf.tidy(() => block.apply(h, training));
    h = bn2.applyRelu(h, training);
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
