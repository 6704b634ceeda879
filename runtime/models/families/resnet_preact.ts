/**
 * ResNet with pre-activation blocks (He et al., "Identity Mappings in Deep Residual Networks",
 * arXiv 1603.05027), exactly as the original framework builds it.
 *
 * CIFAR type (`models/cifar/resnet_preact.py`): 3×3 stem, 3 stages at strides 1, 2, 2:
 * - basic block BN-ReLU-conv3×3-BN-ReLU-conv3×3, depth = 6n+2; bottleneck block
 *   BN-ReLU-conv1×1-BN-ReLU-conv3×3-BN-ReLU-conv1×1 (expansion 4), depth = 9n+2;
 * - stage outputs [c, 2c·e, 4c·e] (c = initial_channels, e = expansion): stage 1 keeps c even for
 *   bottlenecks, so ResNet-preact-164 has 1,619,290 parameters, not the paper's 1.7M;
 * - the first block of stage i with `preact_stage[i]` feeds the pre-activated x to both the branch
 *   and the shortcut; other blocks pre-activate the branch only (`remove_first_relu` drops that ReLU);
 * - `add_last_bn` appends a BN to the branch; projection shortcut conv1×1 (stride) without BN;
 * - final BN-ReLU, global average pooling, Linear.
 * Parameters: depth 20 on CIFAR-10 272,282 (on 28×28×1 271,994); depth 110 1,730,522.
 *
 * ImageNet type (`models/imagenet/resnet_preact.py`): the 7×7/2 stem conv-BN-ReLU + max-pool 3/2
 * (see {@link ImagenetStem}), 4 stages at strides 1, 2, 2, 2 with `n_blocks[i]` pre-activation blocks
 * (no depth rule: the list gives the blocks), stage outputs [c, 2c·e, 4c·e, 8c·e], `preact_stage` with
 * 4 entries, then BN-ReLU (`bn_last`), global average pooling, Linear. Any `dataset.image_size` works.
 * Parameters (224×224, 1000 classes): ResNet-preact-18 ([2, 2, 2, 2] basic, c 64) 11,687,848.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { bool, bools, section, type ConfigOf } from '../../config/spec';
import { buildPreactStages, preactBlock, preactStagesOptions } from '../blocks/preact';
import { ImagenetStem } from '../blocks/stem';
import type { BuildContext } from '../build_context';
import type { Model } from '../types';
import { RESIDUAL_DEPTH, cifarBlocks, defineFamily, imagenetBlocks } from './define';
import { resnetKeys } from './resnet';

/** The block flags ResNet-preact and SE-ResNet-preact share. */
export const PREACT_FLAG_KEYS = {
  remove_first_relu: bool(false, 'Drop the ReLU after the first BN of non-preactivated blocks'),
  add_last_bn: bool(false, 'Add a BN after the last conv of the residual branch'),
};

const SECTION = section('Pre-activation ResNet', {
  ...resnetKeys('Residual block: basic or bottleneck'),
  ...PREACT_FLAG_KEYS,
  preact_stage: bools([true, true, true], 'Per stage: the first block shortcut also takes the pre-activated input (cifar 3 entries, imagenet 4)', { lengths: [3, 4] }),
}, '1603.05027');

/** The `model.resnet_preact` config section (the cifar type reads depth, the imagenet type n_blocks). */
export type ResNetPreactConfig = ConfigOf<typeof SECTION>;

/**
 * Builds the CIFAR-type ResNet-preact.
 * @throws ConfigError when depth does not fit the block type; Error when preact_stage has not 3 entries
 *   (the config module reports these earlier with the key's name).
 */
export function buildResNetPreact(cfg: ResNetPreactConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const Block = preactBlock('resnet_preact', cfg.block_type);
  const n = cifarBlocks(resnetPreact, cfg.depth, cfg.block_type);
  if (cfg.preact_stage.length !== 3) {
    throw new Error(`resnet_preact: preact_stage needs 3 entries for the cifar type, got ${cfg.preact_stage.length}`);
  }
  const c = cfg.initial_channels;
  const channels = [c, c * 2 * Block.expansion, c * 4 * Block.expansion];
  const root = nn.ParamRegistry.root(ctx);
  const stem = new nn.Conv2d(root, 'conv', ctx.inChannels, channels[0], 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const stages = buildPreactStages(root, Block, c, channels, n, [1, 2, 2], preactStagesOptions(cfg), ctx);
  const bn = new nn.BatchNorm2d(root, 'bn', channels[2]);
  const fc = new nn.Linear(root, 'fc', channels[2], ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(resnetPreact.name, root, (x, training) => {
    let h = stem.apply(x);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    h = bn.applyRelu(h, training);
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

/**
 * Builds the ImageNet-type ResNet-preact.
 * @throws ConfigError when n_blocks has not 4 entries, Error when preact_stage has not (the original fails with an IndexError).
 */
export function buildImagenetResNetPreact(cfg: ResNetPreactConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const Block = preactBlock('resnet_preact', cfg.block_type);
  const n = imagenetBlocks(resnetPreact, cfg.n_blocks);
  if (cfg.preact_stage.length !== 4) {
    throw new Error(`resnet_preact: preact_stage needs 4 entries (one per stage) for the imagenet type, got ${cfg.preact_stage.length}`);
  }
  const c = cfg.initial_channels;
  const e = Block.expansion;
  const channels = [c, c * 2 * e, c * 4 * e, c * 8 * e];
  const root = nn.ParamRegistry.root(ctx);
  const stem = new ImagenetStem(root, ctx.inChannels, c, ctx);
  const stages = buildPreactStages(root, Block, c, channels, n, [1, 2, 2, 2], preactStagesOptions(cfg), ctx);
  const bnLast = new nn.BatchNorm2d(root, 'bn_last', channels[3]);
  const fc = new nn.Linear(root, 'fc', channels[3], ctx.nClasses, ctx.initMode, ctx.rng);
  return nn.assembleModel(resnetPreact.name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    h = bnLast.applyRelu(h, training);
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

const resnetPreact = defineFamily({
  name: 'resnet_preact',
  types: ['cifar', 'imagenet'],
  depth: RESIDUAL_DEPTH,
  section: SECTION,
  build: { cifar: buildResNetPreact, imagenet: buildImagenetResNetPreact },
});
export default resnetPreact;
