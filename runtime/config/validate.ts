/**
 * Checks of a merged config (allowed values, ranges, depths, schedules) and non-fatal warnings,
 * plus the dataset fields the original forces after merging (`update_config`).
 */
import { formatValue } from './dump';
import { ConfigError, type Origin } from './errors';
import { oneLineProblem } from './one_line';
import { IMAGENET_MODEL_NAMES, configLeaves, getPath, type Config } from './tree';

/** image_size / n_channels / n_classes the original forces for its built-in datasets. */
export const FORCED_DATASET_FIELDS: Readonly<Record<string, { image_size: number; n_channels: number; n_classes: number }>> = {
  CIFAR10: { image_size: 32, n_channels: 3, n_classes: 10 },
  CIFAR100: { image_size: 32, n_channels: 3, n_classes: 100 },
  MNIST: { image_size: 28, n_channels: 1, n_classes: 10 },
  FashionMNIST: { image_size: 28, n_channels: 1, n_classes: 10 },
  KMNIST: { image_size: 28, n_channels: 1, n_classes: 10 },
};

/**
 * Forces image_size, n_channels and n_classes of the built-in datasets (as the original's
 * `update_config`); ImageNet keeps the given values; dataset_dir is never forced.
 */
export function applyForcedDatasetFields(cfg: Config): void {
  const forced = FORCED_DATASET_FIELDS[cfg.dataset.name];
  if (forced) Object.assign(cfg.dataset, forced);
}

/** A depth rule of a cifar model: depth = a*n + b with n >= 1. */
export interface DepthRule {
  /** e.g. `6n+2`. */
  formula: string;
  a: number;
  b: number;
  /** Depths used in the papers, listed in messages. */
  popular: number[];
}

const rule = (a: number, b: number, popular: number[]): DepthRule => ({ formula: `${a}n+${b}`, a, b, popular });

/** The depth rule of a cifar model and block type, or undefined for models without a depth (vgg). */
export function depthRule(model: string, blockType: string | undefined): DepthRule | undefined {
  switch (model) {
    case 'resnet':
    case 'resnet_preact':
    case 'se_resnet_preact':
    case 'pyramidnet':
      return blockType === 'bottleneck' ? rule(9, 2, [29, 56, 110, 164, 272]) : rule(6, 2, [20, 32, 44, 56, 110]);
    case 'wrn':
      return rule(6, 4, [16, 22, 28, 40]);
    case 'densenet':
      return blockType === 'bottleneck' ? rule(6, 4, [100, 190, 250]) : rule(3, 4, [40, 100]);
    case 'resnext':
      return rule(9, 2, [29]);
    case 'shake_shake':
      return rule(6, 2, [26, 32, 44]);
    default:
      return undefined;
  }
}

/** Depths that fit a rule: the first five, the popular ones, and the two around `near`. */
export function fittingDepths(r: DepthRule, near?: number): number[] {
  const set = new Set<number>();
  for (let n = 1; n <= 5; n++) set.add(r.a * n + r.b);
  for (const p of r.popular) if (p > r.b && (p - r.b) % r.a === 0) set.add(p);
  if (near !== undefined && near > r.b) {
    const n = Math.floor((near - r.b) / r.a);
    if (n >= 1) set.add(r.a * n + r.b);
    set.add(r.a * (n + 1) + r.b);
  }
  return [...set].sort((x, y) => x - y);
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
  const m = cfg.model;
  if (m.type === 'imagenet' && !(IMAGENET_MODEL_NAMES as readonly string[]).includes(m.name)) {
    fail('model.name', `'${m.name}' has no imagenet-type model (imagenet: ${IMAGENET_MODEL_NAMES.join(', ')})`);
  }
  if (m.type === 'cifar') {
    const section = (m as unknown as Record<string, { depth?: number; block_type?: string }>)[m.name];
    const r = depthRule(m.name, section.block_type);
    if (r && section.depth !== undefined) {
      const depth = section.depth;
      if (depth <= r.b || (depth - r.b) % r.a !== 0) {
        const block = section.block_type !== undefined ? `block_type ${section.block_type}` : m.name;
        fail(`model.${m.name}.depth`, `${depth} does not fit ${block} (depth = ${r.formula}: ${fittingDepths(r, depth).join(', ')}, ...)`);
      }
    }
  }
  const stages = m.type === 'imagenet' ? 4 : 3;
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
