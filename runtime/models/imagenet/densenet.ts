/**
 * DenseNet (Huang et al., arXiv 1608.06993), ImageNet type, exactly as the original framework builds it
 * (`models/imagenet/densenet.py`): the 7×7/2 stem conv-BN-ReLU + max-pool 3/2 with 2k channels
 * (see {@link ImagenetStem}), 4 dense stages of `n_blocks[i]` layers (no depth rule: the list gives the
 * layers; basic or bottleneck as the CIFAR type), a transition BN-ReLU-conv1×1(int(c·rate))-avg-pool
 * after stages 1-3, then a final BN **without** ReLU (`bn_last`, as the original), global average
 * pooling, Linear. Any `dataset.image_size` works.
 * Parameters (224×224, 1000 classes): DenseNet-121 ([6, 12, 24, 16] bottleneck, k 32, rate 0.5)
 * 7,978,856.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imagenetBlocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { buildDenseStages, type DenseNetConfig } from '../cifar/densenet';
import { BatchNorm2d, Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { ImagenetStem } from './stem';
import { assembleModel } from '../assemble';

/** Builds the ImageNet-type DenseNet. */
export function buildImagenetDenseNet(cfg: DenseNetConfig, ctx: BuildContext, name = 'densenet'): Model {
  const n = imagenetBlocksPerStage('densenet', cfg.n_blocks);
  const root = ParamRegistry.root(ctx);
  const stemC = 2 * cfg.growth_rate;
  const stem = new ImagenetStem(root, ctx.inChannels, stemC, ctx);
  const { stages, outChannels } = buildDenseStages(root, cfg, stemC, n, { rate: cfg.drop_rate }, ctx);
  const bnLast = new BatchNorm2d(root, 'bn_last', outChannels);
  const fc = new Linear(root, 'fc', outChannels, ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = stem.apply(x, training);
    for (const modules of stages) for (const m of modules) h = tf.tidy(() => m.apply(h, training));
    h = bnLast.apply(h, training); // no ReLU here, as the original
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
