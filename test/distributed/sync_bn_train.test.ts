/**
 * `train.dist.use_sync_bn True` through the CLI on the libtorch backend (c10d Gloo): with a VGG that has batch
 * norm after every conv (no random augmentation, no dropout), 2 workers × batch 32 with
 * synchronised batch norm take the same 3 steps as 1 worker × batch 64 — weights and BN running
 * statistics equal to 1e-5 — while 2 workers × 32 without it do not (each normalises with its own
 * half batch). A worker that dies while the others wait in a synchronised BN ends the run cleanly
 * with run_end failed naming it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEndEvent, RunStartEvent, StepEvent } from '../../runtime/protocol';
import { loadCheckpoint } from '../../runtime/train/checkpoint';
import { events, runCli, startCli, tempDir, waitForEvent } from '../cli/fixtures';
import { writeCifar10 } from '../data/fixtures';
import { skip } from './c10d';

const work = tempDir('icl-sync-bn-');
const cifar = path.join(work, 'cifar');
writeCifar10(cifar, 200, 50);

/** A VGG with BN after each of its 5 convs (4 channels each) on 32×32×3; one epoch of 192 images. */
function vggBnArgs(out: string, extra: string[] = []): string[] {
  return [
    'dataset.name', 'CIFAR10', 'dataset.dataset_dir', cifar, 'device', 'libtorch', 'dataset.max_train_samples', '192',
    'model.name', 'vgg', 'model.vgg.n_channels', '[4, 4, 4, 4, 4]', 'model.vgg.n_layers', '[1, 1, 1, 1, 1]', 'model.vgg.use_bn', 'True',
    'augmentation.use_random_crop', 'False', 'augmentation.use_random_horizontal_flip', 'False',
    'train.base_lr', '0.05', 'scheduler.type', 'constant', 'scheduler.epochs', '1', 'train.val_first', 'False', 'train.val_period', '0',
    'train.log_period', '1', 'train.checkpoint_period', '1', 'train.output_dir', out,
    ...extra,
  ];
}

/** Parameters and buffers (BN running statistics) of a run's first checkpoint, by name. */
function tensors(runDir: string): { params: Map<string, Float32Array>; buffers: Map<string, Float32Array> } {
  const ck = loadCheckpoint(path.join(runDir, 'checkpoint_00001.ckpt'));
  const map = (r: Record<string, { values: unknown }>) => new Map(Object.entries(r).map(([k, t]) => [k, t.values as Float32Array]));
  return { params: map(ck.params), buffers: map(ck.buffers) };
}

/** Largest |a − b| / (1 + |b|) over all tensors of two maps with the same names. */
function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let m = 0;
  for (const [k, va] of a) {
    const vb = b.get(k)!;
    for (let i = 0; i < va.length; i++) m = Math.max(m, Math.abs(va[i] - vb[i]) / (1 + Math.abs(vb[i])));
  }
  return m;
}

describe('npm run train -- --nproc_per_node 2 … train.dist.use_sync_bn True', { skip }, () => {
  it('2 workers × 32 with sync BN take the same 3 steps as 1 worker × 64 (weights and running stats to 1e-5); without it they differ', async (t) => {
    const one = path.join(work, 'one');
    const sync = path.join(work, 'sync');
    const plain = path.join(work, 'plain');
    const [r1, rs, rp] = await Promise.all([
      runCli('train', vggBnArgs(one, ['train.batch_size', '64', 'num_threads', '1'])),
      runCli('train', ['--nproc_per_node', '2', ...vggBnArgs(sync, ['train.batch_size', '32', 'train.dist.use_sync_bn', 'True'])]),
      runCli('train', ['--nproc_per_node', '2', ...vggBnArgs(plain, ['train.batch_size', '32'])]),
    ]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(rs.code, 0, rs.stderr);
    assert.equal(rp.code, 0, rp.stderr);
    assert.equal(events(sync).find((e): e is RunStartEvent => e.type === 'run_start')!.world_size, 2);
    assert.match(fs.readFileSync(path.join(sync, 'log.txt'), 'utf8'), /synchronised batch norm: statistics of the global batch of 2 workers/);
    const steps1 = events(one).filter((e): e is StepEvent => e.type === 'step');
    const stepsS = events(sync).filter((e): e is StepEvent => e.type === 'step');
    assert.equal(stepsS.length, 3);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(steps1[i].loss - stepsS[i].loss) < 1e-5, `step ${i + 1} loss ${steps1[i].loss} vs ${stepsS[i].loss}`);
    const t1 = tensors(one);
    const ts = tensors(sync);
    const tp = tensors(plain);
    assert.ok(t1.buffers.size >= 10, `${t1.buffers.size} BN buffers`);
    const dw = maxDiff(ts.params, t1.params);
    const db = maxDiff(ts.buffers, t1.buffers);
    t.diagnostic(`sync BN vs 1 worker: weights ${dw.toExponential(2)}, running stats ${db.toExponential(2)}`);
    assert.ok(dw < 1e-5, `sync BN: max relative weight difference ${dw}`);
    assert.ok(db < 1e-5, `sync BN: max relative running-stats difference ${db}`);
    // Without sync BN the same runs differ (the comparison can fail).
    const pw = maxDiff(tp.params, t1.params);
    const pb = maxDiff(tp.buffers, t1.buffers);
    t.diagnostic(`plain BN vs 1 worker: weights ${pw.toExponential(2)}, running stats ${pb.toExponential(2)}`);
    assert.ok(pw > 1e-4, `plain BN: max relative weight difference ${pw}`);
    assert.ok(pb > 1e-4, `plain BN: max relative running-stats difference ${pb}`);
  });

  it('a worker killed during a synchronised run ends it with run_end failed naming that worker', async () => {
    const out = path.join(work, 'killed');
    // Far more steps than it takes to kill rank 1 mid-run (30 epochs of 3 steps).
    const run = startCli('train', ['--nproc_per_node', '2', ...vggBnArgs(out, ['train.batch_size', '32', 'train.dist.use_sync_bn', 'True', 'scheduler.epochs', '30'])]);
    const start = (await waitForEvent(out, (e) => e.type === 'run_start')) as RunStartEvent;
    await waitForEvent(out, (e) => e.type === 'step' && e.epoch === 1 && e.step === 2);
    process.kill(start.workers!.find((w) => w.rank === 1)!.pid, 'SIGKILL');
    const t0 = Date.now();
    const failed = await run.done;
    assert.ok(Date.now() - t0 < 30_000, `the run took ${Date.now() - t0} ms to fail`);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /worker rank 1 was killed by SIGKILL/);
    const ev = events(out);
    const end = ev[ev.length - 1] as RunEndEvent;
    assert.equal(end.type, 'run_end');
    assert.equal(end.status, 'failed');
    assert.match(end.error!.message, /rank 1 of 2 did not answer/);
  });
});
