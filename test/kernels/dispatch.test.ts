/**
 * The fused-kernel dispatcher (runtime/kernels/dispatch.ts): an op runs a backend's kernel exactly when that backend
 * registered one under the kernel's name, else its composed default; registering a kernel is all a backend does to
 * replace it (here a toy `SgdStep` and `BatchNormRunningStats` on tfjs's `cpu` backend, removed afterwards). And no
 * model op, layer, builder or optimizer names a backend or imports one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { dispatch, hasKernel } from '../../runtime/kernels/dispatch';
import { BatchNormRunningStats, SgdStep, type SgdStepAttrs } from '../../runtime/kernels/kernel_names';
import { updateRunningStats } from '../../runtime/models/ops/batch_norm';
import type { Param } from '../../runtime/models/types';
import { SGD } from '../../runtime/train/optim/sgd';

describe('fused kernels: the backend\'s kernel where registered, else the composed default', () => {
  const calls: string[] = [];
  before(async () => {
    await tf.setBackend('cpu');
    (tf.backend() as { firstUse?: boolean }).firstUse = false;
  });
  after(() => {
    for (const name of [SgdStep, BatchNormRunningStats]) if (tf.getKernel(name, 'cpu')) tf.unregisterKernel(name, 'cpu');
  });

  test('dispatch and hasKernel follow the registry of the active backend', () => {
    assert.equal(hasKernel(SgdStep), false);
    assert.equal(dispatch(SgdStep, () => 'kernel', () => 'composed'), 'composed');
    tf.registerKernel({ kernelName: SgdStep, backendName: 'cpu', kernelFunc: () => [] });
    assert.equal(hasKernel(SgdStep), true);
    assert.equal(dispatch(SgdStep, () => 'kernel', () => 'composed'), 'kernel');
    tf.unregisterKernel(SgdStep, 'cpu');
    assert.equal(hasKernel(SgdStep), false);
  });

  test('SGD runs a registered SgdStep kernel with its inputs and attributes, and assigns its outputs', () => {
    // A toy kernel: p ← p − lr·g, buffers = g (not SGD's arithmetic, so its use shows in the values).
    tf.registerKernel({
      kernelName: SgdStep,
      backendName: 'cpu',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const a = attrs as unknown as SgdStepAttrs;
        calls.push(`SgdStep n=${a.n} lr=${a.lr} momentum=${a.momentum} nesterov=${a.nesterov} wd=${a.weightDecay.join(',')} buffers=${a.hasBuffer.join(',')}`);
        const cpu = backend as unknown as { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo; readSync(id: object): Float32Array };
        const read = (t: tf.TensorInfo) => cpu.readSync(t.dataId);
        const out: tf.TensorInfo[] = [];
        for (let i = 0; i < a.n; i++) {
          const p = read(inputs[`p${i}`] as tf.TensorInfo);
          const g = read(inputs[`g${i}`] as tf.TensorInfo);
          out.push(cpu.makeTensorInfo(inputs[`p${i}`]!.shape, 'float32', p.map((v, k) => v - a.lr * g[k])));
        }
        for (let i = 0; i < a.n; i++) out.push(cpu.makeTensorInfo(inputs[`g${i}`]!.shape, 'float32', Float32Array.from(read(inputs[`g${i}`] as tf.TensorInfo))));
        return out;
      },
    });
    const params: Param[] = [
      { name: 'w', kind: 'conv_weight', variable: tf.variable(tf.tensor1d([1, 2])) },
      { name: 'b', kind: 'bn_beta', variable: tf.variable(tf.tensor1d([3])) },
    ];
    const sgd = new SGD(params, { momentum: 0.9, nesterov: true }, (p) => (p.kind === 'conv_weight' ? 1e-4 : 0));
    sgd.step({ w: tf.tensor1d([10, 20]), b: tf.tensor1d([30]) }, 0.5);
    assert.deepEqual(calls, ['SgdStep n=2 lr=0.5 momentum=0.9 nesterov=true wd=0.0001,0 buffers=false,false']);
    assert.deepEqual(Array.from(params[0].variable.dataSync()), [-4, -8]);
    assert.deepEqual(Array.from(params[1].variable.dataSync()), [-12]);
    assert.deepEqual(Array.from(sgd.getState().tensors.w.dataSync()), [10, 20]);
    tf.unregisterKernel(SgdStep, 'cpu');
    // Without the kernel, the composed torch.optim.SGD arithmetic: buf = 0.9·buf + (g + wd·w) with g = 0.
    sgd.step({ w: tf.tensor1d([0, 0]), b: tf.tensor1d([0]) }, 0.5);
    assert.equal(calls.length, 1);
    const buf = Array.from(sgd.getState().tensors.w.dataSync());
    assert.ok(Math.abs(buf[0] - (0.9 * 10 + -4 * 1e-4)) < 1e-5, `composed momentum buffer ${buf[0]}`);
    sgd.dispose();
    params.forEach((p) => p.variable.dispose());
  });

  test('updateRunningStats runs a registered BatchNormRunningStats kernel with count and momentum', () => {
    tf.registerKernel({
      kernelName: BatchNormRunningStats,
      backendName: 'cpu',
      kernelFunc: ({ inputs, attrs, backend }) => {
        calls.push(`BatchNormRunningStats ${JSON.stringify(attrs)}`);
        const cpu = backend as unknown as { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
        const c = (inputs.mean as tf.TensorInfo).shape;
        return [cpu.makeTensorInfo(c, 'float32', new Float32Array([7])), cpu.makeTensorInfo(c, 'float32', new Float32Array([8]))];
      },
    });
    const rm = tf.variable(tf.tensor1d([0]));
    const rv = tf.variable(tf.tensor1d([1]));
    updateRunningStats(rm, rv, tf.tensor1d([2]), tf.tensor1d([4]), 5, 0.25);
    assert.equal(calls[calls.length - 1], 'BatchNormRunningStats {"count":5,"momentum":0.25}');
    assert.deepEqual([rm.dataSync()[0], rv.dataSync()[0]], [7, 8]);
    tf.unregisterKernel(BatchNormRunningStats, 'cpu');
    updateRunningStats(rm, rv, tf.tensor1d([2]), tf.tensor1d([4]), 5, 0.25);
    // PyTorch: (1 − m)·running + m·batch, the variance unbiased by count/(count − 1).
    assert.ok(Math.abs(rm.dataSync()[0] - (0.75 * 7 + 0.25 * 2)) < 1e-6);
    assert.ok(Math.abs(rv.dataSync()[0] - (0.75 * 8 + 0.25 * 4 * 5 / 4)) < 1e-6);
    tf.dispose([rm, rv]);
  });
});

test('no model or training module names a backend or imports one (they reach kernels through runtime/kernels)', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.ts')) {
        const text = fs.readFileSync(f, 'utf8');
        if (/getBackend\(\)\s*[!=]==?/.test(text)) offenders.push(`${f}: compares tf.getBackend()`);
        if (/from '(\.\.\/)+backend\//.test(text)) offenders.push(`${f}: imports runtime/backend`);
      }
    }
  };
  walk('runtime/models');
  walk('runtime/train/optim');
  assert.deepEqual(offenders, []);
});
