/**
 * The imagenet-type geometric transforms, for folder datasets of images of any size:
 * torchvision's `RandomResizedCrop(size)` (defaults scale (0.08, 1), ratio (3/4, 4/3), 10 tries,
 * then the central fallback), `Resize(size)` (shorter side to size) and `CenterCrop(size)`.
 *
 * Resampling is PIL's bilinear filter (what torchvision uses on PIL images): a triangle filter
 * whose support widens with the downscale factor (antialiased), separable, weights normalised per
 * output pixel. Divergence: PIL rounds to uint8 between its horizontal and vertical pass; here the
 * intermediate stays float and only the result is rounded, so values can differ by 1.
 */
import type { Rng } from '../rng';
import { roundHalfEven } from './box';

/** Where variable-size uint8 HWC images lie in one buffer: image i starts at `offsets[i]`. */
export interface SourceLayout {
  offsets: Float64Array;
  heights: Int32Array;
  widths: Int32Array;
}

/** A crop rectangle of a source image; it may reach outside the image (then padded with 0). */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** torchvision's RandomResizedCrop defaults. */
export const RESIZED_CROP_DEFAULTS = { scale: [0.08, 1.0] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };

/**
 * torchvision `RandomResizedCrop.get_params`: up to 10 tries of area U(scale)·h·w and aspect
 * exp(U(log ratio)); w' = round(√(area·aspect)), h' = round(√(area/aspect)); accepted when
 * 0 < w' ≤ w and 0 < h' ≤ h, then top = int(0, h − h' + 1), left = int(0, w − w' + 1). Fallback:
 * the whole image, narrowed to the ratio range, centred.
 */
export function drawResizedCrop(rng: Rng, h: number, w: number, scale: readonly number[] = RESIZED_CROP_DEFAULTS.scale,
  ratio: readonly number[] = RESIZED_CROP_DEFAULTS.ratio): CropBox {
  const area = h * w;
  const [lr0, lr1] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + (scale[1] - scale[0]) * rng.uniform());
    const aspect = Math.exp(lr0 + (lr1 - lr0) * rng.uniform());
    const cw = roundHalfEven(Math.sqrt(target * aspect));
    const ch = roundHalfEven(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      const top = rng.int(0, h - ch + 1);
      const left = rng.int(0, w - cw + 1);
      return { top, left, height: ch, width: cw };
    }
  }
  const inRatio = w / h;
  let cw = w;
  let ch = h;
  if (inRatio < Math.min(ratio[0], ratio[1])) ch = roundHalfEven(cw / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) cw = roundHalfEven(ch * Math.max(ratio[0], ratio[1]));
  return { top: Math.floor((h - ch) / 2), left: Math.floor((w - cw) / 2), height: ch, width: cw };
}

/** torchvision `CenterCrop`: top = round((h − oh)/2), left = round((w − ow)/2) (negative = padding). */
export function centerCropBox(h: number, w: number, oh: number, ow: number): CropBox {
  return { top: roundHalfEven((h - oh) / 2), left: roundHalfEven((w - ow) / 2), height: oh, width: ow };
}

/** torchvision `Resize(size)` with an int: the shorter side becomes size, the other ⌊size·long/short⌋. */
export function resizeShorterSide(h: number, w: number, size: number): [number, number] {
  if (h <= w) return [size, Math.floor((size * w) / h)];
  return [Math.floor((size * h) / w), size];
}

/** PIL's bilinear coefficients for one axis: per output index, the first input index and its weights. */
function coefficients(in0: number, inLen: number, inSize: number, outSize: number): { start: Int32Array; weights: Float64Array[] } {
  const scale = inLen / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const start = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = in0 + (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    const k = new Float64Array(Math.max(0, hi - lo));
    let sum = 0;
    for (let i = 0; i < k.length; i++) {
      const t = Math.abs((i + lo - center + 0.5) / filterScale);
      k[i] = t < 1 ? 1 - t : 0;
      sum += k[i];
    }
    if (sum > 0) for (let i = 0; i < k.length; i++) k[i] /= sum;
    start[o] = lo;
    weights.push(k);
  }
  return { start, weights };
}

/**
 * Resamples `box` of one uint8 HWC source image to outH × outW (PIL bilinear, antialiased), as
 * PIL's `resize(size, BILINEAR, box)`. The box must lie inside the image.
 * @param out uint8 destination; writes [outH, outW, c] from element `outOffset`
 */
export function resampleBox(src: Uint8Array, offset: number, h: number, w: number, c: number, box: CropBox,
  outH: number, outW: number, out: Uint8Array, outOffset: number): void {
  if (box.top < 0 || box.left < 0 || box.top + box.height > h || box.left + box.width > w) {
    throw new Error(`resample box ${JSON.stringify(box)} is outside the ${h}x${w} image`);
  }
  const hx = coefficients(box.left, box.width, w, outW);
  const vy = coefficients(box.top, box.height, h, outH);
  let y0 = h;
  let y1 = 0;
  for (let o = 0; o < outH; o++) {
    y0 = Math.min(y0, vy.start[o]);
    y1 = Math.max(y1, vy.start[o] + vy.weights[o].length);
  }
  const rows = Math.max(0, y1 - y0);
  const tmp = new Float64Array(rows * outW * c);
  for (let r = 0; r < rows; r++) {
    const srow = offset + (y0 + r) * w * c;
    for (let o = 0; o < outW; o++) {
      const k = hx.weights[o];
      const s0 = srow + hx.start[o] * c;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let i = 0; i < k.length; i++) acc += k[i] * src[s0 + i * c + ch];
        tmp[(r * outW + o) * c + ch] = acc;
      }
    }
  }
  for (let o = 0; o < outH; o++) {
    const k = vy.weights[o];
    const r0 = vy.start[o] - y0;
    for (let x = 0; x < outW; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let i = 0; i < k.length; i++) acc += k[i] * tmp[((r0 + i) * outW + x) * c + ch];
        out[outOffset + (o * outW + x) * c + ch] = Math.min(255, Math.max(0, Math.round(acc)));
      }
    }
  }
}

/**
 * Copies `box` of one uint8 HWC image to an out of box.height × box.width, 0 where the box reaches
 * outside the image (torchvision's CenterCrop pads smaller images with 0).
 */
export function cropBox(src: Uint8Array, offset: number, h: number, w: number, c: number, box: CropBox, out: Uint8Array, outOffset: number): void {
  for (let y = 0; y < box.height; y++) {
    const sy = box.top + y;
    for (let x = 0; x < box.width; x++) {
      const sx = box.left + x;
      const o = outOffset + (y * box.width + x) * c;
      if (sy < 0 || sy >= h || sx < 0 || sx >= w) out.fill(0, o, o + c);
      else for (let ch = 0; ch < c; ch++) out[o + ch] = src[offset + (sy * w + sx) * c + ch];
    }
  }
}

/**
 * The geometric part of the imagenet-type pipeline for one source image: a random resized crop
 * (when `crop` is given) resampled to size × size, or a center crop of size × size.
 */
export function resizedCropInto(src: Uint8Array, offset: number, h: number, w: number, c: number, size: number,
  crop: CropBox | null, out: Uint8Array, outOffset: number): void {
  if (crop) resampleBox(src, offset, h, w, c, crop, size, size, out, outOffset);
  else cropBox(src, offset, h, w, c, centerCropBox(h, w, size, size), out, outOffset);
}
