import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend';
import { Rng } from '../../runtime/data/rng';
import { drawShakeWeights, shakeShake, type ShakeWeight } from '../../runtime/models/ops/shake_shake';
import { maxAbsDiff, onBackend, rand, randomValues } from '../backend/helpers';

const SHAPE: [number, number, number, number] = [3, 4, 5, 2];
const PER_IMAGE = 4 * 5 * 2;

/** y, dL/dx1, dL/dx2 for L = Σ shake(x1, x2)·up. */
function outputs(alpha: ShakeWeight, beta: ShakeWeight): tf.Tensor[] {
  const x1 = rand(SHAPE, 1) as tf.Tensor4D;
  const x2 = rand(SHAPE, 2) as tf.Tensor4D;
  const up = rand(SHAPE, 3);
  const y = shakeShake(x1, x2, alpha, beta);
  const [d1, d2] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(shakeShake(a as tf.Tensor4D, b as tf.Tensor4D, alpha, beta), up)))([x1, x2]);
  return [y, d1, d2];
}

/** Weight of image i. */
const at = (w: ShakeWeight, i: number): number => (typeof w === 'number' ? w : w[i]);

/** The expected y (α-weighted) and gradients (β-weighted), element by element. */
function analytic(alpha: ShakeWeight, beta: ShakeWeight): Float32Array[] {
  const n = SHAPE.reduce((a, b) => a * b, 1);
  const x1 = randomValues(n, 1);
  const x2 = randomValues(n, 2);
  const up = randomValues(n, 3);
  const y = new Float32Array(x1.length);
  const d1 = new Float32Array(x1.length);
  const d2 = new Float32Array(x1.length);
  for (let k = 0; k < x1.length; k++) {
    const i = Math.floor(k / PER_IMAGE);
    y[k] = at(alpha, i) * x1[k] + (1 - at(alpha, i)) * x2[k];
    d1[k] = at(beta, i) * up[k];
    d2[k] = (1 - at(beta, i)) * up[k];
  }
  return [y, d1, d2];
}

describe('shake-shake mixing: alpha forward, beta backward', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  const cases: [string, ShakeWeight, ShakeWeight][] = [
    ['per image', Float32Array.from([0.1, 0.7, 0.45]), Float32Array.from([0.9, 0.2, 0.6])],
    ['per batch', 0.3, 0.85],
    ['forward only (beta 0.5)', Float32Array.from([0.2, 0.5, 0.95]), 0.5],
    ['backward only (alpha 0.5)', 0.5, Float32Array.from([0.05, 0.6, 0.3])],
    ['evaluation (0.5, 0.5)', 0.5, 0.5],
  ];
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const [name, alpha, beta] of cases) {
      test(`${backend} ${name}: y uses alpha, the gradients use beta`, async () => {
        const expected = analytic(alpha, beta);
        const got = await onBackend(backend, () => outputs(alpha, beta));
        ['y', 'dx1', 'dx2'].forEach((label, i) => {
          const d = maxAbsDiff(got[i], expected[i]);
          assert.ok(d < 1e-6, `${label}: max abs diff ${d}`);
        });
      });
    }
  }

  test('the gradient is not the alpha-weighted one (autodiff of the forward would give that)', async () => {
    const alpha = Float32Array.from([0.1, 0.7, 0.45]);
    const beta = Float32Array.from([0.9, 0.2, 0.6]);
    const got = await onBackend('cpu', () => outputs(alpha, beta));
    const alphaWeighted = analytic(alpha, alpha);
    assert.ok(maxAbsDiff(got[1], alphaWeighted[1]) > 0.1);
    assert.ok(maxAbsDiff(got[0], alphaWeighted[0]) < 1e-6, 'same forward');
  });

  test('drawShakeWeights follows get_alpha_beta: alpha then beta, per image or per batch, 0.5 when off or in evaluation', () => {
    const seq = (n: number) => {
      const r = Rng.fromKey(5);
      return Array.from({ length: n }, () => r.uniform());
    };
    const u = seq(6);
    const flags = { shake_forward: true, shake_backward: true, shake_image: true };
    const perImage = drawShakeWeights(3, flags, true, Rng.fromKey(5));
    assert.ok(maxAbsDiff(perImage.alpha as Float32Array, u.slice(0, 3)) < 1e-7);
    assert.ok(maxAbsDiff(perImage.beta as Float32Array, u.slice(3, 6)) < 1e-7);
    const perBatch = drawShakeWeights(3, { ...flags, shake_image: false }, true, Rng.fromKey(5));
    assert.equal(perBatch.alpha, u[0]);
    assert.equal(perBatch.beta, u[1]);
    const noBackward = drawShakeWeights(3, { ...flags, shake_backward: false }, true, Rng.fromKey(5));
    assert.equal(noBackward.beta, 0.5, 'the original uses 0.5, not alpha, when shake_backward is off');
    assert.equal(drawShakeWeights(3, { ...flags, shake_forward: false }, true, Rng.fromKey(5)).alpha, 0.5);
    const never = { uniform: (): number => assert.fail('evaluation must not draw') };
    assert.deepEqual(drawShakeWeights(3, flags, false, never), { alpha: 0.5, beta: 0.5 });
  });

  test('rejects per-image weights of the wrong length; no tensor leaks', async () => {
    await tf.setBackend('wasm');
    const x1 = rand(SHAPE, 1) as tf.Tensor4D;
    const x2 = rand(SHAPE, 2) as tf.Tensor4D;
    assert.throws(() => shakeShake(x1, x2, Float32Array.from([0.1, 0.2]), 0.3), /2 per-image weights for a batch of 3/);
    const step = (): void => {
      const v1 = tf.variable(x1, true, 'shake_leak_1');
      const v2 = tf.variable(x2, true, 'shake_leak_2');
      const { value, grads } = tf.variableGrads(() => tf.sum(shakeShake(v1 as unknown as tf.Tensor4D, v2 as unknown as tf.Tensor4D, Float32Array.from([0.1, 0.2, 0.3]), 0.7)) as tf.Scalar, [v1, v2]);
      tf.dispose([value, v1, v2, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x1, x2]);
  });
});
