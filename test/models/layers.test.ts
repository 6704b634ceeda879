import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AvgPool2d, Dropout, MaxPool2d, StepNoise, ParamRegistry, SqueezeExcitation, traceLayers, ZeroChannelPad } from '../../runtime/models/layers';
import { Rng } from '../../runtime/data/rng';

describe('model layers: pooling, dropout, squeeze-excitation, zero-channel padding', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('MaxPool2d(3, 2, 1) pads with -inf semantics and floors the output size as PyTorch', () => {
    const pool = new MaxPool2d(ParamRegistry.root({}), 'maxpool', 3, 2, 1);
    const x = tf.tensor4d([-5, -5, -5, -5, -4, -5, -5, -5, -5], [1, 3, 3, 1]);
    const { result, layers } = traceLayers(() => pool.apply(x));
    assert.deepEqual(Array.from(result.dataSync()), [-4, -4, -4, -4]);
    assert.deepEqual(layers[0], { name: 'maxpool', type: 'MaxPool2d', outputShape: [1, 2, 2, 1], params: 0, macs: 0 });
    const big = tf.zeros([1, 112, 112, 2]) as tf.Tensor4D;
    const y = pool.apply(big);
    assert.deepEqual(y.shape, [1, 56, 56, 2]);
    tf.dispose([x, result, big, y]);
  });

  it('AvgPool2d(2, 2) floors odd sizes', () => {
    const pool = new AvgPool2d(ParamRegistry.root({}).child('stage1'), 'pool', 2, 2);
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const y = pool.apply(x);
    assert.deepEqual(y.shape, [1, 1, 1, 1]);
    assert.equal(y.dataSync()[0], 3);
    assert.equal(pool.name, 'stage1.pool');
    tf.dispose([x, y]);
  });

  it('Dropout: identity in evaluation, inverted scaling in training, a new mask per call, reproducible per seed', () => {
    const seeds = new StepNoise(0);
    seeds.setStep(7);
    const drop = new Dropout(ParamRegistry.root({}), 'dropout', 0.5, seeds);
    const x = tf.ones([1000]);
    const e = drop.apply(x, false);
    assert.equal(e, x);
    const a = drop.apply(x, true).dataSync();
    const b = drop.apply(x, true).dataSync();
    assert.ok(a.every((v) => v === 0 || v === 2));
    const kept = a.filter((v) => v === 2).length;
    assert.ok(kept > 430 && kept < 570, `kept ${kept}`);
    assert.notDeepEqual(a, b);
    const seeds2 = new StepNoise(0);
    seeds2.setStep(7);
    const again = new Dropout(ParamRegistry.root({}), 'dropout', 0.5, seeds2);
    assert.deepEqual(again.apply(x, true).dataSync(), a);
    assert.throws(() => new Dropout(ParamRegistry.root({}), 'd', 1, seeds), /dropout rate 1/);
    x.dispose();
  });

  it('SqueezeExcitation: fc1 (c -> c/r) and fc2 with biases, scales each channel by a sigmoid gate', () => {
    const r = ParamRegistry.root({});
    const rng = Rng.fromKey(1, 2);
    const se = new SqueezeExcitation(r.child('block1'), 'se', 32, 16, 'kaiming_fan_out', rng);
    assert.deepEqual(
      r.params.map((p) => [p.name, p.variable.shape]),
      [
        ['block1.se.fc1.weight', [32, 2]],
        ['block1.se.fc1.bias', [2]],
        ['block1.se.fc2.weight', [2, 32]],
        ['block1.se.fc2.bias', [32]],
      ],
    );
    const x = tf.randomNormal([2, 4, 4, 32], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = se.apply(x);
    const ratio = tf.div(y, x);
    const v = ratio.arraySync() as number[][][][];
    // one gate in (0, 1) per image and channel, the same at every pixel
    assert.ok(Math.abs(v[0][0][0][5] - v[0][3][2][5]) < 1e-5);
    assert.ok(v[1][1][1][7] > 0 && v[1][1][1][7] < 1);
    assert.throws(() => new SqueezeExcitation(r, 'se2', 8, 16, 'kaiming_fan_out', rng), /no hidden unit/);
    tf.dispose([x, y, ratio]);
  });

  it('ZeroChannelPad appends zero channels after the existing ones', () => {
    const pad = new ZeroChannelPad(ParamRegistry.root({}), 'shortcut', 2, 5);
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
    const y = pad.apply(x);
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 0, 0, 0, 3, 4, 0, 0, 0]);
    tf.dispose([x, y]);
  });
});
