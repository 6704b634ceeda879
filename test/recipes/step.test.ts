import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Model, Param } from '../../runtime/models/types';
import type { Optimizer } from '../../runtime/train/optim';
import { ConfigError } from '../../runtime/config';
import { checkPrecision } from '../../runtime/train/preflight';
import { trainStep, type StepOptions, type TrainBatch } from '../../runtime/train/step';

before(async () => {
  await tf.setBackend('cpu');
});

const [H, W, C, K] = [2, 2, 1, 3];
let counter = 0;

/** A linear classifier without BN (logits = flatten(x)·A + b); counts its forward calls. */
function linearModel(): Model & { calls: number[] } {
  counter++;
  const rnd = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + s) * 0.5);
  const params: Param[] = [
    { name: 'fc.weight', kind: 'linear_weight', variable: tf.variable(tf.tensor2d(rnd(H * W * C * K, 1), [H * W * C, K]), true, `recipes_step_A${counter}`) },
    { name: 'fc.bias', kind: 'linear_bias', variable: tf.variable(tf.tensor1d(rnd(K, 2)), true, `recipes_step_b${counter}`) },
  ];
  const calls: number[] = [];
  return {
    name: 'linear', params, buffers: [], calls,
    apply(x: tf.Tensor4D) {
      calls.push(x.shape[0]);
      return tf.add(tf.matMul(tf.reshape(x, [x.shape[0], H * W * C]), params[0].variable), params[1].variable) as tf.Tensor2D;
    },
    dispose() {
      for (const p of params) p.variable.dispose();
    },
  };
}

/** Records the gradients it is given instead of updating. */
class Recorder implements Optimizer {
  readonly name = 'recorder';
  grads: Record<string, number[]> = {};
  step(grads: Record<string, tf.Tensor>): void {
    this.grads = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Array.from(g.dataSync())]));
  }
  getState() {
    return { name: this.name, tensors: {} };
  }
  setState(): void {}
  dispose(): void {}
}

function batch(n: number): TrainBatch {
  const x = Float32Array.from({ length: n * H * W * C }, (_, i) => Math.cos(i * 0.37));
  return { x, y: Int32Array.from({ length: n }, (_, i) => (i * 2) % K), n };
}

const OPTS: StepOptions = { imageShape: [H, W, C], nClasses: K, gradientClip: 0 };

test('subdivision 2 gives the full batch gradient and loss for a model without BN (chunks run separately)', () => {
  const model = linearModel();
  const full = new Recorder();
  const r1 = trainStep(model, full, batch(8), 0.1, OPTS);
  const sub = new Recorder();
  const r2 = trainStep(model, sub, batch(8), 0.1, { ...OPTS, subdivision: 2 });
  assert.deepEqual(model.calls, [8, 4, 4]);
  assert.ok(Math.abs(r1.loss - r2.loss) < 1e-6, `${r1.loss} vs ${r2.loss}`);
  assert.equal(r1.correct1, r2.correct1);
  for (const key of Object.keys(full.grads)) {
    full.grads[key].forEach((g, i) => assert.ok(Math.abs(g - sub.grads[key][i]) < 1e-6, `${key}[${i}]: ${g} vs ${sub.grads[key][i]}`));
  }
  // uneven chunks (torch.chunk: ⌈7/3⌉ = 3 rows) are weighted by size: still the full-batch gradient
  const full7 = new Recorder();
  trainStep(model, full7, batch(7), 0.1, OPTS);
  const sub7 = new Recorder();
  trainStep(model, sub7, batch(7), 0.1, { ...OPTS, subdivision: 3 });
  assert.deepEqual(model.calls.slice(-4), [7, 3, 3, 1]);
  for (const key of Object.keys(full7.grads)) full7.grads[key].forEach((g, i) => assert.ok(Math.abs(g - sub7.grads[key][i]) < 1e-6));
  model.dispose();
});

test('mixed targets: the loss is Σ w_k·CE and train accuracy is weighted over the label sets', () => {
  const model = linearModel();
  const b = batch(6);
  const plain = trainStep(model, new Recorder(), b, 0, OPTS);
  const other = Int32Array.from(b.y, (v) => (v + 1) % K);
  const otherR = trainStep(model, new Recorder(), { ...b, y: other }, 0, OPTS);
  const mixed = trainStep(model, new Recorder(), { ...b, mix: { labels: [b.y, other], weights: [0.7, 0.3] } }, 0, OPTS);
  assert.ok(Math.abs(mixed.loss - (0.7 * plain.loss + 0.3 * otherR.loss)) < 1e-6);
  assert.ok(Math.abs(mixed.correct1 - (0.7 * plain.correct1 + 0.3 * otherR.correct1)) < 1e-9);
  model.dispose();
});

test('dual cutout: the model runs on each copy; the loss adds α·MSE; accuracy on the mean logits', () => {
  const model = linearModel();
  const b = batch(4);
  const x2 = b.x.map((v, i) => (i % 3 === 0 ? 0 : v));
  const one = trainStep(model, new Recorder(), b, 0, OPTS);
  const two = trainStep(model, new Recorder(), { ...b, x: x2 }, 0, OPTS);
  const dual = trainStep(model, new Recorder(), { ...b, x2 }, 0, { ...OPTS, loss: { labelSmoothing: null, dualCutoutAlpha: 0 } });
  assert.deepEqual(model.calls, [4, 4, 4, 4]);
  assert.ok(Math.abs(dual.loss - (one.loss + two.loss) / 2) < 1e-6);
  const withMse = trainStep(model, new Recorder(), { ...b, x2 }, 0, { ...OPTS, loss: { labelSmoothing: null, dualCutoutAlpha: 0.5 } });
  assert.ok(withMse.loss > dual.loss);
  model.dispose();
});

test('precision: anything but O0 is refused with the reason', () => {
  assert.doesNotThrow(() => checkPrecision('O0'));
  for (const p of ['O1', 'O2', 'O3']) {
    assert.throws(() => checkPrecision(p), (e: unknown) => e instanceof ConfigError && new RegExp(`train.precision ${p} is not supported: TensorFlow.js trains in float32 only \\(O0\\)`).test(e.message));
  }
});
