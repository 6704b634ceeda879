import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadConfig } from '../../runtime/config';
import { countParams, createModel } from '../../runtime/models';
import { traceLayers } from '../../runtime/models/layers';

function build(overrides: string[]) {
  return createModel(loadConfig({ configFile: 'configs/cifar/resnet_preact.yaml', overrides }));
}

describe('resnet_preact (arXiv 1603.05027), cifar type', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  // Counts of the original framework's models (reference §c), which match the papers' tables.
  const cases: [string, string[], number][] = [
    ['depth 20, CIFAR-10', ['model.resnet_preact.depth', '20'], 272_282],
    ['depth 20, Fashion-MNIST 28x28x1', ['model.resnet_preact.depth', '20', 'dataset.name', 'FashionMNIST'], 271_994],
    ['depth 110, CIFAR-10', ['model.resnet_preact.depth', '110'], 1_730_522],
    ['depth 164 bottleneck (stage 1 keeps 16 channels)', ['model.resnet_preact.depth', '164', 'model.resnet_preact.block_type', 'bottleneck'], 1_619_290],
  ];
  for (const [name, overrides, expected] of cases) {
    it(`has ${expected.toLocaleString('en-US')} parameters: ${name}`, () => {
      const model = build(overrides);
      assert.equal(countParams(model), expected);
      model.dispose();
    });
  }

  it('names parameters as the PyTorch module tree does', () => {
    const model = build(['model.resnet_preact.depth', '20']);
    const names = model.params.map((p) => p.name);
    assert.equal(names[0], 'conv.weight');
    assert.ok(names.includes('stage1.block1.bn1.weight'));
    assert.ok(names.includes('stage2.block1.shortcut.conv.weight'));
    assert.ok(!names.includes('stage1.block1.shortcut.conv.weight'), 'stage 1 has an identity shortcut');
    assert.deepEqual(names.slice(-4), ['bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
    assert.equal(new Set(names).size, names.length);
    // 19 convs + 19 BNs (2 params each) + fc (2) = 19 + 38 + 2 + stem... count tensors: 61 as the original
    assert.equal(names.length, 61);
    model.dispose();
  });

  it('maps NHWC images to logits and halves the map at stages 2 and 3', () => {
    const model = build(['model.resnet_preact.depth', '8']);
    const x = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D;
    const { result, layers } = traceLayers(() => model.apply(x, false));
    assert.deepEqual(result.shape, [2, 10]);
    const shapes = Object.fromEntries(layers.map((l) => [l.name, l.outputShape]));
    assert.deepEqual(shapes['conv'], [2, 32, 32, 16]);
    assert.deepEqual(shapes['stage2.block1.conv1'], [2, 16, 16, 32]);
    assert.deepEqual(shapes['stage3.block1.conv2'], [2, 8, 8, 64]);
    tf.dispose([x, result]);
    model.dispose();
  });

  it('initialises convs with Kaiming normal (fan_out) and BN with γ=1, β=0', () => {
    const model = build(['model.resnet_preact.depth', '110']);
    const w = model.params.find((p) => p.name === 'stage3.block5.conv2.weight')!.variable;
    const values = w.dataSync() as Float32Array;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const expected = Math.sqrt(2 / (64 * 9)); // fan_out = out_channels · k · k
    assert.ok(Math.abs(std - expected) / expected < 0.02, `std ${std} vs ${expected}`);
    assert.ok(Math.abs(mean) < 0.002);
    const gamma = model.params.find((p) => p.name === 'stage1.block1.bn1.weight')!.variable.dataSync() as Float32Array;
    assert.ok(gamma.every((v) => v === 1));
    model.dispose();
  });

  it('is reproducible from train.seed and differs across seeds', () => {
    const a = build(['model.resnet_preact.depth', '8']);
    const b = build(['model.resnet_preact.depth', '8']);
    const c = build(['model.resnet_preact.depth', '8', 'train.seed', '1']);
    const wa = a.params[0].variable.dataSync();
    assert.deepEqual(wa, b.params[0].variable.dataSync());
    assert.notDeepEqual(wa, c.params[0].variable.dataSync());
    [a, b, c].forEach((m) => m.dispose());
  });
});
