import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { build, buildFast, countFast, layerShapes, paramStats, trainSteps, uniqueNames } from './helpers';

const FILE = 'cifar/densenet.yaml';
const TINY = ['model.densenet.depth', '10', 'model.densenet.growth_rate', '4'];
const TINY_IMAGENET = ['model.densenet.n_blocks', '[1, 1, 2, 1]', 'model.densenet.growth_rate', '4', 'dataset.image_size', '64', 'dataset.n_classes', '5'];

describe('densenet (arXiv 1608.06993): structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const counts: [string, string, string[], number][] = [
    ['cifar DenseNet-BC-100 k=12 (the YAML)', FILE, [], 769_162],
    ['cifar DenseNet-100 k=12 basic, compression 1.0', FILE, ['model.densenet.block_type', 'basic', 'model.densenet.compression_rate', '1.0'], 7_083_538],
    ['cifar DenseNet-100 k=12 basic with the YAML compression 0.5', FILE, ['model.densenet.block_type', 'basic'], 4_068_490],
    ['cifar DenseNet-100 k=24 basic, compression 1.0', FILE, ['model.densenet.block_type', 'basic', 'model.densenet.compression_rate', '1.0', 'model.densenet.growth_rate', '24'], 28_071_706],
    ['cifar DenseNet-40 k=12 basic, compression 1.0', FILE, ['model.densenet.depth', '40', 'model.densenet.block_type', 'basic', 'model.densenet.compression_rate', '1.0'], 1_059_298],
    ['cifar DenseNet-BC-250 k=24', FILE, ['model.densenet.depth', '250', 'model.densenet.growth_rate', '24'], 15_324_406],
    ['imagenet DenseNet-121', 'imagenet/densenet121.yaml', [], 7_978_856],
  ];
  for (const [name, file, overrides, expected] of counts) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      assert.equal(countFast(file, overrides), expected);
    });
  }

  it('transitions compress to int(c * rate) channels', () => {
    // BC-100 k12: stage 1 ends with 24 + 16·12 = 216 -> 108; stage 2 108 + 192 = 300 -> 150
    const model = buildFast(FILE);
    const shape = (n: string) => model.params.find((p) => p.name === n)!.variable.shape;
    assert.deepEqual(shape('stage1.transition.conv.weight'), [1, 1, 216, 108]);
    assert.deepEqual(shape('stage2.transition.conv.weight'), [1, 1, 300, 150]);
    assert.deepEqual(shape('fc.weight'), [342, 10]);
    model.dispose();
    // rate 0.3 on 30 channels: 8.999999999999998 in floating point -> 8, as Python's int()
    const odd = buildFast(FILE, ['model.densenet.depth', '7', 'model.densenet.block_type', 'basic', 'model.densenet.growth_rate', '5', 'model.densenet.compression_rate', '0.3']);
    const t = odd.params.find((p) => p.name === 'stage1.transition.conv.weight')!.variable.shape;
    assert.deepEqual(t, [1, 1, 15, Math.trunc(15 * 0.3)]);
    odd.dispose();
  });

  it('names parameters as the PyTorch module tree does, uniquely', () => {
    const model = buildFast(FILE, TINY);
    const names = uniqueNames(model);
    assert.equal(names[0], 'conv.weight');
    assert.deepEqual(names.filter((n) => n.startsWith('stage1.block1.')), [
      'stage1.block1.bn1.weight', 'stage1.block1.bn1.bias', 'stage1.block1.conv1.weight',
      'stage1.block1.bn2.weight', 'stage1.block1.bn2.bias', 'stage1.block1.conv2.weight',
    ]);
    assert.ok(names.includes('stage2.transition.conv.weight'));
    assert.ok(!names.some((n) => n.startsWith('stage3.transition')));
    assert.deepEqual(names.slice(-4), ['bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
    model.dispose();
  });

  it('maps 32x32x3 and 28x28x1 to logits, halving at each transition', () => {
    const model = buildFast(FILE, TINY);
    const { out, shapes, types } = layerShapes(model, [2, 32, 32, 3]);
    assert.deepEqual(out, [2, 10]);
    assert.deepEqual(shapes['stage1.block1.conv2'], [2, 32, 32, 4]);
    assert.deepEqual(shapes['stage1.transition.pool'], [2, 16, 16, 6]); // stem 8 + one layer of 4 = 12 -> int(12 · 0.5)
    assert.equal(types['stage2.transition.pool'], 'AvgPool2d');
    assert.deepEqual(shapes['stage3.block1.conv2'], [2, 8, 8, 4]);
    model.dispose();
    const mnist = buildFast(FILE, [...TINY, 'dataset.name', 'MNIST']);
    const m = layerShapes(mnist, [2, 28, 28, 1]);
    assert.deepEqual(m.out, [2, 10]);
    assert.deepEqual(m.shapes['stage3.block1.conv2'], [2, 7, 7, 4]);
    mnist.dispose();
  });

  it('imagenet type: stem with 2k channels, 4 stages, final BN without ReLU', () => {
    const model = buildFast('imagenet/densenet121.yaml', TINY_IMAGENET);
    const { out, shapes } = layerShapes(model, [1, 64, 64, 3]);
    assert.deepEqual(out, [1, 5]);
    assert.deepEqual(shapes['conv'], [1, 32, 32, 8]);
    assert.deepEqual(shapes['maxpool'], [1, 16, 16, 8]);
    assert.deepEqual(shapes['stage4.block1.conv2'], [1, 2, 2, 4]);
    assert.ok(shapes['bn_last']);
    model.dispose();
  });

  it('initialises with Kaiming normal fan_out', () => {
    const model = build(FILE, ['model.densenet.depth', '16']);
    const w = paramStats(model, 'stage3.block2.conv1.weight'); // 1x1 -> 48: fan_out 48
    const expected = Math.sqrt(2 / 48);
    assert.ok(Math.abs(w.std - expected) / expected < 0.03, `std ${w.std} vs ${expected}`);
    model.dispose();
  });
});

describe('densenet: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  for (const [name, file, overrides, shape] of [
    ['cifar BC-10 k4, dropout 0.2', FILE, [...TINY, 'model.densenet.drop_rate', '0.2'], [4, 32, 32, 3]],
    ['cifar basic-7 k4, 28x28x1', FILE, ['model.densenet.depth', '7', 'model.densenet.block_type', 'basic', 'model.densenet.growth_rate', '4', 'dataset.name', 'FashionMNIST'], [4, 28, 28, 1]],
    ['imagenet, 32x32', 'imagenet/densenet121.yaml', [...TINY_IMAGENET, 'dataset.image_size', '32'], [4, 32, 32, 3]],
  ] as [string, string, string[], [number, number, number, number]][]) {
    it(`${name}: loss finite and decreasing`, () => {
      const model = build(file, overrides);
      const losses = trainSteps(model, shape, file.startsWith('imagenet') ? 5 : 10, 4, 0.05);
      assert.ok(losses.every(Number.isFinite), `${losses}`);
      assert.ok(losses[losses.length - 1] < losses[0], `${losses}`);
      model.dispose();
    });
  }
});
