import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { defaultConfig, loadConfig, loadConfigFromText, loadConfigWithOrigins } from '../../runtime/config';
import { configError, tmpDir, writeFile } from './helpers';

const dir = tmpDir();
const yaml = (name: string, text: string): string => writeFile(dir, name, text);

describe('loadConfig: merge order', () => {
  it('gives the defaults with no options', () => {
    assert.deepEqual(loadConfig(), defaultConfig());
    assert.deepEqual(loadConfig({}), defaultConfig());
  });

  it('merges defaults, then the YAML file, then the overrides', () => {
    const file = yaml('order.yaml', 'train:\n  batch_size: 64\n  base_lr: 0.05\nscheduler:\n  epochs: 10\n  milestones: [5, 8]\n');
    const cfg = loadConfig({ configFile: file, overrides: ['train.batch_size', '32', 'model.name', 'wrn'] });
    assert.equal(cfg.train.batch_size, 32); // override beats YAML
    assert.equal(cfg.train.base_lr, 0.05); // YAML beats default
    assert.equal(cfg.train.momentum, 0.9); // default kept
    assert.equal(cfg.model.name, 'wrn');
    assert.deepEqual(cfg.scheduler.milestones, [5, 8]);
  });

  it('applies overrides left to right (the last one wins)', () => {
    const cfg = loadConfig({ overrides: ['train.seed', '1', 'train.seed', '7'] });
    assert.equal(cfg.train.seed, 7);
  });

  it('merges nested mappings key by key', () => {
    const file = yaml('nested.yaml', 'model:\n  wrn:\n    depth: 16\naugmentation:\n  cutout:\n    mask_size: 8\n');
    const cfg = loadConfig({ configFile: file });
    assert.equal(cfg.model.wrn.depth, 16);
    assert.equal(cfg.model.wrn.widening_factor, 10);
    assert.equal(cfg.augmentation.cutout.mask_size, 8);
    assert.equal(cfg.augmentation.cutout.prob, 1.0);
  });

  it('accepts an empty file and an empty section', () => {
    assert.deepEqual(loadConfig({ configFile: yaml('empty.yaml', '# nothing\n') }), defaultConfig());
    assert.deepEqual(loadConfig({ configFile: yaml('emptysec.yaml', 'train:\n# batch_size: 3\n') }), defaultConfig());
  });

  it('returns a fresh object each time', () => {
    const a = loadConfig();
    a.scheduler.milestones.push(999);
    assert.deepEqual(loadConfig().scheduler.milestones, [80, 120]);
    assert.deepEqual(defaultConfig().scheduler.milestones, [80, 120]);
  });

  it('records where values came from', () => {
    const file = yaml('origins.yaml', 'train:\n  batch_size: 64\n');
    const { origins } = loadConfigWithOrigins({ configFile: file, overrides: ['train.seed', '3'] });
    assert.deepEqual(origins.get('train.batch_size'), { file, line: 2, column: 15 });
    assert.deepEqual(origins.get('train.seed'), {});
    assert.equal(origins.has('train.base_lr'), false);
  });

  it('loads YAML text (editor buffers)', () => {
    const { config } = loadConfigFromText('model:\n  name: wrn\n', { overrides: ['model.wrn.depth', '16'] });
    assert.equal(config.model.name, 'wrn');
    assert.equal(config.model.wrn.depth, 16);
    const err = configError(() => loadConfigFromText('model:\n  nam: wrn\n', { file: 'buffer.yaml' }));
    assert.equal(err.message, 'buffer.yaml:2:3: model.nam: unknown key (did you mean model.name?)');
  });
});

describe('value types', () => {
  it('accepts an int where a float is expected, in YAML and on the command line', () => {
    assert.equal(loadConfig({ overrides: ['train.base_lr', '1'] }).train.base_lr, 1);
    assert.equal(loadConfig({ configFile: yaml('intfloat.yaml', 'scheduler:\n  T_mul: 2\n') }).scheduler.T_mul, 2);
    assert.deepEqual(loadConfig({ overrides: ['augmentation.random_erasing.area_ratio_range', '[0, 1]'] }).augmentation.random_erasing.area_ratio_range, [0, 1]);
  });

  it('rejects a float for an int key', () => {
    const err = configError(() => loadConfig({ overrides: ['model.wrn.depth', '1.5'] }));
    assert.equal(err.message, 'command line: model.wrn.depth: expected an int, got a float 1.5');
    assert.equal(err.key, 'model.wrn.depth');
    assert.equal(err.file, undefined);
    const file = yaml('floatint.yaml', 'model:\n  wrn:\n    depth: 28.0\n');
    const e2 = configError(() => loadConfig({ configFile: file }));
    assert.equal(e2.message, `${file}:3:12: model.wrn.depth: expected an int, got a float 28.0`);
    assert.equal(e2.file, file);
    assert.equal(e2.line, 3);
    assert.equal(e2.column, 12);
  });

  it('reads True/False and true/false as bools, and rejects other words', () => {
    for (const [token, value] of [['True', true], ['true', true], ['False', false], ['false', false]] as const) {
      assert.equal(loadConfig({ overrides: ['augmentation.use_cutout', token] }).augmentation.use_cutout, value);
    }
    const file = yaml('bools.yaml', 'augmentation:\n  use_mixup: True\n  use_random_crop: false\n');
    const cfg = loadConfig({ configFile: file });
    assert.equal(cfg.augmentation.use_mixup, true);
    assert.equal(cfg.augmentation.use_random_crop, false);
    assert.equal(
      configError(() => loadConfig({ overrides: ['augmentation.use_cutout', 'yes'] })).message,
      "command line: augmentation.use_cutout: expected a bool (true or false), got a string 'yes'",
    );
    assert.match(configError(() => loadConfig({ overrides: ['augmentation.use_cutout', '1'] })).message, /expected a bool .*got an int 1$/);
  });

  it('reads 1e-4 as a float in YAML and on the command line', () => {
    assert.equal(loadConfig({ overrides: ['train.weight_decay', '1e-4'] }).train.weight_decay, 1e-4);
    assert.equal(loadConfig({ overrides: ['train.weight_decay', '5E-4'] }).train.weight_decay, 5e-4);
    assert.equal(loadConfig({ configFile: yaml('exp.yaml', 'train:\n  weight_decay: 5e-4\n') }).train.weight_decay, 5e-4);
    assert.equal(loadConfig({ configFile: yaml('dot.yaml', 'scheduler:\n  lr_min_factor: 0.\n') }).scheduler.lr_min_factor, 0);
  });

  it('reads negative numbers', () => {
    const cfg = loadConfig({ overrides: ['train.dist.world_size', '-1', 'augmentation.cutout.mask_color', '-3'] });
    assert.equal(cfg.train.dist.world_size, -1);
    assert.equal(cfg.augmentation.cutout.mask_color, -3);
  });

  it('reads literal lists and tuples', () => {
    assert.deepEqual(loadConfig({ overrides: ['scheduler.milestones', '[100, 150]'] }).scheduler.milestones, [100, 150]);
    assert.deepEqual(loadConfig({ overrides: ['scheduler.milestones', '(100, 150)'] }).scheduler.milestones, [100, 150]);
    assert.deepEqual(loadConfig({ overrides: ['scheduler.milestones', '[]'] }).scheduler.milestones, []);
    assert.deepEqual(loadConfig({ overrides: ['optim.adam.betas', '(0.8, 0.99)'] }).optim.adam.betas, [0.8, 0.99]);
    assert.deepEqual(
      loadConfig({ overrides: ['model.resnet_preact.preact_stage', '[True, False, false]'] }).model.resnet_preact.preact_stage,
      [true, false, false],
    );
    const file = yaml('tuple.yaml', 'optim:\n  adam:\n    betas: (0.5, 0.9)\n  adabound:\n    betas: [0.7, 0.8]\n');
    const cfg = loadConfig({ configFile: file });
    assert.deepEqual(cfg.optim.adam.betas, [0.5, 0.9]);
    assert.deepEqual(cfg.optim.adabound.betas, [0.7, 0.8]);
    const block = yaml('blockseq.yaml', 'scheduler:\n  milestones:\n    - 10\n    - 20\n');
    assert.deepEqual(loadConfig({ configFile: block }).scheduler.milestones, [10, 20]);
  });

  it('rejects a scalar for a list, wrong element types and wrong lengths', () => {
    assert.equal(
      configError(() => loadConfig({ overrides: ['scheduler.milestones', '100'] })).message,
      'command line: scheduler.milestones: expected a list of ints, got an int 100',
    );
    assert.equal(
      configError(() => loadConfig({ overrides: ['scheduler.milestones', '[1.5, 2]'] })).message,
      'command line: scheduler.milestones: expected a list of ints, got a list [1.5, 2]',
    );
    assert.equal(
      configError(() => loadConfig({ overrides: ['optim.adam.betas', '(0.9, 0.99, 0.999)'] })).message,
      'command line: optim.adam.betas: expected a list of 2 floats (or ints), got a tuple (0.9, 0.99, 0.999)',
    );
    assert.equal(
      configError(() => loadConfig({ overrides: ['model.vgg.n_channels', '[64, 128]'] })).message,
      'command line: model.vgg.n_channels: expected a list of 5 ints, got a list [64, 128]',
    );
    assert.equal(
      configError(() => loadConfig({ overrides: ['model.se_resnet_preact.preact_stage', '[True, True]'] })).message,
      'command line: model.se_resnet_preact.preact_stage: expected a list of 3 bools, got a list [True, True]',
    );
    const file = yaml('listscalar.yaml', 'model:\n  resnet:\n    n_blocks: 2\n');
    assert.equal(configError(() => loadConfig({ configFile: file })).message, `${file}:3:15: model.resnet.n_blocks: expected a list of 4 ints, got an int 2`);
  });

  it('rejects a string for a number and quoted numbers', () => {
    assert.equal(
      configError(() => loadConfig({ overrides: ['train.base_lr', 'fast'] })).message,
      "command line: train.base_lr: expected a float (or an int), got a string 'fast'",
    );
    assert.equal(
      configError(() => loadConfig({ overrides: ['model.wrn.depth', '"28"'] })).message,
      "command line: model.wrn.depth: expected an int, got a string '28'",
    );
    const file = yaml('quoted.yaml', "model:\n  wrn:\n    depth: '28'\n");
    assert.equal(configError(() => loadConfig({ configFile: file })).message, `${file}:3:12: model.wrn.depth: expected an int, got a string '28'`);
    assert.match(configError(() => loadConfig({ overrides: ['train.seed', 'None'] })).message, /train\.seed: expected an int, got null None$/);
  });

  it('takes values for string keys verbatim (but unquotes a quoted token)', () => {
    const cfg = loadConfig({ overrides: ['train.output_dir', '1e-4', 'test.checkpoint', 'True', 'train.precision', 'O1', 'dataset.dataset_dir', "'~/my data'"] });
    assert.equal(cfg.train.output_dir, '1e-4');
    assert.equal(cfg.test.checkpoint, 'True');
    assert.equal(cfg.train.precision, 'O1');
    assert.equal(cfg.dataset.dataset_dir, '~/my data');
    const file = yaml('strings.yaml', "train:\n  output_dir: 2024\ndataset:\n  dataset_dir: ''\ntest:\n  output_dir: ~/out\n");
    const c2 = loadConfig({ configFile: file });
    assert.equal(c2.train.output_dir, '2024');
    assert.equal(c2.dataset.dataset_dir, '');
    assert.equal(c2.test.output_dir, '~/out');
  });

  it('rejects a mapping for a leaf and a value for a section', () => {
    const f1 = yaml('mapleaf.yaml', 'train:\n  batch_size:\n    a: 1\n');
    assert.equal(configError(() => loadConfig({ configFile: f1 })).message, `${f1}:3:5: train.batch_size: is a value (an int), not a section`);
    const f2 = yaml('leafsec.yaml', 'train: 5\n');
    assert.equal(
      configError(() => loadConfig({ configFile: f2 })).message,
      `${f2}:1:8: train: is a section, not a value: give its keys as a mapping (e.g. train.checkpoint)`,
    );
    assert.equal(
      configError(() => loadConfig({ overrides: ['model.wrn', '5'] })).message,
      'command line: model.wrn: is a section, not a value: set its keys one by one (e.g. model.wrn.depth ...)',
    );
    const f3 = yaml('toplist.yaml', '- a\n- b\n');
    assert.match(configError(() => loadConfig({ configFile: f3 })).message, /toplist\.yaml:1:1: the top level must be a mapping/);
  });
});

describe('error messages', () => {
  it('names unknown keys with file:line:col and a suggestion', () => {
    const file = yaml('unknown.yaml', 'device: auto\ntrain:\n  batchsize: 64\n');
    const err = configError(() => loadConfig({ configFile: file }));
    assert.equal(err.message, `${file}:3:3: train.batchsize: unknown key (did you mean train.batch_size?)`);
    assert.equal(err.key, 'train.batchsize');
    assert.equal(err.line, 3);
    assert.equal(
      configError(() => loadConfig({ overrides: ['train.batchsize', '64'] })).message,
      'command line: train.batchsize: unknown key (did you mean train.batch_size?)',
    );
    assert.equal(
      configError(() => loadConfig({ overrides: ['model.resnet_preact.dept', '20'] })).message,
      'command line: model.resnet_preact.dept: unknown key (did you mean model.resnet_preact.depth?)',
    );
  });

  it('suggests keys under another section and misspelled sections', () => {
    assert.match(configError(() => loadConfig({ overrides: ['train.epochs', '10'] })).message, /did you mean scheduler\.epochs/);
    assert.match(configError(() => loadConfig({ overrides: ['schedular.epochs', '10'] })).message, /did you mean scheduler\.epochs\?/);
    assert.match(configError(() => loadConfig({ overrides: ['model.resnetpreact.depth', '20'] })).message, /did you mean model\.resnet_preact\.depth/);
    assert.equal(configError(() => loadConfig({ overrides: ['zzzzzz', '1'] })).message, 'command line: zzzzzz: unknown key');
  });

  it('shows the dangling token of an odd override list', () => {
    assert.equal(
      configError(() => loadConfig({ overrides: ['train.batch_size', '64', 'train.base_lr'] })).message,
      "command line: overrides must be key value pairs, but 'train.base_lr' has no value",
    );
    assert.equal(
      configError(() => loadConfig({ overrides: ['train.batch_size', 'train.base_lr', '0.2'] })).message,
      "command line: overrides must be key value pairs, but 'train.batch_size' has no value",
    );
  });

  it('lists the allowed values of enumerated keys', () => {
    assert.equal(
      configError(() => loadConfig({ overrides: ['train.optimizer', 'rmsprop'] })).message,
      "command line: train.optimizer: invalid value 'rmsprop' (allowed: sgd, adam, amsgrad, adabound, adaboundw, lars)",
    );
    const file = yaml('enum.yaml', 'model:\n  name: resnet50\n');
    assert.equal(
      configError(() => loadConfig({ configFile: file })).message,
      `${file}:2:9: model.name: invalid value 'resnet50' (allowed: vgg, resnet, resnet_preact, wrn, densenet, pyramidnet, resnext, shake_shake, se_resnet_preact)`,
    );
    assert.match(configError(() => loadConfig({ overrides: ['augmentation.random_crop.padding_mode', 'wrap'] })).message, /allowed: constant, edge, reflect, symmetric/);
    assert.match(configError(() => loadConfig({ overrides: ['device', 'tpu'] })).message, /device: invalid value 'tpu' \(allowed: auto, cuda, gpu, cpu, wasm, js, libtorch\)/);
    assert.match(configError(() => loadConfig({ overrides: ['dataset.name', 'SVHN'] })).message, /allowed: CIFAR10, CIFAR100, MNIST, FashionMNIST, KMNIST, ImageNet/);
    assert.match(configError(() => loadConfig({ overrides: ['scheduler.warmup.type', 'cosine'] })).message, /allowed: none, linear, exponential/);
  });

  it('reports YAML syntax errors with file:line and the reason', () => {
    const file = yaml('syntax.yaml', 'train:\n  batch_size: 64\n  base_lr: [0.1\n');
    const err = configError(() => loadConfig({ configFile: file }));
    assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax error: \\S`));
    assert.equal(err.file, file);
    const dup = yaml('dup.yaml', 'train:\n  seed: 1\n  seed: 2\n');
    // issue 12 finding 9: the key and both lines
    assert.equal(configError(() => loadConfig({ configFile: dup })).message, `${dup}:3:3: train.seed: duplicate key: set on line 2 and again on line 3`);
  });

  it('resolves YAML merge keys (<<: *anchor), the keys beside them winning (issue 12 finding 9)', () => {
    const file = yaml('merge.yaml', [
      'optim:',
      '  adam: &opt',
      '    betas: [0.8, 0.99]',
      '  lars:',
      '    eps: 1.0e-08',
      '    threshold: 0.001',
      'train: &base',
      '  seed: 7',
      '  batch_size: 32',
      'validation:',
      '  <<: [{batch_size: 100}, {batch_size: 50, dataloader: {num_workers: 0}}]',
      'test:',
      '  <<: {batch_size: 64}',
      '  batch_size: 16',
      '',
    ].join('\n'));
    const cfg = loadConfig({ configFile: file });
    assert.equal(cfg.validation.batch_size, 100, 'in a list of maps the first wins');
    assert.equal(cfg.validation.dataloader.num_workers, 0);
    assert.equal(cfg.test.batch_size, 16, 'the explicit key wins');
    const file2 = yaml('merge2.yaml', 'train: &base\n  seed: 7\n  batch_size: 32\ntest:\n  batch_size: 3\n');
    assert.equal(loadConfig({ configFile: file2 }).train.seed, 7);
    const bad = yaml('merge3.yaml', 'train:\n  <<: 5\n');
    assert.match(configError(() => loadConfig({ configFile: bad })).message, /train\.<<: a merge key \(<<\) takes a mapping/);
  });

  it('reports a missing config file', () => {
    const missing = path.join(dir, 'nope.yaml');
    const err = configError(() => loadConfig({ configFile: missing }));
    assert.equal(err.message, `${missing}: config file not found`);
    assert.equal(err.file, missing);
    assert.match(configError(() => loadConfig({ configFile: 'cifar/wrn.yaml' })).message, /^cifar\/wrn\.yaml: config file not found \(did you mean configs\/cifar\/wrn\.yaml\?\)$/);
  });
});

describe('semantic checks', () => {
  it('checks the depth of the selected cifar model against its block type', () => {
    assert.equal(
      configError(() => loadConfig({ overrides: ['model.resnet_preact.depth', '21'] })).message,
      'command line: model.resnet_preact.depth: 21 does not fit block_type basic: depth = 6n+2 (n >= 1 blocks per stage), i.e. 8, 14, 20, 26, 32, 38, ... in steps of 6; nearest 20 or 26',
    );
    assert.match(
      configError(() => loadConfig({ overrides: ['model.resnet_preact.block_type', 'bottleneck', 'model.resnet_preact.depth', '32'] })).message,
      /model\.resnet_preact\.depth: 32 does not fit block_type bottleneck: depth = 9n\+2 \(n >= 1 blocks per stage\), i\.e\. 11, 20, 29, 38, 47, 56, \.\.\. in steps of 9; nearest 29 or 38$/,
    );
    assert.match(configError(() => loadConfig({ overrides: ['model.name', 'wrn', 'model.wrn.depth', '26'] })).message, /model\.wrn\.depth: 26 does not fit wrn: depth = 6n\+4 .*nearest 22 or 28$/);
    assert.match(configError(() => loadConfig({ overrides: ['model.name', 'densenet', 'model.densenet.block_type', 'basic', 'model.densenet.depth', '41'] })).message, /3n\+4 .*nearest 40 or 43$/);
    assert.match(configError(() => loadConfig({ overrides: ['model.name', 'resnext', 'model.resnext.depth', '30'] })).message, /9n\+2/);
    assert.match(configError(() => loadConfig({ overrides: ['model.name', 'shake_shake', 'model.shake_shake.depth', '27'] })).message, /6n\+2/);
    // Below the smallest depth, the smallest is the nearest.
    assert.match(configError(() => loadConfig({ overrides: ['model.resnet_preact.depth', '3'] })).message, /; nearest 8$/);
    // Depths that fit, and unselected or imagenet models are not checked.
    assert.equal(loadConfig({ overrides: ['model.resnet_preact.block_type', 'bottleneck', 'model.resnet_preact.depth', '164'] }).model.resnet_preact.depth, 164);
    assert.equal(loadConfig({ overrides: ['model.resnet.depth', '21'] }).model.resnet.depth, 21);
    assert.equal(loadConfig({ overrides: ['model.type', 'imagenet', 'model.resnet_preact.depth', '21', 'model.resnet_preact.preact_stage', '[True, True, True, True]'] }).model.type, 'imagenet');
    // The position is that of the depth's own value.
    const file = yaml('depth.yaml', 'model:\n  resnet_preact:\n    depth: 51\n');
    assert.match(configError(() => loadConfig({ configFile: file })).message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:12: model\\.resnet_preact\\.depth: 51 does not fit`));
  });

  it('checks model.name against model.type and preact_stage against the stage count', () => {
    assert.match(configError(() => loadConfig({ overrides: ['model.type', 'imagenet', 'model.name', 'wrn'] })).message, /model\.name: 'wrn' has no imagenet-type model/);
    assert.match(
      configError(() => loadConfig({ overrides: ['model.type', 'imagenet'] })).message,
      /model\.resnet_preact\.preact_stage: needs 4 entries \(one per stage\) for model\.type imagenet, got 3/,
    );
  });

  it('checks val_ratio < 1 and other ranges', () => {
    assert.equal(configError(() => loadConfig({ overrides: ['train.val_ratio', '1.0'] })).message, 'command line: train.val_ratio: must be < 1, got 1');
    assert.equal(loadConfig({ overrides: ['train.val_ratio', '0.1'] }).train.val_ratio, 0.1);
    assert.equal(configError(() => loadConfig({ overrides: ['train.batch_size', '0'] })).message, 'command line: train.batch_size: must be >= 1, got 0');
    assert.match(configError(() => loadConfig({ overrides: ['validation.batch_size', '-2'] })).message, /validation\.batch_size: must be >= 1/);
    assert.match(configError(() => loadConfig({ overrides: ['scheduler.epochs', '0'] })).message, /scheduler\.epochs: must be >= 1/);
    assert.match(configError(() => loadConfig({ overrides: ['augmentation.mixup.alpha', '-1'] })).message, /must be >= 0/);
    assert.match(configError(() => loadConfig({ overrides: ['augmentation.cutout.prob', '1.5'] })).message, /must be <= 1, got 1.5/);
    assert.match(configError(() => loadConfig({ overrides: ['scheduler.milestones', '[-1, 5]'] })).message, /scheduler\.milestones: entries must be >= 0/);
  });

  it('checks that subdivision divides batch_size', () => {
    assert.equal(
      configError(() => loadConfig({ overrides: ['train.subdivision', '3'] })).message,
      'command line: train.subdivision: 3 does not divide train.batch_size 128',
    );
    assert.equal(loadConfig({ overrides: ['train.subdivision', '8'] }).train.subdivision, 8);
  });

  it('checks that sgdr cycles sum to the main epochs and says what would fit', () => {
    const err = configError(() => loadConfig({ overrides: ['scheduler.type', 'sgdr', 'scheduler.T0', '10', 'scheduler.T_mul', '2.0'] }));
    assert.equal(err.key, 'scheduler.T0');
    assert.match(err.message, /^command line: scheduler\.T0: sgdr cycles \(T0 10, T_mul 2\.0: 10, 20, 40, 80, 160\) must sum to the 160 main epochs/);
    assert.match(err.message, /would fit: scheduler\.epochs 150 or 310; scheduler\.T0 .*160.*; scheduler\.T_mul 1\.0$/);
    assert.equal(loadConfig({ overrides: ['scheduler.type', 'sgdr', 'scheduler.T0', '10', 'scheduler.T_mul', '2', 'scheduler.epochs', '150'] }).scheduler.epochs, 150);
    assert.equal(loadConfig({ overrides: ['scheduler.type', 'sgdr'] }).scheduler.type, 'sgdr'); // 16 cycles of 10
    // Warm-up epochs are not part of the cycles.
    assert.equal(
      loadConfig({ overrides: ['scheduler.type', 'sgdr', 'scheduler.warmup.type', 'linear', 'scheduler.warmup.epochs', '5', 'scheduler.epochs', '165'] }).scheduler.epochs,
      165,
    );
    assert.match(configError(() => loadConfig({ overrides: ['scheduler.type', 'sgdr', 'scheduler.warmup.epochs', '5'] })).message, /155 main epochs/);
  });

  it('checks warm-up epochs against the total', () => {
    assert.match(configError(() => loadConfig({ overrides: ['scheduler.warmup.epochs', '200'] })).message, /scheduler\.warmup\.epochs: 200 is more than scheduler\.epochs 160/);
  });
});

describe('forced dataset fields', () => {
  it('forces image_size, n_channels and n_classes of the built-in datasets', () => {
    const cases = [
      ['CIFAR10', 32, 3, 10],
      ['CIFAR100', 32, 3, 100],
      ['MNIST', 28, 1, 10],
      ['FashionMNIST', 28, 1, 10],
      ['KMNIST', 28, 1, 10],
    ] as const;
    for (const [name, size, ch, n] of cases) {
      const cfg = loadConfig({ overrides: ['dataset.name', name, 'dataset.image_size', '64', 'dataset.n_channels', '4', 'dataset.n_classes', '7'] });
      assert.deepEqual([cfg.dataset.image_size, cfg.dataset.n_channels, cfg.dataset.n_classes], [size, ch, n], name);
    }
  });

  it('keeps ImageNet values and never forces dataset_dir', () => {
    const cfg = loadConfig({
      overrides: ['model.name', 'resnet', 'dataset.name', 'ImageNet', 'dataset.image_size', '64', 'dataset.n_classes', '7', 'dataset.dataset_dir', '/data/x'],
    });
    assert.deepEqual([cfg.dataset.image_size, cfg.dataset.n_channels, cfg.dataset.n_classes], [64, 3, 7]);
    assert.equal(cfg.dataset.dataset_dir, '/data/x');
    assert.equal(loadConfig({ overrides: ['dataset.name', 'MNIST'] }).dataset.dataset_dir, '');
  });
});

describe('resume', () => {
  it('merges defaults, the run config.yaml, then overrides, and sets resume and output_dir', () => {
    const run = path.join(dir, 'run1');
    writeFile(run, 'config.yaml', 'train:\n  resume: false\n  batch_size: 64\n  output_dir: somewhere/else\nscheduler:\n  epochs: 100\n');
    const cfg = loadConfig({ resumeDir: run, overrides: ['scheduler.epochs', '200'] });
    assert.equal(cfg.train.batch_size, 64);
    assert.equal(cfg.scheduler.epochs, 200); // the command line wins over the saved config
    assert.equal(cfg.train.resume, true);
    assert.equal(cfg.train.output_dir, run);
  });

  it('rejects a folder without config.yaml and --config with --resume', () => {
    const empty = path.join(dir, 'norun');
    writeFile(empty, 'x.txt', '');
    assert.equal(configError(() => loadConfig({ resumeDir: empty })).message, `${empty}: no config.yaml in this folder, so it is not a run folder to resume`);
    assert.match(configError(() => loadConfig({ resumeDir: empty, configFile: 'a.yaml' })).message, /^give either --config or --resume, not both/);
  });
});
