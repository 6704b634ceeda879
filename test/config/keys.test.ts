/**
 * Every config key does what it says: each leaf of the tree is read by the runtime (recorded by a
 * Proxy during a tiny train, evaluate and bench, and while the runtime builds every model,
 * optimizer, schedule, augmentation and folder-dataset variant), read on a path a CPU test cannot
 * take (a static check of the runtime's sources), marked compatibility-only (warned about once when
 * set).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { compatWarnings, configLeaves, configMarkdown, configWarnings, familyNames, loadConfig, OPTIMIZERS, SCHEDULER_TYPES, type Config, type LeafEntry } from '../../runtime/config';
import { CONFIG_READS_ENV, recordReads } from '../../runtime/config/reads';
import { createModel } from '../../runtime/models';
import { loadRunData, mixOptions, trainTransform } from '../../runtime/train/data';
import { createOptimizer } from '../../runtime/train/optim';
import { createLrSchedule } from '../../runtime/train/schedule';
import { trainStepOptions } from '../../runtime/train/step';
import { tempDir, writeIdxSplit } from '../data/fixtures';
import { writeImageFolder } from '../recipes/fixtures';
import { accountKeys, readerChains, sourceChains } from './key_accounting';

const ROOT = path.resolve(__dirname, '../..');
const RUNTIME = path.join(ROOT, 'runtime');
const reads = new Set<string>();

/** Runs a CLI of runtime/cli with ICL_CONFIG_READS and adds the keys it read. */
function cliReads(script: string, args: string[], dir: string): string {
  const file = path.join(dir, `${script}.reads`);
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', path.join(RUNTIME, 'cli', `${script}.ts`), ...args], {
    cwd: ROOT, env: { ...process.env, [CONFIG_READS_ENV]: file }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const k of fs.readFileSync(file, 'utf8').split('\n')) if (k) reads.add(k);
  return stdout;
}

/** Tiny models of every architecture the runtime builds (cifar and imagenet type). */
const MODEL_VARIANTS: Record<string, string[]> = {
  vgg: ['model.vgg.n_channels', '[4, 4, 4, 4, 4]', 'model.vgg.n_layers', '[1, 1, 1, 1, 1]', 'dataset.name', 'CIFAR10'],
  resnet: ['model.resnet.depth', '8', 'model.resnet.initial_channels', '4'],
  resnet_preact: ['model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '4'],
  wrn: ['model.wrn.depth', '10', 'model.wrn.widening_factor', '1', 'model.wrn.initial_channels', '4'],
  densenet: ['model.densenet.depth', '10', 'model.densenet.growth_rate', '4'],
  pyramidnet: ['model.pyramidnet.depth', '11', 'model.pyramidnet.initial_channels', '4', 'model.pyramidnet.alpha', '4'],
  resnext: ['model.resnext.depth', '11', 'model.resnext.initial_channels', '4', 'model.resnext.cardinality', '2', 'model.resnext.base_channels', '2'],
  shake_shake: ['model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '4'],
  se_resnet_preact: ['model.se_resnet_preact.depth', '8', 'model.se_resnet_preact.initial_channels', '4', 'model.se_resnet_preact.se_reduction', '2'],
};
/** The imagenet-type model of an architecture: the cifar variant's widths, one block per stage. */
function imagenetTiny(name: string): string[] {
  const out = ['model.type', 'imagenet', 'model.name', name, 'dataset.name', 'ImageNet', 'dataset.image_size', '32', 'dataset.n_classes', '3'];
  const cifar = MODEL_VARIANTS[name];
  for (let i = 0; i < cifar.length; i += 2) if (!cifar[i].endsWith('.depth') && cifar[i] !== 'dataset.name') out.push(cifar[i], cifar[i + 1]);
  if (name !== 'vgg') out.push(`model.${name}.n_blocks`, '[1, 1, 1, 1]');
  if (name === 'resnet_preact') out.push('model.resnet_preact.preact_stage', '[true, true, true, true]');
  return out;
}

/** What the runtime builds from a config when training, read through the recording proxy. */
function buildReads(overrides: string[], what: { model?: boolean; optimizer?: boolean } = {}): void {
  const { config } = recordReads(loadConfig({ overrides }), reads);
  if (what.model) {
    const model = createModel(config);
    if (what.optimizer) createOptimizer(config.train, model.params, config.optim).dispose();
    model.dispose();
  }
  const lrAt = createLrSchedule(config, 10);
  for (let t = 0; t < 10 * config.scheduler.epochs; t += 7) lrAt(t);
  trainTransform(config, config.dataset.name === 'ImageNet' ? { offsets: new Float64Array(0), heights: new Int32Array(0), widths: new Int32Array(0) } : undefined);
  mixOptions(config);
  trainStepOptions(config, [config.dataset.image_size, config.dataset.image_size, config.dataset.n_channels], config.dataset.n_classes);
}

let chains: Set<string>;
let tmp: string;

before(async () => {
  await tf.setBackend('cpu');
  tmp = tempDir('keys-');
  chains = sourceChains(RUNTIME, [path.join(RUNTIME, 'config')]);
});

test('a tiny train (held-out validation), evaluate and bench: the keys they read', () => {
  const data = path.join(tmp, 'mnist');
  writeIdxSplit(data, 'train', 20, false);
  writeIdxSplit(data, 't10k', 6, false);
  const run = path.join(tmp, 'run');
  // initial_channels 8: with 4, libtorch training corrupts the heap (also on main; see the report of branch valsplit).
  const tiny = ['dataset.name', 'MNIST', 'dataset.dataset_dir', data, 'model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '8', 'device', 'cpu', 'num_threads', '1', 'train.batch_size', '8'];
  const out = cliReads('train', [...tiny, 'scheduler.epochs', '1', 'train.use_test_as_val', 'False', 'train.val_ratio', '0.2', 'train.output_dir', run], tmp);
  assert.equal(JSON.parse(out.trim().split('\n').pop() as string).status, 'completed');
  cliReads('evaluate', ['--config', path.join(run, 'config.yaml'), 'test.checkpoint', path.join(run, 'checkpoint_00001.ckpt'), 'test.output_dir', path.join(tmp, 'eval'), 'test.batch_size', '4'], tmp);
  assert.equal(JSON.parse(fs.readFileSync(path.join(tmp, 'eval', 'metrics.json'), 'utf8')).n, 6);
  cliReads('bench', [...tiny, '--steps', '1', '--eval-steps', '1', '--warmup', '1'], tmp);
  for (const k of ['train.val_ratio', 'train.use_test_as_val', 'validation.dataloader.num_workers', 'test.checkpoint', 'test.dataloader.num_workers', 'train.resume']) assert.ok(reads.has(k), k);
  assert.ok(!reads.has('train.use_apex'));
});

test('every model, optimizer, schedule, augmentation and the folder-dataset transforms: the keys the runtime reads to build them', () => {
  for (const [name, tiny] of Object.entries(MODEL_VARIANTS)) buildReads(['model.name', name, 'dataset.name', 'CIFAR10', ...tiny], { model: true, optimizer: name === 'resnet' });
  for (const name of familyNames('imagenet')) buildReads(imagenetTiny(name), { model: true });
  for (const opt of OPTIMIZERS) buildReads(['train.optimizer', opt, ...MODEL_VARIANTS.resnet], { model: true, optimizer: true });
  for (const type of SCHEDULER_TYPES) {
    for (const warmup of ['linear', 'exponential']) buildReads(['scheduler.type', type, 'scheduler.epochs', '12', 'scheduler.warmup.type', warmup, 'scheduler.warmup.epochs', '2', 'scheduler.T0', '10']);
  }
  for (const aug of ['cutout', 'random_erasing', 'dual_cutout', 'mixup', 'ricap', 'cutmix', 'label_smoothing']) buildReads([`augmentation.use_${aug}`, 'True']);
  const folder = writeImageFolder(2);
  const { config } = recordReads(loadConfig({ overrides: ['dataset.name', 'ImageFolder', 'dataset.dataset_dir', folder, 'dataset.n_classes', '3', 'dataset.image_size', '16', 'tta.use_resize', 'True', 'tta.resize', '18', 'train.dataloader.num_workers', '0', 'validation.dataloader.num_workers', '0'] }), reads);
  loadRunData(config).close();
  assert.deepEqual(Object.keys(MODEL_VARIANTS).sort(), familyNames().sort(), 'a tiny variant of every family');
  for (const k of ['model.vgg.use_bn', 'model.resnext.n_blocks', 'optim.lars.threshold', 'scheduler.T_mul', 'scheduler.warmup.exponent', 'augmentation.ricap.beta', 'tta.resize']) assert.ok(reads.has(k), k);
});

// Needs the reads of the two tests above (run the whole file).
test('every key of the tree is read, read on a GPU or multi-process path, or compatibility-only', (t) => {
  const acc = accountKeys(configLeaves(), reads, chains);
  t.diagnostic(`read by the recorded commands: ${acc.read.length}; read only on paths a CPU test cannot take: ${acc.readInSource.join(', ')}`);
  t.diagnostic(`compatibility-only: ${acc.compat.join(', ')}`);
  assert.deepEqual(acc.problems, []);
  assert.equal(acc.read.length + acc.readInSource.length + acc.compat.length, configLeaves().length);
  // The multi-process keys are the ones only the source check can see.
  assert.deepEqual(acc.readInSource.sort(), ['train.dist.backend', 'train.dist.init_method', 'train.dist.node_rank', 'train.dist.use_sync_bn', 'train.dist.world_size']);
});

test('the check fails on a new key without a reader or a compatibility mark, and on a compatibility mark of a key that is read', () => {
  const leaves = configLeaves();
  const extra = (key: string, compat?: string): LeafEntry[] => [...leaves, { path: key, spec: { kind: 'leaf', type: 'bool', default: false, description: 'new', ...(compat ? { compat } : {}) } }];
  assert.deepEqual(accountKeys(extra('train.use_new_trick'), reads, chains).problems, [
    'train.use_new_trick: nothing reads it (no train.use_new_trick in the runtime outside runtime/config) and it is not marked compatibility-only',
  ]);
  assert.deepEqual(accountKeys(extra('train.use_new_trick', 'has no effect'), reads, chains).problems, []);
  // A key that shares its tail with another needs its longer chain in the source.
  assert.deepEqual(readerChains('train.dataloader.pin_memory', leaves.map((l) => l.path)), ['train.dataloader.pin_memory']);
  assert.deepEqual(readerChains('train.dist.use_sync_bn', leaves.map((l) => l.path)), ['dist.use_sync_bn']);
  assert.deepEqual(readerChains('device', leaves.map((l) => l.path)), ['cfg.device', 'config.device']);
  const compatButRead = leaves.map((l) => (l.path === 'train.seed' ? { ...l, spec: { ...l.spec, compat: 'has no effect' } } : l));
  assert.deepEqual(accountKeys(compatButRead, reads, chains).problems, ['train.seed: marked compatibility-only, but the runtime reads it']);
});

test('a compatibility-only key set to a non-default value is warned about in one line, once; docs/config.md marks them', () => {
  const cfg: Config = loadConfig({ overrides: ['train.use_apex', 'False', 'tta.use_center_crop', 'False', 'test.dataloader.pin_memory', 'True'] });
  assert.deepEqual(compatWarnings(cfg), [
    'train.use_apex false has no effect: there is no NVIDIA apex here; training is float32 (train.precision O0) either way',
    'tta.use_center_crop false has no effect: the evaluation images of folder datasets are always center-cropped to dataset.image_size (cropping an image that already has that size changes nothing)',
    'test.dataloader.pin_memory true has no effect: batches are built in host memory and handed to the engine, with no pinned memory or asynchronous copy (CUDA DataLoader options in the original)',
  ]);
  assert.equal(configWarnings(cfg).filter((w) => w.startsWith('train.use_apex')).length, 1);
  assert.deepEqual(compatWarnings(loadConfig({ overrides: ['train.use_apex', 'True'] })), []);
  const md = configMarkdown();
  for (const l of configLeaves().filter((x) => x.spec.compat)) assert.match(md, new RegExp(`\\| \`${l.path.split('.').pop()}\` \\|[^\\n]*Compatibility only`), l.path);
  assert.match(md, /## Compatibility-only keys/);
  assert.equal(fs.readFileSync(path.join(ROOT, 'docs', 'config.md'), 'utf8'), md, 'docs/config.md is up to date (npm run schema)');
});
