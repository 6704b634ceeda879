/**
 * Batch mixing (the original's `collators/`): one method per batch, chosen once per run with the
 * original's priority mixup > ricap > cutmix. A mixer rewrites the batch images in place and
 * returns the mixed targets: label sets with weights summing to 1, which the loss turns into
 * Σ_k w_k·CE(logits, labels_k) and the train accuracy into Σ_k w_k·acc(labels_k).
 */
import type { Rng } from '../rng';
import { cutmix } from './cutmix';
import { mixup } from './mixup';
import { ricap } from './ricap';
import type { MixImages, MixedTargets } from './targets';
import { ConfigError } from '../../config/config_error';

export { permuteLabels, type MixImages, type MixedTargets } from './targets';

export type MixKind = 'mixup' | 'cutmix' | 'ricap';
export const MIX_KINDS: readonly MixKind[] = ['mixup', 'ricap', 'cutmix'];

/** The batch mixing of a run: mixup/cutmix use Beta(alpha, alpha), RICAP Beta(beta, beta). */
export interface MixOptions {
  kind: MixKind;
  /** `augmentation.mixup.alpha`, `augmentation.cutmix.alpha` or `augmentation.ricap.beta`; > 0. */
  alpha: number;
}

/** @throws Error on an unknown kind; ConfigError naming the key for a parameter that is not > 0 */
export function checkMix(o: MixOptions): void {
  if (!MIX_KINDS.includes(o.kind)) throw new Error(`unknown batch mixing '${String(o.kind)}' (allowed: ${MIX_KINDS.join(', ')})`);
  const key = o.kind === 'ricap' ? 'ricap.beta' : `${o.kind}.alpha`;
  if (!(Number.isFinite(o.alpha) && o.alpha > 0)) throw new ConfigError(`must be > 0 (Beta distribution parameter), got ${o.alpha}`, { key: `augmentation.${key}` });
}

/** Applies the configured mixer. */
export function mixBatch(rng: Rng, o: MixOptions, b: MixImages): MixedTargets {
  switch (o.kind) {
    case 'mixup':
      return mixup(rng, o.alpha, b);
    case 'cutmix':
      return cutmix(rng, o.alpha, b);
    case 'ricap':
      return ricap(rng, o.alpha, b);
  }
}
