import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configWarnings, defaultConfig, dumpConfig, loadConfig, loadConfigFromText, type Config } from '../../runtime/config';

const ROOT = path.resolve(__dirname, '../..');
const CONFIGS = path.join(ROOT, 'configs');

const EXPECTED_FILES = [
  'augmentations/cifar/cutmix.yaml',
  'augmentations/cifar/cutout.yaml',
  'augmentations/cifar/dual_cutout.yaml',
  'augmentations/cifar/label_smoothing.yaml',
  'augmentations/cifar/mixup.yaml',
  'augmentations/cifar/random_erasing.yaml',
  'augmentations/cifar/ricap.yaml',
  'cifar/densenet.yaml',
  'cifar/pyramidnet.yaml',
  'cifar/resnet.yaml',
  'cifar/resnet_preact.yaml',
  'cifar/resnext.yaml',
  'cifar/se_resnet_preact.yaml',
  'cifar/shake_shake.yaml',
  'cifar/vgg.yaml',
  'cifar/wrn.yaml',
  'datasets/cifar10.yaml',
  'datasets/cifar100.yaml',
  'datasets/fashion_mnist.yaml',
  'datasets/imagenet.yaml',
  'datasets/kmnist.yaml',
  'datasets/mnist.yaml',
  'imagenet/densenet121.yaml',
  'imagenet/pyramidnet200.yaml',
  'imagenet/resnet18.yaml',
  'imagenet/resnet34.yaml',
  'imagenet/resnet_preact_18.yaml',
  'imagenet/resnext50_32x4d.yaml',
  'imagenet/vgg16.yaml',
];

function listYaml(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listYaml(path.join(dir, e.name), `${prefix}${e.name}/`) : e.name.endsWith('.yaml') ? [`${prefix}${e.name}`] : [],
  );
}

const load = (rel: string): Config => loadConfig({ configFile: path.join(CONFIGS, rel) });

/** Leaves of `cfg` that differ from the defaults, as dotted key -> value. */
function diff(cfg: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (a: Record<string, unknown>, d: Record<string, unknown>, p: string): void => {
    for (const k of Object.keys(d)) {
      const key = p ? `${p}.${k}` : k;
      if (d[k] !== null && typeof d[k] === 'object' && !Array.isArray(d[k])) walk(a[k] as Record<string, unknown>, d[k] as Record<string, unknown>, key);
      else if (JSON.stringify(a[k]) !== JSON.stringify(d[k])) out[key] = a[k];
    }
  };
  walk(cfg as unknown as Record<string, unknown>, defaultConfig() as unknown as Record<string, unknown>, '');
  return out;
}

describe('configs/', () => {
  it('holds exactly the 29 files of the original', () => {
    assert.deepEqual(listYaml(CONFIGS).sort(), [...EXPECTED_FILES].sort());
  });

  it('every file loads, without warnings, and survives a dump round trip', () => {
    for (const rel of EXPECTED_FILES) {
      const cfg = load(rel);
      assert.deepEqual(configWarnings(cfg), [], rel);
      assert.deepEqual(loadConfigFromText(dumpConfig(cfg)).config, cfg, rel);
      assert.equal(cfg.device, 'auto', rel);
    }
  });

  it('cifar/wrn.yaml: WRN-28-10, fan_in init, wd 5e-4, 200 epochs [60, 120, 160] x0.2', () => {
    assert.deepEqual(diff(load('cifar/wrn.yaml')), {
      'model.name': 'wrn',
      'model.init_mode': 'kaiming_fan_in',
      'train.weight_decay': 5e-4,
      'train.output_dir': 'experiments/cifar10/wrn/exp00',
      'train.checkpoint_period': 100,
      'scheduler.epochs': 200,
      'scheduler.milestones': [60, 120, 160],
      'scheduler.lr_decay': 0.2,
    });
    const cfg = load('cifar/wrn.yaml');
    assert.equal(cfg.model.wrn.widening_factor, 10);
    assert.equal(cfg.model.wrn.depth, 28);
  });

  it('the other cifar model files', () => {
    // model.name resnet_preact is the default, so it is not a difference.
    const common = (name: string) => ({ ...(name === 'resnet_preact' ? {} : { 'model.name': name }), 'train.output_dir': `experiments/cifar10/${name}/exp00`, 'train.checkpoint_period': 100 });
    const e300 = { 'scheduler.epochs': 300, 'scheduler.milestones': [150, 225] };
    assert.deepEqual(diff(load('cifar/vgg.yaml')), common('vgg'));
    assert.deepEqual(diff(load('cifar/resnet.yaml')), common('resnet'));
    assert.deepEqual(diff(load('cifar/resnet_preact.yaml')), common('resnet_preact'));
    assert.deepEqual(diff(load('cifar/se_resnet_preact.yaml')), {
      ...common('se_resnet_preact'),
      'model.se_resnet_preact.remove_first_relu': true,
      'model.se_resnet_preact.add_last_bn': true,
      'model.se_resnet_preact.preact_stage': [true, false, false],
    });
    assert.deepEqual(diff(load('cifar/densenet.yaml')), { ...common('densenet'), 'train.batch_size': 64, ...e300 });
    assert.deepEqual(diff(load('cifar/pyramidnet.yaml')), { ...common('pyramidnet'), ...e300 });
    assert.deepEqual(diff(load('cifar/resnext.yaml')), { ...common('resnext'), 'model.resnext.base_channels': 64, 'train.weight_decay': 5e-4, ...e300 });
    assert.deepEqual(diff(load('cifar/shake_shake.yaml')), {
      ...common('shake_shake'),
      'train.base_lr': 0.2,
      'scheduler.epochs': 1800,
      'scheduler.type': 'cosine',
      'scheduler.lr_min_factor': 0,
    });
  });

  it('the imagenet model files', () => {
    const common = (file: string, name: string) => ({
      'dataset.name': 'ImageNet',
      'dataset.dataset_dir': '~/datasets/ImageNet',
      'dataset.image_size': 224,
      'dataset.n_classes': 1000,
      'model.type': 'imagenet',
      ...(name === 'resnet_preact' ? {} : { 'model.name': name }),
      'train.batch_size': 256,
      'train.output_dir': `experiments/imagenet/${file}/exp00`,
      'train.log_period': 10,
      'train.dataloader.num_workers': 8,
      'validation.dataloader.num_workers': 8,
      'scheduler.epochs': 90,
      'scheduler.milestones': [30, 60],
      'tta.use_resize': true,
    });
    assert.deepEqual(diff(load('imagenet/resnet18.yaml')), { ...common('resnet18', 'resnet'), 'model.resnet.initial_channels': 64 });
    assert.deepEqual(diff(load('imagenet/resnet34.yaml')), {
      ...common('resnet34', 'resnet'),
      'model.resnet.initial_channels': 64,
      'model.resnet.n_blocks': [3, 4, 6, 3],
      'validation.batch_size': 1024,
    });
    assert.deepEqual(diff(load('imagenet/resnet_preact_18.yaml')), {
      ...common('resnet_preact_18', 'resnet_preact'),
      'model.resnet_preact.initial_channels': 64,
      'model.resnet_preact.preact_stage': [true, true, true, true],
    });
    assert.deepEqual(diff(load('imagenet/resnext50_32x4d.yaml')), { ...common('resnext50_32x4d', 'resnext'), 'model.resnext.cardinality': 32 });
    assert.deepEqual(diff(load('imagenet/densenet121.yaml')), { ...common('densenet121', 'densenet'), 'model.densenet.growth_rate': 32 });
    const pyramid: Record<string, unknown> = common('pyramidnet200', 'pyramidnet');
    delete pyramid['train.batch_size']; // 128 is the default
    assert.deepEqual(diff(load('imagenet/pyramidnet200.yaml')), {
      ...pyramid,
      'model.pyramidnet.initial_channels': 64,
      'model.pyramidnet.alpha': 300,
      'train.base_lr': 0.05,
      'scheduler.epochs': 120,
      'scheduler.milestones': [60, 90, 105],
    });
    assert.deepEqual(diff(load('imagenet/vgg16.yaml')), {
      ...common('vgg16', 'vgg'),
      'train.subdivision': 8,
      'train.base_lr': 0.01,
      'train.weight_decay': 5e-4,
    });
  });

  it('the dataset files', () => {
    assert.deepEqual(diff(load('datasets/cifar10.yaml')), {});
    assert.deepEqual(diff(load('datasets/cifar100.yaml')), { 'dataset.name': 'CIFAR100', 'dataset.n_classes': 100 });
    const mnist = { 'dataset.image_size': 28, 'dataset.n_channels': 1 };
    assert.deepEqual(diff(load('datasets/mnist.yaml')), { 'dataset.name': 'MNIST', ...mnist, 'augmentation.use_random_horizontal_flip': false });
    assert.deepEqual(diff(load('datasets/kmnist.yaml')), { 'dataset.name': 'KMNIST', ...mnist, 'augmentation.use_random_horizontal_flip': false });
    assert.deepEqual(diff(load('datasets/fashion_mnist.yaml')), { 'dataset.name': 'FashionMNIST', ...mnist });
    assert.deepEqual(diff(load('datasets/imagenet.yaml')), {
      'dataset.name': 'ImageNet',
      'dataset.image_size': 224,
      'dataset.n_classes': 1000,
      'tta.use_resize': true,
    });
  });

  it('the augmentation files', () => {
    const aug = (f: string) => diff(load(`augmentations/cifar/${f}.yaml`));
    assert.deepEqual(aug('cutmix'), { 'augmentation.use_cutmix': true });
    assert.deepEqual(aug('cutout'), { 'augmentation.use_cutout': true });
    assert.deepEqual(aug('dual_cutout'), { 'augmentation.use_dual_cutout': true });
    assert.deepEqual(aug('label_smoothing'), { 'augmentation.use_label_smoothing': true });
    assert.deepEqual(aug('mixup'), { 'augmentation.use_mixup': true });
    assert.deepEqual(aug('random_erasing'), { 'augmentation.use_random_erasing': true });
    assert.deepEqual(aug('ricap'), { 'augmentation.use_ricap': true, 'augmentation.use_random_crop': false });
    const cfg = load('augmentations/cifar/random_erasing.yaml');
    assert.deepEqual(cfg.augmentation.random_erasing.area_ratio_range, [0.02, 0.4]);
  });

  it('model files combine with dotted overrides as in the README', () => {
    const cfg = loadConfig({
      configFile: path.join(CONFIGS, 'cifar/resnet_preact.yaml'),
      overrides: ['model.resnet_preact.depth', '164', 'model.resnet_preact.block_type', 'bottleneck', 'augmentation.use_cutout', 'True', 'dataset.name', 'FashionMNIST'],
    });
    assert.equal(cfg.model.resnet_preact.depth, 164);
    assert.equal(cfg.augmentation.use_cutout, true);
    assert.equal(cfg.dataset.image_size, 28);
  });
});
