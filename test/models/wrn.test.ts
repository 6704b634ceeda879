import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { build, buildFast, countFast, layerShapes, paramStats, paramValues, trainSteps, uniqueNames } from './helpers';

const FILE = 'cifar/wrn.yaml';
const TINY = ['model.wrn.depth', '10', 'model.wrn.widening_factor', '1', 'model.wrn.initial_channels', '8'];

describe('wrn (arXiv 1605.07146): structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const counts: [string, string[], number][] = [
    ['WRN-28-10 (the YAML)', [], 36_479_194],
    ['WRN-16-8', ['model.wrn.depth', '16', 'model.wrn.widening_factor', '8'], 10_961_370],
    ['WRN-40-4', ['model.wrn.depth', '40', 'model.wrn.widening_factor', '4'], 8_949_210],
    ['WRN-28-10 with dropout 0.3 (no parameters)', ['model.wrn.drop_rate', '0.3'], 36_479_194],
  ];
  for (const [name, overrides, expected] of counts) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      assert.equal(countFast(FILE, overrides), expected);
    });
  }

  it('stage 1 widens 16 -> 16k through a conv1x1 shortcut; later blocks keep identity shortcuts', () => {
    const model = buildFast(FILE, ['model.wrn.depth', '16', 'model.wrn.widening_factor', '2']);
    const names = uniqueNames(model);
    const shape = (n: string) => model.params.find((p) => p.name === n)!.variable.shape;
    assert.deepEqual(shape('stage1.block1.shortcut.conv.weight'), [1, 1, 16, 32]);
    assert.deepEqual(shape('stage3.block1.shortcut.conv.weight'), [1, 1, 64, 128]);
    assert.ok(!names.includes('stage1.block2.shortcut.conv.weight'));
    assert.deepEqual(names.slice(-4), ['bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
    model.dispose();
  });

  it('maps 32x32x3 and 28x28x1 to logits; dropout layers only when drop_rate > 0', () => {
    const model = buildFast(FILE, [...TINY, 'model.wrn.drop_rate', '0.3']);
    const { out, shapes, types } = layerShapes(model, [2, 32, 32, 3]);
    assert.deepEqual(out, [2, 10]);
    assert.deepEqual(shapes['stage3.block1.conv2'], [2, 8, 8, 32]);
    assert.equal(types['stage2.block1.dropout'], 'Dropout');
    model.dispose();
    const mnist = buildFast(FILE, [...TINY, 'dataset.name', 'FashionMNIST']);
    const m = layerShapes(mnist, [2, 28, 28, 1]);
    assert.deepEqual(m.out, [2, 10]);
    assert.equal(m.types['stage2.block1.dropout'], undefined);
    mnist.dispose();
  });

  it('initialises with Kaiming normal fan_in (the YAML), BN 1/0, fc bias 0', () => {
    const model = build(FILE, ['model.wrn.depth', '10', 'model.wrn.widening_factor', '4']);
    const w = paramStats(model, 'stage2.block1.conv1.weight'); // 64 -> 128, fan_in 64·9
    const expected = Math.sqrt(2 / (64 * 9));
    assert.ok(Math.abs(w.std - expected) / expected < 0.01, `std ${w.std} vs ${expected}`);
    assert.ok(paramValues(model, 'bn.weight').every((v) => v === 1));
    assert.ok(paramValues(model, 'fc.bias').every((v) => v === 0));
    model.dispose();
  });
});

describe('wrn: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  it('dropout between the convs: only in training, new masks per step, same masks per seed', () => {
    const model = build(FILE, [...TINY, 'model.wrn.drop_rate', '0.5']);
    const twin = build(FILE, [...TINY, 'model.wrn.drop_rate', '0.5']);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const e1 = model.apply(x, false);
    const e2 = twin.apply(x, false);
    assert.deepEqual(e1.dataSync(), e2.dataSync(), 'no dropout in evaluation');
    const t1 = model.apply(x, true);
    const t2 = model.apply(x, true);
    const u1 = twin.apply(x, true);
    assert.notDeepEqual(t1.dataSync(), t2.dataSync());
    assert.deepEqual(t1.dataSync(), u1.dataSync());
    tf.dispose([x, e1, e2, t1, t2, u1]);
    twin.dispose();
    model.dispose();
  });

  it('WRN-10-1 with dropout 0.3, 28x28x1: loss finite and decreasing', () => {
    const model = build(FILE, [...TINY, 'model.wrn.drop_rate', '0.3', 'dataset.name', 'MNIST']);
    const losses = trainSteps(model, [4, 28, 28, 1], 10, 4, 0.05);
    assert.ok(losses.every(Number.isFinite), `${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0], `${losses}`);
    model.dispose();
  });
});
