import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { pyramidWidths, roundHalfEven } from '../../runtime/models/families/pyramidnet';
import { build, buildFast, countFast, layerShapes, paramStats, trainSteps, uniqueNames } from './helpers';

const FILE = 'cifar/pyramidnet.yaml';
const basic = (depth: number, alpha: number) => ['model.pyramidnet.depth', `${depth}`, 'model.pyramidnet.block_type', 'basic', 'model.pyramidnet.alpha', `${alpha}`];
const TINY = [...basic(8, 6), 'model.pyramidnet.initial_channels', '4'];
const TINY_IMAGENET = ['model.pyramidnet.n_blocks', '[1, 1, 1, 1]', 'model.pyramidnet.initial_channels', '8', 'model.pyramidnet.alpha', '8', 'dataset.image_size', '64', 'dataset.n_classes', '5'];

describe('pyramidnet (arXiv 1610.02915): structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const counts: [string, string, string[], number][] = [
    ['cifar 110 basic α=84', FILE, basic(110, 84), 3_904_446],
    ['cifar 110 basic α=270', FILE, basic(110, 270), 28_485_477],
    ['cifar 110 basic α=270 on KMNIST 28x28x1', FILE, [...basic(110, 270), 'dataset.name', 'KMNIST'], 28_485_189],
    ['cifar 164 bottleneck α=270', FILE, ['model.pyramidnet.depth', '164', 'model.pyramidnet.alpha', '270'], 27_216_021],
    ['cifar 272 bottleneck α=200 (the YAML)', FILE, [], 26_210_842],
    ['cifar 110 basic α=48', FILE, basic(110, 48), 1_772_706],
    ['imagenet PyramidNet-200 α=300', 'imagenet/pyramidnet200.yaml', [], 62_368_168],
  ];
  for (const [name, file, overrides, expected] of counts) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      assert.equal(countFast(file, overrides), expected);
    });
  }

  it('rounds widths half to even as NumPy, after float accumulation', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 16.5, 17.5, 2.4999, 2.5001].map(roundHalfEven), [0, 2, 2, 16, 18, 2, 3]);
    assert.deepEqual(pyramidWidths(16, 1, 2, 1), [16, 16, 17]); // 16.5 -> 16 (Math.round would give 17)
    assert.deepEqual(pyramidWidths(16, 3, 2, 4), [16, 72, 76]); // 17.5 -> 18, 19 -> 19, × 4
    const w = pyramidWidths(16, 84, 54, 1);
    assert.equal(w.length, 55);
    assert.equal(w[54], 100);
  });

  it('shortcuts: avg-pool when strided, zero channels appended; no shortcut parameters', () => {
    const model = buildFast(FILE, basic(8, 6));
    const names = uniqueNames(model);
    assert.ok(!names.some((n) => n.includes('shortcut')));
    assert.deepEqual(names.slice(0, 3), ['conv.weight', 'bn1.weight', 'bn1.bias']);
    assert.deepEqual(names.slice(-4), ['bn2.weight', 'bn2.bias', 'fc.weight', 'fc.bias']);
    const { out, shapes, types } = layerShapes(model, [2, 32, 32, 3]);
    assert.deepEqual(out, [2, 10]);
    assert.equal(types['stage2.block1.shortcut'], 'AvgPool2d');
    assert.deepEqual(shapes['stage2.block1.shortcut'], [2, 16, 16, 18]);
    assert.deepEqual(shapes['stage2.block1.shortcut_pad'], [2, 16, 16, 20]);
    assert.equal(types['stage1.block1.shortcut'], undefined);
    assert.deepEqual(shapes['stage3.block1.bn3'], [2, 8, 8, 22]);
    model.dispose();
  });

  it('maps 28x28x1 to logits; refuses odd maps at strided stages with a clear message', () => {
    const model = buildFast(FILE, [...TINY, 'dataset.name', 'MNIST']);
    const { out, shapes } = layerShapes(model, [2, 28, 28, 1]);
    assert.deepEqual(out, [2, 10]);
    assert.deepEqual(shapes['stage3.block1.shortcut_pad'], [2, 7, 7, 10]);
    model.dispose();
    assert.throws(() => build('imagenet/pyramidnet200.yaml', [...TINY_IMAGENET, 'dataset.image_size', '56']), /stage 3 halves a 7x7 map/);
  });

  it('imagenet type: stem, 4 stages, bn_last', () => {
    const model = buildFast('imagenet/pyramidnet200.yaml', TINY_IMAGENET);
    const names = uniqueNames(model);
    assert.deepEqual(names.slice(-4), ['bn_last.weight', 'bn_last.bias', 'fc.weight', 'fc.bias']);
    const { out, shapes } = layerShapes(model, [1, 64, 64, 3]);
    assert.deepEqual(out, [1, 5]);
    assert.deepEqual(shapes['maxpool'], [1, 16, 16, 8]);
    assert.deepEqual(shapes['stage4.block1.bn4'], [1, 2, 2, 64]); // round(8 + 4·2) · 4
    model.dispose();
  });

  it('initialises with Kaiming normal fan_out', () => {
    const model = build(FILE, basic(20, 48));
    const w = paramStats(model, 'stage3.block3.conv1.weight');
    const outC = model.params.find((p) => p.name === 'stage3.block3.conv1.weight')!.variable.shape[3]!;
    const expected = Math.sqrt(2 / (outC * 9));
    assert.ok(Math.abs(w.std - expected) / expected < 0.03, `std ${w.std} vs ${expected}`);
    model.dispose();
  });
});

describe('pyramidnet: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  for (const [name, file, overrides, shape] of [
    ['cifar basic 8', FILE, TINY, [4, 32, 32, 3]],
    ['cifar bottleneck 11, 28x28x1', FILE, ['model.pyramidnet.depth', '11', 'model.pyramidnet.alpha', '6', 'model.pyramidnet.initial_channels', '4', 'dataset.name', 'MNIST'], [4, 28, 28, 1]],
    ['imagenet, 32x32', 'imagenet/pyramidnet200.yaml', [...TINY_IMAGENET, 'model.pyramidnet.block_type', 'basic', 'dataset.image_size', '32'], [4, 32, 32, 3]],
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
