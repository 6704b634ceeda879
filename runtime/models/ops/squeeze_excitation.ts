/**
 * Squeeze-and-excitation (Hu et al., arXiv 1709.01507) as the original's `SELayer`, as one operation: the active
 * backend's `SqueezeExcitation` / `SqueezeExcitationGrad` kernels where it registers them
 * (runtime/kernels/kernel_names.ts; libtorch: native/squeeze_excitation.cc, one call each way instead of about 75
 * tfjs kernels in a training step); elsewhere the composed tfjs ops, exactly as the layer ran them before.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dispatch, runKernel } from '../../kernels/dispatch';
import { SqueezeExcitation, SqueezeExcitationGrad } from '../../kernels/kernel_names';

/** The two fully connected layers of an SE block, weights [in, out] (tfjs's Linear layout). */
export interface SqueezeExcitationWeights {
  /** [C, R] */
  w1: tf.Tensor2D;
  /** [R] */
  b1: tf.Tensor1D;
  /** [R, C] */
  w2: tf.Tensor2D;
  /** [C] */
  b2: tf.Tensor1D;
}

/**
 * y = x·sigmoid(relu(mean_HW(x)·w1 + b1)·w2 + b2), the scale broadcast over H and W.
 * @param x [N, H, W, C] (NHWC) float32
 * @param weights see {@link SqueezeExcitationWeights}
 * @returns [N, H, W, C], differentiable w.r.t. x and the weights
 */
export function squeezeExcitation(x: tf.Tensor4D, weights: SqueezeExcitationWeights): tf.Tensor4D {
  return dispatch(SqueezeExcitation, () => squeezeExcitationKernel(x, weights), () => squeezeExcitationComposed(x, weights));
}

/** {@link squeezeExcitation} of generic tfjs ops (the linears as `add(matMul(x, w), b)`, as `Linear.apply`). */
function squeezeExcitationComposed(x: tf.Tensor4D, { w1, b1, w2, b2 }: SqueezeExcitationWeights): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const squeezed = tf.mean(x, [1, 2]) as tf.Tensor2D;
  const hidden = tf.relu(tf.add(tf.matMul(squeezed, w1), b1));
  const scale = tf.sigmoid(tf.add(tf.matMul(hidden as tf.Tensor2D, w2), b2));
  return tf.mul(x, tf.reshape(scale, [n, 1, 1, c]));
}

/** {@link squeezeExcitation} through the kernels; saves x, the squeezed means, the hidden units and the scale. */
function squeezeExcitationKernel(x: tf.Tensor4D, { w1, b1, w2, b2 }: SqueezeExcitationWeights): tf.Tensor4D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, w1In, b1In, w2In, b2In, save] = args as [tf.Tensor4D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const [y, scale, hidden, squeezed] = runKernel<tf.Tensor[]>(SqueezeExcitation, { x: xIn, w1: w1In, b1: b1In, w2: w2In, b2: b2In });
    save([xIn, w1In, w2In, squeezed, hidden, scale]);
    return {
      value: y as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, w1s, w2s, sq, h, sc] = saved;
        return runKernel<tf.Tensor[]>(SqueezeExcitationGrad, { dy, x: xs, w1: w1s, w2: w2s, squeezed: sq, hidden: h, scale: sc });
      },
    };
  });
  return op(x, w1, b1, w2, b2) as tf.Tensor4D;
}
