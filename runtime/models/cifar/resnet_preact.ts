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
import { assembleModel } from '../assemble';
import { buildPreactStages, preactBlock } from '../blocks/preact';
import { blocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { BatchNorm2d, Conv2d, Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';

/** The `model.resnet_preact` config section (cifar type). */
export interface ResNetPreactConfig {
  depth: number;
  block_type: string;
  initial_channels: number;
  remove_first_relu: boolean;
  add_last_bn: boolean;
  preact_stage: boolean[];
}

/**
 * Builds the CIFAR-type ResNet-preact.
 * @throws ConfigError when depth does not fit the block type; Error when preact_stage has not 3 entries
 *   (the config module reports these earlier with the key's name).
 */
export function buildResNetPreact(cfg: ResNetPreactConfig, ctx: BuildContext, name = 'resnet_preact'): Model {
  const Block = preactBlock('resnet_preact', cfg.block_type);
  const n = blocksPerStage('resnet_preact', cfg.depth, cfg.block_type);
  if (cfg.preact_stage.length !== 3) {
    throw new Error(`resnet_preact: preact_stage needs 3 entries for the cifar type, got ${cfg.preact_stage.length}`);
  }
  const c = cfg.initial_channels;
  const channels = [c, c * 2 * Block.expansion, c * 4 * Block.expansion];
  const root = ParamRegistry.root(ctx);
  const stem = new Conv2d(root, 'conv', ctx.inChannels, channels[0], 3, { initMode: ctx.initMode, rng: ctx.rng, padding: 1 });
  const stages = buildPreactStages(root, Block, c, channels, n, [1, 2, 2], {
    removeFirstRelu: cfg.remove_first_relu,
    addLastBn: cfg.add_last_bn,
    preactStage: cfg.preact_stage,
  }, ctx);
  const bn = new BatchNorm2d(root, 'bn', channels[2]);
  const fc = new Linear(root, 'fc', channels[2], ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = stem.apply(x);
    for (const blocks of stages) for (const block of blocks) h = tf.tidy(() => block.apply(h, training));
    h = bn.applyRelu(h, training);
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
