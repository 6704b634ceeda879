/**
 * The training CLI as the VS Code extension starts it (detached, its console in the run folder's
 * stdout.log): a closed console pipe (EPIPE) does not end the run, a new run's folder may hold the
 * console log beforehand, and a resume that would start a trained run over is refused.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import type { RunEndEvent } from '../../runtime/protocol';
import { events, runCli, startCli, tempDir, waitForEvent, writeSyntheticMnist } from './fixtures';

const work = tempDir('icl-cli-console-');
const data = path.join(work, 'data');

const args = (out: string, extra: string[] = []): string[] => [
  '--config', 'configs/cifar/resnet_preact.yaml',
  'dataset.name', 'FashionMNIST', 'dataset.dataset_dir', data,
  'model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '4',
  'train.batch_size', '32', 'validation.batch_size', '100', 'scheduler.epochs', '1',
  'train.log_period', '1', 'train.output_dir', out, 'num_threads', '1', 'device', 'cpu',
  ...extra,
];

describe('train as the extension starts it', () => {
  before(() => writeSyntheticMnist(data, 320, 100));

  it('trains on to completed when its console pipe closes (EPIPE), in a new folder that held only stdout.log', async () => {
    const out = path.join(work, 'epipe');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'stdout.log'), '$ node train.js\n');
    const { child, done } = startCli('train', args(out));
    // The reader goes away at the first console line: every later write fails with EPIPE.
    await new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()));
    child.stdout!.destroy();
    child.stderr!.destroy();
    const r = await done;
    assert.equal(r.code, 0, `exit code ${r.code}, signal ${r.signal}`);
    const end = events(out).filter((e): e is RunEndEvent => e.type === 'run_end').pop();
    assert.equal(end?.status, 'completed');
    assert.ok(events(out).filter((e) => e.type === 'step').length >= 10, 'every step logged');
    assert.ok(fs.existsSync(path.join(out, 'config.yaml')));
    assert.equal(fs.readFileSync(path.join(out, 'stdout.log'), 'utf8'), '$ node train.js\n', 'the console log is left alone');
  });

  it('refuses to resume a run that trained but has no checkpoint (it would start over and append a second history)', async () => {
    const out = path.join(work, 'no-checkpoint');
    const { child, done } = startCli('train', args(out, ['train.checkpoint_period', '100']));
    await waitForEvent(out, (e) => e.type === 'step');
    child.kill('SIGKILL');
    await done;
    const before = fs.readFileSync(path.join(out, 'events.jsonl'), 'utf8');
    assert.equal(fs.readdirSync(out).some((f) => f.endsWith('.ckpt')), false);
    const r = await runCli('train', ['--resume', out]);
    assert.equal(r.code, 2, `exit code ${r.code}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^error: cannot resume .*no-checkpoint: it has no checkpoint, and its events.jsonl already holds a training history \(\d+ step events\).*train.output_dir NEW_FOLDER\), or here after the old history with --start-over$/m);
    assert.equal(fs.readFileSync(path.join(out, 'events.jsonl'), 'utf8'), before, 'the run folder is as it was');
    // Asked for: trained again from epoch 0, after the old history.
    const again = await runCli('train', ['--resume', out, '--start-over']);
    assert.equal(again.code, 0, again.stderr);
    const starts = events(out).filter((e) => e.type === 'run_start');
    assert.equal(starts.length, 2);
    assert.equal((starts[1] as { resumed_from?: unknown }).resumed_from, undefined);
  });
});
