/**
 * The model zoo's one door: `createModel(config)` builds the network named by `model.type` and
 * `model.name` from its config section, with the dataset's input shape and class count, its
 * weights initialised by `model.init_mode` from a PRNG seeded with `train.seed`. The builders are
 * those of the family table (`config/families.ts`, one module per family under `families/`); they
 * get TensorFlow.js and the layers as `ctx.nn` (`nn.ts`).
 */
import { familyNames, findFamily, registerFamily, type Config, type ModelType } from '../config';
import { ConfigError } from '../config/errors';
import { Rng } from '../data/rng';
import type { BuildContext } from './build_context';
import type { Builder, NamedFamily } from './families/define';
import type { InitMode } from './layers/init';
import { StepNoise } from './layers/noise';
import * as nn from './nn';
import type { Model } from './types';

/**
 * Adds a model family at run time (tests, experiments): a family module's declaration, as the
 * built-in ones in `families/` (see `defineFamily`). Declares it to the config (`model.name` value,
 * section `model.<name>`, depth rule; see `registerFamily`), and `createModel` builds it.
 * @returns a function that removes the family again
 * @throws Error when the name is taken or a declared type has no builder
 */
export function registerModelFamily(family: NamedFamily): () => void {
  const missing = family.types.filter((t) => family.build?.[t] === undefined);
  if (missing.length) throw new Error(`model family '${family.name}' has no builder for model.type ${missing.join(', ')}`);
  return registerFamily(family.name, family);
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
  const builderOf = (family: string): Builder<unknown> | undefined => findFamily(family)?.build?.[type as ModelType] as Builder<unknown> | undefined;
  const build = builderOf(name);
  if (!build) {
    const have = familyNames(type).filter((f) => builderOf(f) !== undefined);
    throw new ConfigError(`model.name ${name} is not available for model.type ${type} (available: ${have.join(', ') || 'none'})`);
  }
  const ctx: BuildContext = {
    inChannels: cfg.dataset.n_channels,
    imageSize: cfg.dataset.image_size,
    nClasses: cfg.dataset.n_classes,
    initMode: cfg.model.init_mode as InitMode,
    rng: Rng.fromKey(cfg.train.seed, INIT_STREAM),
    noise: new StepNoise(cfg.train.seed),
    nn,
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
