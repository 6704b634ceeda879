import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { build, buildFast, countFast, layerShapes, paramStats, trainSteps, uniqueNames } from './helpers';

const FILE = 'cifar/se_resnet_preact.yaml';

describe('se_resnet_preact (arXiv 1709.01507), cifar type: structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const counts: [string, string, string[], number][] = [
    ['the YAML (110 basic, remove_first_relu, add_last_bn, preact [T, F, F], r 16)', FILE, [], 1_748_792],
    ['the defaults (no flags, preact [T, T, T])', 'cifar/resnet_preact.yaml', ['model.name', 'se_resnet_preact'], 1_744_760],
  ];
  for (const [name, file, overrides, expected] of counts) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      assert.equal(countFast(file, overrides), expected);
    });
  }

  it('is ResNet-preact plus one SE module (fc1 c -> c/r, fc2 c/r -> c, with biases) per block', () => {
    const plain = countFast('cifar/resnet_preact.yaml', ['model.resnet_preact.depth', '20']);
    const se = countFast('cifar/resnet_preact.yaml', ['model.name', 'se_resnet_preact', 'model.se_resnet_preact.depth', '20']);
    const seParams = (c: number) => c * (c / 16) + c / 16 + (c / 16) * c + c;
    assert.equal(se - plain, 3 * (seParams(16) + seParams(32) + seParams(64)));
    const bottleneck = buildFast(FILE, ['model.se_resnet_preact.depth', '11', 'model.se_resnet_preact.block_type', 'bottleneck']);
    const shape = (n: string) => bottleneck.params.find((p) => p.name === n)!.variable.shape;
    assert.deepEqual(shape('stage3.block1.se.fc1.weight'), [256, 16]);
    assert.deepEqual(shape('stage3.block1.bn4.weight'), [256]);
    assert.deepEqual(shape('stage1.block1.conv3.weight'), [1, 1, 4, 16]);
    bottleneck.dispose();
  });

  it('names parameters as the PyTorch module tree does, uniquely', () => {
    const model = buildFast(FILE, ['model.se_resnet_preact.depth', '8']);
    const names = uniqueNames(model);
    assert.equal(names[0], 'conv.weight');
    const block = names.filter((n) => n.startsWith('stage2.block1.'));
    assert.deepEqual(block, [
      'stage2.block1.bn1.weight', 'stage2.block1.bn1.bias', 'stage2.block1.conv1.weight', 'stage2.block1.bn2.weight',
      'stage2.block1.bn2.bias', 'stage2.block1.conv2.weight', 'stage2.block1.bn3.weight', 'stage2.block1.bn3.bias',
      'stage2.block1.se.fc1.weight', 'stage2.block1.se.fc1.bias', 'stage2.block1.se.fc2.weight', 'stage2.block1.se.fc2.bias',
      'stage2.block1.shortcut.conv.weight',
    ]);
    assert.deepEqual(names.slice(-4), ['bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
    model.dispose();
  });

  it('maps 32x32x3 and 28x28x1 to logits', () => {
    for (const [overrides, shape, last] of [
      [[], [2, 32, 32, 3], [2, 8, 8, 64]],
      [['dataset.name', 'KMNIST'], [2, 28, 28, 1], [2, 7, 7, 64]],
    ] as [string[], [number, number, number, number], number[]][]) {
      const model = buildFast(FILE, ['model.se_resnet_preact.depth', '8', ...overrides]);
      const { out, shapes, types } = layerShapes(model, shape);
      assert.deepEqual(out, [2, 10]);
      assert.deepEqual(shapes['stage3.block1.se'], last);
      assert.equal(types['stage3.block1.se'], 'SELayer');
      model.dispose();
    }
  });

  it('always initialises with Kaiming normal fan_out, whatever model.init_mode says', () => {
    const model = build(FILE, ['model.se_resnet_preact.depth', '20', 'model.init_mode', 'kaiming_fan_in']);
    const w = paramStats(model, 'stage2.block1.conv1.weight'); // 16 -> 32: fan_out 32·9, fan_in 16·9
    const fanOut = Math.sqrt(2 / (32 * 9));
    assert.ok(Math.abs(w.std - fanOut) / fanOut < 0.03, `std ${w.std} vs ${fanOut}`);
    const fc2 = paramStats(model, 'stage3.block3.se.fc2.weight'); // 4 -> 64: fan_out 64
    assert.ok(Math.abs(fc2.std - Math.sqrt(2 / 64)) / Math.sqrt(2 / 64) < 0.1, `se fc2 std ${fc2.std}`);
    model.dispose();
  });
});

describe('se_resnet_preact: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  it('depth 8, r 4: loss finite and decreasing', () => {
    const model = build(FILE, ['model.se_resnet_preact.depth', '8', 'model.se_resnet_preact.initial_channels', '8', 'model.se_resnet_preact.se_reduction', '4']);
    const losses = trainSteps(model, [4, 32, 32, 3], 10, 4, 0.05);
    assert.ok(losses.every(Number.isFinite), `${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0], `${losses}`);
    model.dispose();
  });
});
