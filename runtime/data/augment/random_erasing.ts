/**
 * Random Erasing (Zhong et al., arXiv 1708.04896) as the original's `transforms/random_erasing.py`:
 * with probability `prob`, up to `max_attempt` tries of area = U(sl, sh)·H·W and aspect ratio
 * r = U(rl, 1/rl) (uniform on the linear scale, as the paper's Algorithm 1), h = ⌊√(area·r)⌋,
 * w = ⌊√(area/r)⌋; the first box with w < W and h < H gets its top-left corner x0 = int(0, W − w),
 * y0 = int(0, H − h) and is filled with ONE value U(0, 1) for all its pixels and channels, in
 * normalised space (the original's choice; the paper fills each pixel with a random value).
 *
 * Draws: `uniform() > prob` → skip; per attempt uniform (area), uniform (ratio); on success
 * int (x0), int (y0), uniform (value).
 */
import type { Rng } from '../rng';
import type { Box } from './box';

/** `augmentation.random_erasing`. */
export interface RandomErasingOptions {
  prob: number;
  /** [sl, sh]: the erased area as a fraction of the image. */
  areaRatioRange: readonly [number, number] | readonly number[];
  /** rl; the largest aspect ratio is 1/rl. */
  minAspectRatio: number;
  maxAttempt: number;
}

/** @throws on a probability outside [0, 1], a bad area range, aspect ratio or attempt count */
export function checkRandomErasing(o: RandomErasingOptions): void {
  if (!(o.prob >= 0 && o.prob <= 1)) throw new Error(`random_erasing prob must be in [0, 1], got ${o.prob}`);
  const [lo, hi] = o.areaRatioRange;
  if (o.areaRatioRange.length !== 2 || !(lo >= 0 && lo <= hi && hi <= 1)) {
    throw new Error(`random_erasing area_ratio_range must be [low, high] with 0 <= low <= high <= 1, got ${JSON.stringify(o.areaRatioRange)}`);
  }
  if (!(o.minAspectRatio > 0)) throw new Error(`random_erasing min_aspect_ratio must be > 0, got ${o.minAspectRatio}`);
  if (!Number.isInteger(o.maxAttempt) || o.maxAttempt < 1) throw new Error(`random_erasing max_attempt must be a positive integer, got ${o.maxAttempt}`);
}

/** The erased box and its fill value, or null (not erased, or no attempt fitted). */
export function drawRandomErasing(rng: Rng, o: RandomErasingOptions, h: number, w: number): { box: Box; value: number } | null {
  if (rng.uniform() > o.prob) return null;
  const [sl, sh] = o.areaRatioRange;
  const rl = o.minAspectRatio;
  const rh = 1 / rl;
  for (let attempt = 0; attempt < o.maxAttempt; attempt++) {
    const area = (sl + (sh - sl) * rng.uniform()) * h * w;
    const ratio = rl + (rh - rl) * rng.uniform();
    const mh = Math.floor(Math.sqrt(area * ratio));
    const mw = Math.floor(Math.sqrt(area / ratio));
    if (mw < w && mh < h) {
      const x0 = rng.int(0, w - mw);
      const y0 = rng.int(0, h - mh);
      return { box: { x0, y0, x1: x0 + mw, y1: y0 + mh }, value: rng.uniform() };
    }
  }
  return null;
}
