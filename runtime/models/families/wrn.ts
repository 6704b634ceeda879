/**
 * Wide Residual Network (Zagoruyko & Komodakis, "Wide Residual Networks", arXiv 1605.07146), CIFAR
 * type, exactly as the original framework builds it (`models/cifar/wrn.py`):
 * - depth = 6n+4: n basic pre-activation blocks per stage, 3 stages at strides 1, 2, 2;
 * - 3×3 stem conv with `initial_channels` (16) outputs, stage outputs [16k, 32k, 64k]
 *   (k = `widening_factor`);
 * - block BN-ReLU-conv3×3(stride)-[dropout `drop_rate`, training only]-BN-ReLU-conv3×3, + shortcut;
 *   when in ≠ out the pre-activated x feeds both the branch and a conv1×1(stride) shortcut (no BN),
 *   otherwise the identity shortcut takes the raw x;
 * - final BN-ReLU, global average pooling, Linear.
 * Parameters on CIFAR-10: WRN-28-10 36,479,194; WRN-16-8 10,961,370; WRN-40-4 8,949,210.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { float, int, section, type ConfigOf } from '../../config/spec';
import type { BuildContext, Nn } from '../build_context';
import type { BatchNorm2d, Conv2d, Dropout, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { DROP_RATE, POSITIVE, cifarBlocks, defineFamily } from './define';

const SECTION = section('Wide ResNet', {
  depth: int(28, 'Depth of the cifar model (6n+4)', POSITIVE),
  initial_channels: int(16, 'Channels of the stem conv', POSITIVE),
  widening_factor: int(10, 'Width multiplier k', POSITIVE),
  drop_rate: float(0.0, 'Dropout rate between the two convs of a block', DROP_RATE),
}, '1605.07146');

/** The `model.wrn` config section. */
export type WrnConfig = ConfigOf<typeof SECTION>;

/** BN-ReLU-conv3×3(stride)-[dropout]-BN-ReLU-conv3×3, + identity or pre-activated conv1×1 shortcut. */
export class WideBasicBlock {
  private readonly nn: Nn;
  private readonly bn1: BatchNorm2d;
  private readonly conv1: Conv2d;
  private readonly dropout?: Dropout;
  private readonly bn2: BatchNorm2d;
  private readonly conv2: Conv2d;
  private readonly shortcut?: Conv2d;

  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, dropRate: number, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    this.bn1 = new nn.BatchNorm2d(r, 'bn1', inC);
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, outC, 3, { ...conv, stride, padding: 1 });
    if (dropRate > 0) this.dropout = new nn.Dropout(r, 'dropout', dropRate, ctx.noise);
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', outC);
    this.conv2 = new nn.Conv2d(r, 'conv2', outC, outC, 3, { ...conv, padding: 1 });
    if (inC !== outC) this.shortcut = new nn.Conv2d(r.child('shortcut'), 'conv', inC, outC, 1, { ...conv, stride });
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const pre = this.bn1.applyRelu(x, training);
    let y = this.conv1.apply(pre);
    if (this.dropout) y = this.dropout.apply(y, training);
    y = this.conv2.apply(this.bn2.applyRelu(y, training));
    return this.nn.add(y, this.shortcut ? this.shortcut.apply(pre) : x);
  }
}

/** Builds the CIFAR-type WRN. */
export function buildWrn(cfg: WrnConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const n = cifarBlocks(wrn, cfg.depth);
  const c = cfg.initial_channels;
  const k = cfg.widening_factor;
  const channels = [c * k, c * 2 * k, c * 4 * k];
  const root = nn.ParamRegistry.root(ctx);
  const conv = new nn.Conv2d(root, 'conv', ctx.inChannels, c, 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  let inC = c;
  const stages = channels.map((outC, s) => {
    const stage = root.child(`stage${s + 1}`);
    const blocks: WideBasicBlock[] = [];
    for (let b = 0; b < n[s]; b++) {
      const first = b === 0;
      blocks.push(new WideBasicBlock(stage.child(`block${b + 1}`), first ? inC : outC, outC, first && s > 0 ? 2 : 1, cfg.drop_rate, ctx));
    }
    inC = outC;
    return blocks;
  });
  const bn = new nn.BatchNorm2d(root, 'bn', channels[2]);
  const fc = new nn.Linear(root, 'fc', channels[2], ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(wrn.name, root, (x, training) => {
    let h = conv.apply(x);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    h = bn.applyRelu(h, training);
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

const wrn = defineFamily({ name: 'wrn', types: ['cifar'], depth: { layers: 2, extra: 4 }, section: SECTION, build: { cifar: buildWrn } });
export default wrn;
