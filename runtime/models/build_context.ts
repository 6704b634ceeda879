import type { InitMode, NormalSource } from './layers/init';
import type { StepNoise } from './layers/noise';
import type * as nnModule from './nn';
import type { BatchNormReducer } from './ops/batch_norm_sync';

/** The ops and layer classes of `runtime/models/nn.ts`, as a family module receives them. */
export type Nn = typeof nnModule;

/** What every model builder needs besides its own config section. */
export interface BuildContext {
  /** Input channels (3 for CIFAR, 1 for the MNIST family). */
  inChannels: number;
  /** Input height = width, pixels. */
  imageSize: number;
  nClasses: number;
  initMode: InitMode;
  /** Seeded source of the initial weights. */
  rng: NormalSource & { uniform(): number };
  /** Training-time randomness (dropout, shake), keyed by optimizer step; see {@link StepNoise}. */
  noise: StepNoise;
  /**
   * The TensorFlow.js ops and layer classes to build with (`runtime/models/nn.ts`): family modules import
   * TensorFlow.js only as types, so that the config and the editor can load them without it.
   */
  nn: Nn;
  /**
   * Synchronised batch norm (`train.dist.use_sync_bn`): the sum over the data-parallel workers that every
   * training-mode BN layer takes its statistics with; absent for plain per-worker batch norm.
   */
  syncBatchNorm?: BatchNormReducer;
}
