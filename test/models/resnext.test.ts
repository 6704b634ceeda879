import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { ConfigError, loadConfig } from '../../runtime/config';
import { countParams, createModel } from '../../runtime/models';
import { build, buildFast, countFast, layerShapes, paramStats, paramValues, trainSteps, uniqueNames } from './helpers';

const FILE = 'cifar/resnext.yaml';
const IMAGENET = 'imagenet/resnext50_32x4d.yaml';
const TINY = ['model.resnext.depth', '11', 'model.resnext.initial_channels', '8', 'model.resnext.cardinality', '4', 'model.resnext.base_channels', '2'];
const TINY_IMAGENET = [
  'model.resnext.n_blocks', '[1, 1, 1, 1]', 'model.resnext.initial_channels', '8', 'model.resnext.cardinality', '4',
  'model.resnext.base_channels', '2', 'dataset.image_size', '64', 'dataset.n_classes', '5',
];

describe('resnext (arXiv 1611.05431): structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
    (tf.backend() as { firstUse?: boolean }).firstUse = false;
  });

  // The original's counts (reference §c) and the README's rows; 16x64d computed by the same rules.
  const counts: [string, string, string[], number][] = [
    ['ResNeXt-29 8x64d (the YAML)', FILE, [], 34_426_698],
    ['ResNeXt-29 4x64d', FILE, ['model.resnext.cardinality', '4'], 17_562_442],
    ['ResNeXt-29 16x64d', FILE, ['model.resnext.cardinality', '16'], 68_155_210],
    ['ResNeXt-29 16x64d, CIFAR-100', FILE, ['model.resnext.cardinality', '16', 'dataset.name', 'CIFAR100'], 68_247_460],
    ['ResNeXt-29 16x64d, 28x28x1', FILE, ['model.resnext.cardinality', '16', 'dataset.name', 'MNIST'], 68_154_058],
    ['imagenet ResNeXt-50 32x4d', IMAGENET, [], 25_028_904],
  ];
  for (const [name, file, overrides, expected] of counts) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      assert.equal(countFast(file, overrides), expected);
    });
  }

  it('the defaults tree builds what the original builds with no --config: base_channels 4, 1,717,578 parameters', () => {
    const model = createModel(loadConfig({ overrides: ['model.name', 'resnext'] }));
    assert.equal(countParams(model), 1_717_578);
    model.dispose();
  });

  it('bottleneck width = cardinality x base x 2^stage, grouped 3x3 weight [3, 3, width/G, width], shortcut conv+BN', () => {
    const model = buildFast(FILE, ['model.resnext.depth', '11']);
    const shape = (n: string) => model.params.find((p) => p.name === n)!.variable.shape;
    assert.deepEqual(shape('stage1.block1.conv1.weight'), [1, 1, 64, 512]);
    assert.deepEqual(shape('stage1.block1.conv2.weight'), [3, 3, 64, 512]);
    assert.deepEqual(shape('stage2.block1.conv2.weight'), [3, 3, 128, 1024]);
    assert.deepEqual(shape('stage3.block1.conv2.weight'), [3, 3, 256, 2048]);
    assert.deepEqual(shape('stage3.block1.conv3.weight'), [1, 1, 2048, 1024]);
    assert.deepEqual(shape('stage1.block1.shortcut.conv.weight'), [1, 1, 64, 256]);
    assert.deepEqual(shape('stage3.block1.shortcut.bn.weight'), [1024]);
    assert.deepEqual(shape('fc.weight'), [1024, 10]);
    model.dispose();
  });

  it('names parameters as the PyTorch module tree does, uniquely', () => {
    const model = buildFast(FILE, ['model.resnext.depth', '20', ...TINY.slice(2)]);
    const names = uniqueNames(model);
    assert.deepEqual(names.slice(0, 3), ['conv.weight', 'bn.weight', 'bn.bias']);
    assert.ok(names.includes('stage1.block1.shortcut.conv.weight'), 'stage 1 widens 8 -> 32');
    assert.ok(!names.includes('stage1.block2.shortcut.conv.weight'));
    assert.deepEqual(names.slice(-2), ['fc.weight', 'fc.bias']);
    assert.equal(names.length, 3 + 6 * 9 + 3 * 3 + 2); // stem, 6 blocks (3 convs + 3 BNs), 3 shortcuts, fc
    model.dispose();
  });

  it('maps 32x32x3 and 28x28x1 to logits, halving at stages 2 and 3', () => {
    const model = buildFast(FILE, TINY);
    const { out, shapes, types } = layerShapes(model, [2, 32, 32, 3]);
    assert.deepEqual(out, [2, 10]);
    assert.equal(types['stage1.block1.conv2'], 'GroupedConv2d');
    assert.deepEqual(shapes['stage1.block1.conv2'], [2, 32, 32, 8]);
    assert.deepEqual(shapes['stage2.block1.conv2'], [2, 16, 16, 16]);
    assert.deepEqual(shapes['stage3.block1.shortcut.bn'], [2, 8, 8, 128]);
    model.dispose();
    const mnist = buildFast(FILE, [...TINY, 'dataset.name', 'FashionMNIST']);
    const m = layerShapes(mnist, [2, 28, 28, 1]);
    assert.deepEqual(m.out, [2, 10]);
    assert.deepEqual(m.shapes['stage3.block1.conv3'], [2, 7, 7, 128]);
    mnist.dispose();
  });

  it('imagenet type: 7x7/2 stem + max-pool, 4 stages to 32c, any image size', () => {
    const model = buildFast(IMAGENET, TINY_IMAGENET);
    const { out, shapes } = layerShapes(model, [1, 64, 64, 3]);
    assert.deepEqual(out, [1, 5]);
    assert.deepEqual(shapes['maxpool'], [1, 16, 16, 8]);
    assert.deepEqual(shapes['stage4.block1.conv2'], [1, 2, 2, 64]); // 4 x 2 x 2^3
    assert.deepEqual(shapes['stage4.block1.bn3'], [1, 2, 2, 256]); // 32c
    model.dispose();
    const odd = buildFast(IMAGENET, [...TINY_IMAGENET, 'dataset.image_size', '45']);
    assert.deepEqual(layerShapes(odd, [1, 45, 45, 3]).out, [1, 5]);
    odd.dispose();
  });

  it('initialises by model.init_mode: grouped conv fan_out = out·k·k, fan_in = (in/G)·k·k; BN 1/0; fc bias 0', () => {
    const overrides = ['model.resnext.depth', '11', 'model.resnext.cardinality', '8', 'model.resnext.base_channels', '8'];
    const out = build(FILE, overrides);
    const w = paramStats(out, 'stage3.block1.conv2.weight'); // width 256, 32 per group
    const fanOut = Math.sqrt(2 / (256 * 9));
    assert.ok(Math.abs(w.std - fanOut) / fanOut < 0.02, `std ${w.std} vs ${fanOut}`);
    assert.ok(Math.abs(w.mean) < 0.01 * fanOut * 10);
    assert.ok(paramValues(out, 'stage2.block1.bn2.weight').every((v) => v === 1));
    assert.ok(paramValues(out, 'stage2.block1.shortcut.bn.bias').every((v) => v === 0));
    assert.ok(paramValues(out, 'fc.bias').every((v) => v === 0));
    out.dispose();
    const inn = build(FILE, [...overrides, 'model.init_mode', 'kaiming_fan_in']);
    const s = paramStats(inn, 'stage3.block1.conv2.weight');
    const fanIn = Math.sqrt(2 / (32 * 9));
    assert.ok(Math.abs(s.std - fanIn) / fanIn < 0.02, `std ${s.std} vs ${fanIn}`);
    inn.dispose();
  });

  it('rejects depths that are not 9n+2', () => {
    const cfg = loadConfig({ configFile: `configs/${FILE}` });
    cfg.model.resnext.depth = 28;
    assert.throws(() => createModel(cfg), (e: unknown) => e instanceof ConfigError && /^model\.resnext\.depth: 28 does not fit resnext: depth = 9n\+2 .*; nearest 20 or 29$/.test(e.message));
  });
});

describe('resnext: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  for (const [name, file, overrides, shape] of [
    ['cifar depth 11, 4x2d', FILE, TINY, [4, 32, 32, 3]],
    ['cifar depth 11, 28x28x1', FILE, [...TINY, 'dataset.name', 'MNIST'], [4, 28, 28, 1]],
    ['imagenet [1,1,1,1], 32x32', IMAGENET, [...TINY_IMAGENET, 'dataset.image_size', '32'], [4, 32, 32, 3]],
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
