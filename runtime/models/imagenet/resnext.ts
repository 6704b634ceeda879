/**
 * ResNeXt (Xie et al., arXiv 1611.05431), ImageNet type, exactly as the original framework builds it
 * (`models/imagenet/resnext.py`): the 7×7/2 stem with max-pool (see {@link ImagenetStem}), 4 stages at strides
 * 1, 2, 2, 2 with `n_blocks[i]` bottleneck blocks (no depth rule: the list gives the blocks; ResNeXt-50 is
 * [3, 4, 6, 3], 3·16 + 2 = 50 layers), stage outputs [4c, 8c, 16c, 32c] (c = `initial_channels`), bottleneck width
 * at stage s (0-based) = cardinality × base_channels × 2^s, the CIFAR type's block (grouped 3×3 conv with
 * groups = cardinality, projection shortcut conv1×1+BN), global average pooling, Linear. Any `dataset.image_size`.
 * Parameters (1000 classes): ResNeXt-50 32×4d ([3, 4, 6, 3], c = 64) 25,028,904, as torchvision's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imagenetBlocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { buildResNeXtStages, ResNeXtBlock, type ResNeXtConfig } from '../cifar/resnext';
import { Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { ImagenetStem } from './stem';
import { assembleModel } from '../assemble';

/**
 * Builds the ImageNet-type ResNeXt.
 * @throws ConfigError when n_blocks has not 4 entries
 */
export function buildImagenetResNeXt(cfg: ResNeXtConfig, ctx: BuildContext, name = 'resnext'): Model {
  const n = imagenetBlocksPerStage('resnext', cfg.n_blocks);
  const c = cfg.initial_channels;
  const e = ResNeXtBlock.expansion;
  const channels = [c, c * e, c * 2 * e, c * 4 * e, c * 8 * e];
  const root = ParamRegistry.root(ctx);
  const stem = new ImagenetStem(root, ctx.inChannels, c, ctx);
  const stages = buildResNeXtStages(root, channels, n, [1, 2, 2, 2], cfg, ctx);
  const fc = new Linear(root, 'fc', channels[4], ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const blocks of stages) for (const block of blocks) h = tf.tidy(() => block.apply(h, training));
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
