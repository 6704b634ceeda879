/**
 * The model family table (`config/families.ts`, built from the family modules `runtime/models/families/*.ts`):
 * - for every declared family, type and block type, the depths the config accepts are exactly those
 *   `validDepths` lists, the message of a depth that does not fit names the nearest ones, and a family
 *   without a network of a type is refused for it;
 * - a toy family module (fixtures/toy.ts: one file in the shape of a real family module), registered with
 *   one call, is accepted by the config, its checks, the JSON Schema and `createModel`, and is gone again
 *   after unregistering; a declared type without a builder does not compile;
 * - loading the config (and with it every family module) loads no TensorFlow.js.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  BLOCK_TYPES,
  ConfigError,
  MODEL_TYPES,
  configJsonSchema,
  defaultConfig,
  depthRule,
  familyNames,
  findFamily,
  loadConfig,
  nearestDepths,
  validDepths,
} from '../../runtime/config';
import { cifarBlocks, defineFamily } from '../../runtime/models/families/define';
import { countParams, createModel, registerModelFamily } from '../../runtime/models';
import TOY, { buildToy } from './fixtures/toy';

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('no error');
}

/** The block types a family's depth rule distinguishes ([undefined] for one rule). */
function blockTypesOf(name: string): Array<string | undefined> {
  return findFamily(name)?.section.children.block_type ? [...BLOCK_TYPES] : [undefined];
}

describe('every declared family', () => {
  const depthFamilies = familyNames('cifar').filter((f) => depthRule(f) !== undefined);

  it('has a depth rule for the cifar type, except vgg, which lists its layers', () => {
    assert.deepEqual(familyNames('cifar').filter((f) => !depthFamilies.includes(f)), ['vgg']);
  });

  for (const name of depthFamilies) {
    for (const block of blockTypesOf(name)) {
      const keys = block === undefined ? [] : [`model.${name}.block_type`, block];
      const load = (depth: number) => loadConfig({ overrides: ['model.name', name, ...keys, `model.${name}.depth`, String(depth)] });
      it(`${name}${block ? ` ${block}` : ''}: the config accepts exactly validDepths up to 120, and cifarBlocks inverts the rule`, () => {
        const valid = validDepths(name, block, 120);
        assert.ok(valid.length >= 4, `${valid.join(', ')}`);
        const step = valid[1] - valid[0];
        valid.forEach((d, i) => {
          assert.equal(d, valid[0] + i * step, 'no depth is skipped');
          assert.deepEqual(cifarBlocks(findFamily(name)!, d, block), [i + 1, i + 1, i + 1]);
        });
        for (let d = 1; d <= 120; d++) {
          if (valid.includes(d)) {
            assert.equal((load(d).model as unknown as Record<string, { depth: number }>)[name].depth, d);
          } else {
            const near = nearestDepths(name, block, d);
            const beyond = validDepths(name, block, 200);
            assert.deepEqual(near, d < valid[0] ? [valid[0]] : [valid.filter((v) => v < d).pop(), beyond.find((v) => v > d)]);
            const e = configError(() => load(d));
            assert.equal(e.key, `model.${name}.depth`);
            assert.ok(e.message.endsWith(`; nearest ${near.join(' or ')}`), e.message);
            assert.ok(e.message.includes(`${valid.slice(0, 6).join(', ')}, ... in steps of ${step}`), e.message);
          }
        }
      });
    }
  }

  for (const type of MODEL_TYPES) {
    for (const name of familyNames().filter((f) => !familyNames(type).includes(f))) {
      it(`${name} has no ${type}-type network: model.name is refused for that type`, () => {
        assert.match(configError(() => loadConfig({ overrides: ['model.type', type, 'model.name', name] })).message, new RegExp(`model\\.name: '${name}' has no ${type}-type model`));
      });
    }
  }
});

describe('a toy family module registered with one call', () => {
  let unregister: () => void;
  before(async () => {
    await tf.setBackend('cpu');
    unregister = registerModelFamily(TOY);
  });
  after(() => unregister());

  it('is a model.name value with its own section, defaults and schema', () => {
    assert.ok(familyNames('cifar').includes('toy'));
    assert.ok(!familyNames('imagenet').includes('toy'));
    assert.deepEqual((defaultConfig().model as unknown as Record<string, unknown>).toy, { depth: 5, width: 4 });
    const schema = configJsonSchema() as { properties: { model: { properties: Record<string, { enum?: string[]; properties?: Record<string, unknown> }> } } };
    assert.ok(schema.properties.model.properties.name.enum?.includes('toy'));
    assert.deepEqual(Object.keys(schema.properties.model.properties.toy.properties ?? {}), ['depth', 'width']);
  });

  it('is accepted by the config, checked by its depth rule, and built by createModel', () => {
    const cfg = loadConfig({ overrides: ['model.name', 'toy', 'model.toy.depth', '8', 'model.toy.width', '6'] });
    const model = createModel(cfg);
    // stem 3x6+6, 3 stages x 2 blocks of 6x6+6, fc 6x10+10
    assert.equal(countParams(model), 24 + 6 * 42 + 70);
    assert.deepEqual(model.params.map((p) => p.name).slice(2, 4), ['stage1.block1.weight', 'stage1.block1.bias']);
    const x = tf.ones([2, 32, 32, 3]) as tf.Tensor4D;
    const y = model.apply(x, false);
    assert.deepEqual(y.shape, [2, 10]);
    tf.dispose([x, y]);
    model.dispose();
    assert.equal(
      configError(() => loadConfig({ overrides: ['model.name', 'toy', 'model.toy.depth', '7'] })).message,
      'command line: model.toy.depth: 7 does not fit toy: depth = 3n+2 (n >= 1 blocks per stage), i.e. 5, 8, 11, 14, 17, 20, ... in steps of 3; nearest 5 or 8',
    );
    assert.match(configError(() => loadConfig({ overrides: ['model.type', 'imagenet', 'model.name', 'toy'] })).message, /'toy' has no imagenet-type model/);
    assert.match(configError(() => loadConfig({ overrides: ['model.toy.widht', '3'] })).message, /did you mean model\.toy\.width/);
  });

  it('is refused again once unregistered; a declared type without a builder is refused', () => {
    unregister();
    assert.ok(!familyNames().includes('toy'));
    assert.match(configError(() => loadConfig({ overrides: ['model.name', 'toy'] })).message, /model\.name: invalid value 'toy'/);
    assert.match(configError(() => loadConfig({ overrides: ['model.toy.depth', '5'] })).message, /model\.toy/);
    assert.throws(() => registerModelFamily({ ...TOY, types: ['cifar', 'imagenet'] }), /no builder for model\.type imagenet/);
    assert.throws(() => registerModelFamily({ ...TOY, name: 'resnet' }), /already declared/);
    unregister = registerModelFamily(TOY);
    assert.ok(familyNames().includes('toy'));
  });
});

describe('the family modules', () => {
  it('are listed in the order of their papers (the config reference order), each under its own name', () => {
    assert.deepEqual(familyNames(), ['vgg', 'resnet', 'resnet_preact', 'wrn', 'densenet', 'pyramidnet', 'resnext', 'shake_shake', 'se_resnet_preact']);
    for (const name of familyNames()) assert.equal(findFamily(name)?.name, name);
  });

  it('declare a builder for every type they declare (else they do not compile)', () => {
    const declared = { name: 'toy2', depth: TOY.depth, section: TOY.section };
    // @ts-expect-error -- the imagenet type is declared, its builder is missing
    const missing = defineFamily({ ...declared, types: ['cifar', 'imagenet'], build: { cifar: buildToy } });
    // @ts-expect-error -- a builder of another section
    const wrongSection = defineFamily({ ...declared, types: ['cifar'], build: { cifar: (cfg: { other: string }) => assert.fail(cfg.other) } });
    assert.ok(missing && wrongSection);
    for (const name of familyNames()) {
      const f = findFamily(name);
      assert.deepEqual(Object.keys(f?.build ?? {}).sort(), [...(f?.types ?? [])].sort(), name);
    }
  });

  it('load no TensorFlow.js: the config (its tree, checks and family table) loads without it', () => {
    // A fresh process: this test file itself has loaded TensorFlow.js.
    const script = [
      "const config = require('./runtime/config');",
      "if (!config.familyNames().includes('wrn') || !config.findFamily('wrn').build.cifar) throw new Error('no families');",
      "const tf = Object.keys(require.cache).filter((f) => f.includes('@tensorflow') || /runtime[\\/]models[\\/](layers|ops|nn)/.test(f));",
      'process.stdout.write(JSON.stringify(tf));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  it('lint refuses a family module that loads TensorFlow.js or a layer at run time; as types they pass', async () => {
    const text = [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { Conv2d } from '../layers';",
      "import type * as tfTypes from '@tensorflow/tfjs-core';",
      "import type { BatchNorm2d } from '../layers';",
      "import { defineFamily } from './define';",
      'export const uses: unknown[] = [tf, Conv2d, defineFamily];',
      'export type Uses = [typeof tfTypes, BatchNorm2d];',
    ].join('\n');
    const root = path.resolve(__dirname, '../..');
    const eslint = new ESLint({ cwd: root, ruleFilter: ({ ruleId }) => ruleId === '@typescript-eslint/no-restricted-imports' });
    for (const asFile of ['runtime/models/families/lint_probe.ts', 'runtime/models/blocks/lint_probe.ts']) {
      const [result] = await eslint.lintText(text, { filePath: path.join(root, asFile) });
      assert.deepEqual(result.messages.map((m) => m.line), [1, 2], asFile);
      assert.match(result.messages[0].message, /load no TensorFlow\.js/);
    }
  });
});
