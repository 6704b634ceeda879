/**
 * ResNet with pre-activation blocks (He et al., "Identity Mappings in Deep Residual Networks",
 * arXiv 1603.05027), ImageNet type, exactly as the original framework builds it
 * (`models/imagenet/resnet_preact.py`): the 7×7/2 stem conv-BN-ReLU + max-pool 3/2
 * (see {@link ImagenetStem}), 4 stages at strides 1, 2, 2, 2 with `n_blocks[i]` pre-activation blocks
 * (no depth rule: the list gives the blocks; basic, or bottleneck with expansion 4 and stage 1 keeping
 * c), stage outputs [c, 2c·e, 4c·e, 8c·e], `preact_stage` with 4 entries, `remove_first_relu`,
 * `add_last_bn` and the conv1×1 shortcut as the CIFAR type, then BN-ReLU (`bn_last`), global average
 * pooling, Linear. Any `dataset.image_size` works.
 * Parameters (224×224, 1000 classes): ResNet-preact-18 ([2, 2, 2, 2] basic, c 64) 11,687,848.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imagenetBlocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { buildPreactStages, preactBlock } from '../blocks/preact';
import { BatchNorm2d, Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { ImagenetStem } from './stem';
import { assembleModel } from '../assemble';

/** The `model.resnet_preact` config section as the imagenet type reads it. */
export interface ImagenetResNetPreactConfig {
  n_blocks: number[];
  block_type: string;
  initial_channels: number;
  remove_first_relu: boolean;
  add_last_bn: boolean;
  preact_stage: boolean[];
}

/**
 * Builds the ImageNet-type ResNet-preact.
 * @throws ConfigError when n_blocks has not 4 entries, Error when preact_stage has not (the original fails with an IndexError).
 */
export function buildImagenetResNetPreact(cfg: ImagenetResNetPreactConfig, ctx: BuildContext, name = 'resnet_preact'): Model {
  const Block = preactBlock('resnet_preact', cfg.block_type);
  const n = imagenetBlocksPerStage('resnet_preact', cfg.n_blocks);
  if (cfg.preact_stage.length !== 4) {
    throw new Error(`resnet_preact: preact_stage needs 4 entries (one per stage) for the imagenet type, got ${cfg.preact_stage.length}`);
  }
  const c = cfg.initial_channels;
  const e = Block.expansion;
  const channels = [c, c * 2 * e, c * 4 * e, c * 8 * e];
  const root = ParamRegistry.root(ctx);
  const stem = new ImagenetStem(root, ctx.inChannels, c, ctx);
  const stages = buildPreactStages(root, Block, c, channels, n, [1, 2, 2, 2], {
    removeFirstRelu: cfg.remove_first_relu,
    addLastBn: cfg.add_last_bn,
    preactStage: cfg.preact_stage,
  }, ctx);
  const bnLast = new BatchNorm2d(root, 'bn_last', channels[3]);
  const fc = new Linear(root, 'fc', channels[3], ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const blocks of stages) for (const block of blocks) h = tf.tidy(() => block.apply(h, training));
    h = bnLast.applyRelu(h, training);
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
