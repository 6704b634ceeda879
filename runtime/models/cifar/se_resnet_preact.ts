/**
 * Pre-activation ResNet with squeeze-and-excitation (Hu et al., "Squeeze-and-Excitation Networks",
 * arXiv 1709.01507, on the blocks of arXiv 1603.05027), CIFAR type, exactly as the original framework
 * builds it (`models/cifar/se_resnet_preact.py`):
 * - the ResNet-preact network (3×3 stem conv only; stages at strides 1, 2, 2; final BN-ReLU, global
 *   average pooling, Linear); basic blocks, depth = 6n+2; bottleneck blocks (expansion 4, stage 1
 *   keeps c), depth = 9n+2; stage outputs [c, 2c·e, 4c·e];
 * - block: BN-ReLU-conv…(-BN if `add_last_bn`), then SE on the branch before the add: global average
 *   pooling → Linear(c, c // r) → ReLU → Linear(c // r, c) → sigmoid → channel scale (r = `se_reduction`);
 * - `preact_stage[i]`: the first block of stage i pre-activates x for both branch and shortcut; other
 *   blocks only the branch (`remove_first_relu` drops that ReLU); shortcut conv1×1(stride), no BN;
 * - init: always Kaiming normal fan_out (the original ignores `model.init_mode` here).
 * Parameters on CIFAR-10: the YAML (110 basic, remove_first_relu, add_last_bn, preact_stage
 * [T, F, F], r 16) 1,748,792; the defaults (no flags, [T, T, T]) 1,744,760.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blocksPerStage } from '../../config/families';
import type { BuildContext } from '../build_context';
import { assembleModel } from '../assemble';
import { buildPreactStages, preactBlock } from '../blocks/preact';
import { BatchNorm2d, Conv2d, Linear, ParamRegistry } from '../layers';
import type { Model } from '../types';

/** The `model.se_resnet_preact` config section. */
export interface SEResNetPreactConfig {
  depth: number;
  initial_channels: number;
  se_reduction: number;
  block_type: string;
  remove_first_relu: boolean;
  add_last_bn: boolean;
  preact_stage: boolean[];
}

/** Builds the CIFAR-type SE-ResNet-preact (always fan_out init, as the original). */
export function buildSEResNetPreact(cfg: SEResNetPreactConfig, ctx: BuildContext, name = 'se_resnet_preact'): Model {
  const Block = preactBlock('se_resnet_preact', cfg.block_type);
  const n = blocksPerStage('se_resnet_preact', cfg.depth, cfg.block_type);
  if (cfg.preact_stage.length !== 3) throw new Error(`se_resnet_preact: preact_stage needs 3 entries, got ${cfg.preact_stage.length}`);
  const fanOut: BuildContext = { ...ctx, initMode: 'kaiming_fan_out' };
  const c = cfg.initial_channels;
  const channels = [c, c * 2 * Block.expansion, c * 4 * Block.expansion];
  const root = ParamRegistry.root(ctx);
  const conv = new Conv2d(root, 'conv', ctx.inChannels, c, 3, { initMode: fanOut.initMode, rng: ctx.rng, padding: 1 });
  const stages = buildPreactStages(root, Block, c, channels, n, [1, 2, 2], {
    removeFirstRelu: cfg.remove_first_relu,
    addLastBn: cfg.add_last_bn,
    preactStage: cfg.preact_stage,
    seReduction: cfg.se_reduction,
  }, fanOut);
  const bn = new BatchNorm2d(root, 'bn', channels[2]);
  const fc = new Linear(root, 'fc', channels[2], ctx.nClasses, fanOut.initMode, ctx.rng);
  return assembleModel(name, root, (x, training) => {
    let h = conv.apply(x);
    for (const blocks of stages) for (const block of blocks) h = tf.tidy(() => block.apply(h, training));
    h = bn.applyRelu(h, training);
    return fc.apply(tf.mean(h, [1, 2]) as tf.Tensor2D);
  });
}
