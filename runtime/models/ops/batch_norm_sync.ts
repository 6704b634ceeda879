/**
 * The reducer of synchronised batch norm (PyTorch's `nn.SyncBatchNorm`): with one, `batchNormTrain`
 * (./batch_norm.ts) sums its per-channel statistics over all data-parallel workers, in the forward
 * and in the backward pass. It reaches the BN layers through the model's build context
 * (`BuildContext.syncBatchNorm`, set by the trainer for `train.dist.use_sync_bn True`;
 * runtime/distributed does the summing); models never import the process group.
 */

/**
 * Sums `values` element-wise over every worker of the process group, in place and synchronously
 * (it returns once every worker has contributed), so every worker ends with identical values.
 * Every worker must call it the same number of times with buffers of the same length, in the same
 * order. Throws (the process group's DistError) when a worker died or did not answer in time.
 */
export type BatchNormReducer = (values: Float64Array) => void;
