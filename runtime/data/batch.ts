/**
 * Pure batch construction shared by the in-thread loader and the batch worker. A batch is a pure
 * function of (dataset, plan, epoch, step): the epoch's sample order comes from
 * `Rng.fromKey(seed, epoch, 0)` and the augmentation draws of step s from
 * `Rng.fromKey(seed, epoch, s, 1)`, so any batch can be rebuilt anywhere (worker or not, resumed
 * or not) bit for bit.
 */
import { augmentImage, drawResizedCrop, mixBatch, resizedCropInto, type MixedTargets } from './augment';
import { Rng } from './rng';
import { drawAugmentParams, prepareTransform, transformImage, type PreparedTransform, type TransformOptions } from './transforms';

/** Everything needed to build batches besides the pixels; structured-cloneable. */
export interface BatchPlan {
  /** train: shuffled order + augmentation; eval: file order, normalise only. */
  mode: 'train' | 'eval';
  batchSize: number;
  /** The run's seed (train.seed); unused in eval mode. */
  seed: number;
  /** Drop the last partial batch (train: true in the original; eval: false). */
  dropLast: boolean;
  transform: TransformOptions;
  /** Dataset shape: n samples of [height, width, channels]. */
  n: number;
  height: number;
  width: number;
  channels: number;
}

/** One batch of images and labels. */
export interface Batch {
  /** float32 [n, H, W, C] NHWC, normalised. */
  x: Float32Array;
  /** Labels [n]. */
  y: Int32Array;
  /** Images in this batch (batchSize, or fewer for a kept last partial batch). */
  n: number;
  /** 1-based step within the epoch. */
  index: number;
  /** The epoch the batch belongs to. */
  epoch: number;
  /** Dual cutout: the second independently cut copy of every image, like `x`. */
  x2?: Float32Array;
  /** Batch mixing (mixup, cutmix, ricap): the label sets and their weights; `y` is then `mix.labels[0]`'s source. */
  mix?: MixedTargets;
}

/** Number of batches per epoch: floor(n / batchSize) with dropLast, else ceil. */
export function computeStepsPerEpoch(n: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** The sample order of an epoch: a permutation for train, null (= identity) for eval. */
export function epochOrder(plan: BatchPlan, epoch: number): Int32Array | null {
  return plan.mode === 'train' ? Rng.fromKey(plan.seed, epoch, 0).permutation(plan.n) : null;
}

/** A batch builder over one dataset: holds the prepared transform. */
export class BatchBuilder {
  readonly prepared: PreparedTransform;
  readonly stepsPerEpoch: number;

  /**
   * @param images uint8 [n, H, W, C] NHWC
   * @param labels [n]
   * @throws on inconsistent sizes or invalid transform options
   */
  constructor(readonly plan: BatchPlan, readonly images: Uint8Array, readonly labels: Int32Array) {
    if (!Number.isInteger(plan.batchSize) || plan.batchSize < 1) throw new Error(`batch size must be a positive integer, got ${plan.batchSize}`);
    const size = plan.height * plan.width * plan.channels;
    const src = plan.transform.folder?.source;
    if (src) {
      if (src.offsets.length !== plan.n || src.heights.length !== plan.n || src.widths.length !== plan.n || labels.length !== plan.n) {
        throw new Error(`folder source layout does not match n=${plan.n}`);
      }
      for (let i = 0; i < plan.n; i++) {
        if (src.offsets[i] + src.heights[i] * src.widths[i] * plan.channels > images.length) throw new Error(`folder image ${i} lies outside the pixel buffer`);
      }
    } else if (images.length !== plan.n * size || labels.length !== plan.n) {
      throw new Error(`dataset arrays do not match n=${plan.n} of ${plan.height}x${plan.width}x${plan.channels}: ${images.length} pixels, ${labels.length} labels`);
    }
    this.prepared = prepareTransform(plan.transform, plan.height, plan.width, plan.channels);
    this.stepsPerEpoch = computeStepsPerEpoch(plan.n, plan.batchSize, plan.dropLast);
  }

  /**
   * Builds batch `step` (1-based) of `epoch`.
   * @param order the epoch's order from {@link epochOrder} (passed in so it is computed once per epoch)
   * @throws if step is outside 1..stepsPerEpoch
   */
  build(epoch: number, step: number, order: Int32Array | null): Batch {
    const { plan, prepared } = this;
    if (!Number.isInteger(step) || step < 1 || step > this.stepsPerEpoch) throw new Error(`step ${step} out of range 1..${this.stepsPerEpoch}`);
    const start = (step - 1) * plan.batchSize;
    const n = Math.min(plan.batchSize, plan.n - start);
    const size = plan.height * plan.width * plan.channels;
    const x = new Float32Array(n * size);
    const y = new Int32Array(n);
    const train = plan.mode === 'train';
    const t = plan.transform;
    const rng = train ? Rng.fromKey(plan.seed, epoch, step, 1) : null;
    const x2 = train && t.dualCutout ? new Float32Array(n * size) : null;
    const folder = train ? t.folder : null;
    const tmp = folder ? new Uint8Array(size) : null;
    const [h, w, c] = [plan.height, plan.width, plan.channels];
    for (let i = 0; i < n; i++) {
      const j = order ? order[start + i] : start + i;
      y[i] = this.labels[j];
      if (folder && tmp && rng) {
        const { offsets, heights, widths } = folder.source;
        const rrc = folder.randomResizedCrop;
        const crop = rrc ? drawResizedCrop(rng, heights[j], widths[j], rrc.scale, rrc.ratio) : null;
        resizedCropInto(this.images, offsets[j], heights[j], widths[j], c, h, crop, tmp, 0);
        const flip = t.horizontalFlip ? rng.uniform() < t.horizontalFlip.prob : false;
        transformImage(prepared, tmp, 0, { top: 0, left: 0, flip }, x, i * size);
      } else {
        const params = rng ? drawAugmentParams(rng, t) : null;
        transformImage(prepared, this.images, j * size, params, x, i * size);
      }
      if (rng) augmentImage(rng, t, x, i * size, h, w, c, x2);
    }
    const batch: Batch = { x, y, n, index: step, epoch };
    if (x2) batch.x2 = x2;
    if (train && t.mix) batch.mix = mixBatch(Rng.fromKey(plan.seed, epoch, step, 2), t.mix, { xs: x2 ? [x, x2] : [x], y, n, h, w, c });
    return batch;
  }
}
