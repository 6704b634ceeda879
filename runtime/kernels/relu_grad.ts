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
 * tfjs-core's formula otherwise (so other backends are unaffected). It saves the output y = max(x, 0) instead of the
 * input, as PyTorch's in-place ReLU does: step(y) = step(x) for every x (NaN included), so the gradient is the same
 * to the bit, and the input (in a post-activation block, the sum of the residual Add) need not stay alive for the
 * backward pass. Idempotent; call it after tfjs-core's gradients are registered.
 */
export function registerReluGradient(): void {
  if (registered) return;
  registered = true;
  const stock = tf.getGradient(tf.Relu);
  tf.registerGradient({
    kernelName: tf.Relu,
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      if (!hasKernel(ReluGrad) && stock) return stock.gradFunc(dy, saved, attrs);
      const [y] = saved;
      return { x: () => runKernel<tf.Tensor>(ReluGrad, { dy: dy as tf.Tensor, x: y }) };
    },
  });
}
