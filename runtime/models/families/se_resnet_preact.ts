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
import type * as tf from '@tensorflow/tfjs-core';
import { bools, int, section, str, type ConfigOf } from '../../config/spec';
import { buildPreactStages, preactBlock, preactStagesOptions } from '../blocks/preact';
import type { BuildContext } from '../build_context';
import type { Model } from '../types';
import { BLOCK_TYPES, POSITIVE, RESIDUAL_DEPTH, cifarBlocks, defineFamily } from './define';
import { PREACT_FLAG_KEYS } from './resnet_preact';

const SECTION = section('Pre-activation ResNet with squeeze-and-excitation blocks (cifar only)', {
  depth: int(110, 'Depth of the cifar model (basic: 6n+2, bottleneck: 9n+2)', POSITIVE),
  initial_channels: int(16, 'Channels of the first stage', POSITIVE),
  se_reduction: int(16, 'Squeeze-and-excitation channel reduction ratio r', POSITIVE),
  block_type: str('basic', 'Residual block: basic or bottleneck', { allowed: BLOCK_TYPES }),
  ...PREACT_FLAG_KEYS,
  preact_stage: bools([true, true, true], 'Per stage: the first block shortcut also takes the pre-activated input (3 entries)', { lengths: [3] }),
}, '1709.01507');

/** The `model.se_resnet_preact` config section. */
export type SEResNetPreactConfig = ConfigOf<typeof SECTION>;

/** Builds the CIFAR-type SE-ResNet-preact (always fan_out init, as the original). */
export function buildSEResNetPreact(cfg: SEResNetPreactConfig, ctx: BuildContext): Model {
  const { nn } = ctx;
  const Block = preactBlock('se_resnet_preact', cfg.block_type);
  const n = cifarBlocks(seResNetPreact, cfg.depth, cfg.block_type);
  if (cfg.preact_stage.length !== 3) throw new Error(`se_resnet_preact: preact_stage needs 3 entries, got ${cfg.preact_stage.length}`);
  const fanOut: BuildContext = { ...ctx, initMode: 'kaiming_fan_out' };
  const c = cfg.initial_channels;
  const channels = [c, c * 2 * Block.expansion, c * 4 * Block.expansion];
  const root = nn.ParamRegistry.root(ctx);
  const conv = new nn.Conv2d(root, 'conv', ctx.inChannels, c, 3, { initMode: fanOut.initMode, rng: ctx.rng, padding: 1 });
  const stages = buildPreactStages(root, Block, c, channels, n, [1, 2, 2], preactStagesOptions(cfg, cfg.se_reduction), fanOut);
  const bn = new nn.BatchNorm2d(root, 'bn', channels[2]);
  const fc = new nn.Linear(root, 'fc', channels[2], ctx.nClasses, fanOut.initMode, ctx.rng);
  return nn.assembleModel(seResNetPreact.name, root, (x, training) => {
    let h = conv.apply(x);
    for (const blocks of stages) for (const block of blocks) h = nn.tidy(() => block.apply(h, training));
    h = bn.applyRelu(h, training);
    return fc.apply(nn.mean(h, [1, 2]) as tf.Tensor2D);
  });
}

const seResNetPreact = defineFamily({ name: 'se_resnet_preact', types: ['cifar'], depth: RESIDUAL_DEPTH, section: SECTION, build: { cifar: buildSEResNetPreact } });
export default seResNetPreact;
