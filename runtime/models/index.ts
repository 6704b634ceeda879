/**
 * The model zoo's one door: `createModel(config)` builds the network named by `model.type` and
 * `model.name` from its config section, with the dataset's input shape and class count, its
 * weights initialised by `model.init_mode` from a PRNG seeded with `train.seed`.
 */
import { registerFamily, type Config, type ConfigOf, type FAMILIES, type FamilyDeclaration, type FamilyName, type FamilyTypes, type ModelType } from '../config';
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

/** Builds one family's network of one model type from its section `model.<name>`. */
export type Builder<S> = (section: S, ctx: BuildContext) => Model;
/** The section `model.<name>` of a built-in family. */
type SectionOf<F extends FamilyName> = ConfigOf<(typeof FAMILIES)[F]['section']>;
/** One builder for each model type a family declares in `config/families.ts`. */
export type FamilyBuilders<F extends FamilyName> = { readonly [T in FamilyTypes<F>]: Builder<SectionOf<F>> };

/** The builders of every built-in family: a family or type without one does not compile. */
const BUILDERS: { readonly [F in FamilyName]: FamilyBuilders<F> } = {
  vgg: { cifar: buildVgg, imagenet: buildImagenetVgg },
  resnet: { cifar: buildResNet, imagenet: buildImagenetResNet },
  resnet_preact: { cifar: buildResNetPreact, imagenet: buildImagenetResNetPreact },
  wrn: { cifar: buildWrn },
  densenet: { cifar: buildDenseNet, imagenet: buildImagenetDenseNet },
  pyramidnet: { cifar: buildPyramidNet, imagenet: buildImagenetPyramidNet },
  resnext: { cifar: buildResNeXt, imagenet: buildImagenetResNeXt },
  shake_shake: { cifar: buildShakeShake },
  se_resnet_preact: { cifar: buildSEResNetPreact },
};

type AnyBuilders = Readonly<Partial<Record<string, Builder<never>>>>;
const builders = new Map<string, AnyBuilders>(Object.entries(BUILDERS));

/**
 * Adds a model family at run time (tests, experiments): declares it to the config (`model.name`
 * value, section `model.<name>`, depth rule; see `registerFamily`) and adds its builders.
 * @param build one builder per type in `declaration.types`, called with the section `model.<name>`
 * @returns a function that removes the family again
 * @throws Error when the name is taken or a declared type has no builder
 */
export function registerModelFamily<S>(name: string, declaration: FamilyDeclaration, build: Partial<Record<ModelType, Builder<S>>>): () => void {
  const missing = declaration.types.filter((t) => build[t] === undefined);
  if (missing.length) throw new Error(`model family '${name}' has no builder for model.type ${missing.join(', ')}`);
  const unregister = registerFamily(name, declaration);
  builders.set(name, build as AnyBuilders);
  return () => {
    builders.delete(name);
    unregister();
  };
}

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
  const { type, name } = cfg.model;
  const build = builders.get(name)?.[type] as Builder<unknown> | undefined;
  if (!build) {
    const have = [...builders].filter(([, b]) => b[type] !== undefined).map(([n]) => n);
    throw new ConfigError(`model.name ${name} is not available for model.type ${type} (available: ${have.join(', ') || 'none'})`);
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
  const model = build((cfg.model as unknown as Record<string, unknown>)[name], ctx);
  model.setStep = (step: number) => ctx.noise.setStep(step);
  return model;
}

/** Number of trainable parameters. */
export function countParams(model: Model): number {
  return model.params.reduce((sum, p) => sum + p.variable.size, 0);
}
