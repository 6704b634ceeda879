import type { Param } from '../../models/types';
import { SGD, type SgdOptions } from './sgd';
import type { Optimizer } from './types';
import { weightDecayPolicy, type WeightDecayOptions } from './weight_decay';

export { SGD, paramKeyMap, resolveGrads, type SgdOptions } from './sgd';
export type { Optimizer, OptimizerState } from './types';
export { weightDecayPolicy, type WeightDecayOptions } from './weight_decay';

/** Values of `train.optimizer` in the original framework. */
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'amsgrad', 'adabound', 'adaboundw', 'lars'] as const;
/** Those implemented here so far. */
export const IMPLEMENTED_OPTIMIZERS = ['sgd'] as const;

/** The `train` keys `createOptimizer` reads; a parsed `train` section satisfies it. */
export interface OptimizerOptions extends SgdOptions, WeightDecayOptions {
  optimizer: string;
}

/**
 * Builds the optimizer named by `train.optimizer` for `params`, with the per-parameter weight decay of
 * {@link weightDecayPolicy}.
 * @throws Error for an unknown name (listing the allowed ones) or one not implemented yet.
 */
export function createOptimizer(train: OptimizerOptions, params: readonly Param[]): Optimizer {
  switch (train.optimizer) {
    case 'sgd':
      return new SGD(params, train, weightDecayPolicy(train));
    default:
      if ((OPTIMIZER_NAMES as readonly string[]).includes(train.optimizer)) {
        throw new Error(`train.optimizer '${train.optimizer}' is not implemented yet; implemented: ${IMPLEMENTED_OPTIMIZERS.join(', ')}`);
      }
      throw new Error(`Unknown train.optimizer '${train.optimizer}'; allowed: ${OPTIMIZER_NAMES.join(', ')}`);
  }
}
