/**
 * ResNet (He et al., arXiv 1512.03385), ImageNet type, exactly as the original framework builds it
 * (`models/imagenet/resnet.py`): the 7×7/2 stem with max-pool (see {@link ImagenetStem}), 4 stages at
 * strides 1, 2, 2, 2 with `n_blocks[i]` blocks (no depth rule: the list gives the blocks), stage outputs
 * [c, 2c·e, 4c·e, 8c·e] (c = `initial_channels`, e = 1 basic / 4 bottleneck; stage 1 keeps c even for
 * bottlenecks, unlike torchvision's ResNet-50), the CIFAR type's blocks and projection shortcuts, global
 * average pooling, Linear. Any `dataset.image_size` works.
 * Parameters (224×224, 1000 classes): ResNet-18 ([2, 2, 2, 2] basic) 11,689,512; ResNet-34
 * ([3, 4, 6, 3] basic) 21,797,672.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imagenetBlocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { buildResNetStages, resNetBlock, type ResNetConfig } from '../cifar/resnet';
import { Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { ImagenetStem } from './stem';
import { assembleModel } from '../assemble';

/** Builds the ImageNet-type ResNet. */
export function buildImagenetResNet(cfg: ResNetConfig, ctx: BuildContext, name = 'resnet'): Model {
  const Block = resNetBlock(cfg.block_type);
  const n = imagenetBlocksPerStage('resnet', cfg.n_blocks);
  const c = cfg.initial_channels;
  const e = Block.expansion;
  const channels = [c, c * 2 * e, c * 4 * e, c * 8 * e];
  const root = ParamRegistry.root(ctx);
  const stem = new ImagenetStem(root, ctx.inChannels, c, ctx);
  const stages = buildResNetStages(root, Block, c, channels, n, [1, 2, 2, 2], ctx);
  const fc = new Linear(root, 'fc', channels[3], ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const blocks of stages) for (const block of blocks) h = tf.tidy(() => block.apply(h, training));
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
