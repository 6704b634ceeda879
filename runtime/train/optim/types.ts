import type * as tf from '@tensorflow/tfjs-core';

/**
 * Serialisable optimizer state, e.g. SGD momentum buffers. `name` identifies the optimizer (`sgd`,
 * `adam`, ...); `tensors` are keyed by `Param.name` (optimizers with several slots per parameter use
 * `<param name>/<slot>` keys, scalar counters go in as 0-d tensors).
 */
export interface OptimizerState {
  name: string;
  tensors: Record<string, tf.Tensor>;
}

/** Shared interface of the optimizers (sgd, adam, amsgrad, adabound, adaboundw, lars: see `createOptimizer`). */
export interface Optimizer {
  /** Optimizer name as in `train.optimizer`. */
  readonly name: string;
  /**
   * Updates the parameters in place from their gradients.
   * @param grads gradients keyed by `Param.name` or by the parameter's `tf.Variable` name (what
   *   `tf.variableGrads` returns); each must have its parameter's shape. Parameters without a gradient
   *   are left untouched (as PyTorch does for `grad is None`). Not disposed: they stay the caller's.
   * @param lr learning rate for this step (from the lr schedule), >= 0.
   * @throws Error for a key that names no parameter, or a shape mismatch.
   */
  step(grads: Record<string, tf.Tensor>, lr: number): void;
  /**
   * The current state. The tensors are the optimizer's own (not copies): read them (e.g. to save a
   * checkpoint) before the next `step`/`setState`/`dispose`, and never dispose them.
   */
  getState(): OptimizerState;
  /**
   * Replaces the state with copies of `state.tensors` (the caller keeps ownership of its tensors).
   * @throws Error when the name differs, a key names no parameter, or a shape differs.
   */
  setState(state: OptimizerState): void;
  /** Frees the state tensors; the parameters are not touched. */
  dispose(): void;
}
