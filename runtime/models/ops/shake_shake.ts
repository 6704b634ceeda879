/**
 * The Shake-Shake mixing of two residual branches (Gastaldi, "Shake-Shake regularization", arXiv 1705.07485), as
 * the original framework's `ShakeFunction` and `get_alpha_beta` (`models/functions/shake_shake_function.py`):
 * forward y = α·x1 + (1 − α)·x2, backward dL/dx1 = β·dL/dy and dL/dx2 = (1 − β)·dL/dy with an independent β.
 * α and β are U(0, 1), one per image (`shake_image`) or one per batch; 0.5 when their flag
 * (`shake_forward` / `shake_backward`) is off, and both 0.5 in evaluation.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A mixing weight: one number for the whole batch, or one per image (length N). */
export type ShakeWeight = number | Float32Array;

/** The `model.shake_shake` flags, in the original's order. */
export interface ShakeFlags {
  shake_forward: boolean;
  shake_backward: boolean;
  shake_image: boolean;
}

/** A source of U[0, 1) draws, e.g. the runtime's seeded {@link Rng}. */
export interface UniformSource {
  uniform(): number;
}

/**
 * Draws α and β as the original's `get_alpha_beta`, α first: U(0, 1) per image (n draws) when `shake_image`, else
 * one per batch; 0.5 when the flag is off or when not training (then nothing is drawn).
 * @param n batch size
 */
export function drawShakeWeights(n: number, flags: ShakeFlags, training: boolean, rng: UniformSource): { alpha: ShakeWeight; beta: ShakeWeight } {
  const draw = (on: boolean): ShakeWeight => {
    if (!training || !on) return 0.5;
    if (!flags.shake_image) return rng.uniform();
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.uniform();
    return v;
  };
  const alpha = draw(flags.shake_forward);
  const beta = draw(flags.shake_backward);
  return { alpha, beta };
}

/** A weight as a tensor that broadcasts against [N, H, W, C]: a scalar, or [N, 1, 1, 1]. */
function weightTensor(w: ShakeWeight, n: number): tf.Tensor {
  if (typeof w === 'number') return tf.scalar(w);
  if (w.length !== n) throw new Error(`shakeShake: ${w.length} per-image weights for a batch of ${n}`);
  return tf.tensor4d(w, [n, 1, 1, 1]);
}

/**
 * y = α·x1 + (1 − α)·x2 with the gradient β·dy to x1 and (1 − β)·dy to x2 (one `tf.customGrad`; α and β are
 * constants, not differentiated). When α and β are the same number (evaluation, or both flags off) it is the plain
 * expression, whose autodiff gradient is the same.
 * @param x1 output of residual branch 1 [N, H, W, C]
 * @param x2 output of residual branch 2, same shape
 * @param alpha forward weight(s) of x1, a number or N values
 * @param beta backward weight(s) of x1, a number or N values
 */
export function shakeShake(x1: tf.Tensor4D, x2: tf.Tensor4D, alpha: ShakeWeight, beta: ShakeWeight): tf.Tensor4D {
  const n = x1.shape[0];
  if (typeof alpha === 'number' && alpha === beta) {
    return tf.tidy(() => tf.add(tf.mul(x1, alpha), tf.mul(x2, 1 - alpha)) as tf.Tensor4D);
  }
  const mix = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a1, a2, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    const a = weightTensor(alpha, n);
    const b = weightTensor(beta, n);
    // x2 + α·(x1 − x2): one multiply fewer than α·x1 + (1 − α)·x2.
    const y = tf.add(a2, tf.mul(tf.sub(a1, a2), a)) as tf.Tensor4D;
    save([b]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const g1 = tf.mul(dy, saved[0]);
        return [g1, tf.sub(dy, g1)];
      },
    };
  });
  return mix(x1, x2) as tf.Tensor4D;
}
