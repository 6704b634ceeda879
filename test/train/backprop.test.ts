/**
 * runtime/train/backprop.ts: the early-freeing `variableGrads` gives tfjs's own gradients to the bit (same tape, same
 * gradient functions, same sums) and leaves no tensor behind, on tfjs's `cpu` backend and, when the addon is built,
 * on libtorch (where shape-only saves are replaced by one-element stand-ins).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { loadAddon } from '../../runtime/backend/libtorch';
import { loadConfig } from '../../runtime/config';
import { createModel } from '../../runtime/models';
import { variableGrads } from '../../runtime/train/backprop';
import { trainLoss } from '../../runtime/train/losses';

/** Tiny CIFAR-type variants: residual Add, Concat (DenseNet), Sub/Mean (SE), shake-shake's custom gradient. */
const FAMILIES: [string, string[]][] = [
  ['resnet_preact', ['model.resnet_preact.depth', '8']],
  ['densenet', ['model.densenet.depth', '10', 'model.densenet.growth_rate', '4']],
  ['se_resnet_preact', ['model.se_resnet_preact.depth', '8']],
  ['shake_shake', ['model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '8']],
];

function gradsBothWays(name: string, overrides: string[]): { ours: Record<string, Float32Array>; tfjs: Record<string, Float32Array>; leaked: number } {
  const cfg = loadConfig({ configFile: `configs/cifar/${name}.yaml`, overrides: ['dataset.name', 'FashionMNIST', ...overrides] });
  const model = createModel(cfg);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => Math.sin(i * 0.37)), [2, 28, 28, 1]);
  const labels = tf.tensor1d([3, 7], 'int32');
  const loss = () => trainLoss([model.apply(x, true)], { labels }, { labelSmoothing: null, dualCutoutAlpha: null });
  const vars = model.params.map((p) => p.variable);
  const read = (g: Record<string, tf.Tensor>) => Object.fromEntries(Object.entries(g).map(([k, t]) => [k, t.dataSync() as Float32Array]));
  const before = tf.memory().numTensors;
  const a = variableGrads(loss, vars);
  const ours = read(a.grads);
  tf.dispose([a.value, ...Object.values(a.grads)]);
  const leaked = tf.memory().numTensors - before;
  const b = tf.variableGrads(loss, vars);
  const theirs = read(b.grads);
  tf.dispose([b.value, ...Object.values(b.grads), x, labels]);
  model.dispose();
  return { ours, tfjs: theirs, leaked };
}

for (const device of ['cpu', 'libtorch'] as const) {
  const loaded = device === 'libtorch' ? loadAddon() : { ok: true as const };
  describe(`early-freeing backprop on ${device}`, { skip: loaded.ok ? false : `libtorch backend unavailable: ${(loaded as { reason: string }).reason}` }, () => {
    for (const [name, overrides] of FAMILIES) {
      test(`${name}: the gradients of tf.variableGrads, bit for bit, and no tensor left`, async () => {
        await initBackend(device, 1);
        const { ours, tfjs, leaked } = gradsBothWays(name, overrides);
        assert.equal(leaked, 0, 'tensors left after disposing the loss and the gradients');
        assert.deepEqual(Object.keys(ours).sort(), Object.keys(tfjs).sort());
        for (const k of Object.keys(tfjs)) {
          if (name === 'shake_shake') continue; // the model's generator draws new α and β for each pass: keys and leaks only
          assert.deepEqual(ours[k], tfjs[k], `${name} ${k}`);
        }
      });
    }
  });
}
