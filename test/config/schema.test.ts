import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_TREE, configJsonSchema, familyNames, configLeaves, defaultConfig, findLeaf, getPath, type Config } from '../../runtime/config';
import { generatedFiles } from '../../runtime/cli/schema';

const ROOT = path.resolve(__dirname, '../..');
type Schema = Record<string, unknown> & { properties: Record<string, Schema> };
const at = (schema: Schema, key: string): Schema => key.split('.').reduce((s, k) => s.properties[k], schema);

describe('config tree', () => {
  it('has the defaults of the original (and the documented additions)', () => {
    const cfg = defaultConfig();
    assert.equal(cfg.device, 'auto');
    assert.equal(cfg.num_threads, 0);
    assert.equal(cfg.train.batch_size, 128);
    assert.equal(cfg.train.base_lr, 0.1);
    assert.equal(cfg.train.weight_decay, 1e-4);
    assert.equal(cfg.train.use_apex, true);
    assert.equal(cfg.train.dist.world_size, -1);
    assert.deepEqual(cfg.model.vgg.n_channels, [64, 128, 256, 512, 512]);
    assert.deepEqual(cfg.model.resnet_preact.preact_stage, [true, true, true]);
    assert.deepEqual(cfg.model.pyramidnet.n_blocks, [3, 24, 36, 3]);
    assert.equal(cfg.model.resnext.base_channels, 4);
    assert.deepEqual(cfg.optim.adam.betas, [0.9, 0.999]);
    assert.equal(cfg.optim.lars.eps, 1e-9);
    assert.equal(cfg.scheduler.warmup.exponent, 4);
    assert.deepEqual(cfg.augmentation.random_erasing.area_ratio_range, [0.02, 0.4]);
    assert.equal(cfg.augmentation.random_crop.padding_mode, 'constant');
    assert.equal(cfg.tta.resize, 256);
    assert.equal(cfg.test.dataloader.num_workers, 2);
    assert.equal(cfg.dataset.max_train_samples, 0);
    assert.equal(cfg.dataset.dataset_dir, '');
  });

  it('types Config from the tree (compile-time check of a few keys)', () => {
    const cfg: Config = defaultConfig();
    const stages: boolean[] = cfg.model.resnet_preact.preact_stage;
    const betas: number[] = cfg.optim.adam.betas;
    const name: string = cfg.model.name;
    // @ts-expect-error unknown keys do not exist on Config
    void cfg.train.batchsize;
    assert.ok(stages && betas && name);
  });

  it('gives every leaf a description, and papers where keys come from one', () => {
    for (const l of configLeaves()) {
      assert.ok(l.spec.description.length > 5, l.path);
      assert.equal(typeof getPath(defaultConfig(), l.path), typeof l.spec.default, l.path);
    }
    assert.equal(findLeaf('augmentation.use_cutout')?.arxiv, '1708.04552');
    assert.equal(findLeaf('augmentation.cutout.mask_size')?.arxiv, '1708.04552');
    assert.equal(findLeaf('model.wrn.depth')?.arxiv, '1605.07146');
    assert.equal(findLeaf('optim.lars.eps')?.arxiv, '1708.03888');
    assert.equal(findLeaf('optim.adabound.final_lr')?.arxiv, '1902.09843');
    assert.equal(findLeaf('scheduler.T0')?.arxiv, '1608.03983');
    assert.equal(findLeaf('scheduler.warmup.epochs')?.arxiv, '1706.02677');
    assert.equal(findLeaf('train.subdivision')?.arxiv, '1705.08741');
    assert.equal(findLeaf('augmentation.label_smoothing.epsilon')?.arxiv, '1512.00567');
    assert.equal(findLeaf('train.batch_size')?.arxiv, undefined);
    assert.deepEqual(CONFIG_TREE.children.model.children.name.allowed, familyNames());
    assert.deepEqual(familyNames(), ['vgg', 'resnet', 'resnet_preact', 'wrn', 'densenet', 'pyramidnet', 'resnext', 'shake_shake', 'se_resnet_preact']);
  });
});

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as Schema;

  it('is a draft-07 schema of nested closed objects', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false);
    assert.equal(at(schema, 'train').additionalProperties, false);
    assert.equal(at(schema, 'train.dist').type, 'object');
    assert.deepEqual(Object.keys(schema.properties), Object.keys(defaultConfig()));
  });

  it('describes leaves with type, default, enum, description and paper', () => {
    assert.deepEqual(at(schema, 'model.name').enum, familyNames());
    assert.equal(at(schema, 'train.base_lr').default, 0.1);
    assert.equal(at(schema, 'train.base_lr').type, 'number');
    assert.equal(at(schema, 'train.batch_size').type, 'integer');
    assert.equal(at(schema, 'train.batch_size').minimum, 1);
    assert.equal(at(schema, 'train.nesterov').type, 'boolean');
    assert.equal(at(schema, 'train.val_ratio').exclusiveMaximum, 1);
    assert.deepEqual(at(schema, 'optim.adam.betas'), {
      ...at(schema, 'optim.adam.betas'),
      type: 'array',
      items: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      minItems: 2,
      maxItems: 2,
      default: [0.9, 0.999],
    });
    assert.deepEqual(at(schema, 'model.resnet_preact.preact_stage').items, { type: 'boolean' });
    assert.equal(at(schema, 'model.resnet_preact.preact_stage').minItems, 3);
    assert.equal(at(schema, 'model.resnet_preact.preact_stage').maxItems, 4);
    assert.equal(at(schema, 'scheduler.milestones').minItems, undefined);
    const cutout = at(schema, 'augmentation.use_cutout');
    assert.equal(cutout['x-arxiv'], '1708.04552');
    assert.match(cutout.markdownDescription as string, /Default: `false`/);
    assert.match(cutout.markdownDescription as string, /\[arXiv:1708\.04552\]\(https:\/\/arxiv\.org\/abs\/1708\.04552\)/);
    assert.match(at(schema, 'device').markdownDescription as string, /Allowed: `auto`, `cuda`, `gpu`, `cpu`, `wasm`, `js`/);
    assert.equal(typeof at(schema, 'dataset.name').description, 'string');
  });
});

describe('generated files', () => {
  it('schemas/config.schema.json and docs/config.md are up to date (run npm run schema)', () => {
    for (const [rel, text] of Object.entries(generatedFiles())) {
      const file = path.join(ROOT, rel);
      assert.ok(fs.existsSync(file), `${rel} is missing; run npm run schema`);
      assert.equal(fs.readFileSync(file, 'utf8'), text, `${rel} is out of date; run npm run schema`);
    }
  });

  it('docs/config.md has a table per section with every key', () => {
    const md = generatedFiles()['docs/config.md'];
    assert.match(md, /\n## `model\.wrn`\n/);
    assert.match(md, /\| `widening_factor` \| int \| `10` \|/);
    assert.match(md, /\| `betas` \| list of 2 float \| `\[0\.9, 0\.999\]` \|/);
    for (const l of configLeaves()) assert.ok(md.includes(`| \`${l.path.split('.').pop()}\` |`), l.path);
  });
});
