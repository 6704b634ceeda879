/**
 * VGG (Simonyan & Zisserman, arXiv 1409.1556), ImageNet type, exactly as the original framework builds
 * it (`models/imagenet/vgg.py`): the 5 stages of the CIFAR type (n × [conv3×3(bias) → BN? → ReLU],
 * max-pool 2×2/2; no 7×7 stem), flatten in (C, H, W) order, then fc1 (4096) → ReLU → dropout 0.5 →
 * fc2 (4096) → ReLU → dropout 0.5 → fc3 (classes). The input size is `dataset.image_size` (at least 32).
 * Parameters: VGG16-BN ([2, 2, 3, 3, 3] layers, 224×224, 1000 classes) 138,365,992.
 * Init as the CIFAR type (conv biases keep PyTorch's default uniform init).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BuildContext } from '../build_context';
import { buildVggStages, flattenChw, vggFeatureMapSize, type VggConfig } from '../cifar/vgg';
import { Dropout, Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';
import { assembleModel } from '../assemble';

/** Width of the two hidden fully connected layers. */
export const VGG_HIDDEN = 4096;
/** Dropout after fc1 and fc2 (`F.dropout`'s default p). */
const DROP_RATE = 0.5;

/**
 * Builds the ImageNet-type VGG.
 * @param hidden width of fc1 and fc2: 4096 as the original; smaller only for quick tests
 * @throws Error when the input is too small for 5 halvings.
 */
export function buildImagenetVgg(cfg: VggConfig, ctx: BuildContext, name = 'vgg', hidden = VGG_HIDDEN): Model {
  const side = vggFeatureMapSize(ctx.imageSize, 'imagenet');
  const root = ParamRegistry.root(ctx);
  const stages = buildVggStages(root, cfg, ctx);
  const fc1 = new Linear(root, 'fc1', cfg.n_channels[4] * side * side, hidden, ctx.initMode, ctx.rng);
  const drop1 = new Dropout(root, 'dropout1', DROP_RATE, ctx.noise);
  const fc2 = new Linear(root, 'fc2', hidden, hidden, ctx.initMode, ctx.rng);
  const drop2 = new Dropout(root, 'dropout2', DROP_RATE, ctx.noise);
  const fc3 = new Linear(root, 'fc3', hidden, ctx.nClasses, ctx.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = x;
    for (const stage of stages) h = tf.tidy(() => stage.apply(h, training));
    let f = flattenChw(h);
    f = drop1.apply(tf.relu(fc1.apply(f)), training);
    f = drop2.apply(tf.relu(fc2.apply(f)), training);
    return fc3.apply(f);
  });
}
