/**
 * RICAP (Takahashi et al., arXiv 1811.09030) as the original's `collators/ricap.py`: the boundary
 * (w0, h0) = (round(W·rw), round(H·rh)) with rw, rh ~ Beta(β, β) (half to even) splits the output
 * into four patches, top-left w0×h0, top-right (W−w0)×h0, bottom-left w0×(H−h0), bottom-right
 * (W−w0)×(H−h0). Patch k comes from images permuted by its own permutation, cropped at one offset
 * (x ~ int(0, W−w+1), y ~ int(0, H−h+1)) shared by the batch; its labels weigh w·h/(W·H).
 *
 * Draws: Beta (rw), Beta (rh), then per patch permutation(n), int (x), int (y).
 */
import type { Rng } from '../rng';
import { sampleBeta } from './beta';
import { roundHalfEven } from './box';
import { permuteLabels, type MixImages, type MixedTargets } from './targets';

export function ricap(rng: Rng, beta: number, b: MixImages): MixedTargets {
  const { h: H, w: W, c } = b;
  const rw = sampleBeta(rng, beta, beta);
  const rh = sampleBeta(rng, beta, beta);
  const w0 = roundHalfEven(W * rw);
  const h0 = roundHalfEven(H * rh);
  const ws = [w0, W - w0, w0, W - w0];
  const hs = [h0, h0, H - h0, H - h0];
  const dstX = [0, w0, 0, w0];
  const dstY = [0, 0, h0, h0];
  const patches = ws.map((pw, k) => ({
    perm: rng.permutation(b.n),
    sx: rng.int(0, W - pw + 1),
    sy: rng.int(0, H - hs[k] + 1),
    w: pw,
    h: hs[k],
  }));
  const size = H * W * c;
  const row = W * c;
  for (const x of b.xs) {
    const src = x.slice();
    for (let i = 0; i < b.n; i++) {
      patches.forEach((p, k) => {
        for (let y = 0; y < p.h; y++) {
          const from = p.perm[i] * size + (p.sy + y) * row + p.sx * c;
          x.set(src.subarray(from, from + p.w * c), i * size + (dstY[k] + y) * row + dstX[k] * c);
        }
      });
    }
  }
  return { labels: patches.map((p) => permuteLabels(b.y, p.perm)), weights: patches.map((p) => (p.w * p.h) / (H * W)) };
}
