import * as tf from '@tensorflow/tfjs-core';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';

/**
 * The dropout seeds of one model: a base drawn from the model's seeded init stream, then one new
 * seed per dropout call, so a run's masks are reproducible from `train.seed` and differ at every
 * call and step.
 */
export class DropoutSeeds {
  private base = 0;
  private calls = 0;

  /**
   * Draws the base seed. Models call it after building their parameters, so the dropout rate
   * does not change the initial weights.
   */
  draw(rng: { uniform(): number }): void {
    this.base = Math.floor(rng.uniform() * 2 ** 31);
    this.calls = 0;
  }

  /** The seed of the next dropout call. */
  next(): number {
    return this.base + this.calls++;
  }
}

/**
 * Inverted dropout as PyTorch's `F.dropout(x, p, training)`: in training, zeroes each element with
 * probability `rate` and scales the rest by 1/(1 − rate); identity in evaluation or when rate is 0.
 */
export class Dropout {
  readonly name: string;

  constructor(
    registry: ParamRegistry,
    name: string,
    readonly rate: number,
    private readonly seeds: DropoutSeeds,
  ) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`${registry.qualify(name)}: dropout rate ${rate} is not in [0, 1)`);
    this.name = registry.qualify(name);
  }

  apply<T extends tf.Tensor>(x: T, training: boolean): T {
    const y = training && this.rate > 0 ? (tf.dropout(x, this.rate, undefined, this.seeds.next()) as T) : x;
    recordLayer({ name: this.name, type: 'Dropout', outputShape: y.shape, params: 0, macs: 0 });
    return y;
  }
}
