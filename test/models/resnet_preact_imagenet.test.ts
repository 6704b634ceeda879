import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../runtime/backend';
import { build, buildFast, countFast, layerShapes, paramStats, trainSteps, uniqueNames } from './helpers';

const FILE = 'imagenet/resnet_preact_18.yaml';
const TINY = ['model.resnet_preact.n_blocks', '[1, 1, 1, 1]', 'model.resnet_preact.initial_channels', '8', 'dataset.image_size', '64', 'dataset.n_classes', '5'];

describe('resnet_preact (arXiv 1603.05027), imagenet type: structure', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('has 11,687,848 parameters: ResNet-preact-18 (the YAML)', () => {
    assert.equal(countFast(FILE), 11_687_848);
  });

  it('bottleneck: stage 1 keeps c, stages 2-4 end at 8c, 16c, 32c; add_last_bn adds bn4', () => {
    const model = buildFast(FILE, [...TINY, 'model.resnet_preact.block_type', 'bottleneck', 'model.resnet_preact.add_last_bn', 'True']);
    const shape = (n: string) => model.params.find((p) => p.name === n)!.variable.shape;
    assert.deepEqual(shape('stage1.block1.conv3.weight'), [1, 1, 2, 8]);
    assert.deepEqual(shape('stage4.block1.conv3.weight'), [1, 1, 64, 256]);
    assert.deepEqual(shape('stage4.block1.bn4.weight'), [256]);
    assert.deepEqual(shape('bn_last.weight'), [256]);
    model.dispose();
  });

  it('refuses a 3-entry preact_stage', () => {
    assert.throws(() => build(FILE, ['model.resnet_preact.preact_stage', '[True, True, True]']), /preact_stage/);
  });

  it('maps a 64x64 image to logits through the stem and 4 stages; names unique', () => {
    const model = buildFast(FILE, TINY);
    const names = uniqueNames(model);
    assert.deepEqual(names.slice(0, 3), ['conv.weight', 'bn.weight', 'bn.bias']);
    assert.ok(names.includes('stage4.block1.shortcut.conv.weight'));
    assert.deepEqual(names.slice(-4), ['bn_last.weight', 'bn_last.bias', 'fc.weight', 'fc.bias']);
    const { out, shapes } = layerShapes(model, [1, 64, 64, 3]);
    assert.deepEqual(out, [1, 5]);
    assert.deepEqual(shapes['maxpool'], [1, 16, 16, 8]);
    assert.deepEqual(shapes['stage4.block1.conv2'], [1, 2, 2, 64]);
    model.dispose();
  });

  it('initialises by model.init_mode (fan_in here)', () => {
    const model = build(FILE, [...TINY, 'model.init_mode', 'kaiming_fan_in', 'model.resnet_preact.initial_channels', '32']);
    const w = paramStats(model, 'stage3.block1.conv2.weight'); // 128 -> 128
    const expected = Math.sqrt(2 / (128 * 9));
    assert.ok(Math.abs(w.std - expected) / expected < 0.01, `std ${w.std} vs ${expected}`);
    model.dispose();
  });
});

describe('resnet_preact imagenet: training on the wasm backend', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  it('32x32 input: loss finite and decreasing', () => {
    const model = build(FILE, [...TINY, 'dataset.image_size', '32']);
    const losses = trainSteps(model, [4, 32, 32, 3], 5, 4, 0.05);
    assert.ok(losses.every(Number.isFinite), `${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0], `${losses}`);
    model.dispose();
  });
});
