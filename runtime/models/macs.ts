/**
 * Multiply-accumulates of a model for one image, counted as `npm run summary` and thop count them
 * (convolutions and linear layers; see runtime/models/layers/trace.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { traceLayers } from './layers';
import type { Model } from './types';

/**
 * Traces one forward pass of a zero image in evaluation mode (no statistics updated, nothing drawn
 * at random) and sums the layers' MACs.
 * @param imageShape [height, width, channels] of the model's input
 */
export function countMacs(model: Model, imageShape: [number, number, number]): number {
  const x = tf.zeros([1, ...imageShape]) as tf.Tensor4D;
  try {
    const { result, layers } = traceLayers(() => tf.tidy(() => model.apply(x, false)));
    result.dispose();
    return layers.reduce((a, l) => a + l.macs, 0);
  } finally {
    x.dispose();
  }
}
