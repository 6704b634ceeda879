import type { Param } from '../../models/types';
import { AdaBound } from './adabound';
import { Adam } from './adam';
import { LARS } from './lars';
import { SGD, type SgdOptions } from './sgd';
import type { Optimizer } from './types';
import { weightDecayPolicy, type WeightDecayOptions } from './weight_decay';

export { SGD, paramKeyMap, resolveGrads, type SgdOptions } from './sgd';
export { Adam, SlotOptimizer, type AdamOptions } from './adam';
export { AdaBound, type AdaBoundOptions } from './adabound';
export { LARS, type LarsOptions } from './lars';
export type { Optimizer, OptimizerState } from './types';
export { weightDecayPolicy, type WeightDecayOptions } from './weight_decay';

/** Values of `train.optimizer` in the original framework. */
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'amsgrad', 'adabound', 'adaboundw', 'lars'] as const;

/** The `train` keys `createOptimizer` reads; a parsed `train` section satisfies it. */
export interface OptimizerOptions extends SgdOptions, WeightDecayOptions {
  optimizer: string;
  /** `train.base_lr`: needed by adabound/adaboundw (final_lr is scaled by lr/base_lr). */
  base_lr?: number;
}

/** The `optim` section; a parsed `optim` section satisfies it. */
export interface OptimSection {
  adam: { betas: readonly number[] };
  lars: { eps: number; threshold: number };
  adabound: { betas: readonly number[]; final_lr: number; gamma: number };
}

/** The original's `optim` defaults (defaults.py). */
export const DEFAULT_OPTIM: OptimSection = {
  adam: { betas: [0.9, 0.999] },
  lars: { eps: 1e-9, threshold: 1e-2 },
  adabound: { betas: [0.9, 0.999], final_lr: 0.1, gamma: 1e-3 },
};

/**
 * Builds the optimizer named by `train.optimizer` for `params`, with the per-parameter weight decay of
 * {@link weightDecayPolicy}.
 * @param optim the `optim` section (betas, LARS and AdaBound settings); default the original's defaults
 * @throws Error for an unknown name (listing the allowed ones) or invalid settings.
 */
export function createOptimizer(train: OptimizerOptions, params: readonly Param[], optim: OptimSection = DEFAULT_OPTIM): Optimizer {
  const decay = weightDecayPolicy(train);
  switch (train.optimizer) {
    case 'sgd':
      return new SGD(params, train, decay);
    case 'adam':
    case 'amsgrad':
      return new Adam(params, { betas: optim.adam.betas, amsgrad: train.optimizer === 'amsgrad' }, decay);
    case 'adabound':
    case 'adaboundw':
      return new AdaBound(params, {
        betas: optim.adabound.betas, finalLr: optim.adabound.final_lr, gamma: optim.adabound.gamma,
        baseLr: train.base_lr ?? NaN, decoupled: train.optimizer === 'adaboundw',
      }, decay);
    case 'lars':
      return new LARS(params, { momentum: train.momentum, eps: optim.lars.eps, threshold: optim.lars.threshold }, decay);
    default:
      throw new Error(`Unknown train.optimizer '${train.optimizer}'; allowed: ${OPTIMIZER_NAMES.join(', ')}`);
  }
}
