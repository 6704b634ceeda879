/**
 * Every recipe option runs a short real training to the end from the command line (FashionMNIST,
 * ResNet-preact-8, 256 images, batch 64, one epoch) with finite losses; ImageFolder on a written
 * PNG/JPEG fixture; precision other than O0 is refused before the run folder is created.
 * Skipped when Fashion-MNIST is not installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../runtime/data/dataset';
import { writeImageFolder } from './fixtures';

const REPO = path.resolve(__dirname, '..', '..');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-recipes-cli-'));
process.on('exit', () => fs.rmSync(TMP, { recursive: true, force: true }));

let fashion = true;
try {
  loadDataset({ name: 'FashionMNIST', split: 'test', maxSamples: 1 });
} catch {
  fashion = false;
}

const TINY = [
  'dataset.name', 'FashionMNIST', 'model.resnet_preact.depth', '8', 'dataset.max_train_samples', '256', 'dataset.max_test_samples', '64',
  'scheduler.epochs', '1', 'scheduler.milestones', '[]', 'train.batch_size', '64', 'train.val_first', 'False', 'train.base_lr', '0.02',
];

function train(name: string, args: string[]): { status: number | null; out: string; events: Array<Record<string, unknown>> } {
  const dir = path.join(TMP, name);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'runtime/cli/train.ts', '--config', 'configs/cifar/resnet_preact.yaml', ...args, 'train.output_dir', dir], {
    cwd: REPO, encoding: 'utf8', timeout: 120_000,
  });
  const file = path.join(dir, 'events.jsonl');
  const events = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [];
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, events };
}

function assertFinishedFinite(name: string, args: string[]): void {
  const r = train(name, args);
  assert.equal(r.status, 0, r.out.slice(-2000));
  const end = r.events.find((e) => e.type === 'run_end');
  assert.equal(end?.status, 'completed', r.out.slice(-2000));
  const steps = r.events.filter((e) => e.type === 'step');
  assert.ok(steps.length > 0);
  for (const s of steps) assert.ok(Number.isFinite(s.loss), `${name}: step loss ${String(s.loss)}`);
  const epoch = r.events.find((e) => e.type === 'epoch' && e.epoch === 1) as { train: { loss: number; accuracy: number }; val: { loss: number } };
  assert.ok(Number.isFinite(epoch.train.loss) && Number.isFinite(epoch.val.loss), `${name}: ${JSON.stringify(epoch)}`);
  assert.ok(epoch.train.accuracy >= 0 && epoch.train.accuracy <= 1);
}

const RUNS: Array<[string, string[]]> = [
  ['cutout + mixup + subdivision 2 + gradient clip, sgd', ['augmentation.use_cutout', 'True', 'augmentation.use_mixup', 'True', 'train.subdivision', '2', 'train.gradient_clip', '1.0']],
  ['random erasing + label smoothing, adam', ['augmentation.use_random_erasing', 'True', 'augmentation.use_label_smoothing', 'True', 'train.optimizer', 'adam', 'train.base_lr', '0.001']],
  ['dual cutout, adaboundw, no weight decay on BN', ['augmentation.use_dual_cutout', 'True', 'train.optimizer', 'adaboundw', 'train.base_lr', '0.001', 'train.no_weight_decay_on_bn', 'True']],
  ['ricap without random crop, amsgrad', ['augmentation.use_ricap', 'True', 'augmentation.use_random_crop', 'False', 'train.optimizer', 'amsgrad', 'train.base_lr', '0.001']],
  ['cutmix, lars', ['augmentation.use_cutmix', 'True', 'train.optimizer', 'lars', 'train.base_lr', '0.01']],
];

for (const [name, args] of RUNS) {
  test(`CLI: ${name}`, { skip: !fashion && 'Fashion-MNIST not installed' }, () => assertFinishedFinite(name.replace(/\W+/g, '_'), [...TINY, ...args]));
}

test('CLI: ImageFolder (PNG + JPEG), random resized crop, mixup, adabound', () => {
  const root = writeImageFolder(6);
  assertFinishedFinite('imagefolder', [
    'dataset.name', 'ImageFolder', 'dataset.dataset_dir', root, 'dataset.image_size', '16', 'dataset.n_classes', '3',
    'model.resnet_preact.depth', '8', 'scheduler.epochs', '1', 'scheduler.milestones', '[]', 'train.batch_size', '6', 'train.val_first', 'False',
    'tta.use_resize', 'True', 'tta.resize', '18', 'augmentation.use_mixup', 'True', 'train.optimizer', 'adabound', 'train.base_lr', '0.001',
  ]);
});

test('CLI: train.precision O1 is refused with the reason, before the run folder exists', () => {
  const r = train('precision', [...TINY, 'train.precision', 'O1']);
  assert.notEqual(r.status, 0);
  assert.match(r.out, /train\.precision O1 is not supported: TensorFlow\.js trains in float32 only \(O0\)/);
  assert.equal(fs.existsSync(path.join(TMP, 'precision')), false);
});
