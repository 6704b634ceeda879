/**
 * Cutout (DeVries & Taylor, arXiv 1708.04552) as the original's `transforms/cutout.py`: with
 * probability `prob` a `mask_size` square is set to `mask_color` in normalised space (0 = the
 * dataset mean). Its centre is drawn anywhere in the image (the mask may hang over the border
 * and is clipped, so 16×16 on 32×32 covers 64..256 pixels) or, with `cut_inside`, far enough
 * from the border that the whole mask is inside.
 *
 * Draws: `uniform() > prob` → skip; else cx = int(cxmin, cxmax), then cy = int(cymin, cymax),
 * with half = ⌊mask/2⌋, offset = 1 for even masks: [0, W + offset) or [half, W + offset − half).
 */
import type { Rng } from '../rng';
import type { Box } from './box';

/** `augmentation.cutout` (also used by dual cutout). */
export interface CutoutOptions {
  prob: number;
  maskSize: number;
  cutInside: boolean;
  /** Fill value in normalised space. */
  maskColor: number;
}

/**
 * @throws on a probability outside [0, 1], a non-positive mask size, or (cut_inside) a mask
 *   larger than the image
 */
export function checkCutout(o: CutoutOptions, h: number, w: number): void {
  if (!(o.prob >= 0 && o.prob <= 1)) throw new Error(`cutout prob must be in [0, 1], got ${o.prob}`);
  if (!Number.isInteger(o.maskSize) || o.maskSize < 1) throw new Error(`cutout mask_size must be a positive integer, got ${o.maskSize}`);
  if (!Number.isFinite(o.maskColor)) throw new Error(`cutout mask_color must be a finite number, got ${o.maskColor}`);
  if (o.cutInside && (o.maskSize > h || o.maskSize > w)) throw new Error(`cutout mask_size ${o.maskSize} with cut_inside does not fit in ${h}x${w} images`);
}

/** The masked box of one image, or null when this image is not cut (probability 1 − prob). */
export function drawCutout(rng: Rng, o: CutoutOptions, h: number, w: number): Box | null {
  if (rng.uniform() > o.prob) return null;
  const half = Math.floor(o.maskSize / 2);
  const offset = o.maskSize % 2 === 0 ? 1 : 0;
  const [cxmin, cxmax, cymin, cymax] = o.cutInside ? [half, w + offset - half, half, h + offset - half] : [0, w + offset, 0, h + offset];
  const cx = rng.int(cxmin, cxmax);
  const cy = rng.int(cymin, cymax);
  const x0 = cx - half;
  const y0 = cy - half;
  return { x0: Math.max(0, x0), y0: Math.max(0, y0), x1: Math.min(w, x0 + o.maskSize), y1: Math.min(h, y0 + o.maskSize) };
}
