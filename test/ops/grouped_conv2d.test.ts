import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend';
import { blockDiagonalWeight, chooseGroupsPerCall, groupedConv2d, type ConvPad } from '../../runtime/models/ops/grouped_conv2d';
import { maxAbs, maxAbsDiff, onBackend, rand } from '../backend/helpers';

interface Case {
  x: [number, number, number, number];
  groups: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
}

const CASES: Case[] = [
  { x: [2, 6, 6, 3], groups: 1, cout: 4, k: 3, stride: 1, pad: 1 },
  { x: [2, 7, 7, 4], groups: 2, cout: 6, k: 3, stride: 2, pad: 1 }, // 2 in / 3 out per group, odd size
  { x: [2, 6, 6, 4], groups: 4, cout: 8, k: 3, stride: 1, pad: 1 }, // 1 in / 2 out per group
  { x: [2, 8, 8, 16], groups: 8, cout: 16, k: 3, stride: 2, pad: 1 },
  { x: [2, 5, 5, 8], groups: 4, cout: 8, k: 1, stride: 2, pad: 0 }, // 1x1, valid
  { x: [1, 5, 5, 32], groups: 32, cout: 64, k: 3, stride: 1, pad: 1 }, // 1 in / 2 out per group
  { x: [1, 6, 6, 128], groups: 32, cout: 128, k: 3, stride: 2, pad: 1 }, // ResNeXt 32x4d-like
];

const padOf = (p: number): ConvPad => (p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]]);
const label = (c: Case): string => `x ${c.x.join('x')} G=${c.groups} ${c.x[3] / c.groups}->${c.cout / c.groups} per group k${c.k} s${c.stride}`;
const divisors = (g: number): number[] => Array.from({ length: g }, (_, i) => i + 1).filter((b) => g % b === 0);

/** Per-group reference: tf.slice each group's channels and weight columns, conv2d, concat (autodiff gradients). */
function reference(x: tf.Tensor4D, w: tf.Tensor4D, c: Case): tf.Tensor4D {
  const cg = c.x[3] / c.groups;
  const og = c.cout / c.groups;
  const ys: tf.Tensor4D[] = [];
  for (let g = 0; g < c.groups; g++) {
    const xg = tf.slice(x, [0, 0, 0, g * cg], [-1, -1, -1, cg]);
    const wg = tf.slice(w, [0, 0, 0, g * og], [-1, -1, -1, og]);
    ys.push(tf.conv2d(xg, wg, c.stride, padOf(c.pad)));
  }
  return tf.concat(ys, 3);
}

/** y, dL/dx, dL/dw for L = Σ y·up with either implementation. */
function outputs(c: Case, impl: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D): tf.Tensor[] {
  const x = rand(c.x, 1) as tf.Tensor4D;
  const w = rand([c.k, c.k, c.x[3] / c.groups, c.cout], 2, 0.5) as tf.Tensor4D;
  const y = impl(x, w);
  const up = rand(y.shape, 3);
  const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(impl(xx as tf.Tensor4D, ww as tf.Tensor4D), up)))([x, w]);
  return [y, dx, dw];
}

/** Naive loops over PyTorch's definition (forward only), independent of tfjs convs. */
function naive(xv: Float32Array, wv: Float32Array, c: Case): { y: Float32Array; shape: number[] } {
  const [n, h, wd, cin] = c.x;
  const { groups, cout, k, stride, pad } = c;
  const cg = cin / groups;
  const og = cout / groups;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((wd + 2 * pad - k) / stride) + 1;
  const y = new Float32Array(n * oh * ow * cout);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < cout; o++) {
          const g = Math.floor(o / og);
          let s = 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const yy = i * stride - pad + ky;
              const xx = j * stride - pad + kx;
              if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
              for (let ci = 0; ci < cg; ci++) {
                s += xv[((b * h + yy) * wd + xx) * cin + g * cg + ci] * wv[((ky * k + kx) * cg + ci) * cout + o];
              }
            }
          y[((b * oh + i) * ow + j) * cout + o] = s;
        }
  return { y, shape: [n, oh, ow, cout] };
}

describe('grouped conv2d (PyTorch groups semantics) against a per-group reference', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  test('forward equals naive loops over the definition (cpu)', async () => {
    for (const c of CASES) {
      const xv = rand(c.x, 1).dataSync() as Float32Array;
      const wv = rand([c.k, c.k, c.x[3] / c.groups, c.cout], 2, 0.5).dataSync() as Float32Array;
      const { y } = naive(xv, wv, c);
      const got = await onBackend('cpu', () =>
        groupedConv2d(tf.tensor4d(xv, c.x), tf.tensor4d(wv, [c.k, c.k, c.x[3] / c.groups, c.cout]), c.groups, c.stride, padOf(c.pad)),
      );
      assert.ok(maxAbsDiff(got[0], y) < 1e-4, `${label(c)}: max abs diff ${maxAbsDiff(got[0], y)}`);
    }
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    test(`${backend}: y, dx, dw for every groupsPerCall`, async () => {
      for (const c of CASES) {
        const ref = await onBackend(backend, () => outputs(c, (x, w) => reference(x, w, c)));
        for (const b of divisors(c.groups)) {
          const got = await onBackend(backend, () => outputs(c, (x, w) => groupedConv2d(x, w, c.groups, c.stride, padOf(c.pad), b)));
          ['y', 'dx', 'dw'].forEach((name, i) => {
            const d = maxAbsDiff(got[i], ref[i]);
            const tol = 2e-5 * Math.max(1, maxAbs(ref[i]));
            assert.ok(d <= tol, `${backend} ${label(c)} groupsPerCall ${b}: ${name} max abs diff ${d} > ${tol}`);
          });
        }
      }
    });
  }

  test('wasm equals cpu (default composition)', async () => {
    for (const c of CASES) {
      const f = (): tf.Tensor[] => outputs(c, (x, w) => groupedConv2d(x, w, c.groups, c.stride, padOf(c.pad)));
      const ref = await onBackend('cpu', f);
      const got = await onBackend('wasm', f);
      ref.forEach((r, i) => assert.ok(maxAbsDiff(got[i], r) <= 2e-5 * Math.max(1, maxAbs(r)), `${label(c)} output ${i}`));
    }
  });

  test('finite differences of dw (cpu, G=2)', async () => {
    await tf.setBackend('cpu');
    const c: Case = { x: [1, 4, 4, 4], groups: 2, cout: 4, k: 3, stride: 2, pad: 1 };
    const x = rand(c.x, 7) as tf.Tensor4D;
    const wShape: [number, number, number, number] = [3, 3, 2, 4];
    const w0 = Array.from(rand(wShape, 8).dataSync());
    const up = rand([1, 2, 2, 4], 9);
    const loss = (wv: number[]): number =>
      tf.tidy(() => tf.sum(tf.mul(groupedConv2d(x, tf.tensor4d(wv, wShape), 2, 2, padOf(1)), up)).dataSync()[0]);
    const dw = tf.tidy(() =>
      Array.from(tf.grad((w: tf.Tensor) => tf.sum(tf.mul(groupedConv2d(x, w as tf.Tensor4D, 2, 2, padOf(1)), up)))(tf.tensor4d(w0, wShape)).dataSync()),
    );
    const h = 1e-2;
    for (let i = 0; i < w0.length; i++) {
      const p = w0.slice();
      const m = w0.slice();
      p[i] += h;
      m[i] -= h;
      const fd = (loss(p) - loss(m)) / (2 * h);
      assert.ok(Math.abs(fd - dw[i]) <= 1e-3 * Math.max(1, Math.abs(fd)), `dw[${i}] = ${dw[i]}, finite difference ${fd}`);
    }
    tf.dispose([x, up]);
  });

  test('block-diagonal weight and the default choice', async () => {
    await tf.setBackend('cpu');
    const w = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]); // G=2: 1 in, 2 out per group
    assert.deepEqual(Array.from(blockDiagonalWeight(w, 2).dataSync()), [1, 2, 0, 0, 0, 0, 3, 4]);
    assert.equal(chooseGroupsPerCall(32, 4, 4), 8);
    assert.equal(chooseGroupsPerCall(32, 8, 8), 4);
    assert.equal(chooseGroupsPerCall(8, 64, 64), 1);
    assert.equal(chooseGroupsPerCall(1, 64, 64), 1);
    assert.throws(() => groupedConv2d(tf.zeros([1, 3, 3, 6]) as tf.Tensor4D, tf.zeros([1, 1, 2, 4]) as tf.Tensor4D, 3, 1, 'valid'), /multiples of groups/);
    assert.throws(() => groupedConv2d(tf.zeros([1, 3, 3, 4]) as tf.Tensor4D, tf.zeros([1, 1, 1, 4]) as tf.Tensor4D, 2, 1, 'valid'), /per group/);
    assert.throws(() => groupedConv2d(tf.zeros([1, 3, 3, 4]) as tf.Tensor4D, tf.zeros([1, 1, 2, 4]) as tf.Tensor4D, 2, 1, 'valid', 3), /divisor/);
  });

  test('no tensor leaks (wasm, forward and gradients)', async () => {
    await tf.setBackend('wasm');
    const x = rand([2, 6, 6, 8], 11) as tf.Tensor4D;
    const w = tf.variable(rand([3, 3, 2, 8], 12), true, 'grouped_conv_leak_w');
    const step = (b: number): void => {
      const { value, grads } = tf.variableGrads(() => tf.sum(groupedConv2d(x, w as unknown as tf.Tensor4D, 4, 2, padOf(1), b)) as tf.Scalar, [w]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    for (const b of [1, 2, 4]) step(b);
    const before = tf.memory().numTensors;
    for (const b of [1, 2, 4]) step(b);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, w]);
  });

  test('timings on wasm: forward + gradients per groupsPerCall (printed)', async () => {
    await tf.setBackend('wasm');
    const shapes: [string, [number, number, number, number], number][] = [
      ['32 groups x 4 ch', [4, 16, 16, 128], 32],
      ['8 groups x 16 ch', [4, 16, 16, 128], 8],
    ];
    for (const [name, shape, g] of shapes) {
      const x = rand(shape, 13) as tf.Tensor4D;
      const w = tf.variable(rand([3, 3, shape[3] / g, shape[3]], 14, 0.1), true, `grouped_conv_timing_${g}`);
      const parts: string[] = [];
      for (const b of divisors(g).filter((d) => d === 1 || d === g || d * (shape[3] / g) <= 64)) {
        const step = (): number => {
          const t0 = performance.now();
          const { value, grads } = tf.variableGrads(() => tf.sum(groupedConv2d(x, w as unknown as tf.Tensor4D, g, 1, padOf(1), b)) as tf.Scalar, [w]);
          value.dataSync();
          tf.dispose([value, ...Object.values(grads)]);
          return performance.now() - t0;
        };
        step();
        const t = Math.min(step(), step());
        parts.push(`${b === 1 ? 'split' : b === g ? 'block-diagonal' : `${b} per call`} ${t.toFixed(1)} ms`);
      }
      console.log(`grouped conv ${name}, x ${shape.join('x')}, default ${chooseGroupsPerCall(g, shape[3] / g, shape[3] / g)} per call: ${parts.join(', ')}`);
      tf.dispose([x, w]);
    }
  });
});
