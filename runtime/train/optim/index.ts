import { ConfigError, OPTIMIZERS, defaultConfig, type Config } from '../../config';
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

/** The `train` keys `createOptimizer` reads; a parsed `train` section satisfies it. */
export interface OptimizerOptions extends SgdOptions, WeightDecayOptions {
  optimizer: string;
  /** `train.base_lr`: needed by adabound/adaboundw (final_lr is scaled by lr/base_lr). */
  base_lr?: number;
}

/** The `optim` section (betas, LARS and AdaBound settings; described in the config tree). */
export type OptimSection = Config['optim'];

/**
 * Builds the optimizer named by `train.optimizer` for `params`, with the per-parameter weight decay of
 * {@link weightDecayPolicy}.
 * @param optim the `optim` section (betas, LARS and AdaBound settings); default the config tree's
 *   defaults (the original's defaults.py)
 * @throws ConfigError for an unknown name (listing the allowed ones) or invalid settings.
 */
export function createOptimizer(train: OptimizerOptions, params: readonly Param[], optim: OptimSection = defaultConfig().optim): Optimizer {
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
      throw new ConfigError(`invalid value '${train.optimizer}' (allowed: ${OPTIMIZERS.join(', ')})`, { key: 'train.optimizer' });
  }
}
