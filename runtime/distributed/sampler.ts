/**
 * Data sharding for data-parallel training.
 *
 * Train: PyTorch's DistributedSampler with `set_epoch` called every epoch (the original forgot it,
 * so its every epoch had the same order): the epoch's permutation of the whole training set is the
 * one a single process uses (`Rng.fromKey(seed, epoch, 0)`, runtime/data/batch.ts), padded by
 * wrapping to a multiple of the world size, and rank r takes positions r, r+W, r+2W, … Batches of
 * `train.batch_size` (per process, as the original) are cut from that shard, so global step s of
 * W workers covers exactly the images of step s of one process with batch W·batch_size. The
 * augmentation of rank r's step s is keyed (seed + r·2^32, epoch, step): rank 0 draws what a single
 * process draws, the others draw independently. Batches are built in the training thread (a
 * shard's batch is cheap next to a step).
 *
 * Validation: rank r evaluates the contiguous slice [⌊n·r/W⌋, ⌊n·(r+1)/W⌋) of the validation set (the test
 * split, or the images held out from the training files: the same on every rank, see
 * runtime/train/data.ts), and
 * the sums are all-reduced, so the metrics are those of the whole set, each image counted once.
 */
import { BatchBuilder, computeStepsPerEpoch, type Batch, type BatchPlan } from '../data/batch';
import type { ImageDataset } from '../data/dataset';
import { Rng } from '../data/rng';
import type { TransformOptions } from '../data/transforms';

/** This process's place in the group. */
export interface Shard {
  rank: number;
  worldSize: number;
}

/** The augmentation seed of a rank (rank 0 keeps the run's seed). */
export function rankSeed(seed: number, rank: number): number {
  return seed + rank * 2 ** 32;
}

/**
 * The sample indices of `shard` for `epoch`: the epoch's permutation (or file order when
 * `shuffle` is false), padded by wrapping to ⌈n/W⌉·W, every W-th position from `rank`.
 */
export function shardIndices(seed: number, epoch: number, n: number, shard: Shard, shuffle = true): Int32Array {
  const { rank, worldSize: W } = shard;
  const perm = shuffle ? Rng.fromKey(seed, epoch, 0).permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
  const per = Math.ceil(n / W);
  const out = new Int32Array(per);
  for (let i = 0; i < per; i++) out[i] = perm[(rank + W * i) % n];
  return out;
}

export interface ShardedLoaderOptions {
  batchSize: number;
  seed: number;
  dropLast: boolean;
  transform: TransformOptions;
  shard: Shard;
}

/** The train loader of one rank: the interface of BatchLoader's train mode, over its shard. */
export class ShardedTrainLoader {
  readonly stepsPerEpoch: number;
  readonly plan: BatchPlan;
  /** Images in this rank's shard per epoch. */
  readonly shardSize: number;
  private readonly builder: BatchBuilder;
  private closed = false;

  constructor(private readonly dataset: ImageDataset, private readonly opts: ShardedLoaderOptions) {
    if (dataset.n < opts.shard.worldSize) throw new Error(`${dataset.n} training images cannot be shared by ${opts.shard.worldSize} workers`);
    this.plan = {
      mode: 'train',
      batchSize: opts.batchSize,
      seed: rankSeed(opts.seed, opts.shard.rank),
      dropLast: opts.dropLast,
      transform: opts.transform,
      n: dataset.n,
      height: dataset.height,
      width: dataset.width,
      channels: dataset.channels,
    };
    this.builder = new BatchBuilder(this.plan, dataset.images, dataset.labels);
    this.shardSize = Math.ceil(dataset.n / opts.shard.worldSize);
    this.stepsPerEpoch = computeStepsPerEpoch(this.shardSize, opts.batchSize, opts.dropLast);
  }

  /** The batches of this rank for `epoch` (1-based steps from `startStep`). */
  epoch(epoch: number, opts: { startStep?: number } = {}): AsyncGenerator<Batch, void, undefined> {
    if (this.closed) throw new Error('ShardedTrainLoader.epoch: the loader is closed');
    const start = opts.startStep ?? 1;
    if (!Number.isInteger(start) || start < 1 || start > this.stepsPerEpoch + 1) throw new Error(`startStep ${start} out of range 1..${this.stepsPerEpoch + 1}`);
    return this.iterate(epoch, start);
  }

  close(): void {
    this.closed = true;
  }

  private async *iterate(epoch: number, start: number): AsyncGenerator<Batch, void, undefined> {
    const { batchSize } = this.opts;
    const idx = shardIndices(this.opts.seed, epoch, this.dataset.n, this.opts.shard);
    // BatchBuilder reads order[(s-1)·B + i] for i < min(B, n - (s-1)·B): pad so a last partial
    // batch of the shard reads valid indices, then cut it to the shard.
    const order = new Int32Array(Math.max(this.dataset.n, this.stepsPerEpoch * batchSize));
    for (let i = 0; i < order.length; i++) order[i] = idx[i % idx.length];
    for (let s = start; s <= this.stepsPerEpoch; s++) {
      if (this.closed) return;
      const b = this.builder.build(epoch, s, order);
      const m = Math.min(batchSize, this.shardSize - (s - 1) * batchSize);
      yield m === b.n ? b : truncate(b, m, this.dataset.height * this.dataset.width * this.dataset.channels);
    }
  }
}

function truncate(b: Batch, m: number, size: number): Batch {
  const out: Batch = { ...b, n: m, x: b.x.subarray(0, m * size), y: b.y.subarray(0, m) };
  if (b.x2) out.x2 = b.x2.subarray(0, m * size);
  if (b.mix) out.mix = { ...b.mix, labels: b.mix.labels.map((l) => l.subarray(0, m)) };
  return out;
}

/** Rows [⌊n·r/W⌋, ⌊n·(r+1)/W⌋) of a dataset (shares its memory). */
export function sliceDataset(ds: ImageDataset, shard: Shard): ImageDataset {
  const a = Math.floor((ds.n * shard.rank) / shard.worldSize);
  const b = Math.floor((ds.n * (shard.rank + 1)) / shard.worldSize);
  const size = ds.height * ds.width * ds.channels;
  return { ...ds, images: ds.images.subarray(a * size, b * size), labels: ds.labels.subarray(a, b), n: b - a };
}
