/**
 * Per-iteration learning-rate schedule: a warm-up followed by a main schedule, as the original
 * framework's single `LambdaLR` over a chain of segments (hysts/pytorch_image_classification,
 * `scheduler/`). Option objects use the YAML key names (`scheduler.*`, `train.base_lr`) so a parsed
 * config can be passed as it is.
 */
import { ConfigError, SCHEDULER_TYPES, WARMUP_TYPES, type Config } from '../config';

/** The `scheduler.warmup` section (its keys are described in the config tree). */
export type WarmupOptions = Config['scheduler']['warmup'];
/** The `scheduler` section (its keys are described in the config tree). */
export type SchedulerOptions = Config['scheduler'];

/** The parts of the config the schedule reads; a whole parsed config satisfies it. */
export interface LrScheduleConfig {
  train: { base_lr: number };
  scheduler: SchedulerOptions;
}

/**
 * One piece of the chained schedule, `steps` long; `factor(t, steps)` is the multiplier of base_lr at
 * local step t (t and steps in the same unit: epochs when built, iterations once scaled).
 */
interface Segment {
  steps: number;
  factor: (t: number, steps: number) => number;
}

/** Python's `bisect.bisect_left`: first index i with a[i] >= x (a sorted ascending). */
function bisectLeft(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** m + (1 − m)(1 + cos(π·t/T))/2: from 1 at t = 0 to m at t = T (SGDR, arXiv:1608.03983, eq. 5). */
function cosineSegment(epochs: number, m: number): Segment {
  return { steps: epochs, factor: (t, T) => m + (1 - m) * 0.5 * (1 + Math.cos((t / T) * Math.PI)) };
}

function linearSegment(epochs: number, start: number, end: number): Segment {
  return { steps: epochs, factor: (t, T) => start + ((end - start) * t) / T };
}

function requireFinite(value: number, key: string, min: number, minInclusive = true): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || (minInclusive ? value < min : value <= min)) {
    throw new ConfigError(`must be a finite number ${minInclusive ? '>=' : '>'} ${min}, got ${String(value)}`, { key });
  }
}

function warmupSegment(w: WarmupOptions): Segment | undefined {
  if (!(WARMUP_TYPES as readonly string[]).includes(w.type)) {
    throw new ConfigError(`invalid value '${w.type}' (allowed: ${WARMUP_TYPES.join(', ')})`, { key: 'scheduler.warmup.type' });
  }
  if (w.type === 'none' || w.epochs === 0) return undefined;
  const s = w.start_factor;
  requireFinite(s, 'scheduler.warmup.start_factor', 0);
  if (w.type === 'linear') return linearSegment(w.epochs, s, 1);
  requireFinite(w.exponent, 'scheduler.warmup.exponent', 0, false);
  // Fixed: the original returned base_lr·(s + (1−s)(t/Tw)^p) as the FACTOR, so lr was base_lr² · (...).
  return { steps: w.epochs, factor: (t, T) => s + (1 - s) * Math.pow(t / T, w.exponent) };
}

/** SGDR cycle lengths T0, int(T0·T_mul), ... until they sum to `mainEpochs`; throws when they overshoot. */
function sgdrCycles(o: SchedulerOptions, mainEpochs: number): number[] {
  requireFinite(o.T0, 'scheduler.T0', 0, false);
  requireFinite(o.T_mul, 'scheduler.T_mul', 0, false);
  const cycles = [o.T0];
  let sum = o.T0;
  while (sum < mainEpochs) {
    const next = Math.trunc(cycles[cycles.length - 1] * o.T_mul);
    if (next <= 0) {
      throw new ConfigError(
        `scheduler.type sgdr: cycle ${cycles.length + 1} would be int(${cycles[cycles.length - 1]} * ${o.T_mul}) = ${next} epochs; ` +
          `increase scheduler.T_mul or scheduler.T0`,
      );
    }
    cycles.push(next);
    sum += next;
  }
  if (sum !== mainEpochs) {
    const sums: number[] = [];
    cycles.reduce((acc, c) => {
      sums.push(acc + c);
      return acc + c;
    }, 0);
    const below = sums.length > 1 ? sums[sums.length - 2] : undefined;
    const warm = o.epochs - mainEpochs;
    const fits = [below, sum].filter((v): v is number => v !== undefined).map((v) => v + warm);
    throw new ConfigError(
      `scheduler.type sgdr: cycles of T0=${o.T0} and T_mul=${o.T_mul} epochs (${cycles.join(', ')}) have running sums ` +
        `${sums.join(', ')}, none equal to the ${mainEpochs} main epochs (scheduler.epochs ${o.epochs} - ` +
        `scheduler.warmup.epochs ${warm}). Set scheduler.epochs to ${fits.join(' or ')}, or change T0 / T_mul.`,
    );
  }
  return cycles;
}

function mainSegments(o: SchedulerOptions, mainEpochs: number): Segment[] {
  switch (o.type) {
    case 'constant':
      return [{ steps: mainEpochs, factor: () => 1 }];
    case 'multistep': {
      requireFinite(o.lr_decay, 'scheduler.lr_decay', 0);
      const ms = o.milestones;
      ms.forEach((m, i) => {
        if (typeof m !== 'number' || !Number.isFinite(m) || m < (i === 0 ? 0 : ms[i - 1])) {
          throw new ConfigError(`must be non-decreasing epochs >= 0 (counted from the end of the warm-up), got [${ms.join(', ')}]`, { key: 'scheduler.milestones' });
        }
      });
      // As in the original, milestones at or past the end never take effect (e.g. the YAMLs' [80, 120]
      // in a 3-epoch trial run); the config module warns about them.
      const bounds = [0, ...ms.filter((m) => m < mainEpochs), mainEpochs];
      return bounds.slice(1).map((end, k) => {
        const f = Math.pow(o.lr_decay, k);
        return { steps: end - bounds[k], factor: () => f };
      });
    }
    case 'linear':
      requireFinite(o.lr_min_factor, 'scheduler.lr_min_factor', 0);
      return [linearSegment(mainEpochs, 1, o.lr_min_factor)];
    case 'cosine':
      requireFinite(o.lr_min_factor, 'scheduler.lr_min_factor', 0);
      return [cosineSegment(mainEpochs, o.lr_min_factor)];
    case 'sgdr':
      requireFinite(o.lr_min_factor, 'scheduler.lr_min_factor', 0);
      return sgdrCycles(o, mainEpochs).map((c) => cosineSegment(c, o.lr_min_factor));
    default:
      throw new ConfigError(`invalid value '${o.type}' (allowed: ${SCHEDULER_TYPES.join(', ')})`, { key: 'scheduler.type' });
  }
}

/**
 * Builds the learning rate as a function of the iteration, exactly as the original's per-iteration
 * `LambdaLR(optimizer, CombinedScheduler([warmup, main]))` (reference d.5), with one bug fixed.
 *
 * With S = `stepsPerEpoch`, Tw = `warmup.epochs`·S and T the length of a segment in steps, lr(t) = base_lr · f:
 * - Warm-up over the first Tw steps (s = `start_factor`, p = `exponent`):
 *   `none`: no warm-up segment; `linear`: f = s + (1 − s)·t/Tw; `exponential`: f = s + (1 − s)·(t/Tw)^p
 *   (the linear one is the gradual warm-up of arXiv:1706.02677, §2.2).
 *   **Fix:** the original's exponential warm-up returned base_lr·(s + (1 − s)(t/Tw)^p) as the factor, so
 *   the lr was base_lr²·(...) (with base_lr 0.1 it rose to 0.01, then jumped to 0.1). Here it rises to
 *   base_lr once.
 * - Main schedule over the remaining (`epochs` − `warmup.epochs`)·S steps (m = `lr_min_factor`):
 *   `constant`: f = 1; `multistep`: f = `lr_decay`^k after the k-th milestone (milestones in epochs counted
 *   from the end of the warm-up); `linear`: f from 1 to m linearly; `cosine`: f = m + (1 − m)(1 + cos(πt/T))/2
 *   (SGDR without restarts, arXiv:1608.03983 eq. 5); `sgdr`: cycles of T0, int(T0·T_mul), int(...·T_mul), ...
 *   epochs, each a cosine from 1 to m (arXiv:1608.03983); the cycles must sum to the main epochs exactly.
 *
 * Kept quirks of the original (for identical curves):
 * - Segments are chained with Python's `bisect_left` on their start offsets, so the step t EQUAL to a
 *   boundary still uses the previous segment, evaluated at its end; the next segment starts at its local
 *   step 1. Measured on the original: multistep [80, 120], S = 10 → 0.1 at t = 800, 0.01 from t = 801. For
 *   sgdr, t at a restart boundary gives m·base_lr and the restart shows from t + 1.
 * - The main schedule spans `epochs − warmup.epochs` even when `warmup.type` is `none`; the warm-up then
 *   has no segment and the main schedule ends `warmup.epochs` early.
 * - Past the last segment (t > epochs·S) the last segment is extrapolated (linear keeps decreasing).
 *
 * Stricter than the original: unknown types throw even when `warmup.epochs` is 0; milestones outside the
 * main span and sgdr cycles that would shrink to 0 epochs (an endless loop in the original) throw.
 *
 * @param config `train.base_lr` and the `scheduler` section (YAML keys).
 * @param stepsPerEpoch S, optimizer steps per epoch (CIFAR-10, batch 128, drop_last: 390); positive integer.
 * @returns lr(t) for t = number of optimizer steps done so far (0-based), i.e. the lr to use for step t.
 *   Throws for t that is negative or not finite.
 * @throws ConfigError for an unknown `scheduler.type` or `scheduler.warmup.type` (listing the allowed
 *   ones), `epochs <= warmup.epochs`, invalid milestones, and sgdr cycles that do not sum to the main
 *   epochs (the message names the `scheduler.epochs` values that would fit); Error for a non-positive
 *   `stepsPerEpoch`.
 */
export function createLrSchedule(config: LrScheduleConfig, stepsPerEpoch: number): (t: number) => number {
  const o = config.scheduler;
  const baseLr = config.train.base_lr;
  requireFinite(baseLr, 'train.base_lr', 0);
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) {
    throw new Error(`stepsPerEpoch must be a positive integer, got ${String(stepsPerEpoch)}`);
  }
  requireFinite(o.warmup.epochs, 'scheduler.warmup.epochs', 0);
  requireFinite(o.epochs, 'scheduler.epochs', 0);
  const mainEpochs = o.epochs - o.warmup.epochs;
  if (mainEpochs <= 0) {
    throw new ConfigError(`scheduler.epochs (${o.epochs}) must be greater than scheduler.warmup.epochs (${o.warmup.epochs})`);
  }
  const warm = warmupSegment(o.warmup);
  const segments = [...(warm ? [warm] : []), ...mainSegments(o, mainEpochs)];
  // Segment lengths are in epochs so far: rescale them to iterations (the original's `multiply_steps`).
  const scaled: Segment[] = segments.map((seg) => ({ steps: seg.steps * stepsPerEpoch, factor: seg.factor }));
  const offsets = [0];
  for (const seg of scaled) offsets.push(offsets[offsets.length - 1] + seg.steps);
  return (t: number): number => {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
      throw new Error(`lr schedule: iteration must be a finite number >= 0, got ${String(t)}`);
    }
    const index = Math.max(0, Math.min(bisectLeft(offsets, t) - 1, scaled.length - 1));
    const seg = scaled[index];
    return baseLr * seg.factor(t - offsets[index], seg.steps);
  };
}
