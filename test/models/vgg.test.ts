import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { buildImagenetVgg } from '../../runtime/models/families/vgg';
import { build, buildFast, config, contextOf, countFast, layerShapes, paramStats, paramValues, trainSteps, uniqueNames } from './helpers';

const TINY = ['model.vgg.n_channels', '[8, 8, 16, 16, 16]', 'model.vgg.n_layers', '[1, 1, 1, 1, 2]'];

describe('vgg (arXiv 1409.1556): structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const counts: [string, string, string[], number][] = [
    ['cifar, default config (13 convs, BN), CIFAR-10', 'cifar/vgg.yaml', [], 14_728_266],
    ['cifar, CIFAR-100', 'cifar/vgg.yaml', ['dataset.name', 'CIFAR100'], 14_774_436],
    ['cifar, without BN', 'cifar/vgg.yaml', ['model.vgg.use_bn', 'False'], 14_728_266 - 2 * 4224],
    ['imagenet, VGG16-BN 224x224', 'imagenet/vgg16.yaml', [], 138_365_992],
  ];
  for (const [name, file, overrides, expected] of counts) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      assert.equal(countFast(file, overrides), expected);
    });
  }

  it('refuses 28x28 input with a message naming the size, the map chain and what works', () => {
    assert.throws(
      () => build('cifar/vgg.yaml', ['dataset.name', 'FashionMNIST']),
      // A ConfigError: the CLIs print its one line and exit 2 (a bad config), as for any other bad value.
      (e: Error) =>
        e.name === 'ConfigError' && /dataset\.image_size 28/.test(e.message) && /28 -> 14 -> 7 -> 3 -> 1 -> 0/.test(e.message) && /at least 32x32/.test(e.message),
    );
    assert.throws(() => build('imagenet/vgg16.yaml', ['dataset.image_size', '16']), /dataset\.image_size 16/);
  });

  it('names parameters as the PyTorch module tree does, uniquely', () => {
    const model = build('cifar/vgg.yaml', TINY);
    const names = uniqueNames(model);
    assert.deepEqual(names.slice(0, 4), ['stage1.conv0.weight', 'stage1.conv0.bias', 'stage1.bn0.weight', 'stage1.bn0.bias']);
    assert.ok(names.includes('stage5.conv1.weight'));
    assert.deepEqual(names.slice(-2), ['fc.weight', 'fc.bias']);
    model.dispose();
  });

  it('maps 32x32x3 to logits and halves the map in each stage', () => {
    const model = build('cifar/vgg.yaml', TINY);
    const { out, shapes, types } = layerShapes(model, [2, 32, 32, 3]);
    assert.deepEqual(out, [2, 10]);
    assert.deepEqual(shapes['stage1.conv0'], [2, 32, 32, 8]);
    assert.deepEqual(shapes['stage1.pool'], [2, 16, 16, 8]);
    assert.deepEqual(shapes['stage5.pool'], [2, 1, 1, 16]);
    assert.equal(types['stage5.pool'], 'MaxPool2d');
    model.dispose();
  });

  it('imagenet type: 64x64 input, flattened 2x2 map into fc1 (4096) and fc2, dropout layers', () => {
    const model = buildFast('imagenet/vgg16.yaml', [...TINY, 'dataset.image_size', '64', 'dataset.n_classes', '5']);
    assert.deepEqual(model.params.find((p) => p.name === 'fc1.weight')!.variable.shape, [16 * 2 * 2, 4096]);
    const { out, shapes, types } = layerShapes(model, [1, 64, 64, 3]);
    assert.deepEqual(out, [1, 5]);
    assert.deepEqual(shapes['stage5.pool'], [1, 2, 2, 16]);
    assert.equal(types['dropout1'], 'Dropout');
    model.dispose();
  });

  it('initialises conv and fc weights Kaiming normal, keeps PyTorch default conv biases, zero fc bias', () => {
    const model = build('cifar/vgg.yaml', ['model.vgg.n_channels', '[16, 32, 64, 128, 128]']);
    const w = paramStats(model, 'stage4.conv1.weight');
    const expected = Math.sqrt(2 / (128 * 9)); // fan_out
    assert.ok(Math.abs(w.std - expected) / expected < 0.01, `std ${w.std} vs ${expected}`);
    assert.ok(Math.abs(w.mean) < 0.01 * expected);
    const bias = paramValues(model, 'stage4.conv1.bias');
    const bound = 1 / Math.sqrt(128 * 9);
    assert.ok(bias.every((v) => Math.abs(v) <= bound) && bias.some((v) => v !== 0));
    assert.ok(paramValues(model, 'fc.bias').every((v) => v === 0));
    model.dispose();
    const fanIn = build('cifar/vgg.yaml', [...TINY, 'model.init_mode', 'kaiming_fan_in']);
    const s = paramStats(fanIn, 'fc.weight');
    assert.ok(Math.abs(s.std - Math.sqrt(2 / 16)) / Math.sqrt(2 / 16) < 0.25, `fc std ${s.std}`);
    fanIn.dispose();
  });
});

describe('vgg: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  it('cifar type: loss finite and decreasing over a few steps', () => {
    const model = build('cifar/vgg.yaml', TINY);
    const losses = trainSteps(model, [4, 32, 32, 3], 10, 4, 0.05);
    assert.ok(losses.every(Number.isFinite), `${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0], `${losses}`);
    model.dispose();
  });

  it('imagenet type: dropout only in training, reproducible masks per seed, loss decreasing', () => {
    // hidden fc width 64 instead of 4096 to stay quick
    const cfg = config('imagenet/vgg16.yaml', [...TINY, 'dataset.image_size', '32', 'dataset.n_classes', '4']);
    const model = buildImagenetVgg(cfg.model.vgg, contextOf(cfg), 64);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const e1 = model.apply(x, false);
    const e2 = model.apply(x, false);
    assert.deepEqual(e1.dataSync(), e2.dataSync());
    const again = buildImagenetVgg(cfg.model.vgg, contextOf(cfg), 64);
    const t1 = model.apply(x, true);
    const t2 = model.apply(x, true);
    const u1 = again.apply(x, true);
    assert.notDeepEqual(t1.dataSync(), t2.dataSync(), 'a new mask at each call');
    assert.deepEqual(t1.dataSync(), u1.dataSync(), 'the same masks from the same train.seed');
    tf.dispose([x, e1, e2, t1, t2, u1]);
    again.dispose();
    const losses = trainSteps(model, [4, 32, 32, 3], 4, 4, 0.02);
    assert.ok(losses.every(Number.isFinite), `${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0], `${losses}`);
    model.dispose();
  });
});
