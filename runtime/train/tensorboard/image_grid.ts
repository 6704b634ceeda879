/**
 * Image grids as the original logs them: `torchvision.utils.make_grid(data, normalize=True, scale_each=True)`
 * (8 per row, 2-pixel black padding, each image scaled from its own min..max to 0..1, grey repeated to RGB),
 * then `SummaryWriter.add_image`: ×255 truncated to uint8 and PNG-encoded (pngjs).
 */
import { PNG } from 'pngjs';
import type { SummaryImage } from './event_proto';

const NROW = 8;
const PADDING = 2;

/** A batch of images as the data loader gives them. */
export interface ImageBatch {
  /** float32 [n, height, width, channels] NHWC, normalised. */
  x: Float32Array;
  n: number;
  height: number;
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
}

/**
 * The grid of a batch as RGB uint8 [gridHeight, gridWidth, 3]. A single image is not padded (make_grid
 * returns it as it is).
 * @throws when `channels` is not 1 or 3
 */
export function imageGrid(b: ImageBatch): { rgb: Uint8Array; height: number; width: number } {
  const { n, height: h, width: w, channels: c } = b;
  if (c !== 1 && c !== 3) throw new Error(`image grid: ${c} channels (1 or 3 expected)`);
  const pad = n === 1 ? 0 : PADDING;
  const cols = Math.min(NROW, n);
  const rows = Math.ceil(n / cols);
  const gh = (h + pad) * rows + pad;
  const gw = (w + pad) * cols + pad;
  const rgb = new Uint8Array(gh * gw * 3);
  const size = h * w * c;
  for (let k = 0; k < n; k++) {
    const img = b.x.subarray(k * size, (k + 1) * size);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of img) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // float32 arithmetic, as torch: (v - lo) / max(hi - lo, 1e-5), then ×255 and a cast to uint8.
    const scale = Math.fround(Math.max(Math.fround(hi - lo), 1e-5));
    const top = Math.floor(k / cols) * (h + pad) + pad;
    const left = (k % cols) * (w + pad) + pad;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = ((top + y) * gw + left + x) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const v = img[(y * w + x) * c + (c === 1 ? 0 : ch)];
          const unit = Math.fround(Math.fround(v - lo) / scale);
          rgb[o + ch] = Math.trunc(Math.fround(unit * 255));
        }
      }
    }
  }
  return { rgb, height: gh, width: gw };
}

/** The batch's grid as a `Summary.Image` (PNG, RGB). */
export function gridImage(b: ImageBatch): SummaryImage {
  const g = imageGrid(b);
  const png = new PNG({ width: g.width, height: g.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(g.rgb.buffer, g.rgb.byteOffset, g.rgb.byteLength);
  const encoded = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
  return { height: g.height, width: g.width, colorspace: 3, encoded_image_string: encoded };
}

/**
 * Dual cutout's batches: each image beside its second cut copy, [n, height, 2·width, channels], as the
 * original's data (`np.hstack` of the two copies) is.
 */
export function sideBySide(b: ImageBatch, x2: Float32Array): ImageBatch {
  const { n, height: h, width: w, channels: c } = b;
  const x = new Float32Array(n * h * 2 * w * c);
  const row = w * c;
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < h; y++) {
      const src = (k * h + y) * row;
      const dst = (k * h + y) * 2 * row;
      x.set(b.x.subarray(src, src + row), dst);
      x.set(x2.subarray(src, src + row), dst + row);
    }
  }
  return { x, n, height: h, width: 2 * w, channels: c };
}
