import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { configToPlainObject, configWarnings, defaultConfig, dumpConfig, dumpMinConfig, loadConfig, loadConfigFromText } from '../../runtime/config';
import { tmpDir, writeFile } from './helpers';

const dir = tmpDir();

function roundTrip(overrides: string[]): void {
  const cfg = loadConfig({ overrides });
  const full = writeFile(dir, 'config.yaml', dumpConfig(cfg));
  assert.deepEqual(loadConfig({ configFile: full }), cfg, `full dump of ${overrides.join(' ')}`);
  const min = writeFile(dir, 'config_min.yaml', dumpMinConfig(cfg));
  assert.deepEqual(loadConfig({ configFile: min }), cfg, `min dump of ${overrides.join(' ')}`);
}

describe('dumpConfig / dumpMinConfig', () => {
  it('writes key: value with two-space nesting and flow lists', () => {
    const text = dumpConfig(defaultConfig());
    assert.ok(text.startsWith('device: auto\nnum_threads: 0\ncudnn:\n  benchmark: true\n  deterministic: false\ndataset:\n  name: CIFAR10\n  dataset_dir: \'\'\n'));
    assert.match(text, /\n  vgg:\n    n_channels: \[64, 128, 256, 512, 512\]\n/);
    assert.match(text, /\n    preact_stage: \[true, true, true\]\n/);
    assert.match(text, /\n    betas: \[0\.9, 0\.999\]\n/);
    assert.match(text, /\n  weight_decay: 0\.0001\n/);
    assert.match(text, /\n  gradient_clip: 0\.0\n/);
    assert.match(text, /\n  T_mul: 1\.0\n/);
    // issue 12 finding 9: 1e-9 is a string to PyYAML (YAML 1.1); 1.0e-09 a float to both
    assert.match(text, /\n    eps: 1\.0e-09\n/);
    assert.match(text, /\n    init_method: env:\/\/\n/);
    assert.ok(text.endsWith('\n'));
  });

  it('round-trips through loadConfig to an identical config', () => {
    roundTrip([]);
    roundTrip([
      'dataset.name', 'CIFAR100', 'model.name', 'wrn', 'model.wrn.depth', '16', 'train.base_lr', '1', 'train.weight_decay', '5e-4',
      'optim.adam.betas', '(0.8, 0.99)', 'train.output_dir', 'True', 'test.checkpoint', "it's: #1", 'dataset.dataset_dir', '~/data',
      'train.precision', 'O1', 'scheduler.milestones', '[]', 'model.resnet_preact.preact_stage', '[True, False, False]',
      'augmentation.cutout.mask_color', '-1', 'scheduler.lr_min_factor', '1e-12', 'train.dist.init_method', 'tcp://127.0.0.1:23456',
      'test.output_dir', '123', 'train.checkpoint', ' padded ',
    ]);
    roundTrip(['model.type', 'imagenet', 'model.name', 'resnet', 'dataset.name', 'ImageNet', 'dataset.image_size', '224', 'dataset.n_classes', '1000']);
  });

  it('writes only the keys that differ from the defaults to the minimal config', () => {
    assert.equal(dumpMinConfig(defaultConfig()), '');
    const cfg = loadConfig({ overrides: ['train.batch_size', '64', 'dataset.name', 'CIFAR100', 'optim.adam.betas', '[0.5, 0.9]', 'train.dist.init_method', ''] });
    assert.equal(
      dumpMinConfig(cfg),
      "dataset:\n  name: CIFAR100\n  n_classes: 100\ntrain:\n  batch_size: 64\n  dist:\n    init_method: ''\noptim:\n  adam:\n    betas: [0.5, 0.9]\n",
    );
  });

  it('reads back values whose text YAML would take for something else', () => {
    const cfg = defaultConfig();
    cfg.train.output_dir = 'null';
    cfg.test.checkpoint = '[1, 2]';
    cfg.test.output_dir = '- x';
    const { config } = loadConfigFromText(dumpConfig(cfg));
    assert.equal(config.train.output_dir, 'null');
    assert.equal(config.test.checkpoint, '[1, 2]');
    assert.equal(config.test.output_dir, '- x');
  });
});

describe('configToPlainObject', () => {
  it('gives a detached JSON-ready copy in tree order', () => {
    const cfg = loadConfig();
    const obj = configToPlainObject(cfg);
    assert.deepEqual(obj, JSON.parse(JSON.stringify(cfg)));
    assert.deepEqual(Object.keys(obj).slice(0, 4), ['device', 'num_threads', 'cudnn', 'dataset']);
    (obj.scheduler as { milestones: number[] }).milestones.push(1);
    assert.deepEqual(cfg.scheduler.milestones, [80, 120]);
  });
});

describe('configWarnings', () => {
  it('is empty for the defaults', () => {
    assert.deepEqual(configWarnings(defaultConfig()), []);
  });

  it('warns when several batch-mixing methods are on', () => {
    const cfg = loadConfig({ overrides: ['augmentation.use_ricap', 'True', 'augmentation.use_cutmix', 'True'] });
    assert.deepEqual(configWarnings(cfg), [
      'augmentation: use_ricap and use_cutmix are on; only one batch-mixing method runs (priority mixup > ricap > cutmix): ricap',
    ]);
  });

  it('warns about losses that are shadowed, milestones out of range and empty training', () => {
    const cfg = loadConfig({
      overrides: ['augmentation.use_mixup', 'true', 'augmentation.use_label_smoothing', 'true', 'scheduler.milestones', '[80, 200]',
        'dataset.max_train_samples', '10', 'scheduler.warmup.type', 'linear'],
    });
    const w = configWarnings(cfg);
    assert.ok(w.some((l) => l.includes('use_label_smoothing has no effect together with use_mixup')), w.join('\n'));
    assert.ok(w.some((l) => l.includes('scheduler.milestones: 200 at or after the 160 main epochs')), w.join('\n'));
    assert.ok(w.some((l) => l.includes('dataset.max_train_samples 10 is smaller than train.batch_size 128')), w.join('\n'));
    assert.ok(w.some((l) => l.includes('warmup.epochs is 0')), w.join('\n'));
  });
});
