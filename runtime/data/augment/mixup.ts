/**
 * Mixup (Zhang et al., arXiv 1710.09412) as the original's `collators/mixup.py`: one permutation
 * and one λ ~ Beta(α, α) per batch; x_i ← λ·x_i + (1 − λ)·x_perm(i); targets (y, y∘perm) with
 * weights (λ, 1 − λ). Draws: permutation(n), then the Beta deviate.
 */
import type { Rng } from '../rng';
import { sampleBeta } from './beta';
import { permuteLabels, type MixImages, type MixedTargets } from './targets';

export function mixup(rng: Rng, alpha: number, b: MixImages): MixedTargets {
  const perm = rng.permutation(b.n);
  const lam = sampleBeta(rng, alpha, alpha);
  const size = b.h * b.w * b.c;
  for (const x of b.xs) {
    const src = x.slice();
    for (let i = 0; i < b.n; i++) {
      const o = i * size;
      const p = perm[i] * size;
      for (let k = 0; k < size; k++) x[o + k] = lam * src[o + k] + (1 - lam) * src[p + k];
    }
  }
  return { labels: [b.y.slice(), permuteLabels(b.y, perm)], weights: [lam, 1 - lam] };
}
