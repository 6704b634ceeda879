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
 *
 * ImageNet type (`models/imagenet/pyramidnet.py`): the 7×7/2 stem conv-BN-ReLU + max-pool 3/2 (see
 * {@link ImagenetStem}), 4 stages at strides 1, 2, 2, 2 with `n_blocks[i]` blocks (no depth rule: the list gives
 * the blocks), widths growing by α/Σn per block as above, the CIFAR type's blocks and shortcuts, final BN-ReLU
 * (`bn_last`), global average pooling, Linear. Image sizes whose maps are even at each strided stage work
 * (224, 64, 32, …). Parameters (224×224, 1000 classes): PyramidNet-200 ([3, 24, 36, 3] bottleneck, c 64,
 * α 300) 62,368,168.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { int, ints, section, str, type ConfigOf } from '../../config/spec';
import { ImagenetStem } from '../blocks/stem';
import type { BuildContext, Nn } from '../build_context';
import type { AvgPool2d, BatchNorm2d, Conv2d, ParamRegistry, ZeroChannelPad } from '../layers';
import type { Model } from '../types';
import { BLOCK_TYPES, IMAGENET_BLOCKS, NON_NEGATIVE, POSITIVE, RESIDUAL_DEPTH, cifarBlocks, defineFamily, imagenetBlocks } from './define';

const SECTION = section('PyramidNet', {
  depth: int(272, 'Depth of the cifar model (basic: 6n+2, bottleneck: 9n+2)', POSITIVE),
  n_blocks: ints([3, 24, 36, 3], 'Blocks per stage of the imagenet model (4 stages)', IMAGENET_BLOCKS),
  initial_channels: int(16, 'Channels of the stem conv', POSITIVE),
  block_type: str('bottleneck', 'Residual block: basic or bottleneck', { allowed: BLOCK_TYPES }),
  alpha: int(200, 'Total channel increase across the network', NON_NEGATIVE),
}, '1610.02915');

/** The `model.pyramidnet` config section (the cifar type reads depth, the imagenet type n_blocks). */
export type PyramidNetConfig = ConfigOf<typeof SECTION>;

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

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, nn: Nn) {
    if (stride > 1) this.pool = new nn.AvgPool2d(r, 'shortcut', 2, 2);
    this.pad = new nn.ZeroChannelPad(r, 'shortcut_pad', inC, outC);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return this.pad.apply(this.pool ? this.pool.apply(x) : x);
  }
}

/** BN-conv3×3(stride)-BN-ReLU-conv3×3-BN, + shortcut. */
export class PyramidBasicBlock implements PyramidBlock {
  static readonly expansion = 1;
  private readonly nn: Nn;
  private readonly bn1: BatchNorm2d;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly shortcut: PyramidShortcut;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    const conv = { initMode: ctx.initMode, rng: ctx.rng, padding: 1 };
    this.bn1 = new nn.BatchNorm2d(r, 'bn1', inC);
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, outC, 3, { ...conv, stride });
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', outC);
    this.conv2 = new nn.Conv2d(r, 'conv2', outC, outC, 3, conv);
    this.bn3 = new nn.BatchNorm2d(r, 'bn3', outC);
    this.shortcut = new PyramidShortcut(r, inC, outC, stride, nn);
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
  private readonly nn: Nn;
  private readonly bn1: BatchNorm2d;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly conv3: Conv2d;
  private readonly bn4: BatchNorm2d;
  private readonly shortcut: PyramidShortcut;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    const mid = Math.floor(outC / PyramidBottleneckBlock.expansion);
    this.bn1 = new nn.BatchNorm2d(r, 'bn1', inC);
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, mid, 1, conv);
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', mid);
    this.conv2 = new nn.Conv2d(r, 'conv2', mid, mid, 3, { ...conv, stride, padding: 1 });
    this.bn3 = new nn.BatchNorm2d(r, 'bn3', mid);
    this.conv3 = new nn.Conv2d(r, 'conv3', mid, outC, 1, conv);
    this.bn4 = new nn.BatchNorm2d(r, 'bn4', outC);
    this.shortcut = new PyramidShortcut(r, inC, outC, stride, nn);
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
export function buildPyramidNet(cfg: PyramidNetConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const Block = pyramidBlock(cfg.block_type);
  const n = cifarBlocks(pyramidnet, cfg.depth, cfg.block_type);
  const widths = pyramidWidths(cfg.initial_channels, cfg.alpha, n.reduce((a, b) => a + b, 0), Block.expansion);
  const root = nn.ParamRegistry.root(ctx);
  const conv = new nn.Conv2d(root, 'conv', ctx.inChannels, widths[0], 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const bn1 = new nn.BatchNorm2d(root, 'bn1', widths[0]);
  const stages = buildPyramidStages(root, Block, widths, n, [1, 2, 2], ctx.imageSize, ctx);
  const last = widths[widths.length - 1];
  const bn2 = new nn.BatchNorm2d(root, 'bn2', last);
  const fc = new nn.Linear(root, 'fc', last, ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(pyramidnet.name, root, (x, training) => {
    let h = bn1.apply(conv.apply(x), training);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    h = bn2.applyRelu(h, training);
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

/** Builds the ImageNet-type PyramidNet. */
export function buildImagenetPyramidNet(cfg: PyramidNetConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const Block = pyramidBlock(cfg.block_type);
  const n = imagenetBlocks(pyramidnet, cfg.n_blocks);
  const total = n.reduce((a, b) => a + b, 0);
  const widths = pyramidWidths(cfg.initial_channels, cfg.alpha, total, Block.expansion);
  const root = nn.ParamRegistry.root(ctx);
  const stem = new ImagenetStem(root, ctx.inChannels, widths[0], ctx);
  const stages = buildPyramidStages(root, Block, widths, n, [1, 2, 2, 2], stem.outputSize(ctx.imageSize), ctx);
  const last = widths[widths.length - 1];
  const bnLast = new nn.BatchNorm2d(root, 'bn_last', last);
  const fc = new nn.Linear(root, 'fc', last, ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(pyramidnet.name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    h = bnLast.applyRelu(h, training);
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

const pyramidnet = defineFamily({
  name: 'pyramidnet',
  types: ['cifar', 'imagenet'],
  depth: RESIDUAL_DEPTH,
  section: SECTION,
  build: { cifar: buildPyramidNet, imagenet: buildImagenetPyramidNet },
});
export default pyramidnet;
