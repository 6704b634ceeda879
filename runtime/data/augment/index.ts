/**
 * Train-time augmentations beyond crop and flip (the original's `transforms/` Cutout,
 * RandomErasing, DualCutout and its `collators/` Mixup, CutMix, RICAP), and the imagenet-type
 * resized crops of folder datasets. Every draw comes from the batch's seeded {@link Rng}, so
 * batches stay a pure function of (seed, epoch, step).
 *
 * Per-image order (as the original, after Normalize): Cutout → RandomErasing → DualCutout.
 */
import type { Rng } from '../rng';
import { fillBox } from './box';
import { drawCutout, type CutoutOptions } from './cutout';
import { drawRandomErasing, type RandomErasingOptions } from './random_erasing';

export { sampleBeta, sampleGamma, sampleLogGamma } from './beta';
export { boxArea, fillBox, roundHalfEven, type Box } from './box';
export { checkCutout, drawCutout, type CutoutOptions } from './cutout';
export { checkRandomErasing, drawRandomErasing, type RandomErasingOptions } from './random_erasing';
export { checkMix, mixBatch, permuteLabels, MIX_KINDS, type MixKind, type MixOptions, type MixImages, type MixedTargets } from './mix';
export { mixup } from './mixup';
export { cutmix, cutmixBox } from './cutmix';
export { ricap } from './ricap';
export {
  centerCropBox, cropBox, drawResizedCrop, resampleBox, resizedCropInto, resizeShorterSide, RESIZED_CROP_DEFAULTS,
  type CropBox, type SourceLayout,
} from './resize';

/** The per-image augmentations after normalisation; null/undefined = off. */
export interface ImageAugmentOptions {
  cutout?: CutoutOptions | null;
  randomErasing?: RandomErasingOptions | null;
  /** Dual cutout: the image is copied to `x2` and both copies get an independent cutout. */
  dualCutout?: CutoutOptions | null;
}

/**
 * Applies cutout, random erasing and dual cutout (those enabled, in that order) to one normalised
 * HWC image in place.
 * @param x2 the dual-cutout copies (required when dualCutout is on); the copy is written at the same offset
 */
export function augmentImage(rng: Rng, o: ImageAugmentOptions, x: Float32Array, offset: number, h: number, w: number, c: number,
  x2: Float32Array | null): void {
  if (o.cutout) {
    const box = drawCutout(rng, o.cutout, h, w);
    if (box) fillBox(x, offset, w, c, box, o.cutout.maskColor);
  }
  if (o.randomErasing) {
    const e = drawRandomErasing(rng, o.randomErasing, h, w);
    if (e) fillBox(x, offset, w, c, e.box, e.value);
  }
  if (o.dualCutout) {
    if (!x2) throw new Error('dual cutout needs a second image buffer');
    const size = h * w * c;
    x2.set(x.subarray(offset, offset + size), offset);
    const b1 = drawCutout(rng, o.dualCutout, h, w);
    const b2 = drawCutout(rng, o.dualCutout, h, w);
    if (b1) fillBox(x, offset, w, c, b1, o.dualCutout.maskColor);
    if (b2) fillBox(x2, offset, w, c, b2, o.dualCutout.maskColor);
  }
}
