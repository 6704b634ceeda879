/** Rectangles of pixels and filling them, shared by the per-image and batch augmentations. */

/** Rows [y0, y1) and columns [x0, x1) of an image (half-open, already clipped to it). */
export interface Box {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** Pixels covered by a box. */
export function boxArea(b: Box): number {
  return Math.max(0, b.y1 - b.y0) * Math.max(0, b.x1 - b.x0);
}

/**
 * Sets every channel of the pixels in `box` of one HWC float image to `value`.
 * @param img float32 images; this one starts at element `offset` and is [h, w, c]
 */
export function fillBox(img: Float32Array, offset: number, w: number, c: number, box: Box, value: number): void {
  for (let y = box.y0; y < box.y1; y++) {
    img.fill(value, offset + (y * w + box.x0) * c, offset + (y * w + box.x1) * c);
  }
}

/** Python's `round` (half to even), as numpy's `np.round` on scalars. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
