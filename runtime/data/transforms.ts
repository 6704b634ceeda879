/**
 * Per-image transforms, pixel-exact to the original's cifar-type pipeline (torchvision RandomCrop
 * with padding → RandomHorizontalFlip → the original's Normalize), fused into one pass from a
 * uint8 HWC source image to a float32 HWC output (no padded intermediate is allocated).
 *
 * Random draws per image, in this order (all from the caller's {@link Rng}):
 * 1. crop (if enabled): `top = int(0, 2·padding + 1)`, then `left = int(0, 2·padding + 1)`
 *    (torchvision draws i then j the same way);
 * 2. flip (if enabled): `uniform() < prob`.
 * A disabled step draws nothing.
 */
import {
  checkCutout, checkMix, checkRandomErasing, type CutoutOptions, type MixOptions, type RandomErasingOptions, type SourceLayout,
} from './augment';
import type { Rng } from './rng';
import { PADDING_MODES } from '../config/tree';

/** How the border is filled before the random crop (torchvision's `padding_mode`). */
export type PaddingMode = (typeof PADDING_MODES)[number];
export { PADDING_MODES };

/** torchvision `RandomCrop(image_size, padding, fill, padding_mode)`; the crop size is the image size. */
export interface RandomCropOptions {
  /** Pixels added on every side before cropping (≥ 0). */
  padding: number;
  /** Constant mode only: one value for all channels or one per channel, integers 0..255. Default 0. */
  fill?: number | readonly number[];
  /** Default `constant`. */
  paddingMode?: PaddingMode;
}

/** The per-image pipeline: optional crop, optional flip, then normalisation. */
export interface TransformOptions {
  /** Per-channel mean of pixel/255. */
  mean: readonly number[];
  /** Per-channel std of pixel/255. */
  std: readonly number[];
  /** null/undefined = no random crop (eval, or `use_random_crop: false`). */
  randomCrop?: RandomCropOptions | null;
  /** null/undefined = no flip; `prob` is the flip probability. */
  horizontalFlip?: { prob: number } | null;
  /** Train only, after normalisation (see augment/): Cutout. */
  cutout?: CutoutOptions | null;
  /** Train only, after Cutout: Random Erasing. */
  randomErasing?: RandomErasingOptions | null;
  /** Train only, last: Dual-Cutout (each batch gets a second copy `x2`, see batch.ts). */
  dualCutout?: CutoutOptions | null;
  /** Train only, per batch after the per-image steps: Mixup, CutMix or RICAP (batch `mix` targets). */
  mix?: MixOptions | null;
  /**
   * Folder datasets (imagenet-type pipeline, train): the variable-size source images and the
   * random resized crop (torchvision defaults), or null for a center crop; the output is the
   * plan's height × width (square). Excludes `randomCrop`.
   */
  folder?: { source: SourceLayout; randomResizedCrop: { scale: [number, number]; ratio: [number, number] } | null } | null;
}

/** The random choices for one image. `top`/`left` index the padded image (0..2·padding). */
export interface AugmentParams {
  top: number;
  left: number;
  flip: boolean;
}

/**
 * Maps a coordinate of the padded axis (relative to the original, so −padding..n−1+padding) to a
 * source index in [0, n), or −1 for constant mode outside the image. Matches numpy.pad (used by
 * torchvision for PIL images): edge repeats the border pixel; reflect mirrors without repeating it
 * (…2 1 | 0 1 2 … n−1 | n−2 …); symmetric mirrors repeating it (…1 0 | 0 1 … n−1 | n−1 n−2 …).
 * Paddings wider than the image continue the pattern periodically.
 */
export function padIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
    case 'symmetric': {
      const period = 2 * n;
      const m = ((i % period) + period) % period;
      return m < n ? m : period - 1 - m;
    }
  }
}

function fillValues(fill: number | readonly number[] | undefined, channels: number): number[] {
  const f = fill ?? 0;
  const vals = typeof f === 'number' ? new Array<number>(channels).fill(f) : [...f];
  if (vals.length !== channels || !vals.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new Error(`random crop fill must be an integer 0..255 or ${channels} of them, got ${JSON.stringify(fill)}`);
  }
  return vals;
}

function checkCrop(crop: RandomCropOptions): void {
  if (!Number.isInteger(crop.padding) || crop.padding < 0) throw new Error(`random crop padding must be a non-negative integer, got ${crop.padding}`);
  if (crop.paddingMode !== undefined && !(PADDING_MODES as readonly string[]).includes(crop.paddingMode)) {
    throw new Error(`unknown padding_mode "${crop.paddingMode}": expected one of ${PADDING_MODES.join(', ')}`);
  }
}

/**
 * Pads one uint8 HWC image (explicit reference implementation; the pipeline uses the fused
 * {@link transformImage}).
 * @param src [h, w, c] uint8
 * @returns [h + 2·padding, w + 2·padding, c] uint8
 */
export function padImage(src: Uint8Array, h: number, w: number, c: number, padding: number,
  mode: PaddingMode = 'constant', fill?: number | readonly number[]): Uint8Array {
  checkCrop({ padding, paddingMode: mode });
  const fv = fillValues(fill, c);
  const ph = h + 2 * padding;
  const pw = w + 2 * padding;
  const out = new Uint8Array(ph * pw * c);
  for (let y = 0; y < ph; y++) {
    const sy = padIndex(y - padding, h, mode);
    for (let x = 0; x < pw; x++) {
      const sx = padIndex(x - padding, w, mode);
      for (let k = 0; k < c; k++) {
        out[(y * pw + x) * c + k] = sy < 0 || sx < 0 ? fv[k] : src[(sy * w + sx) * c + k];
      }
    }
  }
  return out;
}

/** Draws the random choices for one image (see the module comment for the order of draws). */
export function drawAugmentParams(rng: Rng, opts: TransformOptions): AugmentParams {
  let top = 0;
  let left = 0;
  let flip = false;
  if (opts.randomCrop) {
    const span = 2 * opts.randomCrop.padding + 1;
    top = rng.int(0, span);
    left = rng.int(0, span);
  }
  if (opts.horizontalFlip) flip = rng.uniform() < opts.horizontalFlip.prob;
  return { top, left, flip };
}

/**
 * Look-up table of normalised values: `table[c·256 + v] = float32((float32(v/255) − mean[c]) / std[c])`,
 * the original's `(np.float32(x) / 255. − mean) / std` computed in float64 after the float32 division.
 * @returns Float32Array [channels · 256]
 */
export function normalizationTable(mean: readonly number[], std: readonly number[]): Float32Array {
  if (mean.length !== std.length || mean.length === 0) throw new Error(`normalisation mean and std must have the same, non-zero length (got ${mean.length} and ${std.length})`);
  if (!std.every((s) => s > 0)) throw new Error(`normalisation std must be > 0, got ${JSON.stringify(std)}`);
  const t = new Float32Array(mean.length * 256);
  for (let c = 0; c < mean.length; c++) {
    for (let v = 0; v < 256; v++) t[c * 256 + v] = (Math.fround(v / 255) - mean[c]) / std[c];
  }
  return t;
}

/** Options resolved once per pipeline for {@link transformImage}. */
export interface PreparedTransform {
  opts: TransformOptions;
  height: number;
  width: number;
  channels: number;
  padding: number;
  mode: PaddingMode;
  fill: number[];
  table: Float32Array;
}

/**
 * Validates the options against the image shape and precomputes the normalisation table.
 * @throws on a mean/std length ≠ channels, a bad padding, padding mode, fill, or flip probability
 */
export function prepareTransform(opts: TransformOptions, height: number, width: number, channels: number): PreparedTransform {
  if (opts.mean.length !== channels) throw new Error(`normalisation mean has ${opts.mean.length} values for ${channels}-channel images`);
  const crop = opts.randomCrop ?? null;
  if (crop) checkCrop(crop);
  const p = opts.horizontalFlip?.prob;
  if (p !== undefined && !(p >= 0 && p <= 1)) throw new Error(`horizontal flip prob must be in [0, 1], got ${p}`);
  if (opts.cutout) checkCutout(opts.cutout, height, width);
  if (opts.dualCutout) checkCutout(opts.dualCutout, height, width);
  if (opts.randomErasing) checkRandomErasing(opts.randomErasing);
  if (opts.mix) checkMix(opts.mix);
  if (opts.folder) {
    if (crop) throw new Error('folder datasets use the resized crop; randomCrop (padding crop) must be off');
    if (height !== width) throw new Error(`folder datasets need square outputs, got ${height}x${width}`);
    const rrc = opts.folder.randomResizedCrop;
    if (rrc && !(rrc.scale[0] > 0 && rrc.scale[0] <= rrc.scale[1] && rrc.ratio[0] > 0 && rrc.ratio[0] <= rrc.ratio[1])) {
      throw new Error(`random resized crop needs 0 < scale[0] <= scale[1] and 0 < ratio[0] <= ratio[1], got ${JSON.stringify(rrc)}`);
    }
  }
  return {
    opts, height, width, channels,
    padding: crop ? crop.padding : 0,
    mode: crop?.paddingMode ?? 'constant',
    fill: fillValues(crop?.fill, channels),
    table: normalizationTable(opts.mean, opts.std),
  };
}

/**
 * Transforms one image: crop the padded image at (top, left), flip if asked, normalise.
 * @param src uint8 images, NHWC; the image starts at element `srcOffset` and is [H, W, C]
 * @param params null = normalise only (eval)
 * @param out float32 destination, NHWC; writes [H, W, C] from element `outOffset`
 */
export function transformImage(t: PreparedTransform, src: Uint8Array, srcOffset: number, params: AugmentParams | null,
  out: Float32Array, outOffset: number): void {
  const { height: h, width: w, channels: c, table } = t;
  if (!params) {
    const size = h * w * c;
    if (c === 1) {
      for (let i = 0; i < size; i++) out[outOffset + i] = table[src[srcOffset + i]];
    } else {
      for (let i = 0; i < size; i++) out[outOffset + i] = table[(i % c) * 256 + src[srcOffset + i]];
    }
    return;
  }
  const { padding, mode, fill } = t;
  for (let y = 0; y < h; y++) {
    const sy = padIndex(params.top + y - padding, h, mode);
    for (let x = 0; x < w; x++) {
      const cx = params.flip ? w - 1 - x : x;
      const sx = padIndex(params.left + cx - padding, w, mode);
      const o = outOffset + (y * w + x) * c;
      if (sy < 0 || sx < 0) {
        for (let k = 0; k < c; k++) out[o + k] = table[k * 256 + fill[k]];
      } else {
        const s = srcOffset + (sy * w + sx) * c;
        for (let k = 0; k < c; k++) out[o + k] = table[k * 256 + src[s + k]];
      }
    }
  }
}
