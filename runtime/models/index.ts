/**
 * The model zoo's one door: `createModel(config)` builds the network named by `model.type` and
 * `model.name` from its config section, with the dataset's input shape and class count, its
 * weights initialised by `model.init_mode` from a PRNG seeded with `train.seed`.
 */
import type { Config } from '../config';
import { ConfigError } from '../config/errors';
import { Rng } from '../data/rng';
import type { BuildContext } from './build_context';
import { buildResNetPreact } from './cifar/resnet_preact';
import { buildResNeXt } from './cifar/resnext';
import { buildShakeShake } from './cifar/shake_shake';
import { buildImagenetResNeXt } from './imagenet/resnext';
import { buildVgg } from './cifar/vgg';
import { buildResNet } from './cifar/resnet';
import { buildSEResNetPreact } from './cifar/se_resnet_preact';
import { buildWrn } from './cifar/wrn';
import { buildDenseNet } from './cifar/densenet';
import { buildPyramidNet } from './cifar/pyramidnet';
import { buildImagenetVgg } from './imagenet/vgg';
import { buildImagenetResNet } from './imagenet/resnet';
import { buildImagenetResNetPreact } from './imagenet/resnet_preact';
import { buildImagenetDenseNet } from './imagenet/densenet';
import { buildImagenetPyramidNet } from './imagenet/pyramidnet';
import type { InitMode } from './layers/init';
import { StepNoise } from './layers/noise';
import type { Model } from './types';

type Builder = (cfg: Config, ctx: BuildContext) => Model;

const CIFAR_MODELS: Record<string, Builder> = {
  resnet_preact: (cfg, ctx) => buildResNetPreact(cfg.model.resnet_preact, ctx),
  resnext: (cfg, ctx) => buildResNeXt(cfg.model.resnext, ctx),
  shake_shake: (cfg, ctx) => buildShakeShake(cfg.model.shake_shake, ctx),
  vgg: (cfg, ctx) => buildVgg(cfg.model.vgg, ctx),
  resnet: (cfg, ctx) => buildResNet(cfg.model.resnet, ctx),
  se_resnet_preact: (cfg, ctx) => buildSEResNetPreact(cfg.model.se_resnet_preact, ctx),
  wrn: (cfg, ctx) => buildWrn(cfg.model.wrn, ctx),
  densenet: (cfg, ctx) => buildDenseNet(cfg.model.densenet, ctx),
  pyramidnet: (cfg, ctx) => buildPyramidNet(cfg.model.pyramidnet, ctx),
};

const IMAGENET_MODELS: Record<string, Builder> = {
  vgg: (cfg, ctx) => buildImagenetVgg(cfg.model.vgg, ctx),
  resnext: (cfg, ctx) => buildImagenetResNeXt(cfg.model.resnext, ctx),
  resnet: (cfg, ctx) => buildImagenetResNet(cfg.model.resnet, ctx),
  resnet_preact: (cfg, ctx) => buildImagenetResNetPreact(cfg.model.resnet_preact, ctx),
  densenet: (cfg, ctx) => buildImagenetDenseNet(cfg.model.densenet, ctx),
  pyramidnet: (cfg, ctx) => buildImagenetPyramidNet(cfg.model.pyramidnet, ctx),
};


/** PRNG stream key for weight initialisation (independent of the data streams). */
const INIT_STREAM = 0x1e17;

/**
 * Builds the configured model.
 * @param options what the config does not say: the synchronised batch norm reducer (`train.dist.use_sync_bn` in a
 *   data-parallel run) that every training-mode BN layer then takes its statistics with
 * @throws ConfigError naming `model.type`/`model.name` when that combination is not built (yet), or when the model
 *   cannot be built for the data (e.g. VGG on 28×28).
 */
export function createModel(cfg: Config, options: Pick<BuildContext, 'syncBatchNorm'> = {}): Model {
  const table = cfg.model.type === 'imagenet' ? IMAGENET_MODELS : CIFAR_MODELS;
  const build = table[cfg.model.name];
  if (!build) {
    const have = Object.keys(table).join(', ') || 'none yet';
    throw new ConfigError(`model.name ${cfg.model.name} is not available for model.type ${cfg.model.type} (available: ${have})`);
  }
  const ctx: BuildContext = {
    inChannels: cfg.dataset.n_channels,
    imageSize: cfg.dataset.image_size,
    nClasses: cfg.dataset.n_classes,
    initMode: cfg.model.init_mode as InitMode,
    rng: Rng.fromKey(cfg.train.seed, INIT_STREAM),
    noise: new StepNoise(cfg.train.seed),
    syncBatchNorm: options.syncBatchNorm,
  };
  const model = build(cfg, ctx);
  model.setStep = (step: number) => ctx.noise.setStep(step);
  return model;
}

/** Number of trainable parameters. */
export function countParams(model: Model): number {
  return model.params.reduce((sum, p) => sum + p.variable.size, 0);
}
