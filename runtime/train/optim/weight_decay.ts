import type { Param, ParamKind } from '../../models/types';
import { ConfigError } from '../../config/config_error';

/** The `train` keys the weight-decay policy reads; a parsed `train` section satisfies it. */
export interface WeightDecayOptions {
  /** L2 coefficient (`train.weight_decay`), >= 0. */
  weight_decay: number;
  /** `train.no_weight_decay_on_bn`. */
  no_weight_decay_on_bn: boolean;
}

const DECAYED_KINDS: ReadonlySet<ParamKind> = new Set<ParamKind>(['conv_weight', 'linear_weight']);

/**
 * Per-parameter weight decay (the original's param groups), for an optimizer's `weightDecayOf`.
 * - `no_weight_decay_on_bn` false: every parameter gets `weight_decay`.
 * - `no_weight_decay_on_bn` true: conv and linear weights get `weight_decay`; BN gamma/beta and all
 *   biases (conv and linear) get 0, decided by `Param.kind`.
 *
 * Divergence from the original (reference d.4, g.1): its rule was name-based and decayed only tensors
 * whose NAME contains `conv.weight`, i.e. just the stem `conv` and `shortcut.conv` weights: block convs
 * (`conv1`/`conv2`/`conv3`) and the `fc` classifier weight were not decayed either (ResNet-preact-20: 3 of
 * 61 tensors decayed). Here the option does what its name says.
 * @throws Error when `weight_decay` is negative or not finite.
 */
export function weightDecayPolicy(options: WeightDecayOptions): (param: Param) => number {
  const wd = options.weight_decay;
  if (typeof wd !== 'number' || !Number.isFinite(wd) || wd < 0) {
    throw new ConfigError(`must be a finite number >= 0, got ${String(wd)}`, { key: 'train.weight_decay' });
  }
  if (!options.no_weight_decay_on_bn) return () => wd;
  return (param) => (DECAYED_KINDS.has(param.kind) ? wd : 0);
}
