/**
 * ResNet with pre-activation blocks (He et al., "Identity Mappings in Deep Residual Networks",
 * arXiv 1603.05027), CIFAR type (3×3 stem, 3 stages at strides 1, 2, 2), exactly as the original
 * framework builds it (`models/cifar/resnet_preact.py`):
 * - basic block BN-ReLU-conv3×3-BN-ReLU-conv3×3, depth = 6n+2; bottleneck block
 *   BN-ReLU-conv1×1-BN-ReLU-conv3×3-BN-ReLU-conv1×1 (expansion 4), depth = 9n+2;
 * - stage outputs [c, 2c·e, 4c·e] (c = initial_channels, e = expansion): stage 1 keeps c even for
 *   bottlenecks, so ResNet-preact-164 has 1,619,290 parameters, not the paper's 1.7M;
 * - the first block of stage i with `preact_stage[i]` feeds the pre-activated x to both the branch
 *   and the shortcut; other blocks pre-activate the branch only (`remove_first_relu` drops that ReLU);
 * - `add_last_bn` appends a BN to the branch; projection shortcut conv1×1 (stride) without BN;
 * - final BN-ReLU, global average pooling, Linear.
 * Parameters: depth 20 on CIFAR-10 272,282 (on 28×28×1 271,994); depth 110 1,730,522.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BuildContext } from '../build_context';
import { BatchNorm2d, Conv2d, Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { assembleModel } from '../assemble';

/** The `model.resnet_preact` config section (cifar type). */
export interface ResNetPreactConfig {
  depth: number;
  block_type: string;
  initial_channels: number;
  remove_first_relu: boolean;
  add_last_bn: boolean;
  preact_stage: boolean[];
}

interface BlockOptions {
  stride: number;
  removeFirstRelu: boolean;
  addLastBn: boolean;
  preact: boolean;
}

interface Block {
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D;
}

class BasicBlock implements Block {
  static readonly expansion = 1;
  private readonly bn1: BatchNorm2d;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn3?: BatchNorm2d;
  private readonly shortcut?: Conv2d;

  constructor(r: ParamRegistry, inC: number, outC: number, private readonly o: BlockOptions, ctx: BuildContext) {
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    this.bn1 = new BatchNorm2d(r, 'bn1', inC);
    this.conv1 = new Conv2d(r, 'conv1', inC, outC, 3, { ...conv, stride: o.stride, padding: 1 });
    this.bn2 = new BatchNorm2d(r, 'bn2', outC);
    this.conv2 = new Conv2d(r, 'conv2', outC, outC, 3, { ...conv, padding: 1 });
    if (o.addLastBn) this.bn3 = new BatchNorm2d(r, 'bn3', outC);
    if (inC !== outC) this.shortcut = new Conv2d(r.child('shortcut'), 'conv', inC, outC, 1, { ...conv, stride: o.stride });
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let y: tf.Tensor4D;
    if (this.o.preact) {
      x = tf.relu(this.bn1.apply(x, training));
      y = this.conv1.apply(x);
    } else {
      y = this.bn1.apply(x, training);
      if (!this.o.removeFirstRelu) y = tf.relu(y);
      y = this.conv1.apply(y);
    }
    y = this.conv2.apply(tf.relu(this.bn2.apply(y, training)));
    if (this.bn3) y = this.bn3.apply(y, training);
    return tf.add(y, this.shortcut ? this.shortcut.apply(x) : x);
  }
}

class BottleneckBlock implements Block {
  static readonly expansion = 4;
  private readonly bn1: BatchNorm2d;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly conv3: Conv2d;
  private readonly bn4?: BatchNorm2d;
  private readonly shortcut?: Conv2d;

  constructor(r: ParamRegistry, inC: number, outC: number, private readonly o: BlockOptions, ctx: BuildContext) {
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    const mid = Math.floor(outC / BottleneckBlock.expansion);
    this.bn1 = new BatchNorm2d(r, 'bn1', inC);
    this.conv1 = new Conv2d(r, 'conv1', inC, mid, 1, conv);
    this.bn2 = new BatchNorm2d(r, 'bn2', mid);
    this.conv2 = new Conv2d(r, 'conv2', mid, mid, 3, { ...conv, stride: o.stride, padding: 1 });
    this.bn3 = new BatchNorm2d(r, 'bn3', mid);
    this.conv3 = new Conv2d(r, 'conv3', mid, outC, 1, conv);
    if (o.addLastBn) this.bn4 = new BatchNorm2d(r, 'bn4', outC);
    if (inC !== outC) this.shortcut = new Conv2d(r.child('shortcut'), 'conv', inC, outC, 1, { ...conv, stride: o.stride });
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let y: tf.Tensor4D;
    if (this.o.preact) {
      x = tf.relu(this.bn1.apply(x, training));
      y = this.conv1.apply(x);
    } else {
      y = this.bn1.apply(x, training);
      if (!this.o.removeFirstRelu) y = tf.relu(y);
      y = this.conv1.apply(y);
    }
    y = this.conv2.apply(tf.relu(this.bn2.apply(y, training)));
    y = this.conv3.apply(tf.relu(this.bn3.apply(y, training)));
    if (this.bn4) y = this.bn4.apply(y, training);
    return tf.add(y, this.shortcut ? this.shortcut.apply(x) : x);
  }
}

/**
 * Builds the CIFAR-type ResNet-preact.
 * @throws Error when depth does not fit the block type or preact_stage has not 3 entries
 *   (the config module reports these earlier with the key's name).
 */
export function buildResNetPreact(cfg: ResNetPreactConfig, ctx: BuildContext, name = 'resnet_preact'): Model {
  const bottleneck = cfg.block_type === 'bottleneck';
  const Block = bottleneck ? BottleneckBlock : BasicBlock;
  const per = bottleneck ? 9 : 6;
  const nBlocks = (cfg.depth - 2) / per;
  if (!Number.isInteger(nBlocks) || nBlocks < 1) {
    throw new Error(`resnet_preact: depth ${cfg.depth} does not fit block_type ${cfg.block_type} (depth = ${per}n+2)`);
  }
  if (cfg.preact_stage.length !== 3) {
    throw new Error(`resnet_preact: preact_stage needs 3 entries for the cifar type, got ${cfg.preact_stage.length}`);
  }
  const c = cfg.initial_channels;
  const channels = [c, c * 2 * Block.expansion, c * 4 * Block.expansion];
  const root = ParamRegistry.root();
  const stem = new Conv2d(root, 'conv', ctx.inChannels, channels[0], 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const stages: Block[][] = [];
  let inC = channels[0];
  channels.forEach((outC, s) => {
    const stage = root.child(`stage${s + 1}`);
    const blocks: Block[] = [];
    for (let b = 0; b < nBlocks; b++) {
      const first = b === 0;
      blocks.push(
        new Block(stage.child(`block${b + 1}`), first ? inC : outC, outC, {
          stride: first && s > 0 ? 2 : 1,
          removeFirstRelu: cfg.remove_first_relu,
          addLastBn: cfg.add_last_bn,
          preact: first ? cfg.preact_stage[s] : false,
        }, ctx),
      );
    }
    stages.push(blocks);
    inC = outC;
  });
  const bn = new BatchNorm2d(root, 'bn', channels[2]);
  const fc = new Linear(root, 'fc', channels[2], ctx.nClasses, ctx.initMode, ctx.rng);

  return assembleModel(name, root, (x, training) => {
    let h = stem.apply(x);
    for (const blocks of stages) for (const block of blocks) h = block.apply(h, training);
    h = tf.relu(bn.apply(h, training));
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
    return fc.apply(pooled);
  });
}
