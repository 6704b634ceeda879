/**
 * `npm run queue -- FILE`: the queue file (forms, errors that name the run), and a queue of 3 tiny
 * runs 2 at a time on the CPU that is stopped with SIGINT (the running runs stop cleanly) and then
 * continued to the end (completed runs skipped, stopped ones resumed, never more than 2 at once).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunStartEvent } from '../../runtime/protocol';
import { readQueueFile } from '../../runtime/queue/file';
import { readQueueStatus, type QueueStatus } from '../../runtime/queue/status';
import { events, runCli, startCli, tempDir } from '../cli/fixtures';
import { writeCifar10 } from '../data/fixtures';

const work = tempDir('icl-queue-');
const cifar = path.join(work, 'cifar');
writeCifar10(cifar, 200, 50);

function writeQueue(file: string, body: string): string {
  fs.writeFileSync(file, body);
  return file;
}

describe('queue file', () => {
  it('reads lists and mappings of runs, names them, and places their folders', () => {
    const f = writeQueue(path.join(work, 'forms.yaml'), [
      'parallel: 2',
      'output_dir: forms_out',
      'runs:',
      '  - config: ../../configs/cifar/resnet_preact.yaml',
      '    overrides: {model.resnet_preact.depth: 20, augmentation.use_cutout: true, model.resnet_preact.preact_stage: [true, false, false]}',
      '  - name: mine',
      '    overrides: [train.batch_size, 64, train.output_dir, elsewhere]',
      '',
    ].join('\n').replace('../../configs', path.relative(work, path.join(__dirname, '..', '..', 'configs'))));
    const q = readQueueFile(f);
    assert.equal(q.parallel, 2);
    assert.equal(q.outputDir, path.join(work, 'forms_out'));
    assert.equal(q.entries[0].name, '00_resnet_preact');
    assert.deepEqual(q.entries[0].overrides, ['model.resnet_preact.depth', '20', 'augmentation.use_cutout', 'True', 'model.resnet_preact.preact_stage', '[True, False, False]']);
    assert.equal(q.entries[0].outputDir, path.join(work, 'forms_out', '00_resnet_preact'));
    assert.equal(q.entries[1].name, 'mine');
    assert.equal(q.entries[1].outputDir, path.resolve('elsewhere'));
  });

  it('names the run and the key of a mistake', () => {
    const f = (body: string) => writeQueue(path.join(work, 'bad.yaml'), body);
    assert.throws(() => readQueueFile(f('- overrides: {train.base_lrr: 0.1}\n')), /bad\.yaml: run 1 \(00_defaults\): overrides: train\.base_lrr: unknown key \(did you mean train\.base_lr\?\)/);
    assert.throws(() => readQueueFile(f('- {name: a}\n- {name: a}\n')), /run 2\.name: a is used twice/);
    assert.throws(() => readQueueFile(f('- config: nowhere.yaml\n')), /run 1\.config: nowhere\.yaml not found/);
    assert.throws(() => readQueueFile(f('- {overrides: [train.batch_size]}\n')), /alternate key and value/);
    assert.throws(() => readQueueFile(f('runs: []\n')), /the queue is empty/);
    assert.throws(() => readQueueFile(f('- {confg: x}\n')), /run 1\.confg: unknown key/);
  });
});

describe('npm run queue', () => {
  it('runs 3 tiny runs 2 at a time, stops on SIGINT, and continues to the end', async () => {
    const base = path.join(work, 'tiny.yaml');
    fs.writeFileSync(base, [
      'device: wasm',
      'dataset: {name: CIFAR10, dataset_dir: ' + JSON.stringify(cifar) + ', max_train_samples: 640, max_test_samples: 50}',
      'model: {name: vgg, vgg: {n_channels: [4, 4, 4, 4, 4], n_layers: [1, 1, 1, 1, 1]}}',
      'augmentation: {use_random_crop: False, use_random_horizontal_flip: False}',
      'train: {batch_size: 32, val_first: False, log_period: 1}',
      '',
    ].join('\n'));
    const qfile = writeQueue(path.join(work, 'sweep.yaml'), [
      'parallel: 2',
      'runs:',
      '  - {config: tiny.yaml, name: lr05, overrides: {train.base_lr: 0.05, scheduler.epochs: 4}}',
      '  - {config: tiny.yaml, name: lr01, overrides: {train.base_lr: 0.01, scheduler.epochs: 4}}',
      '  - {config: tiny.yaml, name: short, overrides: {scheduler.epochs: 1}}',
      '',
    ].join('\n'));
    const qdir = path.join(work, 'sweep_out');
    const status = () => readQueueStatus(qdir) as QueueStatus;

    const first = startCli('queue', [qfile, '--output_dir', qdir]);
    // both slots busy and both runs training
    for (;;) {
      const s = readQueueStatus(qdir);
      if (s && s.runs.filter((r) => r.status === 'running').length === 2 && s.runs.slice(0, 2).every((r) => events(r.output_dir).some((e) => e.type === 'step'))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status().runs[2].status, 'pending');
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.equal(stopped.json!.status, 'stopped');
    let s = status();
    assert.equal(s.status, 'stopped');
    assert.deepEqual(s.runs.map((r) => r.status), ['stopped', 'stopped', 'pending']);
    for (const r of s.runs.slice(0, 2)) {
      const ev = events(r.output_dir);
      assert.deepEqual(ev[ev.length - 1].type === 'run_end' && (ev[ev.length - 1] as { status: string }).status, 'stopped');
    }

    const second = await runCli('queue', [qfile, '--output_dir', qdir]);
    assert.equal(second.code, 0, second.stderr);
    s = status();
    assert.equal(s.status, 'completed');
    assert.equal(s.slots, 'cpu');
    assert.equal(s.parallel, 2);
    assert.deepEqual(s.runs.map((r) => [r.name, r.status, r.attempts]), [['lr05', 'completed', 2], ['lr01', 'completed', 2], ['short', 'completed', 1]]);
    for (const r of s.runs.slice(0, 2)) {
      const starts = events(r.output_dir).filter((e): e is RunStartEvent => e.type === 'run_start');
      assert.equal(starts.length, 2);
      assert.ok(starts[1].resumed_from, `${r.name} resumed`);
      assert.equal(starts[1].threads, 1, 'the 2 cores are shared by 2 runs');
    }
    // never more than 2 at once
    const spans = s.runs.map((r) => [Date.parse(r.started!), Date.parse(r.ended!)]);
    for (const [t] of spans) assert.ok(spans.filter(([a, b]) => a <= t && t < b).length <= 2);
    assert.ok(fs.readFileSync(s.runs[2].log, 'utf8').includes('"status":"completed"'));

    // a third call has nothing left to do
    const third = await runCli('queue', [qfile, '--output_dir', qdir]);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /3 runs \(3 already completed\)/);
  });
});
