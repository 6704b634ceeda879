/**
 * SGD on the libtorch backend (one native pass per parameter, `icl::sgd_step_`, runtime/backend/libtorch/sgd_kernel.ts)
 * against the generic tfjs-op SGD on the `cpu` backend: same parameters, gradients and options, three steps, the
 * weights and momentum buffers must agree to float32 rounding, with and without Nesterov, momentum and weight decay,
 * and the fused path must not leak tensors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { loadAddon } from '../../runtime/backend/libtorch';
import type { Param, ParamKind } from '../../runtime/models/types';
import { SGD } from '../../runtime/train/optim';

const loaded = loadAddon();
const skip = loaded.ok ? false : `libtorch backend unavailable: ${loaded.reason}`;

const SHAPES: Array<[number[], ParamKind]> = [
  [[3, 3, 2, 4], 'conv_weight'],
  [[4], 'bn_gamma'],
  [[4], 'bn_beta'],
  [[4, 5], 'linear_weight'],
  [[5], 'linear_bias'],
];
const value = (seed: number, size: number) => Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5);

/** Weights and buffers after three SGD steps with fixed gradients on the current backend. */
/**
 * With `holdClones`, a clone of every parameter (sharing its data) is held through the steps, so the libtorch kernel
 * cannot update in place and returns new tensors; the clones' values are returned as `held` (they must not change).
 */
function run(opts: { momentum: number; nesterov: boolean }, decayed: boolean, holdClones = false): { w: Float32Array[]; buf: Float32Array[]; held: Float32Array[] } {
  const params: Param[] = SHAPES.map(([shape, kind], i) => {
    const init = tf.tensor(value(i + 1, tf.util.sizeFromShape(shape)), shape);
    const variable = tf.variable(init, true, `sgd_fused_${tf.getBackend()}_${opts.momentum}_${opts.nesterov}_${decayed}_${holdClones}_${i}`);
    init.dispose();
    return { name: `p${i}`, kind, variable };
  });
  const clones = holdClones ? params.map((p) => tf.clone(p.variable)) : [];
  const sgd = new SGD(params, opts, (p) => (decayed && p.kind.endsWith('weight') ? 5e-4 : 0));
  for (let step = 0; step < 3; step++) {
    const grads = tf.tidy(() => Object.fromEntries(params.map((p, i) => [p.name, tf.tensor(value(10 * step + i + 7, p.variable.size), p.variable.shape)])));
    sgd.step(grads, [0.1, 0.1, 0.05][step]);
    tf.dispose(Object.values(grads));
  }
  const state = sgd.getState().tensors;
  const out = {
    w: params.map((p) => p.variable.dataSync() as Float32Array),
    buf: params.map((p) => (state[p.name] ? (state[p.name].dataSync() as Float32Array) : new Float32Array(0))),
    held: clones.map((c) => c.dataSync() as Float32Array),
  };
  tf.dispose(clones);
  sgd.dispose();
  params.forEach((p) => p.variable.dispose());
  return out;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-6 * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('fused SGD on libtorch', { skip }, () => {
  for (const [momentum, nesterov, decayed] of [[0.9, true, true], [0.9, false, true], [0.9, true, false], [0, false, true]] as const) {
    test(`momentum ${momentum}${nesterov ? ' nesterov' : ''}${decayed ? ', weight decay on weights only' : ''}: equals the cpu backend after 3 steps`, async () => {
      await tf.setBackend('cpu');
      const ref = run({ momentum, nesterov }, decayed);
      await initBackend('libtorch', 1);
      const before = tf.memory().numTensors;
      const got = run({ momentum, nesterov }, decayed);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      ref.w.forEach((w, i) => assertClose(got.w[i], w, `weight ${i}`));
      ref.buf.forEach((b, i) => assertClose(got.buf[i], b, `buffer ${i}`));
      // The update moved every weight (a test that would pass with a no-op step would be useless).
      got.w.forEach((w, i) => assert.ok(w.some((x, j) => Math.abs(x - value(i + 1, w.length)[j]) > 1e-3), `weight ${i} unchanged`));
    });
  }

  test('the in-place update (nothing else holds the parameters) and the new-tensor one (a clone is held) give the same bits; the held clones keep their values', async () => {
    await initBackend('libtorch', 1);
    const inPlace = run({ momentum: 0.9, nesterov: true }, true);
    const copied = run({ momentum: 0.9, nesterov: true }, true, true);
    inPlace.w.forEach((w, i) => assert.deepEqual(w, copied.w[i], `weight ${i}`));
    inPlace.buf.forEach((b, i) => assert.deepEqual(b, copied.buf[i], `buffer ${i}`));
    copied.held.forEach((h, i) => assert.deepEqual(h, Float32Array.from(value(i + 1, h.length)), `held clone ${i} changed`));
  });

  test('icl::sgd_step_ gives the bits of torch.optim.SGD\'s ATen operators (add with alpha, mul_, add_), with and without a buffer', () => {
    if (!loaded.ok) return;
    const ad = loaded.addon;
    const n = 10_007; // not a multiple of the vector width: the loops' tails too
    const values = (seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.7);
    const call = (name: string, overload: string, args: unknown[]) => ad.call(ad.op(name, overload), args) as { id: number };
    for (const [momentum, nesterov, wd, hadBuffer] of [[0.9, true, 5e-4, true], [0.9, false, 1e-4, true], [0.9, true, 5e-4, false], [0, false, 5e-4, false]] as const) {
      const [p, ref, g, buf, refBuf] = [1, 1, 2, 3, 3].map((seed) => ad.fromData(values(seed), [n], 6));
      // torch/optim/sgd.py (1.13) _single_tensor_sgd, operator by operator.
      let d = call('aten::add', 'Tensor', [g, ref, wd]).id;
      let b = refBuf;
      if (momentum > 0) {
        if (hadBuffer) {
          call('aten::mul_', 'Scalar', [refBuf, momentum]);
          call('aten::add_', 'Tensor', [refBuf, d, 1]);
        } else b = call('aten::clone', '', [d, undefined]).id;
        d = nesterov ? call('aten::add', 'Tensor', [d, b, momentum]).id : b;
      }
      call('aten::add_', 'Tensor', [ref, d, -0.1]);
      const [, fresh] = ad.call(ad.op('icl::sgd_step_', ''), [[p], [g], [momentum > 0 && hadBuffer ? buf : null], [wd], 0.1, momentum, nesterov]) as [unknown, ({ id: number } | null)[]];
      const label = `momentum ${momentum}, nesterov ${nesterov}, buffer ${hadBuffer}`;
      assert.deepEqual(ad.toData(p), ad.toData(ref), `${label}: parameters`);
      assert.ok(!(ad.toData(p) as Float32Array).every((v, i) => v === values(1)[i]), `${label}: the step moved nothing`);
      if (momentum > 0) assert.deepEqual(ad.toData(hadBuffer ? buf : fresh[0]!.id), ad.toData(b), `${label}: buffers`);
      else assert.equal(fresh[0], null);
    }
  });

  test('icl::sgd_step_ runs in the gradient\'s memory layout: a transposed parameter is copied into it, with the same bits', () => {
    if (!loaded.ok) return;
    const ad = loaded.addon;
    const call = (name: string, overload: string, args: unknown[]) => ad.call(ad.op(name, overload), args) as { id: number };
    const values = (seed: number) => Float32Array.from({ length: 6 * 35 }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.7);
    // The parameter a transposed view [35, 6] of a [6, 35] tensor (as a tfjs HWIO filter is to oneDNN's OIHW);
    // gradient and buffer contiguous [35, 6].
    const view = (seed: number) => call('aten::t', '', [ad.fromData(values(seed), [6, 35], 6)]).id;
    const contiguous = (seed: number) => call('aten::contiguous', '', [view(seed), undefined]).id;
    const [p, ref, g, buf, refBuf] = [view(1), contiguous(1), contiguous(2), contiguous(3), contiguous(3)];
    const [[updated], [newBuffer]] = ad.call(ad.op('icl::sgd_step_', ''), [[p], [g], [buf], [5e-4], 0.1, 0.9, true]) as [{ id: number }[], (object | null)[]];
    const d = call('aten::add', 'Tensor', [g, ref, 5e-4]).id;
    call('aten::mul_', 'Scalar', [refBuf, 0.9]);
    call('aten::add_', 'Tensor', [refBuf, d, 1]);
    call('aten::add_', 'Tensor', [ref, call('aten::add', 'Tensor', [d, refBuf, 0.9]).id, -0.1]);
    assert.deepEqual(ad.toData(updated.id), ad.toData(ref), 'parameters');
    assert.deepEqual(ad.toData(buf), ad.toData(refBuf), 'buffers (updated in place: same layout as the gradient)');
    assert.equal(newBuffer, null);
    assert.deepEqual(ad.toData(p), ad.toData(view(1)), 'the transposed input is left as it was (the copy was updated)');
    const rowStride = (id: number) => ad.call(ad.op('aten::stride', 'int'), [id, 0]) as number;
    assert.deepEqual([rowStride(p), rowStride(updated.id)], [1, 6], 'the returned parameter has the gradient\'s (contiguous) layout');
  });
});
