import * as tf from '@tensorflow/tfjs-core';
import type { Buffer, Param, ParamKind } from '../types';

/**
 * Collects the parameters and buffers of a model as its layers are built, under PyTorch-like
 * dotted names (`stage1.block1.conv1.weight`); the underlying `tf.Variable`s are named
 * `model<k>/<dotted name>`, unique per model instance. A child registry shares the lists and extends the
 * prefix, so a block builds its layers without knowing where it sits in the network.
 */
export class ParamRegistry {
  private static instances = 0;

  private constructor(
    private readonly prefix: string,
    readonly params: Param[],
    readonly buffers: Buffer[],
    /** Unique per model: TensorFlow.js variable names are global to the engine. */
    private readonly scope: string,
  ) {}

  /** A new, empty registry for one model. */
  static root(): ParamRegistry {
    return new ParamRegistry('', [], [], `model${ParamRegistry.instances++}`);
  }

  /** A registry whose names are prefixed with `name.`. */
  child(name: string): ParamRegistry {
    return new ParamRegistry(this.qualify(name), this.params, this.buffers, this.scope);
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
