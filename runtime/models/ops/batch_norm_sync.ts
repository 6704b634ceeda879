/**
 * The process-wide hook that turns every training-mode batch norm into synchronised batch norm
 * (PyTorch's `nn.SyncBatchNorm`): when a reducer is installed, `batchNormTrain`
 * (./batch_norm.ts) sums its per-channel statistics over all data-parallel workers, in the forward
 * and in the backward pass. The trainer installs one for `train.dist.use_sync_bn True`
 * (runtime/distributed/sync_collective.ts does the summing); models never import the process group.
 */

/**
 * Sums `values` element-wise over every worker of the process group, in place and synchronously
 * (it returns once every worker has contributed), so every worker ends with identical values.
 * Every worker must call it the same number of times with buffers of the same length, in the same
 * order. Throws (the process group's DistError) when a worker died or did not answer in time.
 */
export type BatchNormReducer = (values: Float64Array) => void;

let reducer: BatchNormReducer | null = null;

/**
 * Installs (or with `null` removes) the reducer that every training-mode batch norm of this
 * process uses from now on; `null` restores plain per-process batch norm.
 */
export function setBatchNormSync(fn: BatchNormReducer | null): void {
  reducer = fn;
}

/** The installed reducer, or null (plain batch norm). */
export function batchNormSync(): BatchNormReducer | null {
  return reducer;
}
