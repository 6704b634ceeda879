/**
 * The training CLI end to end on a small synthetic IDX dataset: a run that learns, evaluation of its
 * checkpoint, resume after SIGKILL and after a clean SIGINT stop (both must end exactly where an
 * uninterrupted run ends), and the run folder's contents.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { EpochEvent, RunEndEvent, RunStartEvent } from '../../runtime/protocol';
import { classReportProblem, galleryProblem, type ClassReport, type EvalMetricsFile, type Gallery } from '../../runtime/protocol/evaluation';
import { events, runCli, startCli, tempDir, waitForEvent, writeSyntheticMnist } from './fixtures';
import { loadAddon } from '../../runtime/backend/libtorch';

/** What `device auto` picks here: libtorch when its addon is built (as .ci/run does), else wasm. */
const AUTO_BACKEND = loadAddon().ok ? 'libtorch' : 'wasm';

const work = tempDir('icl-cli-train-');
const data = path.join(work, 'data');

function args(out: string, extra: string[] = []): string[] {
  return [
    '--config', 'configs/cifar/resnet_preact.yaml',
    'dataset.name', 'FashionMNIST', 'dataset.dataset_dir', data,
    'model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '8',
    'train.batch_size', '32', 'validation.batch_size', '100', 'train.base_lr', '0.1',
    'scheduler.type', 'cosine', 'scheduler.epochs', '3',
    'train.checkpoint_period', '1', 'train.log_period', '2', 'train.output_dir', out,
    'num_threads', '1',
    // the synthetic classes are positions: keep them where they are
    'augmentation.use_random_crop', 'False', 'augmentation.use_random_horizontal_flip', 'False',
    ...extra,
  ];
}

function finalVal(runDir: string): { loss: number; accuracy: number } {
  const epochs = events(runDir).filter((e): e is EpochEvent => e.type === 'epoch' && e.val !== undefined);
  const last = epochs[epochs.length - 1];
  return { loss: last.val!.loss, accuracy: last.val!.accuracy };
}

describe('npm run train / evaluate', () => {
  const reference = path.join(work, 'reference');

  before(async () => {
    writeSyntheticMnist(data, 640, 200);
    const r = await runCli('train', args(reference));
    assert.equal(r.code, 0, r.stderr);
  });

  it('learns, logs every event of the protocol, and writes the run folder', () => {
    const ev = events(reference);
    const types = ev.map((e) => e.type);
    assert.equal(types[0], 'run_start');
    assert.equal(types[types.length - 1], 'run_end');
    const start = ev[0] as RunStartEvent;
    assert.equal(start.protocol, 1);
    assert.equal(start.steps_per_epoch, 20);
    assert.equal(start.epochs, 3);
    assert.equal(start.backend, AUTO_BACKEND);
    assert.equal(start.params > 0, true);
    const epochs = ev.filter((e): e is EpochEvent => e.type === 'epoch');
    assert.deepEqual(epochs.map((e) => e.epoch), [0, 1, 2, 3]);
    assert.equal(epochs[0].train, undefined, 'epoch 0 is the validation before training');
    assert.ok(epochs[0].val!.accuracy < 0.3, `untrained accuracy ${epochs[0].val!.accuracy}`);
    assert.ok(epochs[3].val!.accuracy > 0.9, `trained accuracy ${epochs[3].val!.accuracy}`);
    assert.ok(epochs[3].train!.loss < epochs[1].train!.loss);
    const steps = ev.filter((e) => e.type === 'step');
    assert.equal(steps.length, 30, 'every 2 steps (the last of each epoch among them)');
    assert.deepEqual(ev.filter((e) => e.type === 'checkpoint').map((e) => (e as { epoch: number }).epoch), [1, 2, 3]);
    assert.equal((ev[ev.length - 1] as RunEndEvent).status, 'completed');
    const files = fs.readdirSync(reference).sort();
    for (const f of ['config.yaml', 'config_min.yaml', 'env.yaml', 'events.jsonl', 'log.txt', 'last_checkpoint', 'checkpoint_00003.ckpt']) {
      assert.ok(files.includes(f), `${f} in ${files}`);
    }
    assert.match(fs.readFileSync(path.join(reference, 'env.yaml'), 'utf8'), new RegExp(`^backend: ${AUTO_BACKEND}$`, 'm'));
    assert.match(fs.readFileSync(path.join(reference, 'config_min.yaml'), 'utf8'), /depth: 8/);
    assert.match(fs.readFileSync(path.join(reference, 'log.txt'), 'utf8'), /\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] INFO: Epoch 3 Step 20\/20 lr /);
  });

  it('run_start records the MACs per image that npm run summary counts', async () => {
    const start = events(reference)[0] as RunStartEvent;
    const r = await runCli('summary', ['--config', path.join(reference, 'config.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(start.macs, r.json!.macs);
    assert.ok(start.macs! > 1e5, `${start.macs} MACs`);
  });

  it('evaluates the last checkpoint to the accuracy of the last validation', async () => {
    const out = path.join(work, 'eval');
    const r = await runCli('evaluate', [
      '--config', path.join(reference, 'config.yaml'), 'test.checkpoint', path.join(reference, 'checkpoint_00003.ckpt'), 'test.output_dir', out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const val = finalVal(reference);
    assert.equal(r.json!.accuracy, val.accuracy);
    assert.ok(Math.abs((r.json!.loss as number) - val.loss) < 1e-6);
    assert.equal(r.json!.n, 200);
    assert.ok(Math.abs((r.json!.error as number) - (1 - val.accuracy)) < 1e-12);
    const npy = fs.readFileSync(path.join(out, 'logits.npy'));
    assert.equal(npy.subarray(1, 6).toString('latin1'), 'NUMPY');
    assert.match(npy.toString('latin1', 10, 80), /'descr': '<f4', 'fortran_order': False, 'shape': \(200, 10\)/);
    const labels = fs.readFileSync(path.join(out, 'labels.npy'));
    assert.equal(labels.length % 64, 200 * 4 % 64, 'npy header padded to 64 bytes');
    // The per-class files of the same evaluation: Fashion-MNIST's names, a confusion matrix over the 200 images.
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as EvalMetricsFile;
    const classes = JSON.parse(fs.readFileSync(path.join(out, 'classes.json'), 'utf8')) as ClassReport;
    const gallery = JSON.parse(fs.readFileSync(path.join(out, 'gallery.json'), 'utf8')) as Gallery;
    assert.equal(classReportProblem(classes), undefined);
    assert.equal(galleryProblem(gallery), undefined);
    assert.deepEqual([classes.id, gallery.id], [metrics.id, metrics.id]);
    assert.deepEqual([classes.classes.length, classes.classes[0], classes.classes[9]], [10, 'T-shirt/top', 'Ankle boot']);
    assert.equal(classes.confusion.flat().reduce((a, b) => a + b, 0), 200);
    assert.equal(classes.per_class.reduce((a, c) => a + c.correct, 0), Math.round(val.accuracy * 200));
    assert.equal(gallery.wrong, 200 - Math.round(val.accuracy * 200));
    assert.equal(gallery.images.length, Math.min(gallery.wrong, gallery.images.length));
  });

  it('evaluate names a missing checkpoint and the ones that exist (exit 2)', async () => {
    const r = await runCli('evaluate', ['--config', path.join(reference, 'config.yaml'), 'test.checkpoint', path.join(reference, 'checkpoint_00009.ckpt')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: test\.checkpoint: .*checkpoint_00009\.ckpt does not exist \(.* has checkpoint_00001\.ckpt, checkpoint_00002\.ckpt, checkpoint_00003\.ckpt\)$/m);
  });

  it('resuming a completed run reports its result and appends nothing', async () => {
    const before = fs.readFileSync(path.join(reference, 'events.jsonl'), 'utf8');
    const r = await runCli('train', ['--resume', reference]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the run already completed its 3 epochs/);
    assert.equal(r.json!.status, 'completed');
    assert.equal(r.json!.val_accuracy, finalVal(reference).accuracy);
    assert.equal(fs.readFileSync(path.join(reference, 'events.jsonl'), 'utf8'), before);
  });

  it('resumes a SIGKILLed run from its last checkpoint and ends exactly where an uninterrupted run ends', async () => {
    // checkpoint_period 100, as the shipped configs: the newest epoch is still kept as a resume point.
    const out = path.join(work, 'killed');
    const { child, done } = startCli('train', args(out, ['train.checkpoint_period', '100']));
    await waitForEvent(out, (e) => e.type === 'checkpoint' && e.epoch === 1);
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(events(out).some((e) => e.type === 'run_end'), false);
    const r = await runCli('train', ['--resume', out]);
    assert.equal(r.code, 0, r.stderr);
    const starts = events(out).filter((e): e is RunStartEvent => e.type === 'run_start');
    assert.equal(starts.length, 2);
    assert.ok(starts[1].resumed_from && starts[1].resumed_from.epoch >= 1);
    assert.deepEqual(finalVal(out), finalVal(reference));
    // Resume points between periodic checkpoints are removed once a newer one is written: only the last remains.
    assert.deepEqual(fs.readdirSync(out).filter((f) => f.endsWith('.ckpt')), ['checkpoint_00003.ckpt']);
  });

  it('stops cleanly on SIGINT mid-epoch with a step checkpoint, and resumes to the same end', async () => {
    const out = path.join(work, 'stopped');
    const { child, done } = startCli('train', args(out));
    await waitForEvent(out, (e) => e.type === 'step' && e.epoch === 2 && e.step === 4);
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.equal(stopped.json!.status, 'stopped');
    const ev = events(out);
    const end = ev[ev.length - 1] as RunEndEvent;
    assert.equal(end.type, 'run_end');
    assert.equal(end.status, 'stopped');
    const ckpt = ev.filter((e) => e.type === 'checkpoint').pop() as { path: string };
    assert.match(path.basename(ckpt.path), /^checkpoint_00001_step000\d\d\.ckpt$/);
    const r = await runCli('train', ['--resume', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(finalVal(out), finalVal(reference));
  });

  it('refuses an existing output folder, and resuming a folder that is not a run', async () => {
    const r = await runCli('train', args(reference));
    assert.equal(r.code, 2, 'a run folder that cannot be used is a usage error');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^error: output directory .*reference already exists; resume it with --resume .*reference, or choose another train.output_dir/);
    const r2 = await runCli('train', ['--resume', path.join(work, 'nothing-here')]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr, /^error: .*nothing-here/);
    assert.doesNotMatch(r2.stderr, /\n\s+at /, 'no stack trace');
  });
});
