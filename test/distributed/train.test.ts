/**
 * Data-parallel training through the CLI (`npm run train -- --nproc_per_node 2 …`) on the libtorch
 * backend with c10d Gloo: 2 workers × batch 32 take the same steps as 1 worker × batch 64 (a BN-free
 * tiny VGG, no random augmentation); a 2-worker run of the small synthetic Fashion-MNIST-shaped
 * recipe trains to the band of one worker; a stop (SIGINT to the launcher) and a dying worker
 * (SIGKILL of rank 1, named in run_end) end the run cleanly, and resuming ends exactly where an
 * uninterrupted 2-worker run ends. Skipped with the reason when the addon is not built with Gloo.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { EpochEvent, RunEndEvent, RunStartEvent, StepEvent } from '../../runtime/protocol';
import { loadCheckpoint } from '../../runtime/train/checkpoint';
import { events, runCli, startCli, tempDir, waitForEvent, writeSyntheticMnist } from '../cli/fixtures';
import { writeCifar10 } from '../data/fixtures';
import { skip } from './c10d';

const work = tempDir('icl-dist-train-');
const cifar = path.join(work, 'cifar');
const mnist = path.join(work, 'mnist');
writeCifar10(cifar, 200, 50);
writeSyntheticMnist(mnist, 640, 200);

/** A 754-parameter VGG without batch norm (5 stages of one 4-channel conv) on 32×32×3. */
function vggArgs(out: string, extra: string[] = []): string[] {
  return [
    'dataset.name', 'CIFAR10', 'dataset.dataset_dir', cifar, 'device', 'libtorch',
    'model.name', 'vgg', 'model.vgg.n_channels', '[4, 4, 4, 4, 4]', 'model.vgg.n_layers', '[1, 1, 1, 1, 1]', 'model.vgg.use_bn', 'False',
    'augmentation.use_random_crop', 'False', 'augmentation.use_random_horizontal_flip', 'False',
    'train.base_lr', '0.05', 'scheduler.type', 'cosine', 'train.val_first', 'False', 'train.val_period', '0',
    'train.log_period', '1', 'train.checkpoint_period', '1', 'train.output_dir', out,
    ...extra,
  ];
}

function weights(file: string): Map<string, Float32Array> {
  const ck = loadCheckpoint(file);
  return new Map(Object.entries(ck.params).map(([k, t]) => [k, t.values as Float32Array]));
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let m = 0;
  for (const [k, va] of a) {
    const vb = b.get(k)!;
    for (let i = 0; i < va.length; i++) m = Math.max(m, Math.abs(va[i] - vb[i]));
  }
  return m;
}

function lastVal(runDir: string): number {
  const ep = events(runDir).filter((e): e is EpochEvent => e.type === 'epoch' && e.val !== undefined);
  return ep[ep.length - 1].val!.accuracy;
}

describe('npm run train -- --nproc_per_node 2', { skip }, () => {
  it('2 workers × batch 32 take the same 3 steps as 1 worker × batch 64 (weights equal to 1e-5)', async () => {
    const one = path.join(work, 'one');
    const two = path.join(work, 'two');
    const common = ['dataset.max_train_samples', '192', 'scheduler.epochs', '1'];
    const [r1, r2] = await Promise.all([
      runCli('train', vggArgs(one, [...common, 'train.batch_size', '64', 'num_threads', '1'])),
      runCli('train', ['--nproc_per_node', '2', ...vggArgs(two, [...common, 'train.batch_size', '32'])]),
    ]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r2.code, 0, r2.stderr);
    const s1 = events(one).find((e): e is RunStartEvent => e.type === 'run_start')!;
    const s2 = events(two).find((e): e is RunStartEvent => e.type === 'run_start')!;
    assert.equal(s1.world_size, 1);
    assert.equal(s2.world_size, 2);
    assert.equal(s2.workers!.length, 2);
    assert.equal(s2.steps_per_epoch, 3);
    assert.equal(s1.steps_per_epoch, 3);
    const steps1 = events(one).filter((e): e is StepEvent => e.type === 'step');
    const steps2 = events(two).filter((e): e is StepEvent => e.type === 'step');
    assert.equal(steps2.length, 3);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(steps1[i].loss - steps2[i].loss) < 1e-5, `step ${i + 1} loss ${steps1[i].loss} vs ${steps2[i].loss}`);
    assert.ok(steps2.every((s) => typeof s.allreduce_ms === 'number' && s.allreduce_ms >= 0));
    const w1 = weights(path.join(one, 'checkpoint_00001.ckpt'));
    const w2 = weights(path.join(two, 'checkpoint_00001.ckpt'));
    const d = maxDiff(w1, w2);
    assert.ok(d < 1e-5, `max weight difference ${d}`);
    // ...and the steps did move the weights (the comparison is not vacuous)
    const init = path.join(work, 'init');
    const r0 = await runCli('train', vggArgs(init, [...common, 'train.batch_size', '64', 'train.base_lr', '0', 'num_threads', '1']));
    assert.equal(r0.code, 0, r0.stderr);
    assert.ok(maxDiff(weights(path.join(init, 'checkpoint_00001.ckpt')), w1) > 1e-3);
  });

  it('2 workers train the synthetic recipe to the accuracy band of 1 worker with the same global batch', async () => {
    const recipe = (out: string, batch: string) => [
      '--config', 'configs/cifar/resnet_preact.yaml', 'device', 'libtorch',
      'dataset.name', 'FashionMNIST', 'dataset.dataset_dir', mnist,
      'model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '8',
      'train.batch_size', batch, 'validation.batch_size', '100', 'train.base_lr', '0.1',
      'scheduler.type', 'cosine', 'scheduler.epochs', '2', 'train.val_first', 'False', 'train.log_period', '5', 'train.output_dir', out,
      'augmentation.use_random_crop', 'False', 'augmentation.use_random_horizontal_flip', 'False',
    ];
    const one = path.join(work, 'recipe1');
    const two = path.join(work, 'recipe2');
    const [r1, r2] = await Promise.all([
      runCli('train', [...recipe(one, '32'), 'num_threads', '1']),
      runCli('train', ['--nproc_per_node', '2', ...recipe(two, '16')]),
    ]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.json!.status, 'completed');
    const a1 = lastVal(one);
    const a2 = lastVal(two);
    assert.ok(a1 > 0.8 && a2 > 0.8, `accuracies 1 worker ${a1}, 2 workers ${a2}`);
    assert.ok(Math.abs(a1 - a2) < 0.1, `accuracies 1 worker ${a1}, 2 workers ${a2}`);
    assert.equal(r2.json!.val_accuracy, a2, 'the final line is rank 0\'s, with the reduced validation');
  });

  it('stops together on SIGINT, fails cleanly when a worker dies, and resumes to the uninterrupted end', async () => {
    const common = ['dataset.max_train_samples', '960', 'scheduler.epochs', '3', 'train.batch_size', '32'];
    const reference = path.join(work, 'ref');
    const out = path.join(work, 'interrupted');
    const ref = runCli('train', ['--nproc_per_node', '2', ...vggArgs(reference, common)]);

    // 1. SIGINT to the launcher: both workers stop after the same step, rank 0 checkpoints.
    const first = startCli('train', ['--nproc_per_node', '2', ...vggArgs(out, common)]);
    await waitForEvent(out, (e) => e.type === 'step' && e.epoch === 1 && e.step === 3);
    first.child.kill('SIGINT');
    const stopped = await first.done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.equal(stopped.json!.status, 'stopped');
    let ev = events(out);
    assert.equal((ev[ev.length - 1] as RunEndEvent).status, 'stopped');
    assert.match(String((ev.filter((e) => e.type === 'checkpoint').pop() as { path: string }).path), /checkpoint_00000_step000\d\d\.ckpt$/);

    // 2. Resume; SIGKILL rank 1 after the epoch-2 checkpoint: rank 0 records the failure.
    const second = startCli('train', ['--resume', out, '--nproc_per_node', '2']);
    const start = (await waitForEvent(out, (e) => e.type === 'run_start' && e.resumed_from !== undefined)) as RunStartEvent;
    await waitForEvent(out, (e) => e.type === 'checkpoint' && e.epoch === 2);
    process.kill(start.workers!.find((w) => w.rank === 1)!.pid, 'SIGKILL');
    const failed = await second.done;
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /worker rank 1 was killed by SIGKILL/);
    ev = events(out);
    const end = ev[ev.length - 1] as RunEndEvent;
    assert.equal(end.type, 'run_end');
    assert.equal(end.status, 'failed');
    assert.match(end.error!.message, /rank 1 of 2 did not answer/);

    // 3. Resume again: completes, and ends where the uninterrupted run ends.
    const third = await runCli('train', ['--resume', out, '--nproc_per_node', '2']);
    assert.equal(third.code, 0, third.stderr);
    const r = await ref;
    assert.equal(r.code, 0, r.stderr);
    ev = events(out);
    assert.equal(ev.filter((e) => e.type === 'run_start').length, 3);
    assert.equal((ev[ev.length - 1] as RunEndEvent).status, 'completed');
    const d = maxDiff(weights(path.join(out, 'checkpoint_00003.ckpt')), weights(path.join(reference, 'checkpoint_00003.ckpt')));
    assert.equal(d, 0, `max weight difference ${d}`);
  });
});
