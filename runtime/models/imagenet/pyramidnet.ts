/**
 * PyramidNet (Han et al., arXiv 1610.02915), ImageNet type, exactly as the original framework builds
 * it (`models/imagenet/pyramidnet.py`): the 7×7/2 stem conv-BN-ReLU + max-pool 3/2 (see
 * {@link ImagenetStem}), 4 stages at strides 1, 2, 2, 2 with `n_blocks[i]` blocks (no depth rule: the
 * list gives the blocks), widths growing by α/Σn per block from `initial_channels` (rounded half to
 * even, × 4 for bottlenecks), the CIFAR type's blocks and parameter-free shortcuts, final BN-ReLU
 * (`bn_last`), global average pooling, Linear. Image sizes whose maps are even at each strided stage
 * work (224, 64, 32, …).
 * Parameters (224×224, 1000 classes): PyramidNet-200 ([3, 24, 36, 3] bottleneck, c 64, α 300)
 * 62,368,168.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imagenetBlocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { buildPyramidStages, pyramidBlock, pyramidWidths, type PyramidNetConfig } from '../cifar/pyramidnet';
import { BatchNorm2d, Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { ImagenetStem } from './stem';
import { assembleModel } from '../assemble';

/** Builds the ImageNet-type PyramidNet. */
export function buildImagenetPyramidNet(cfg: PyramidNetConfig, ctx: BuildContext, name = 'pyramidnet'): Model {
  const Block = pyramidBlock(cfg.block_type);
  const n = imagenetBlocksPerStage('pyramidnet', cfg.n_blocks);
  const total = n.reduce((a, b) => a + b, 0);
  const widths = pyramidWidths(cfg.initial_channels, cfg.alpha, total, Block.expansion);
  const root = ParamRegistry.root(ctx);
  const stem = new ImagenetStem(root, ctx.inChannels, widths[0], ctx);
  const stages = buildPyramidStages(root, Block, widths, n, [1, 2, 2, 2], ImagenetStem.outputSize(ctx.imageSize), ctx);
  const last = widths[widths.length - 1];
  const bnLast = new BatchNorm2d(root, 'bn_last', last);
  const fc = new Linear(root, 'fc', last, ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const blocks of stages) for (const block of blocks) h = tf.tidy(() => block.apply(h, training));
    h = bnLast.applyRelu(h, training);
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
