/**
 * One matrix over the whole zoo, every family of both model types:
 * - small variants (both block types where a family has two) on 32x32x3 (CIFAR-10), 28x28x1 (MNIST)
 *   and the imagenet type (64x64x3, 5 classes): the parameter count the original's code builds for
 *   that exact config (run under PyTorch 1.13 with the original's `Network` classes, not derived
 *   from this project's code) and the logits' shape; where the original cannot build (cifar VGG on
 *   28x28: its probe pass fails), this project refuses too;
 * - initialisation by `model.init_mode`, as the original's `initializer.py`: every conv and linear
 *   weight Kaiming normal with std sqrt(2 / fan), fan = fan_in or fan_out of that weight, BN γ 1 and
 *   β 0, linear bias 0; SE-ResNet-preact always fan_out (its file ignores init_mode).
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { familyNames } from '../../runtime/config';
import { countParams } from '../../runtime/models';
import { buildImagenetVgg } from '../../runtime/models/families/vgg';
import type { Model } from '../../runtime/models/types';
import { build, buildFast, config, contextOf } from './helpers';

const MNIST = ['dataset.name', 'MNIST'];
const IMAGENET_64 = ['dataset.image_size', '64', 'dataset.n_classes', '5'];

/** [config file under configs/, overrides, params of the original on CIFAR-10, on MNIST (null: the original cannot build it)] */
const CIFAR: [string, string[], number, number | null][] = [
  ['cifar/vgg.yaml', ['model.vgg.n_channels', '[16, 32, 64, 64, 64]', 'model.vgg.n_layers', '[1, 1, 1, 1, 1]'], 98_570, null],
  ['cifar/resnet.yaml', ['model.resnet.depth', '8'], 78_042, 77_754],
  ['cifar/resnet.yaml', ['model.resnet.depth', '11', 'model.resnet.block_type', 'bottleneck', 'model.resnet.initial_channels', '8'], 30_094, 29_950],
  ['cifar/resnet_preact.yaml', ['model.resnet_preact.depth', '8'], 77_850, 77_562],
  ['cifar/resnet_preact.yaml', ['model.resnet_preact.depth', '11', 'model.resnet_preact.block_type', 'bottleneck', 'model.resnet_preact.initial_channels', '8'], 29_710, 29_566],
  ['cifar/se_resnet_preact.yaml', ['model.se_resnet_preact.depth', '8', 'model.se_resnet_preact.se_reduction', '4'], 80_902, 80_614],
  ['cifar/wrn.yaml', ['model.wrn.depth', '10', 'model.wrn.widening_factor', '2'], 303_706, 303_418],
  ['cifar/densenet.yaml', ['model.densenet.depth', '10', 'model.densenet.growth_rate', '12'], 20_902, 20_470],
  ['cifar/densenet.yaml', ['model.densenet.depth', '7', 'model.densenet.block_type', 'basic', 'model.densenet.growth_rate', '12', 'model.densenet.compression_rate', '1.0'], 17_026, 16_594],
  ['cifar/pyramidnet.yaml', ['model.pyramidnet.depth', '8', 'model.pyramidnet.block_type', 'basic', 'model.pyramidnet.alpha', '48'], 114_906, 114_618],
  ['cifar/pyramidnet.yaml', ['model.pyramidnet.depth', '11', 'model.pyramidnet.alpha', '24', 'model.pyramidnet.initial_channels', '8'], 31_842, 31_698],
  ['cifar/resnext.yaml', ['model.resnext.depth', '11', 'model.resnext.initial_channels', '16', 'model.resnext.cardinality', '2', 'model.resnext.base_channels', '8'], 103_450, 103_162],
  ['cifar/shake_shake.yaml', ['model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '32'], 595_354, 595_066],
];

/** [config file, overrides (64x64x3 input, 5 classes added), params of the original] */
const IMAGENET: [string, string[], number][] = [
  ['imagenet/vgg16.yaml', ['model.vgg.n_channels', '[16, 32, 64, 64, 64]', 'model.vgg.n_layers', '[1, 1, 1, 1, 1]'], 17_952_389],
  ['imagenet/resnet18.yaml', ['model.resnet.n_blocks', '[1, 1, 1, 1]', 'model.resnet.initial_channels', '16'], 310_101],
  ['imagenet/resnet_preact_18.yaml', ['model.resnet_preact.n_blocks', '[1, 1, 1, 1]', 'model.resnet_preact.initial_channels', '16'], 309_685],
  ['imagenet/resnext50_32x4d.yaml', ['model.resnext.n_blocks', '[1, 1, 1, 1]', 'model.resnext.initial_channels', '16', 'model.resnext.cardinality', '2', 'model.resnext.base_channels', '8'], 411_029],
  ['imagenet/densenet121.yaml', ['model.densenet.n_blocks', '[1, 1, 1, 1]', 'model.densenet.growth_rate', '12'], 30_011],
  ['imagenet/pyramidnet200.yaml', ['model.pyramidnet.n_blocks', '[1, 1, 1, 1]', 'model.pyramidnet.block_type', 'basic', 'model.pyramidnet.alpha', '48'], 621_029],
];

const label = (file: string, overrides: string[]) => `${file} ${overrides.filter((_, i) => i % 2 === 1).join(' ')}`;

/** Logits shape of one evaluation-mode pass of zeros; frees its tensors. */
function logitsShape(model: Model, shape: [number, number, number, number]): number[] {
  const x = tf.zeros(shape) as tf.Tensor4D;
  const y = tf.tidy(() => model.apply(x, false));
  const out = y.shape;
  tf.dispose([x, y]);
  return out;
}

describe('zoo: counts of the original and logits shapes, 32x32x3, 28x28x1, imagenet type', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('covers every family of the registry (config/families.ts), for each type it declares', () => {
    const families = (rows: Array<[string, ...unknown[]]>) => [...new Set(rows.map(([file]) => config(file).model.name))].sort();
    assert.deepEqual(families(CIFAR), familyNames('cifar').sort());
    assert.deepEqual(families(IMAGENET), familyNames('imagenet').sort());
  });

  for (const [file, overrides, cifar10, mnist] of CIFAR) {
    it(`${label(file, overrides)}: 32x32x3 -> [1, 10], ${cifar10.toLocaleString('en-US')} parameters`, () => {
      const model = buildFast(file, overrides);
      assert.equal(countParams(model), cifar10);
      assert.deepEqual(logitsShape(model, [1, 32, 32, 3]), [1, 10]);
      model.dispose();
    });
    if (mnist === null) {
      it(`${label(file, overrides)}: 28x28x1 is refused (the original cannot build it either)`, () => {
        assert.throws(() => buildFast(file, [...overrides, ...MNIST]), /dataset\.image_size 28/);
      });
    } else {
      it(`${label(file, overrides)}: 28x28x1 -> [1, 10], ${mnist.toLocaleString('en-US')} parameters`, () => {
        const model = buildFast(file, [...overrides, ...MNIST]);
        assert.equal(countParams(model), mnist);
        assert.deepEqual(logitsShape(model, [1, 28, 28, 1]), [1, 10]);
        model.dispose();
      });
    }
  }

  for (const [file, overrides, expected] of IMAGENET) {
    it(`${label(file, overrides)}: 64x64x3 -> [1, 5], ${expected.toLocaleString('en-US')} parameters`, () => {
      const model = buildFast(file, [...overrides, ...IMAGENET_64]);
      assert.equal(countParams(model), expected);
      assert.deepEqual(logitsShape(model, [1, 64, 64, 3]), [1, 5]);
      model.dispose();
    });
  }
});

/** fan_in and fan_out of a conv weight [kh, kw, in/groups, out] or a linear weight [in, out], as PyTorch computes them. */
function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const [kh, kw, inPerGroup, out] = shape;
  return { fanIn: kh * kw * inPerGroup, fanOut: kh * kw * out };
}

function std(values: Float32Array): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/**
 * Checks every parameter of `model` against the original's initialiser for `mode`; returns how many
 * weights tell the two modes apart (their fan_in and fan_out std differ by more than the tolerance).
 */
function checkInit(model: Model, mode: 'kaiming_fan_in' | 'kaiming_fan_out'): number {
  let telling = 0;
  for (const p of model.params) {
    const v = p.variable.dataSync() as Float32Array;
    if (p.kind === 'bn_gamma') assert.ok(v.every((x) => x === 1), `${p.name} is 1`);
    else if (p.kind === 'bn_beta' || p.kind === 'linear_bias') assert.ok(v.every((x) => x === 0), `${p.name} is 0`);
    else if (p.kind === 'conv_weight' || p.kind === 'linear_weight') {
      const { fanIn, fanOut } = fans(p.variable.shape);
      const expected = Math.sqrt(2 / (mode === 'kaiming_fan_in' ? fanIn : fanOut));
      const other = Math.sqrt(2 / (mode === 'kaiming_fan_in' ? fanOut : fanIn));
      const tol = Math.max(0.1, 5 / Math.sqrt(2 * v.length)); // 5 standard errors of a sample std
      const s = std(v);
      assert.ok(Math.abs(s - expected) / expected < tol, `${p.name} ${JSON.stringify(p.variable.shape)}: std ${s.toFixed(4)}, ${mode} wants ${expected.toFixed(4)}`);
      if (Math.abs(other - expected) / expected > 2 * tol) telling++;
    }
  }
  return telling;
}

describe('zoo: initialisation follows model.init_mode as the original does', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const families = new Map<string, [string, string[]]>();
  for (const [file, overrides] of CIFAR) if (!families.has(file)) families.set(file, [file, overrides]);
  for (const [file, overrides] of IMAGENET) families.set(file, [file, [...overrides, ...IMAGENET_64]]);

  for (const [file, overrides] of families.values()) {
    for (const mode of ['kaiming_fan_out', 'kaiming_fan_in'] as const) {
      // The original's se_resnet_preact.py applies its own fan_out initialiser, whatever init_mode says.
      const effective = file === 'cifar/se_resnet_preact.yaml' ? 'kaiming_fan_out' : mode;
      it(`${file}, init_mode ${mode}: Kaiming normal ${effective.slice(8)} for every conv and linear weight, BN 1/0, linear bias 0`, () => {
        const all = [...overrides, 'model.init_mode', mode];
        // ImageNet VGG's two 4096-wide layers (17M draws) at width 256: same Linear layers, same rule.
        const model = file === 'imagenet/vgg16.yaml' ? buildImagenetVgg(config(file, all).model.vgg, contextOf(config(file, all)), 256) : build(file, all);
        const telling = checkInit(model, effective);
        assert.ok(telling > 0, 'some weight has fan_in != fan_out, so the test tells the modes apart');
        model.dispose();
      });
    }
  }
});
