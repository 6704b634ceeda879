import * as tf from '@tensorflow/tfjs-core';
import type { INIT_MODES } from '../../config/tree';

/** A source of standard normal samples, e.g. the runtime's seeded PRNG. */
export interface NormalSource {
  normal(): number;
}

/** The original's `model.init_mode`. */
export type InitMode = (typeof INIT_MODES)[number];

/**
 * Kaiming (He) normal initialisation with ReLU gain, as PyTorch's
 * `nn.init.kaiming_normal_(w, mode, nonlinearity='relu')`: samples N(0, std²) with
 * std = sqrt(2 / fan), fan = fan_in or fan_out (arXiv 1502.01852, eq. 10 and 14).
 * @param shape tensor shape to fill
 * @param fanIn inputs per output unit (conv: inChannels·kh·kw; linear: inFeatures)
 * @param fanOut outputs per input unit (conv: outChannels·kh·kw; linear: outFeatures)
 */
export function kaimingNormal(shape: number[], fanIn: number, fanOut: number, mode: InitMode, rng: NormalSource): tf.Tensor {
  const fan = mode === 'kaiming_fan_out' ? fanOut : fanIn;
  const std = Math.sqrt(2 / fan);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
  return tf.tensor(values, shape, 'float32');
}

/**
 * PyTorch's default initialisation of a conv or linear bias: U(−1/sqrt(fanIn), 1/sqrt(fanIn)).
 * The original leaves VGG's conv biases at this default.
 */
export function pytorchDefaultBias(size: number, fanIn: number, uniform: () => number): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (uniform() * 2 - 1) * bound;
  return tf.tensor1d(values, 'float32');
}
