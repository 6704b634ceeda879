import * as tf from '@tensorflow/tfjs-core';
import type { BuildContext } from '../build_context';
import type { BatchNormReducer } from '../ops/batch_norm_sync';
import type { Buffer, Param, ParamKind } from '../types';

/**
 * Collects the parameters and buffers of a model as its layers are built, under PyTorch-like
 * dotted names (`stage1.block1.conv1.weight`); the underlying `tf.Variable`s are named
 * `model<k>/<dotted name>`, unique per model instance. A child registry shares the lists and extends the
 * prefix, so a block builds its layers without knowing where it sits in the network. It also carries what the
 * layers take from the model's build context: the synchronised batch norm reducer of its BN layers.
 */
export class ParamRegistry {
  private static instances = 0;

  private constructor(
    private readonly prefix: string,
    readonly params: Param[],
    readonly buffers: Buffer[],
    /** Unique per model: TensorFlow.js variable names are global to the engine. */
    private readonly scope: string,
    /** The reducer every training-mode BN layer of the model syncs its statistics with, or null (plain BN). */
    readonly syncBatchNorm: BatchNormReducer | null,
  ) {}

  /**
   * A new, empty registry for one model.
   * @param ctx the model's build context (its `syncBatchNorm` reaches every BN layer built on this registry)
   */
  static root(ctx: Pick<BuildContext, 'syncBatchNorm'>): ParamRegistry {
    return new ParamRegistry('', [], [], `model${ParamRegistry.instances++}`, ctx.syncBatchNorm ?? null);
  }

  /** A registry whose names are prefixed with `name.`. */
  child(name: string): ParamRegistry {
    return new ParamRegistry(this.qualify(name), this.params, this.buffers, this.scope, this.syncBatchNorm);
  }

  /** Full dotted name of `name` in this registry. */
  qualify(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  /** Adds a trainable variable holding `value` (which it takes ownership of). */
  param(name: string, kind: ParamKind, value: tf.Tensor): tf.Variable {
    const full = this.qualify(name);
    const variable = tf.variable(value, true, `${this.scope}/${full}`);
    value.dispose();
    this.params.push({ name: full, kind, variable });
    return variable;
  }

  /** Adds a non-trainable variable holding `value` (which it takes ownership of). */
  buffer(name: string, value: tf.Tensor): tf.Variable {
    const full = this.qualify(name);
    const variable = tf.variable(value, false, `${this.scope}/${full}`);
    value.dispose();
    this.buffers.push({ name: full, variable });
    return variable;
  }
}
