import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend';
import { batchNormInference, batchNormTrain, PYTORCH_BN_EPS, updateRunningStats } from '../../runtime/models/ops/batch_norm';
import { maxAbs, maxAbsDiff, onBackend, rand } from '../backend/helpers';

const EPS = PYTORCH_BN_EPS;

/** Reference BN from plain ops (tf.moments), differentiated by tfjs autodiff. */
function referenceBn(x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS))), g), b) as tf.Tensor4D;
}

/** y, dL/dx, dL/dγ, dL/dβ for L = Σ y·up, and the batch statistics. */
function bnOutputs(useFast: boolean, shape: [number, number, number, number], seed: number): tf.Tensor[] {
  const x = tf.add(rand(shape, seed, 2), 0.7) as tf.Tensor4D; // non-zero mean
  const g = tf.add(rand([shape[3]], seed + 1, 0.5), 1) as tf.Tensor1D;
  const b = rand([shape[3]], seed + 2, 0.5) as tf.Tensor1D;
  const up = rand(shape, seed + 3);
  const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor): tf.Tensor4D =>
    useFast
      ? batchNormTrain(xx as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D, EPS).y
      : referenceBn(xx as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D);
  const y = f(x, g, b);
  const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, gg, bb), up)))([x, g, b]);
  const stats = useFast ? batchNormTrain(x, g, b, EPS) : tf.moments(x, [0, 1, 2]);
  return [y, ...grads, stats.mean, stats.variance];
}

const NAMES = ['y', 'dx', 'dgamma', 'dbeta', 'mean', 'variance'];
const SHAPES: [number, number, number, number][] = [
  [4, 5, 5, 3],
  [3, 4, 6, 8],
  [8, 1, 1, 4], // after global pooling: H·W = 1
];

describe('batch norm (fast customGrad) against tf.moments + autodiff', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    for (const shape of SHAPES) {
      test(`${backend} ${shape.join('x')}: y and gradients w.r.t. x, gamma, beta`, async () => {
        const fast = await onBackend(backend, () => bnOutputs(true, shape, 20));
        const ref = await onBackend(backend, () => bnOutputs(false, shape, 20));
        ref.forEach((r, i) => {
          const d = maxAbsDiff(fast[i], r);
          // Gradients w.r.t. γ and β are sums over N·H·W values: allow for float32 summation order.
          const tol = 2e-6 * Math.max(1, maxAbs(r));
          assert.ok(d <= tol, `${NAMES[i]}: max abs diff ${d} > ${tol}`);
        });
      });
    }
  }

  test('wasm fast equals cpu reference', async () => {
    const fast = await onBackend('wasm', () => bnOutputs(true, [4, 6, 6, 5], 30));
    const ref = await onBackend('cpu', () => bnOutputs(false, [4, 6, 6, 5], 30));
    ref.forEach((r, i) => {
      const d = maxAbsDiff(fast[i], r);
      assert.ok(d <= 1e-5 * Math.max(1, maxAbs(r)), `${NAMES[i]}: max abs diff ${d}`);
    });
  });

  test('finite differences of dx on a tiny tensor (cpu)', async () => {
    await tf.setBackend('cpu');
    const shape: [number, number, number, number] = [2, 2, 2, 2];
    const x0 = Array.from(rand(shape, 40, 1.5).dataSync());
    const g = tf.tensor1d([1.3, 0.6]);
    const b = tf.tensor1d([0.2, -0.4]);
    const up = rand(shape, 41);
    const loss = (xs: number[]): number =>
      tf.tidy(() => tf.sum(tf.mul(batchNormTrain(tf.tensor4d(xs, shape), g, b, EPS).y, up)).dataSync()[0]);
    const dx = tf.tidy(() =>
      Array.from(
        tf.grad((x: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(x as tf.Tensor4D, g, b, EPS).y, up)))(tf.tensor4d(x0, shape)).dataSync(),
      ),
    );
    const h = 1e-2;
    for (let i = 0; i < x0.length; i++) {
      const p = x0.slice();
      const m = x0.slice();
      p[i] += h;
      m[i] -= h;
      const fd = (loss(p) - loss(m)) / (2 * h);
      assert.ok(Math.abs(fd - dx[i]) <= 2e-3 * Math.max(1, Math.abs(fd)), `dx[${i}] = ${dx[i]}, finite difference ${fd}`);
    }
    tf.dispose([g, b, up]);
  });

  test('running statistics follow PyTorch (momentum 0.1, unbiased variance)', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      // Channel 0: 1, 2, 3, 4 → mean 2.5, biased var 1.25, unbiased 5/3.
      // Channel 1: 0, 0, 0, 4 → mean 1, biased var 3, unbiased 4.
      const x = tf.tensor4d([1, 0, 2, 0, 3, 0, 4, 4], [2, 1, 2, 2]);
      const rm = tf.variable(tf.zeros([2]), false);
      const rv = tf.variable(tf.ones([2]), false);
      const out = batchNormTrain(x, tf.ones([2]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D, EPS);
      assert.ok(maxAbsDiff(out.mean.dataSync(), [2.5, 1]) < 1e-6);
      assert.ok(maxAbsDiff(out.variance.dataSync(), [1.25, 3]) < 1e-6);
      updateRunningStats(rm, rv, out.mean, out.variance, 4);
      // PyTorch: running_mean = 0.9·0 + 0.1·mean; running_var = 0.9·1 + 0.1·unbiased.
      assert.ok(maxAbsDiff(rm.dataSync(), [0.25, 0.1]) < 1e-6, `${backend} running_mean ${rm.dataSync()}`);
      assert.ok(maxAbsDiff(rv.dataSync(), [0.9 + 0.1 * (5 / 3), 1.3]) < 1e-6, `${backend} running_var ${rv.dataSync()}`);
      updateRunningStats(rm, rv, out.mean, out.variance, 4, 0.5);
      assert.ok(maxAbsDiff(rm.dataSync(), [0.5 * 0.25 + 0.5 * 2.5, 0.5 * 0.1 + 0.5 * 1]) < 1e-6);
      assert.ok(maxAbsDiff(rv.dataSync(), [0.5 * (0.9 + 0.1 * (5 / 3)) + 0.5 * (5 / 3), 0.5 * 1.3 + 0.5 * 4]) < 1e-6);
      // Inference with these statistics: (x − rm)/√(rv + eps)·γ + β.
      const y = batchNormInference(x, rm as tf.Tensor1D, rv as tf.Tensor1D, tf.tensor1d([2, 1]), tf.tensor1d([0.5, 0]), EPS);
      const rmv = rm.dataSync();
      const rvv = rv.dataSync();
      const expect = [1, 0, 2, 0, 3, 0, 4, 4].map((v, i) => {
        const c = i % 2;
        return ((v - rmv[c]) / Math.sqrt(rvv[c] + EPS)) * [2, 1][c] + [0.5, 0][c];
      });
      assert.ok(maxAbsDiff(y.dataSync(), expect) < 1e-5);
      assert.throws(() => updateRunningStats(rm, rv, out.mean, out.variance, 1), /more than 1 value/);
      tf.dispose([x, rm, rv, out.y, out.mean, out.variance, y]);
    }
  });

  test('no tensor leaks inside tf.tidy and tf.variableGrads', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const x = rand([4, 3, 3, 2], 50) as tf.Tensor4D;
      const gamma = tf.variable(tf.ones([2]), true, `gamma_${backend}`);
      const beta = tf.variable(tf.zeros([2]), true, `beta_${backend}`);
      const rm = tf.variable(tf.zeros([2]), false, `rm_${backend}`);
      const rv = tf.variable(tf.ones([2]), false, `rv_${backend}`);
      const step = (): void => {
        const { value, grads } = tf.variableGrads(() => {
          const out = batchNormTrain(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, EPS);
          updateRunningStats(rm, rv, out.mean, out.variance, 36);
          return tf.sum(tf.square(out.y)) as tf.Scalar;
        }, [gamma, beta]);
        tf.dispose([value, ...Object.values(grads)]);
        tf.tidy(() => {
          batchNormTrain(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, EPS);
          batchNormInference(x, rm as tf.Tensor1D, rv as tf.Tensor1D, gamma as tf.Tensor1D, beta as tf.Tensor1D, EPS);
        });
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      assert.equal(tf.memory().numTensors, before, backend);
      tf.dispose([x, gamma, beta, rm, rv]);
    }
  });

  test('timing on wasm [128, 32, 32, 16]: fast vs stock forward+backward (printed, not asserted)', async () => {
    await tf.setBackend('wasm');
    const shape: [number, number, number, number] = [128, 32, 32, 16];
    const x = tf.randomNormal(shape) as tf.Tensor4D;
    const up = tf.randomNormal(shape);
    const gamma = tf.ones([16]) as tf.Tensor1D;
    const beta = tf.zeros([16]) as tf.Tensor1D;
    const stock = (xx: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor4D => {
      const { mean, variance } = tf.moments(xx, [0, 1, 2]);
      return tf.batchNorm(xx, mean, variance, b, g, EPS) as tf.Tensor4D;
    };
    const time = (f: typeof stock, reps: number): number => {
      const run = (): void =>
        tf.tidy(() => {
          const gs = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(f(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D), up)),
          )([x, gamma, beta]);
          gs[0].dataSync();
        });
      run(); // warm-up (heap growth)
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) run();
      return (performance.now() - t0) / reps;
    };
    const fastMs = time((a, g, b) => batchNormTrain(a, g, b, EPS).y, 3);
    const stockMs = time(stock, 2);
    console.log(
      `BN forward+backward on wasm (1 thread) [128,32,32,16]: ` +
        `fast ${fastMs.toFixed(1)} ms, stock (tf.moments + tf.batchNorm) ${stockMs.toFixed(1)} ms, ${(stockMs / fastMs).toFixed(1)}x`,
    );
    tf.dispose([x, up, gamma, beta]);
  });
});
