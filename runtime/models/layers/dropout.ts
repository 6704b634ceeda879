import * as tf from '@tensorflow/tfjs-core';
import type { StepNoise } from './noise';
import type { ParamRegistry } from './registry';
import { recordLayer } from './trace';

/**
 * Inverted dropout as PyTorch's `F.dropout(x, p, training)`: in training, zeroes each element with
 * probability `rate` and scales the rest by 1/(1 − rate); identity in evaluation or when rate is 0.
 * Each call draws its mask seed from the model's {@link StepNoise}.
 */
export class Dropout {
  readonly name: string;

  constructor(
    registry: ParamRegistry,
    name: string,
    readonly rate: number,
    private readonly noise: Pick<StepNoise, 'nextSeed'>,
  ) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`${registry.qualify(name)}: dropout rate ${rate} is not in [0, 1)`);
    this.name = registry.qualify(name);
  }

  apply<T extends tf.Tensor>(x: T, training: boolean): T {
    const y = training && this.rate > 0 ? (tf.dropout(x, this.rate, undefined, this.noise.nextSeed()) as T) : x;
    recordLayer({ name: this.name, type: 'Dropout', outputShape: y.shape, params: 0, macs: 0 });
    return y;
  }
}
