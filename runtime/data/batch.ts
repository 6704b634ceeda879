/**
 * Pure batch construction shared by the in-thread loader and the batch worker. A batch is a pure
 * function of (dataset, plan, epoch, step): the epoch's sample order comes from
 * `Rng.fromKey(seed, epoch, 0)` and the augmentation draws of step s from
 * `Rng.fromKey(seed, epoch, s, 1)`, so any batch can be rebuilt anywhere (worker or not, resumed
 * or not) bit for bit.
 */
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
    if (images.length !== plan.n * size || labels.length !== plan.n) {
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
    const rng = plan.mode === 'train' ? Rng.fromKey(plan.seed, epoch, step, 1) : null;
    for (let i = 0; i < n; i++) {
      const j = order ? order[start + i] : start + i;
      y[i] = this.labels[j];
      const params = rng ? drawAugmentParams(rng, plan.transform) : null;
      transformImage(prepared, this.images, j * size, params, x, i * size);
    }
    return { x, y, n, index: step, epoch };
  }
}
