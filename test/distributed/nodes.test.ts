/**
 * `--nnodes`: two launchers on this machine (two "nodes" on 127.0.0.1, one worker each) complete a tiny run
 * together; and the bad input of multi-process training gets one line each: `--nnodes` without `--master_addr`,
 * several processes on wasm, a config backend this runtime lacks, a rendezvous that times out (naming address,
 * port and the rank that did not arrive). Skipped with the reason when the addon is not built with Gloo.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../../runtime/distributed/ports';
import type { RunEndEvent, RunStartEvent } from '../../runtime/protocol';
import { events, runCli, tempDir } from '../cli/fixtures';
import { writeCifar10 } from '../data/fixtures';
import { skip } from './c10d';

const work = tempDir('icl-dist-nodes-');
const cifar = path.join(work, 'cifar');
writeCifar10(cifar, 100, 20);

function tinyArgs(out: string): string[] {
  return [
    'dataset.name', 'CIFAR10', 'dataset.dataset_dir', cifar, 'device', 'libtorch', 'dataset.max_train_samples', '64',
    'model.name', 'vgg', 'model.vgg.n_channels', '[4, 4, 4, 4, 4]', 'model.vgg.n_layers', '[1, 1, 1, 1, 1]', 'model.vgg.use_bn', 'False',
    'train.batch_size', '16', 'scheduler.epochs', '1', 'train.val_first', 'False', 'train.output_dir', out,
  ];
}

describe('several machines and bad input', { skip }, () => {
  it('two launchers with --nnodes 2 on 127.0.0.1 (one worker each) complete a run as ranks 0 and 1', async () => {
    const out = path.join(work, 'two-nodes');
    const port = String(await freePort());
    const node = (rank: number) => runCli('train', ['--nnodes', '2', '--node_rank', String(rank), '--master_addr', '127.0.0.1', '--master_port', port, '--nproc_per_node', '1', ...tinyArgs(out)]);
    const [n0, n1] = await Promise.all([node(0), node(1)]);
    assert.equal(n0.code, 0, n0.stderr);
    assert.equal(n1.code, 0, n1.stderr);
    assert.match(n1.stderr, /ranks 1-1 of 2/);
    const ev = events(out);
    const start = ev.find((e): e is RunStartEvent => e.type === 'run_start')!;
    assert.equal(start.world_size, 2);
    assert.deepEqual(start.workers!.map((w) => w.rank), [0, 1]);
    assert.equal((ev[ev.length - 1] as RunEndEvent).status, 'completed');
    assert.equal(n0.json!.status, 'completed');
  });

  it('bad input: one line and exit 2 (flags, wasm, backend), or naming the ranks that did not arrive', async () => {
    const out = path.join(work, 'bad');
    const noAddr = await runCli('train', ['--nnodes', '2', '--node_rank', '0', '--nproc_per_node', '1', ...tinyArgs(out)]);
    assert.equal(noAddr.code, 2);
    assert.match(noAddr.stderr, /^error: --nnodes 2 needs --master_addr/m);
    const wasm = await runCli('train', ['--nproc_per_node', '2', ...tinyArgs(out), 'device', 'wasm']);
    assert.equal(wasm.code, 2);
    assert.match(wasm.stderr, /^error: training in several processes needs the libtorch backend .*not device wasm/m);
    const mpi = await runCli('train', ['--nproc_per_node', '2', ...tinyArgs(out), 'train.dist.backend', 'mpi']);
    assert.equal(mpi.code, 2);
    assert.match(mpi.stderr, /train\.dist\.backend: mpi is not available/);
    // Rank 0 of 2 alone: the rendezvous times out naming rank 1.
    const port = await freePort();
    const alone = spawn(process.execPath, ['--import', 'tsx', 'runtime/cli/train.ts', ...tinyArgs(out)], {
      env: { ...process.env, ICL_RANK: '0', ICL_WORLD_SIZE: '2', ICL_MASTER_ADDR: '127.0.0.1', ICL_MASTER_PORT: String(port), ICL_DIST_TIMEOUT_S: '2' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    alone.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => alone.on('close', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, new RegExp(`^error: rank 0: rendezvous at 127\\.0\\.0\\.1:${port} timed out after 2 s: rank 1 of 2 did not arrive$`, 'm'));
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  });
});
