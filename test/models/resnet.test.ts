import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { build, buildFast, countFast, layerShapes, paramStats, paramValues, trainSteps, uniqueNames } from './helpers';

const TINY_IMAGENET = ['model.resnet.n_blocks', '[1, 1, 1, 1]', 'model.resnet.initial_channels', '8', 'dataset.image_size', '64', 'dataset.n_classes', '5'];

describe('resnet (arXiv 1512.03385): structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const counts: [string, string, string[], number][] = [
    ['cifar ResNet-110 (the YAML)', 'cifar/resnet.yaml', [], 1_730_714],
    ['cifar ResNet-20', 'cifar/resnet.yaml', ['model.resnet.depth', '20'], 272_474],
    ['cifar ResNet-56', 'cifar/resnet.yaml', ['model.resnet.depth', '56'], 855_770],
    ['cifar ResNet-164 bottleneck (stage 1 keeps 16 channels)', 'cifar/resnet.yaml', ['model.resnet.depth', '164', 'model.resnet.block_type', 'bottleneck'], 1_620_058],
    ['imagenet ResNet-18', 'imagenet/resnet18.yaml', [], 11_689_512],
    ['imagenet ResNet-34', 'imagenet/resnet34.yaml', [], 21_797_672],
  ];
  for (const [name, file, overrides, expected] of counts) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      assert.equal(countFast(file, overrides), expected);
    });
  }

  it('bottleneck stages: outputs [c, 8c, 16c], widths out/4, projection shortcut conv+BN', () => {
    const model = buildFast('cifar/resnet.yaml', ['model.resnet.depth', '11', 'model.resnet.block_type', 'bottleneck']);
    const shape = (n: string) => model.params.find((p) => p.name === n)!.variable.shape;
    assert.deepEqual(shape('stage1.block1.conv1.weight'), [1, 1, 16, 4]);
    assert.deepEqual(shape('stage1.block1.conv3.weight'), [1, 1, 4, 16]);
    assert.deepEqual(shape('stage2.block1.conv2.weight'), [3, 3, 32, 32]);
    assert.deepEqual(shape('stage3.block1.shortcut.conv.weight'), [1, 1, 128, 256]);
    assert.deepEqual(shape('stage3.block1.shortcut.bn.weight'), [256]);
    assert.deepEqual(shape('fc.weight'), [256, 10]);
    model.dispose();
  });

  it('names parameters as the PyTorch module tree does, uniquely', () => {
    const model = build('cifar/resnet.yaml', ['model.resnet.depth', '8']);
    const names = uniqueNames(model);
    assert.deepEqual(names.slice(0, 3), ['conv.weight', 'bn.weight', 'bn.bias']);
    assert.ok(names.includes('stage2.block1.shortcut.conv.weight'));
    assert.ok(!names.includes('stage1.block1.shortcut.conv.weight'), 'stage 1 has an identity shortcut');
    assert.deepEqual(names.slice(-2), ['fc.weight', 'fc.bias']);
    model.dispose();
  });

  it('maps 32x32x3 and 28x28x1 to logits, halving at stages 2 and 3', () => {
    const model = buildFast('cifar/resnet.yaml', ['model.resnet.depth', '8']);
    const { out, shapes } = layerShapes(model, [2, 32, 32, 3]);
    assert.deepEqual(out, [2, 10]);
    assert.deepEqual(shapes['stage2.block1.conv1'], [2, 16, 16, 32]);
    assert.deepEqual(shapes['stage3.block1.shortcut.bn'], [2, 8, 8, 64]);
    model.dispose();
    const mnist = buildFast('cifar/resnet.yaml', ['model.resnet.depth', '8', 'dataset.name', 'MNIST']);
    const m = layerShapes(mnist, [2, 28, 28, 1]);
    assert.deepEqual(m.out, [2, 10]);
    assert.deepEqual(m.shapes['stage3.block1.conv2'], [2, 7, 7, 64]);
    mnist.dispose();
  });

  it('imagenet type: 7x7/2 stem + max-pool 3/2, 4 stages, any image size', () => {
    const model = buildFast('imagenet/resnet18.yaml', TINY_IMAGENET);
    const { out, shapes, types } = layerShapes(model, [1, 64, 64, 3]);
    assert.deepEqual(out, [1, 5]);
    assert.deepEqual(shapes['conv'], [1, 32, 32, 8]);
    assert.deepEqual(shapes['maxpool'], [1, 16, 16, 8]);
    assert.equal(types['maxpool'], 'MaxPool2d');
    assert.deepEqual(shapes['stage4.block1.conv2'], [1, 2, 2, 64]);
    model.dispose();
    const odd = buildFast('imagenet/resnet18.yaml', [...TINY_IMAGENET, 'dataset.image_size', '57']);
    const o = layerShapes(odd, [1, 57, 57, 3]);
    assert.deepEqual(o.shapes['conv'], [1, 29, 29, 8]); // floor((57 + 6 - 7) / 2) + 1
    assert.deepEqual(o.shapes['maxpool'], [1, 15, 15, 8]); // floor((29 + 2 - 3) / 2) + 1
    assert.deepEqual(o.out, [1, 5]);
    odd.dispose();
  });

  it('initialises by model.init_mode: Kaiming normal fan_out / fan_in, BN 1/0, fc bias 0', () => {
    const out = build('cifar/resnet.yaml', ['model.resnet.depth', '20']);
    const w = paramStats(out, 'stage3.block2.conv2.weight');
    const fanOut = Math.sqrt(2 / (64 * 9));
    assert.ok(Math.abs(w.std - fanOut) / fanOut < 0.02, `std ${w.std} vs ${fanOut}`);
    assert.ok(paramValues(out, 'stage1.block1.bn1.weight').every((v) => v === 1));
    assert.ok(paramValues(out, 'stage1.block1.bn1.bias').every((v) => v === 0));
    assert.ok(paramValues(out, 'fc.bias').every((v) => v === 0));
    out.dispose();
    const inn = build('cifar/resnet.yaml', ['model.resnet.depth', '20', 'model.init_mode', 'kaiming_fan_in']);
    const s = paramStats(inn, 'stage2.block1.conv1.weight'); // 16 -> 32: fan_in 16·9
    const fanIn = Math.sqrt(2 / (16 * 9));
    assert.ok(Math.abs(s.std - fanIn) / fanIn < 0.03, `std ${s.std} vs ${fanIn}`);
    inn.dispose();
  });
});

describe('resnet: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  for (const [name, file, overrides, shape] of [
    ['cifar basic, depth 8', 'cifar/resnet.yaml', ['model.resnet.depth', '8', 'model.resnet.initial_channels', '4'], [4, 32, 32, 3]],
    ['cifar bottleneck, depth 11, 28x28x1', 'cifar/resnet.yaml', ['model.resnet.depth', '11', 'model.resnet.block_type', 'bottleneck', 'model.resnet.initial_channels', '4', 'dataset.name', 'MNIST'], [4, 28, 28, 1]],
    ['imagenet, 32x32', 'imagenet/resnet18.yaml', [...TINY_IMAGENET, 'dataset.image_size', '32'], [4, 32, 32, 3]],
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
