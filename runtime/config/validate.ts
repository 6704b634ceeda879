/**
 * Checks of a merged config (allowed values, ranges, depths, schedules) and non-fatal warnings,
 * plus the dataset fields the original forces after merging (`update_config`).
 */
import { formatValue } from './dump';
import { ConfigError, type Origin } from './errors';
import { oneLineProblem } from './one_line';
import { builtinDataset } from '../data/dataset_info';
import { CIFAR_STAGES, IMAGENET_STAGES, depthProblem, familyNames, findFamily } from './families';
import { configLeaves, getPath, type Config } from './tree';

/**
 * Forces image_size, n_channels and n_classes of the built-in datasets (as the original's
 * `update_config`); ImageNet keeps the given values; dataset_dir is never forced.
 */
export function applyForcedDatasetFields(cfg: Config): void {
  const info = builtinDataset(cfg.dataset.name);
  if (info) Object.assign(cfg.dataset, { image_size: info.imageSize, n_channels: info.channels, n_classes: info.nClasses });
}

/** Cycle lengths of SGDR as the original builds them (T0, int(T0*T_mul), ...) until they reach `total`. */
export function sgdrCycles(T0: number, T_mul: number, total: number): number[] {
  const cycles = [T0];
  let sum = T0;
  while (sum < total) {
    const next = Math.floor(cycles[cycles.length - 1] * T_mul);
    if (next <= 0) break;
    cycles.push(next);
    sum += next;
  }
  return cycles;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const orList = (xs: Array<string | number>): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`);
const fmtFloat = (x: number): string => (Number.isInteger(x) ? x.toFixed(1) : String(x));

function sgdrProblem(cfg: Config): string | undefined {
  const s = cfg.scheduler;
  const main = s.epochs - s.warmup.epochs;
  const cycles = sgdrCycles(s.T0, s.T_mul, main);
  if (sum(cycles) === main) return undefined;
  const below = sum(cycles.slice(0, -1));
  const above = sum(cycles);
  const epochsFit = [below, above].filter((e) => e > 0).map((e) => e + s.warmup.epochs);
  const t0Fit: number[] = [];
  for (let t = 1; t <= main; t++) if (sum(sgdrCycles(t, s.T_mul, main)) === main) t0Fit.push(t);
  t0Fit.sort((x, y) => Math.abs(x - s.T0) - Math.abs(y - s.T0));
  const mulFit = [1, 1.5, 2, 3, 4].filter((m) => m !== s.T_mul && sum(sgdrCycles(s.T0, m, main)) === main);
  const fixes = [`scheduler.epochs ${orList(epochsFit)}`];
  if (t0Fit.length) fixes.push(`scheduler.T0 ${orList(t0Fit.slice(0, 3).sort((x, y) => x - y))}`);
  if (mulFit.length) fixes.push(`scheduler.T_mul ${orList(mulFit.map(fmtFloat))}`);
  const shown = cycles.length > 6 ? `${cycles.slice(0, 5).join(', ')}, ...` : cycles.join(', ');
  return `sgdr cycles (T0 ${s.T0}, T_mul ${fmtFloat(s.T_mul)}: ${shown}) must sum to the ${main} main epochs (scheduler.epochs ${s.epochs} - warmup.epochs ${s.warmup.epochs}) but reach ${above}; would fit: ${fixes.join('; ')}`;
}

function rangeProblem(value: number, spec: { minimum?: number; maximum?: number; exclusiveMaximum?: number }): string | undefined {
  if (Number.isNaN(value)) return 'must be a number, got NaN';
  if (spec.minimum !== undefined && value < spec.minimum) return `must be >= ${spec.minimum}, got ${value}`;
  if (spec.maximum !== undefined && value > spec.maximum) return `must be <= ${spec.maximum}, got ${value}`;
  if (spec.exclusiveMaximum !== undefined && value >= spec.exclusiveMaximum) return `must be < ${spec.exclusiveMaximum}, got ${value}`;
  return undefined;
}

/** The keys of a family section that the model checks read. */
interface ModelKeys {
  depth?: number;
  block_type?: string;
}

/** A family that has no network of the chosen type, or a cifar depth that does not fit the family's rule. */
function modelProblem(type: string, name: string, keys: ModelKeys): { key: string; problem: string } | undefined {
  const family = findFamily(name);
  if (family && !(family.types as readonly string[]).includes(type)) {
    return { key: 'model.name', problem: `'${name}' has no ${type}-type model (${type}: ${familyNames(type).join(', ')})` };
  }
  if (type !== 'cifar' || keys.depth === undefined) return undefined;
  const problem = depthProblem(name, keys.block_type, keys.depth);
  return problem === undefined ? undefined : { key: `model.${name}.depth`, problem };
}

/**
 * Checks a merged config and throws the first problem found.
 * @param origins where each key got its value (for the message's location).
 * @throws ConfigError
 */
export function validateConfig(cfg: Config, origins: ReadonlyMap<string, Origin> = new Map()): void {
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(problem, { key, origin: origins.get(key) });
  };
  // Allowed values and ranges of every leaf.
  for (const { path, spec } of configLeaves()) {
    const v = getPath(cfg, path);
    // Every free-text value is a path or a URL: one line, no control characters (docs/security.md).
    if (typeof v === 'string') {
      const p = oneLineProblem(v);
      if (p) fail(path, p);
    }
    if (spec.allowed && !spec.allowed.includes(v as string)) {
      fail(path, `invalid value '${String(v)}' (allowed: ${spec.allowed.join(', ')})`);
    }
    if (typeof v === 'number') {
      const p = rangeProblem(v, spec);
      if (p) fail(path, p);
    } else if (Array.isArray(v)) {
      for (const item of v) {
        if (typeof item !== 'number') continue;
        const p = rangeProblem(item, spec);
        if (p) fail(path, `entries ${p}`);
      }
    }
  }
  if (cfg.train.output_dir.trim() === '') fail('train.output_dir', "is empty: give the run folder (it would be the current directory), e.g. train.output_dir experiments/exp00");
  const m = cfg.model;
  const p = modelProblem(m.type, m.name, (m as unknown as Record<string, ModelKeys>)[m.name]);
  if (p) fail(p.key, p.problem);
  const stages = m.type === 'imagenet' ? IMAGENET_STAGES : CIFAR_STAGES;
  if (m.name === 'resnet_preact' && m.resnet_preact.preact_stage.length !== stages) {
    fail('model.resnet_preact.preact_stage', `needs ${stages} entries (one per stage) for model.type ${m.type}, got ${m.resnet_preact.preact_stage.length}`);
  }
  const t = cfg.train;
  if (t.batch_size % t.subdivision !== 0) {
    fail('train.subdivision', `${t.subdivision} does not divide train.batch_size ${t.batch_size}`);
  }
  const s = cfg.scheduler;
  if (s.warmup.epochs > s.epochs) {
    fail('scheduler.warmup.epochs', `${s.warmup.epochs} is more than scheduler.epochs ${s.epochs}`);
  }
  if (s.type === 'sgdr') {
    const p = sgdrProblem(cfg);
    if (p) fail(['scheduler.T0', 'scheduler.T_mul', 'scheduler.epochs', 'scheduler.type'].find((k) => origins.has(k)) ?? 'scheduler.T0', p);
  }
}

/**
 * One line per compatibility-only key (`compat` in the tree) set to a value other than its default:
 * `train.use_apex false has no effect: ...`.
 */
export function compatWarnings(cfg: Config): string[] {
  const out: string[] = [];
  for (const { path, spec } of configLeaves()) {
    if (spec.compat === undefined) continue;
    const v = getPath(cfg, path);
    if (formatValue(spec, v) !== formatValue(spec, spec.default)) out.push(`${path} ${formatValue(spec, v)} ${spec.compat}`);
  }
  return out;
}

/**
 * Non-fatal problems of a (valid) config, one line each (the compatibility-only keys that are set
 * among them, see {@link compatWarnings}): settings that the training code ignores
 * or combines in a way the user may not expect.
 */
export function configWarnings(cfg: Config): string[] {
  const out: string[] = compatWarnings(cfg);
  const a = cfg.augmentation;
  const mixers = (['mixup', 'ricap', 'cutmix'] as const).filter((k) => a[`use_${k}`]);
  if (mixers.length > 1) {
    out.push(`augmentation: ${mixers.map((k) => `use_${k}`).join(' and ')} are on; only one batch-mixing method runs (priority mixup > ricap > cutmix): ${mixers[0]}`);
  }
  if (mixers.length && a.use_label_smoothing) {
    out.push(`augmentation: use_label_smoothing has no effect together with use_${mixers[0]} (its loss takes priority)`);
  }
  if (a.use_dual_cutout && (mixers.length || a.use_label_smoothing)) {
    out.push(`augmentation: use_dual_cutout's consistency loss is not used together with ${mixers.length ? `use_${mixers[0]}` : 'use_label_smoothing'} (loss priority mixup > ricap > cutmix > label_smoothing > dual_cutout)`);
  }
  if (a.use_dual_cutout && a.use_cutout) {
    out.push('augmentation: use_cutout and use_dual_cutout are both on; images get a cutout before the two dual cutouts');
  }
  const s = cfg.scheduler;
  const main = s.epochs - s.warmup.epochs;
  if (s.type === 'multistep') {
    const ms = s.milestones;
    if (ms.some((x, i) => i > 0 && x < ms[i - 1])) out.push(`scheduler.milestones: [${ms.join(', ')}] are not in increasing order`);
    const late = ms.filter((x) => x >= main);
    if (late.length) out.push(`scheduler.milestones: ${late.join(', ')} at or after the ${main} main epochs (scheduler.epochs - warmup.epochs) never take effect`);
  }
  if (s.warmup.type !== 'none' && s.warmup.epochs === 0) out.push(`scheduler.warmup.type is ${s.warmup.type} but warmup.epochs is 0: no warm-up`);
  if (s.warmup.type === 'none' && s.warmup.epochs > 0) out.push(`scheduler.warmup.epochs is ${s.warmup.epochs} but warmup.type is none: no warm-up`);
  const t = cfg.train;
  if (t.resume && t.checkpoint !== '') out.push('train.checkpoint is ignored when resuming (the run folder has its own checkpoint)');
  if (!t.use_test_as_val && t.val_ratio === 0 && t.val_period > 0) out.push('train.use_test_as_val is false and train.val_ratio is 0: there is no validation set');
  const nTrain = cfg.dataset.max_train_samples;
  if (nTrain > 0 && nTrain < t.batch_size && t.dataloader.drop_last) {
    out.push(`dataset.max_train_samples ${nTrain} is smaller than train.batch_size ${t.batch_size} with drop_last: no training steps`);
  }
  if (cfg.model.name === 'vgg' && cfg.model.type === 'cifar' && cfg.dataset.image_size < 32) {
    out.push(`model vgg halves the image five times; dataset.image_size ${cfg.dataset.image_size} is too small (the original cannot build it for 28x28)`);
  }
  return out;
}
