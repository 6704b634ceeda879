/**
 * The gradient of `tf.relu`, through the {@link ReluGrad} kernel where the active backend has one (one pass: ATen's
 * threshold_backward on libtorch), else tfjs-core's own dy·step(x).
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasKernel, runKernel } from './dispatch';
import { ReluGrad } from './kernel_names';

let registered = false;

/**
 * Replaces tfjs-core's `Relu` gradient by one that runs {@link ReluGrad} where the active backend registered it and
 * tfjs-core's formula otherwise (so other backends are unaffected). Idempotent; call it after tfjs-core's gradients
 * are registered.
 */
export function registerReluGradient(): void {
  if (registered) return;
  registered = true;
  const stock = tf.getGradient(tf.Relu);
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      if (!hasKernel(ReluGrad) && stock) return stock.gradFunc(dy, saved, attrs);
      const [x] = saved;
      return { x: () => runKernel<tf.Tensor>(ReluGrad, { dy: dy as tf.Tensor, x }) };
    },
  });
}
