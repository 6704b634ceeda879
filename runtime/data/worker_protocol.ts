/** Messages between the batch loader (main thread) and its worker (loader_worker.ts). */
import type { Batch, BatchPlan } from './batch';

/** Main → worker. */
export type ToWorker =
  /** Once, first: the plan and the dataset (images in a SharedArrayBuffer, shared, not copied). */
  | { type: 'init'; plan: BatchPlan; images: Uint8Array; labels: Int32Array }
  /** Build batch `step` of `epoch` for iteration generation `gen`. */
  | { type: 'batch'; gen: number; epoch: number; step: number }
  /** Skip queued requests of generations < before (an abandoned epoch). */
  | { type: 'cancel'; before: number };

/** Worker → main. Batch buffers are transferred. */
export type FromWorker =
  | { type: 'batch'; gen: number; batch: Batch }
  | { type: 'error'; gen: number; step: number; message: string; stack?: string };
