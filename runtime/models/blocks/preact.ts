/**
 * Pre-activation residual blocks (He et al., arXiv 1603.05027), shared by ResNet-preact (cifar and
 * imagenet types) and SE-ResNet-preact (arXiv 1709.01507, SE on the branch before the add), exactly
 * as the original's `resnet_preact.py` / `se_resnet_preact.py` build them. Built with the ops and layers of
 * the build context (`ctx.nn`); this module loads no TensorFlow.js.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BuildContext, Nn } from '../build_context';
import type { BatchNorm2d, Conv2d, ParamRegistry, SqueezeExcitation } from '../layers';

/** Options of one pre-activation block. */
export interface PreactBlockOptions {
  stride: number;
  removeFirstRelu: boolean;
  addLastBn: boolean;
  /** The block pre-activates x for both the branch and the shortcut. */
  preact: boolean;
  /** SE reduction r; no SE module when undefined. */
  seReduction?: number;
}

/** A pre-activation residual block: [N, H, W, in] → [N, H/stride, W/stride, out]. */
export interface PreactBlock {
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

/** A pre-activation block class with its channel expansion. */
export interface PreactBlockClass {
  readonly expansion: number;
  new (r: ParamRegistry, inC: number, outC: number, o: PreactBlockOptions, ctx: BuildContext): PreactBlock;
}

/** The part common to both blocks: first pre-activation, last BN, SE, shortcut and the add. */
abstract class PreactBase implements PreactBlock {
  protected readonly nn: Nn;
  protected readonly bn1: BatchNorm2d;
  protected lastBn?: BatchNorm2d;
  protected se?: SqueezeExcitation;
  protected shortcut?: Conv2d;

  protected constructor(
    r: ParamRegistry,
    inC: number,
    protected readonly o: PreactBlockOptions,
    ctx: BuildContext,
  ) {
    this.nn = ctx.nn;
    this.bn1 = new ctx.nn.BatchNorm2d(r, 'bn1', inC);
  }

  /** Adds the last BN (if any), SE (if any) and shortcut of a block whose branch ends with `outC` channels. */
  protected finish(r: ParamRegistry, inC: number, outC: number, lastBnName: string, ctx: BuildContext): void {
    if (this.o.addLastBn) this.lastBn = new ctx.nn.BatchNorm2d(r, lastBnName, outC);
    if (this.o.seReduction !== undefined) this.se = new ctx.nn.SqueezeExcitation(r, 'se', outC, this.o.seReduction, ctx.initMode, ctx.rng);
    if (inC !== outC) this.shortcut = new ctx.nn.Conv2d(r.child('shortcut'), 'conv', inC, outC, 1, { initMode: ctx.initMode, rng: ctx.rng, stride: this.o.stride });
  }

  /** The branch after its first pre-activation. */
  protected abstract branch(y: tf.Tensor4D, training: boolean): tf.Tensor4D;

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let y: tf.Tensor4D;
    if (this.o.preact) {
      x = this.bn1.applyRelu(x, training);
      y = x;
    } else {
      y = this.o.removeFirstRelu ? this.bn1.apply(x, training) : this.bn1.applyRelu(x, training);
    }
    y = this.branch(y, training);
    if (this.lastBn) y = this.lastBn.apply(y, training);
    if (this.se) y = this.se.apply(y);
    return this.nn.add(y, this.shortcut ? this.shortcut.apply(x) : x);
  }
}

/** BN-ReLU-conv3×3(stride)-BN-ReLU-conv3×3 [-BN3] [-SE], + shortcut. */
export class PreactBasicBlock extends PreactBase {
  static readonly expansion = 1;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;

  constructor(r: ParamRegistry, inC: number, outC: number, o: PreactBlockOptions, ctx: BuildContext) {
    super(r, inC, o, ctx);
    const { nn } = ctx;
    const conv = { initMode: ctx.initMode, rng: ctx.rng, padding: 1 };
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, outC, 3, { ...conv, stride: o.stride });
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', outC);
    this.conv2 = new nn.Conv2d(r, 'conv2', outC, outC, 3, conv);
    this.finish(r, inC, outC, 'bn3', ctx);
  }

  protected branch(y: tf.Tensor4D, training: boolean): tf.Tensor4D {
    y = this.conv1.apply(y);
    return this.conv2.apply(this.bn2.applyRelu(y, training));
  }
}

/** BN-ReLU-conv1×1-BN-ReLU-conv3×3(stride)-BN-ReLU-conv1×1 (width out/4) [-BN4] [-SE], + shortcut. */
export class PreactBottleneckBlock extends PreactBase {
  static readonly expansion = 4;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly conv3: Conv2d;

  constructor(r: ParamRegistry, inC: number, outC: number, o: PreactBlockOptions, ctx: BuildContext) {
    super(r, inC, o, ctx);
    const { nn } = ctx;
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    const mid = Math.floor(outC / PreactBottleneckBlock.expansion);
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, mid, 1, conv);
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', mid);
    this.conv2 = new nn.Conv2d(r, 'conv2', mid, mid, 3, { ...conv, stride: o.stride, padding: 1 });
    this.bn3 = new nn.BatchNorm2d(r, 'bn3', mid);
    this.conv3 = new nn.Conv2d(r, 'conv3', mid, outC, 1, conv);
    this.finish(r, inC, outC, 'bn4', ctx);
  }

  protected branch(y: tf.Tensor4D, training: boolean): tf.Tensor4D {
    y = this.conv1.apply(y);
    y = this.conv2.apply(this.bn2.applyRelu(y, training));
    return this.conv3.apply(this.bn3.applyRelu(y, training));
  }
}

/** The pre-activation block class of `block_type`. */
export function preactBlock(model: string, blockType: string): PreactBlockClass {
  if (blockType === 'basic') return PreactBasicBlock;
  if (blockType === 'bottleneck') return PreactBottleneckBlock;
  throw new Error(`${model}: block_type ${blockType} is not basic or bottleneck`);
}

/** What the stages of a pre-activation network share. */
export interface PreactStagesOptions {
  removeFirstRelu: boolean;
  addLastBn: boolean;
  /** Per stage: its first block pre-activates the shortcut too. */
  preactStage: boolean[];
  seReduction?: number;
}

/** The stage options of the pre-activation keys of a config section (`remove_first_relu`, `add_last_bn`, `preact_stage`). */
export function preactStagesOptions(
  cfg: { remove_first_relu: boolean; add_last_bn: boolean; preact_stage: boolean[] },
  seReduction?: number,
): PreactStagesOptions {
  return { removeFirstRelu: cfg.remove_first_relu, addLastBn: cfg.add_last_bn, preactStage: cfg.preact_stage, seReduction };
}

/** Builds the stages `stage1`… of a pre-activation ResNet (first block: previous channels, stride). */
export function buildPreactStages(
  root: ParamRegistry,
  Block: PreactBlockClass,
  inC: number,
  channels: number[],
  n: number[],
  strides: number[],
  o: PreactStagesOptions,
  ctx: BuildContext,
): PreactBlock[][] {
  return channels.map((outC, s) => {
    const stage = root.child(`stage${s + 1}`);
    const blocks: PreactBlock[] = [];
    for (let b = 0; b < n[s]; b++) {
      const first = b === 0;
      blocks.push(
        new Block(stage.child(`block${b + 1}`), first ? inC : outC, outC, {
          stride: first ? strides[s] : 1,
          removeFirstRelu: o.removeFirstRelu,
          addLastBn: o.addLastBn,
          preact: first ? o.preactStage[s] : false,
          seReduction: o.seReduction,
        }, ctx),
      );
    }
    inC = outC;
    return blocks;
  });
}
