/**
 * ResNeXt (Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", arXiv 1611.05431), CIFAR
 * type, exactly as the original framework builds it (`models/cifar/resnext.py`):
 * - depth = 9n+2: 3 stages of n bottleneck blocks (3 convs each) at strides 1, 2, 2; ResNeXt-29 has n = 3;
 * - stem conv3×3(`initial_channels`, 64 in the YAML)-BN-ReLU; stage outputs [4c, 8c, 16c] = 256/512/1024 for c = 64;
 * - bottleneck width at stage s (0-based) = cardinality × base_channels × 2^s, e.g. 8×64d: 512, 1024, 2048;
 * - block conv1×1-BN-ReLU-grouped conv3×3 (groups = cardinality, stride here)-BN-ReLU-conv1×1-BN, plus the
 *   shortcut (identity, or conv1×1(stride)+BN when in ≠ out), then ReLU; global average pooling, Linear.
 * `base_channels` is 4 in the defaults tree (the original's defaults.py: 1,717,578 parameters) but 64 in
 * `configs/cifar/resnext.yaml`. Parameters on CIFAR-10 (depth 29, c = 64, base 64): cardinality 4 17,562,442;
 * 8 34,426,698; 16 68,155,210 (the paper's "68.1M"; CIFAR-100: 68,247,460; 28×28×1: 68,154,058).
 *
 * ImageNet type (`models/imagenet/resnext.py`): the 7×7/2 stem with max-pool (see {@link ImagenetStem}), 4 stages
 * at strides 1, 2, 2, 2 with `n_blocks[i]` bottleneck blocks (no depth rule: the list gives the blocks; ResNeXt-50
 * is [3, 4, 6, 3], 3·16 + 2 = 50 layers), stage outputs [4c, 8c, 16c, 32c], the CIFAR type's block, global average
 * pooling, Linear. Any `dataset.image_size`. Parameters (1000 classes): ResNeXt-50 32×4d ([3, 4, 6, 3], c = 64)
 * 25,028,904, as torchvision's.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { int, ints, section, type ConfigOf } from '../../config/spec';
import { ImagenetStem } from '../blocks/stem';
import type { BuildContext, Nn } from '../build_context';
import type { BatchNorm2d, Conv2d, GroupedConv2d, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { IMAGENET_BLOCKS, POSITIVE, cifarBlocks, defineFamily, imagenetBlocks } from './define';

const SECTION = section('ResNeXt', {
  depth: int(29, 'Depth of the cifar model (9n+2)', POSITIVE),
  n_blocks: ints([3, 4, 6, 3], 'Blocks per stage of the imagenet model (4 stages)', IMAGENET_BLOCKS),
  initial_channels: int(64, 'Channels of the stem conv', POSITIVE),
  cardinality: int(8, 'Number of groups', POSITIVE),
  base_channels: int(4, 'Width of each group in the first stage (the cifar YAML uses 64)', POSITIVE),
}, '1611.05431');

/** The `model.resnext` config section (the cifar type reads depth, the imagenet type n_blocks). */
export type ResNeXtConfig = ConfigOf<typeof SECTION>;

/** The ResNeXt bottleneck block (same in the cifar and imagenet types). */
export class ResNeXtBlock {
  static readonly expansion = 4;
  private readonly nn: Nn;
  private readonly conv1: Conv2d;
  private readonly bn1: BatchNorm2d;
  private readonly conv2: GroupedConv2d;
  private readonly bn2: BatchNorm2d;
  private readonly conv3: Conv2d;
  private readonly bn3: BatchNorm2d;
  private readonly shortcut?: { conv: Conv2d; bn: BatchNorm2d };

  /**
   * @param stageIndex 0-based stage: the bottleneck width is cardinality × baseChannels × 2^stageIndex
   */
  constructor(r: ParamRegistry, inC: number, outC: number, stride: number, stageIndex: number, cardinality: number, baseChannels: number, ctx: BuildContext) {
    const nn = (this.nn = ctx.nn);
    const conv = { initMode: ctx.initMode, rng: ctx.rng };
    const width = cardinality * baseChannels * 2 ** stageIndex;
    this.conv1 = new nn.Conv2d(r, 'conv1', inC, width, 1, conv);
    this.bn1 = new nn.BatchNorm2d(r, 'bn1', width);
    this.conv2 = new nn.GroupedConv2d(r, 'conv2', width, width, 3, { ...conv, stride, padding: 1, groups: cardinality });
    this.bn2 = new nn.BatchNorm2d(r, 'bn2', width);
    this.conv3 = new nn.Conv2d(r, 'conv3', width, outC, 1, conv);
    this.bn3 = new nn.BatchNorm2d(r, 'bn3', outC);
    if (inC !== outC) {
      const s = r.child('shortcut');
      this.shortcut = { conv: new nn.Conv2d(s, 'conv', inC, outC, 1, { ...conv, stride }), bn: new nn.BatchNorm2d(s, 'bn', outC) };
    }
  }

  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    let y = this.bn1.applyRelu(this.conv1.apply(x), training);
    y = this.bn2.applyRelu(this.conv2.apply(y), training);
    const s = this.shortcut ? this.shortcut.bn.apply(this.shortcut.conv.apply(x), training) : x;
    return this.bn3.applyAddRelu(this.conv3.apply(y), s, training);
  }
}

/**
 * The stages `stage1…stageK` of a ResNeXt: stage s has `nBlocks[s]` blocks, the first one at `strides[s]` taking
 * `channels[s]` inputs, all giving `channels[s + 1]` outputs.
 * @param channels [stem output, stage 1 output, …] (K + 1 entries)
 */
export function buildResNeXtStages(
  root: ParamRegistry,
  channels: number[],
  nBlocks: number[],
  strides: number[],
  cfg: Pick<ResNeXtConfig, 'cardinality' | 'base_channels'>,
  ctx: BuildContext,
): ResNeXtBlock[][] {
  return nBlocks.map((n, s) => {
    const stage = root.child(`stage${s + 1}`);
    const blocks: ResNeXtBlock[] = [];
    for (let b = 0; b < n; b++) {
      const first = b === 0;
      blocks.push(
        new ResNeXtBlock(stage.child(`block${b + 1}`), first ? channels[s] : channels[s + 1], channels[s + 1], first ? strides[s] : 1, s, cfg.cardinality, cfg.base_channels, ctx),
      );
    }
    return blocks;
  });
}

/**
 * Builds the CIFAR-type ResNeXt.
 * @throws ConfigError when depth is not 9n+2 (n ≥ 1); Error when the bottleneck width does not divide by the cardinality
 */
export function buildResNeXt(cfg: ResNeXtConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const n = cifarBlocks(resnext, cfg.depth);
  const c = cfg.initial_channels;
  const e = ResNeXtBlock.expansion;
  const channels = [c, c * e, c * 2 * e, c * 4 * e];
  const root = nn.ParamRegistry.root(ctx);
  const conv = new nn.Conv2d(root, 'conv', ctx.inChannels, c, 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const bn = new nn.BatchNorm2d(root, 'bn', c);
  const stages = buildResNeXtStages(root, channels, n, [1, 2, 2], cfg, ctx);
  const fc = new nn.Linear(root, 'fc', channels[3], ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(resnext.name, root, (x, training) => {
    let h = bn.applyRelu(conv.apply(x), training);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

/**
 * Builds the ImageNet-type ResNeXt.
 * @throws ConfigError when n_blocks has not 4 entries
 */
export function buildImagenetResNeXt(cfg: ResNeXtConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const n = imagenetBlocks(resnext, cfg.n_blocks);
  const c = cfg.initial_channels;
  const e = ResNeXtBlock.expansion;
  const channels = [c, c * e, c * 2 * e, c * 4 * e, c * 8 * e];
  const root = nn.ParamRegistry.root(ctx);
  const stem = new ImagenetStem(root, ctx.inChannels, c, ctx);
  const stages = buildResNeXtStages(root, channels, n, [1, 2, 2, 2], cfg, ctx);
  const fc = new nn.Linear(root, 'fc', channels[4], ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(resnext.name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

const resnext = defineFamily({
  name: 'resnext',
  types: ['cifar', 'imagenet'],
  depth: { layers: 3, extra: 2 },
  section: SECTION,
  build: { cifar: buildResNeXt, imagenet: buildImagenetResNeXt },
});
export default resnext;
