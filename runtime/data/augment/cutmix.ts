/**
 * CutMix (Yun et al., arXiv 1905.04899) as the original's `collators/cutmix.py`: one permutation,
 * λ ~ Beta(α, α), a centre cx ~ U(0, W), cy ~ U(0, H) and a box of W·√(1−λ) × H·√(1−λ) clipped to
 * the image (corners rounded half to even); every image gets that box pasted from its partner.
 *
 * Divergence: the label weight is the area actually kept, λ' = 1 − box area/(W·H), as the paper
 * does (its reference code recomputes λ after clipping); the original keeps the sampled λ, which
 * overstates the pasted image's share whenever the box is clipped.
 *
 * Draws: permutation(n), the Beta deviate, uniform (cx), uniform (cy).
 */
import type { Rng } from '../rng';
import { sampleBeta } from './beta';
import { boxArea, roundHalfEven, type Box } from './box';
import { permuteLabels, type MixImages, type MixedTargets } from './targets';

/** The pasted box of a batch of h×w images for λ and a centre (cx, cy). */
export function cutmixBox(lam: number, cx: number, cy: number, h: number, w: number): Box {
  const bw = w * Math.sqrt(1 - lam);
  const bh = h * Math.sqrt(1 - lam);
  return {
    x0: roundHalfEven(Math.max(cx - bw / 2, 0)),
    x1: roundHalfEven(Math.min(cx + bw / 2, w)),
    y0: roundHalfEven(Math.max(cy - bh / 2, 0)),
    y1: roundHalfEven(Math.min(cy + bh / 2, h)),
  };
}

export function cutmix(rng: Rng, alpha: number, b: MixImages): MixedTargets {
  const perm = rng.permutation(b.n);
  const lam = sampleBeta(rng, alpha, alpha);
  const cx = rng.uniform() * b.w;
  const cy = rng.uniform() * b.h;
  const box = cutmixBox(lam, cx, cy, b.h, b.w);
  const size = b.h * b.w * b.c;
  const row = b.w * b.c;
  for (const x of b.xs) {
    const src = x.slice();
    for (let i = 0; i < b.n; i++) {
      for (let y = box.y0; y < box.y1; y++) {
        const from = perm[i] * size + y * row + box.x0 * b.c;
        x.set(src.subarray(from, from + (box.x1 - box.x0) * b.c), i * size + y * row + box.x0 * b.c);
      }
    }
  }
  const kept = 1 - boxArea(box) / (b.h * b.w);
  return { labels: [b.y.slice(), permuteLabels(b.y, perm)], weights: [kept, 1 - kept] };
}
