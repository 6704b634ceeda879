import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readEvents } from '../../runtime/protocol/reader';
import { describeRun, describeValSplit, findRunDirs, formatDuration, summarizeRun, topError } from '../../extension/runs/collect';
import { Logger } from '../../runtime/train/logger';
import { DownloadProgress } from '../../runtime/train/progress';
import { checkConfig, downloadMessage, foldProgress, parseDownloadLine, nextExpName, progressMessage, proposeOutputDir, runtimeLaunch, splitOverrides, withOutputDir } from '../../extension/runs/launch';

const ROOT = path.resolve('test/extension/fixtures/runs');
const summary = (rel: string, live = false) => {
  const dir = path.join(ROOT, rel);
  return summarizeRun(dir, rel, readEvents(dir).events, live);
};

test('discovery: every folder with events.jsonl, nothing else', () => {
  assert.deepEqual(findRunDirs(ROOT).map((d) => path.relative(ROOT, d)), ['killed/exp00', 'resnet_preact_20/exp00', 'wrn_16/exp00', 'wrn_16/exp01']);
  assert.deepEqual(findRunDirs(path.join(ROOT, 'missing')), []);
});

test('summary: a completed run with best and last top-1 error', () => {
  const s = summary('wrn_16/exp00');
  assert.equal(s.state, 'completed');
  assert.equal(s.model, 'wrn');
  assert.equal(s.depth, 16);
  assert.equal(s.dataset, 'CIFAR10');
  assert.equal(s.backend, 'wasm');
  assert.equal(s.params, 693498);
  assert.equal(s.epochs, 3);
  assert.equal(s.epoch, 3);
  // val accuracy 0.1 (epoch 0), 0.4, 0.55, 0.5 -> errors 90, 60, 45, 50
  assert.equal(s.bestError, 45);
  assert.equal(s.lastError, 50);
  assert.equal(s.trainSeconds, 24);
  assert.match(s.checkpoint ?? '', /checkpoint_00003\.ckpt$/);
  assert.equal(describeRun(s), '3/3 · best 45.00% · last 50.00%');
});

test('summary: stopped, failed, and a killed run (running while live, else interrupted)', () => {
  assert.equal(summary('wrn_16/exp01').state, 'stopped');
  assert.equal(summary('wrn_16/exp01').epoch, 2);
  const failed = summary('resnet_preact_20/exp00');
  assert.equal(failed.state, 'failed');
  assert.equal(failed.error, 'out of memory');
  assert.equal(failed.model, 'resnet_preact');
  // The torn last line is not read.
  assert.equal(summary('killed/exp00').state, 'interrupted');
  assert.equal(summary('killed/exp00', true).state, 'running');
  assert.equal(summarizeRun('/x', 'x', [], false).state, 'empty');
});

test('summary: a resumed run takes the status of the run_end after its last run_start', () => {
  const dir = path.join(ROOT, 'wrn_16/exp01');
  const events = readEvents(dir).events;
  const again = [...events, { ...events[0], time: '2026-11-29T13:00:00.000Z', resumed_from: { epoch: 2, checkpoint: 'c' } }];
  assert.equal(summarizeRun(dir, 'r', again, true).state, 'running');
});

test('summary: run_start.val_split names what validation used; the held-out figures are marked', () => {
  const dir = path.join(ROOT, 'wrn_16/exp00');
  const events = readEvents(dir).events;
  const withSplit = (v: unknown) => summarizeRun(dir, 'r', events.map((e) => (e.type === 'run_start' ? { ...e, val_split: v } : e)) as typeof events, false);
  const held = withSplit({ source: 'held_out', n: 200, ratio: 0.2, seed: 0 });
  assert.deepEqual(held.valSplit, { source: 'held_out', n: 200, ratio: 0.2, seed: 0 });
  assert.equal(describeRun(held), '3/3 · best 45.00% · last 50.00% · held-out val');
  assert.equal(describeValSplit(held.valSplit), '200 images held out from the training files (val_ratio 0.2), not the test split');
  const onTest = withSplit({ source: 'test', n: 10000 });
  assert.equal(describeRun(onTest), '3/3 · best 45.00% · last 50.00%');
  assert.equal(describeValSplit(onTest.valSplit), 'the test split (10,000 images)');
  // A malformed field is ignored (older or foreign logs), as is its absence: the test split.
  assert.equal(withSplit({ source: 'train', n: 3 }).valSplit, undefined);
  assert.equal(withSplit('held_out').valSplit, undefined);
  assert.equal(describeValSplit(undefined), 'the test split');
});

test('topError and durations', () => {
  assert.equal(topError(0.9612), 3.88);
  assert.equal(formatDuration(12), '12s');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatDuration(3720), '1h02m');
});

test('output folder: experiments/<model>_<depth>/expNN, next free number', () => {
  assert.equal(nextExpName([]), 'exp00');
  assert.equal(nextExpName(['exp00', 'exp02']), 'exp01');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-ws-'));
  const cfg = checkConfig(fs.readFileSync('configs/cifar/wrn.yaml', 'utf8'), 'wrn.yaml', ['model.wrn.depth', '16']);
  assert.ok(cfg.ok);
  assert.equal(proposeOutputDir(ws, cfg.config), 'experiments/wrn_16/exp00');
  fs.mkdirSync(path.join(ws, 'experiments/wrn_16/exp00'), { recursive: true });
  assert.equal(proposeOutputDir(ws, cfg.config), 'experiments/wrn_16/exp01');
  const vgg = checkConfig(fs.readFileSync('configs/cifar/vgg.yaml', 'utf8'), 'vgg.yaml', []);
  assert.ok(vgg.ok);
  assert.equal(proposeOutputDir(ws, vgg.config), 'experiments/vgg/exp00');
  fs.rmSync(ws, { recursive: true });
});

test('overrides: split like a shell, checked like the runtime', () => {
  assert.deepEqual(splitOverrides(' scheduler.epochs 2  scheduler.milestones [1, 2] train.output_dir "a b" '), ['scheduler.epochs', '2', 'scheduler.milestones', '[1, 2]', 'train.output_dir', '"a b"']);
  assert.deepEqual(splitOverrides(''), []);
  const bad = checkConfig('', 'x.yaml', ['train.epochs', '2']);
  assert.equal(bad.ok, false);
  assert.match((bad as { message: string }).message, /^command line: train\.epochs: unknown key \(did you mean/);
  assert.equal(checkConfig('', 'x.yaml', ['scheduler.epochs']).ok, false);
  assert.deepEqual(withOutputDir(['a', '1', 'train.output_dir', 'x', 'b', '2'], 'y'), ['a', '1', 'b', '2', 'train.output_dir', 'y']);
});

test('runtime launch: source with tsx in a repository, else the bundle', () => {
  const src = runtimeLaunch({ mode: 'auto', node: 'node', workspace: '/ws', extensionDir: '/ext', cli: 'train', args: ['--config', 'c.yaml'], exists: () => true });
  assert.deepEqual(src, { command: 'node', args: ['--import', 'tsx', '/ws/runtime/cli/train.ts', '--config', 'c.yaml'], cwd: '/ws' });
  const bundle = runtimeLaunch({ mode: 'auto', node: '/opt/node', workspace: '/ws', extensionDir: '/ext', cli: 'evaluate', args: [], exists: () => false });
  assert.deepEqual(bundle, { command: '/opt/node', args: ['/ext/dist/cli/evaluate.js'], cwd: '/ws' });
  assert.equal(runtimeLaunch({ mode: 'bundle', node: 'node', workspace: '/ws', extensionDir: '/ext', cli: 'train', args: [], exists: () => true }).args[0], '/ext/dist/cli/train.js');
});

test('progress: epoch, loss and ETA from events, incrementally', () => {
  const events = readEvents(path.join(ROOT, 'wrn_16/exp00')).events;
  const start = Date.parse(events[0].time);
  const first = events.slice(0, 4); // run_start, epoch 0, two steps of epoch 1
  const p1 = foldProgress(undefined, first, start + 10_000, start);
  assert.equal(p1.epochs, 3);
  assert.equal(p1.epoch, 0);
  assert.equal(p1.step, 4);
  assert.equal(p1.fraction, 4 / 12);
  assert.equal(p1.etaS, 20); // 4 steps in 10 s, 8 left
  assert.equal(progressMessage(p1, formatDuration), 'epoch 1/3 · loss 0.400 · ETA 20s');
  const p2 = foldProgress(p1, events.slice(4), start + 30_000, start);
  assert.equal(p2.done, true);
  assert.equal(p2.fraction, 1);
  assert.equal(p2.etaS, 0);
});

test('download progress: the runtime\'s plain progress lines are what the extension reads', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'icl-dl-progress-')), 'log.txt');
  const logger = new Logger(true);
  logger.attachFile(file);
  const progress = new DownloadProgress(logger, false);
  for (const done of [0, 5e6, 60e6, 120e6, 162.6e6]) progress.update('cifar-10-python.tar.gz', done, 162.6e6);
  progress.stop();
  logger.close();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  assert.deepEqual(lines.map((l) => parseDownloadLine(l)?.percent), [0, 36, 73, 100], 'one line per 10 % step reached');
  const last = parseDownloadLine(lines[3])!;
  assert.equal(last.file, 'cifar-10-python.tar.gz');
  assert.match(downloadMessage(last), /^downloading cifar-10-python\.tar\.gz 100% \(162\.6 of 162\.6 MB, [\d.]+ MB\/s, ETA 0s\)$/);
  assert.equal(parseDownloadLine('[2026-01-01 00:00:00] INFO: downloaded cifar-10-python.tar.gz (162.6 MB)'), undefined);
});
