/**
 * Batch loader: the original's train loader (RandomSampler without replacement, batch_size,
 * drop_last) and eval loader (sequential, last partial batch kept), with the per-image transforms.
 *
 * Batches are built in `node:worker_threads` workers while the main thread trains: up to
 * `prefetch` batches are requested ahead, batch buffers are transferred (not copied) back, and the
 * dataset's pixels are shared with the workers through a SharedArrayBuffer. Every batch is a pure
 * function of (seed, epoch, step) (see batch.ts), so `workers: 0` (build in-thread) gives the same
 * batches bit for bit, and a resumed run gets exactly the batches it would have got.
 *
 * Workers are unref'd while nobody awaits a batch, so a forgotten loader never keeps the process
 * alive; still call {@link BatchLoader.close} when done.
 */
import type { Worker } from 'node:worker_threads';
import { BatchBuilder, computeStepsPerEpoch, epochOrder, type Batch, type BatchPlan } from './batch';
import type { ImageDataset } from './dataset';
import type { TransformOptions } from './transforms';
import { resolveDataWorker, startWorker, type WorkerScript } from './worker_path';
import type { FromWorker, ToWorker } from './worker_protocol';

export type { Batch } from './batch';

export interface LoaderOptions {
  /** train: per-epoch permutation + augmentation, drop_last; eval: sequential, normalise only. */
  mode: 'train' | 'eval';
  batchSize: number;
  /** train.seed; default 0. */
  seed?: number;
  /** Default: true for train, false for eval (as the original's loaders). */
  dropLast?: boolean;
  /** Normalisation (+ crop/flip for train; eval ignores crop/flip). */
  transform: TransformOptions;
  /** Worker threads building batches; 0 = build in the calling thread. Default 1. */
  workers?: number;
  /** Batches requested ahead of the one being consumed (queue depth). Default 3. */
  prefetch?: number;
  /** Worker script override (default: {@link resolveDataWorker}). */
  workerScript?: WorkerScript;
}

interface Waiter {
  step: number;
  resolve: (b: Batch) => void;
  reject: (e: Error) => void;
}

/** Copies `a` into shared memory unless it already is shared. */
function toShared(a: Uint8Array): Uint8Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Uint8Array(new SharedArrayBuffer(a.length));
  s.set(a);
  return s;
}

/** Iterates batches of a dataset, see the module comment. */
export class BatchLoader {
  /** Batches per epoch (floor(n / batchSize) with drop_last, else ceil). */
  readonly stepsPerEpoch: number;
  readonly plan: BatchPlan;
  private readonly builder: BatchBuilder;
  private readonly workers: Worker[] = [];
  private readonly prefetch: number;
  private generation = 0;
  private ready = new Map<number, Batch>();
  private waiter: Waiter | null = null;
  private failure: Error | null = null;
  private closed = false;

  /**
   * @throws on a bad batch size, worker count, prefetch, or transform option; when the worker
   *   script cannot be found (see resolveDataWorker)
   */
  constructor(dataset: ImageDataset, opts: LoaderOptions) {
    const workers = opts.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be a non-negative integer, got ${opts.workers}`);
    this.prefetch = opts.prefetch ?? 3;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1) throw new Error(`prefetch must be a positive integer, got ${opts.prefetch}`);
    this.plan = {
      mode: opts.mode,
      batchSize: opts.batchSize,
      seed: opts.seed ?? 0,
      dropLast: opts.dropLast ?? opts.mode === 'train',
      transform: opts.mode === 'train' ? opts.transform : { mean: opts.transform.mean, std: opts.transform.std },
      n: dataset.n,
      height: dataset.height,
      width: dataset.width,
      channels: dataset.channels,
    };
    const images = workers > 0 ? toShared(dataset.images) : dataset.images;
    this.builder = new BatchBuilder(this.plan, images, dataset.labels);
    this.stepsPerEpoch = computeStepsPerEpoch(this.plan.n, this.plan.batchSize, this.plan.dropLast);
    if (workers > 0) {
      const script = opts.workerScript ?? resolveDataWorker();
      for (let i = 0; i < workers; i++) {
        const w = startWorker(script);
        w.unref();
        w.on('message', (m: FromWorker) => this.onMessage(m));
        w.on('error', (e: Error) => this.fail(new Error(`batch worker failed: ${e.message}`)));
        w.on('exit', (code) => {
          if (!this.closed) this.fail(new Error(`batch worker exited unexpectedly (code ${code})`));
        });
        const init: ToWorker = { type: 'init', plan: this.plan, images, labels: dataset.labels };
        w.postMessage(init);
        this.workers.push(w);
      }
    }
  }

  /**
   * The batches of one epoch, in order. Starting another epoch (or breaking out of the loop)
   * abandons this one.
   * @param epoch any integer (the training loop uses 1-based epochs like the original)
   * @param opts.startStep first step to yield (1-based; to resume mid-epoch); default 1
   * @throws at the call if the loader is closed or epoch/startStep are invalid; during iteration
   *   if a worker fails or the loader is closed meanwhile
   */
  epoch(epoch: number, opts: { startStep?: number } = {}): AsyncGenerator<Batch, void, undefined> {
    if (this.closed) throw new Error('BatchLoader.epoch: the loader is closed');
    if (!Number.isSafeInteger(epoch)) throw new Error(`epoch must be an integer, got ${epoch}`);
    const start = opts.startStep ?? 1;
    if (!Number.isInteger(start) || start < 1 || start > this.stepsPerEpoch + 1) throw new Error(`startStep ${start} out of range 1..${this.stepsPerEpoch + 1}`);
    return this.iterate(epoch, start);
  }

  private async *iterate(epoch: number, start: number): AsyncGenerator<Batch, void, undefined> {
    if (this.closed) throw new Error('BatchLoader.epoch: the loader is closed');
    const steps = this.stepsPerEpoch;
    const gen = this.beginGeneration();
    if (this.workers.length === 0) {
      const order = epochOrder(this.plan, epoch);
      for (let s = start; s <= steps; s++) {
        if (gen !== this.generation) return;
        yield this.builder.build(epoch, s, order);
      }
      return;
    }
    let requested = start - 1;
    const requestUpTo = (last: number): void => {
      for (; requested < Math.min(last, steps); ) {
        requested++;
        const msg: ToWorker = { type: 'batch', gen, epoch, step: requested };
        this.workers[(requested - 1) % this.workers.length].postMessage(msg);
      }
    };
    try {
      for (let s = start; s <= steps; s++) {
        requestUpTo(s + this.prefetch - 1);
        const batch = await this.receive(s);
        requestUpTo(s + this.prefetch);
        yield batch;
        if (gen !== this.generation) return;
      }
    } finally {
      if (gen === this.generation && !this.closed) this.beginGeneration();
    }
  }

  /** Stops the workers; pending and later iterations throw. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    this.ready.clear();
    this.waiter?.reject(new Error('BatchLoader closed'));
    this.waiter = null;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private beginGeneration(): number {
    this.generation++;
    this.ready.clear();
    const cancel: ToWorker = { type: 'cancel', before: this.generation };
    for (const w of this.workers) w.postMessage(cancel);
    if (this.waiter) {
      this.waiter.reject(new Error('epoch iteration abandoned: another epoch was started'));
      this.waiter = null;
    }
    return this.generation;
  }

  private receive(step: number): Promise<Batch> {
    if (this.failure) return Promise.reject(this.failure);
    const b = this.ready.get(step);
    if (b) {
      this.ready.delete(step);
      return Promise.resolve(b);
    }
    for (const w of this.workers) w.ref();
    return new Promise<Batch>((resolve, reject) => {
      this.waiter = { step, resolve, reject };
    }).finally(() => {
      if (!this.waiter) for (const w of this.workers) w.unref();
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.gen !== this.generation) return;
    if (m.type === 'error') {
      this.fail(new Error(`batch worker, step ${m.step}: ${m.message}`));
      return;
    }
    const w = this.waiter;
    if (w && w.step === m.batch.index) {
      this.waiter = null;
      w.resolve(m.batch);
    } else {
      this.ready.set(m.batch.index, m.batch);
    }
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }
}
