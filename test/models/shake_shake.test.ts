import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { buildShakeShake, SkipConnection } from '../../runtime/models/families/shake_shake';
import { ParamRegistry } from '../../runtime/models/layers';
import { maxAbsDiff } from '../backend/helpers';
import { ConfigError } from '../../runtime/config';
import { build, buildFast, config, contextOf, countFast, layerShapes, paramStats, paramValues, trainSteps, uniqueNames } from './helpers';

const FILE = 'cifar/shake_shake.yaml';
const TINY = ['model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '8'];

/** Logits of one training-mode forward pass (BN batch statistics). */
function trainLogits(model: ReturnType<typeof build>, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => model.apply(x, true)).dataSync() as Float32Array;
}

describe('shake_shake (arXiv 1705.07485), cifar type: structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
    (tf.backend() as { firstUse?: boolean }).firstUse = false;
  });

  // The original's counts (reference §c) and the README's other rows, by the same rules.
  const counts: [string, string[], number][] = [
    ['26 2x32d', ['model.shake_shake.initial_channels', '32'], 2_923_162],
    ['26 2x64d', ['model.shake_shake.initial_channels', '64'], 11_653_978],
    ['26 2x96d (the YAML)', [], 26_192_922],
    ['26 2x128d', ['model.shake_shake.initial_channels', '128'], 46_539_994],
    ['26 2x32d, Fashion-MNIST 28x28x1', ['model.shake_shake.initial_channels', '32', 'dataset.name', 'FashionMNIST'], 2_922_874],
    ['26 2x96d, MNIST 28x28x1', ['dataset.name', 'MNIST'], 26_192_634],
  ];
  for (const [name, overrides, expected] of counts) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      assert.equal(countFast(FILE, overrides), expected);
    });
  }

  it('stem of 16 channels + BN, two residual paths per block, skip shortcut with two 1x1 convs (out/2) + BN, no final BN', () => {
    const model = buildFast(FILE, ['model.shake_shake.depth', '14', 'model.shake_shake.initial_channels', '32']);
    const names = uniqueNames(model);
    const shape = (n: string) => model.params.find((p) => p.name === n)!.variable.shape;
    assert.deepEqual(names.slice(0, 3), ['conv.weight', 'bn.weight', 'bn.bias']);
    assert.deepEqual(shape('conv.weight'), [3, 3, 3, 16]);
    assert.deepEqual(shape('stage1.block1.residual_path1.conv1.weight'), [3, 3, 16, 32]);
    assert.deepEqual(shape('stage1.block1.residual_path2.conv2.weight'), [3, 3, 32, 32]);
    assert.deepEqual(shape('stage1.block1.shortcut.skip.conv1.weight'), [1, 1, 16, 16]);
    assert.deepEqual(shape('stage3.block1.shortcut.skip.conv2.weight'), [1, 1, 64, 64]);
    assert.deepEqual(shape('stage3.block1.shortcut.skip.bn.weight'), [128]);
    assert.ok(!names.includes('stage1.block2.shortcut.skip.conv1.weight'), 'identity shortcut when in = out');
    assert.deepEqual(names.slice(-3), ['stage3.block2.residual_path2.bn2.bias', 'fc.weight', 'fc.bias']);
    model.dispose();
  });

  it('maps 32x32x3 and 28x28x1 to logits, halving at stages 2 and 3', () => {
    const model = buildFast(FILE, TINY);
    const { out, shapes } = layerShapes(model, [1, 32, 32, 3]);
    assert.deepEqual(out, [1, 10]);
    assert.deepEqual(shapes['stage1.block1.shortcut.skip.bn'], [1, 32, 32, 8]);
    assert.deepEqual(shapes['stage2.block1.residual_path1.conv1'], [1, 16, 16, 16]);
    assert.deepEqual(shapes['stage3.block1.shortcut.skip.conv2'], [1, 8, 8, 16]);
    model.dispose();
    const mnist = buildFast(FILE, [...TINY, 'dataset.name', 'KMNIST']);
    const m = layerShapes(mnist, [1, 28, 28, 1]);
    assert.deepEqual(m.out, [1, 10]);
    assert.deepEqual(m.shapes['stage3.block1.shortcut.skip.bn'], [1, 7, 7, 32]);
    mnist.dispose();
  });

  it('skip shortcut: path 1 reads x[s·i, s·j], path 2 reads x[s·i + 1, s·j + 1] (0 past the edge), after ReLU', () => {
    const x = tf.tensor4d([-1, 2, 3, 4, 5, 6, -7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1]);
    const relu = [0, 2, 3, 4, 5, 6, 0, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    const at = (i: number, j: number) => (i < 4 && j < 4 ? relu[i * 4 + j] : 0);
    const scale = 1 / Math.sqrt(1 + 1e-5); // BN in evaluation with running mean 0, var 1
    for (const stride of [1, 2]) {
      const r = ParamRegistry.root({});
      const ctx = contextOf(config(FILE));
      const skip = new SkipConnection(r, 1, 2, stride, ctx);
      for (const p of r.params) if (p.kind === 'conv_weight') p.variable.assign(tf.ones(p.variable.shape));
      const y = skip.apply(x, false);
      const o = 4 / stride;
      const expected: number[] = [];
      for (let i = 0; i < o; i++) for (let j = 0; j < o; j++) expected.push(at(i * stride, j * stride) * scale, at(i * stride + 1, j * stride + 1) * scale);
      assert.deepEqual(y.shape, [1, o, o, 2]);
      assert.ok(maxAbsDiff(y.dataSync(), expected) < 1e-5, `stride ${stride}: ${y.dataSync()} vs ${expected}`);
      tf.dispose(y);
      for (const p of r.params) p.variable.dispose();
      for (const b of r.buffers) b.variable.dispose();
    }
    x.dispose();
  });

  it('evaluation draws nothing (alpha = beta = 0.5); with alpha = 0.5 training equals the flags-off model', () => {
    const cfg = config(FILE, TINY);
    const x = tf.randomNormal([3, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const never = buildShakeShake(cfg.model.shake_shake, contextOf(cfg), { shakeRng: { uniform: () => assert.fail('evaluation must not draw') } });
    tf.tidy(() => never.apply(x, false));
    never.dispose();
    const half = buildShakeShake(cfg.model.shake_shake, contextOf(cfg), { shakeRng: { uniform: () => 0.5 } });
    const off = { ...cfg.model.shake_shake, shake_forward: false, shake_backward: false };
    const plain = buildShakeShake(off, contextOf(cfg));
    assert.deepEqual(paramValues(half, 'fc.weight'), paramValues(plain, 'fc.weight'), 'the flags do not change the weights');
    assert.ok(maxAbsDiff(trainLogits(half, x), trainLogits(plain, x)) < 1e-5);
    const shaken = buildShakeShake(cfg.model.shake_shake, contextOf(cfg), { shakeRng: { uniform: () => 0.9 } });
    assert.ok(maxAbsDiff(trainLogits(shaken, x), trainLogits(plain, x)) > 1e-3, 'alpha changes the forward pass');
    [half, plain, shaken].forEach((m) => m.dispose());
    x.dispose();
  });

  it('alpha/beta are reproducible from train.seed and new at every call', () => {
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const a = build(FILE, TINY);
    const b = build(FILE, TINY);
    const a1 = trainLogits(a, x);
    assert.deepEqual(a1, trainLogits(b, x));
    assert.ok(maxAbsDiff(a1, trainLogits(a, x)) > 1e-4, 'a second step draws new weights');
    const c = build(FILE, [...TINY, 'train.seed', '1']);
    assert.notDeepEqual(paramValues(c, 'conv.weight'), paramValues(a, 'conv.weight'));
    [a, b, c].forEach((m) => m.dispose());
    x.dispose();
  });

  it('initialises by model.init_mode: Kaiming normal fan_out / fan_in, BN 1/0, fc bias 0', () => {
    const out = build(FILE, ['model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '32']);
    const w = paramStats(out, 'stage3.block1.residual_path2.conv2.weight'); // 128 -> 128
    const fanOut = Math.sqrt(2 / (128 * 9));
    assert.ok(Math.abs(w.std - fanOut) / fanOut < 0.02, `std ${w.std} vs ${fanOut}`);
    assert.ok(paramValues(out, 'stage2.block1.shortcut.skip.bn.weight').every((v) => v === 1));
    assert.ok(paramValues(out, 'bn.bias').every((v) => v === 0));
    assert.ok(paramValues(out, 'fc.bias').every((v) => v === 0));
    out.dispose();
    const inn = build(FILE, ['model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '32', 'model.init_mode', 'kaiming_fan_in']);
    const s = paramStats(inn, 'stage3.block1.residual_path1.conv1.weight'); // 64 -> 128: fan_in 64·9
    const fanIn = Math.sqrt(2 / (64 * 9));
    assert.ok(Math.abs(s.std - fanIn) / fanIn < 0.02, `std ${s.std} vs ${fanIn}`);
    inn.dispose();
  });

  it('rejects depths that are not 6n+2', () => {
    const cfg = config(FILE);
    assert.throws(() => buildShakeShake({ ...cfg.model.shake_shake, depth: 25 }, contextOf(cfg)), (e: unknown) => e instanceof ConfigError && e.message === 'model.shake_shake.depth: 25 does not fit shake_shake: depth = 6n+2 (n >= 1 blocks per stage), i.e. 8, 14, 20, 26, 32, 38, ... in steps of 6; nearest 20 or 26');
  });
});

describe('shake_shake: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  for (const [name, overrides, shape] of [
    ['depth 8, 2x8d, S-S-I', TINY, [4, 32, 32, 3]],
    ['depth 8, 2x8d, per batch, 28x28x1', [...TINY, 'model.shake_shake.shake_image', 'False', 'dataset.name', 'FashionMNIST'], [4, 28, 28, 1]],
  ] as [string, string[], [number, number, number, number]][]) {
    it(`${name}: loss finite and decreasing`, () => {
      const model = build(FILE, overrides);
      const losses = trainSteps(model, shape, 10, 5, 0.05);
      assert.ok(losses.every(Number.isFinite), `${losses}`);
      assert.ok(losses[losses.length - 1] < losses[0], `${losses}`);
      model.dispose();
    });
  }
});
