/**
 * `npm run queue -- FILE --slurm`: with a fake sbatch and fake Slurm states, which runs are submitted
 * (never-submitted, failed, cancelled, stopped) and which are left alone (pending, running,
 * completed), the states recorded in queue.json, and the one-line errors of a missing or refusing
 * sbatch and of --parallel; then, against the local one-node Slurm (test/slurm/start-local-slurm.sh),
 * a queue of 2 tiny runs submitted with --slurm --wait that completes, and a second submission
 * that submits nothing. Without a running Slurm that last test is skipped, saying so (it fails under
 * ICL_REQUIRE_SLURM=1).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEndEvent } from '../../runtime/protocol';
import { readQueueFile } from '../../runtime/queue/file';
import { runQueue } from '../../runtime/queue/runner';
import { queueStatusOfJob, submitQueueToSlurm } from '../../runtime/queue/slurm';
import { readQueueStatus, type QueueStatus } from '../../runtime/queue/status';
import type { CommandRunner } from '../../runtime/protocol/slurm_jobs';
import { events, runCli, tempDir } from '../cli/fixtures';
import { writeCifar10 } from '../data/fixtures';
import { down, skip, tinyRun } from './local';

const work = tempDir('icl-slurm-queue-');

/** A fake sbatch printing job ids 101, 102, … (a counter file); it refuses once the counter reaches `refuseAt`. */
function fakeSbatch(dir: string, refuseAt = Infinity): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sbatch');
  fs.writeFileSync(file, [
    '#!/bin/sh',
    `n=$(cat ${dir}/n 2>/dev/null || echo 100); n=$((n + 1))`,
    `if [ "$n" -ge ${Number.isFinite(refuseAt) ? refuseAt : 999999} ]; then echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1; fi`,
    `echo $n > ${dir}/n; echo "$2" >> ${dir}/scripts; echo $n`,
    '',
  ].join('\n'), { mode: 0o755 });
  return file;
}

/** squeue answers from `states` (job id → state); sacct and scontrol know nothing. */
const fakeSlurm = (states: Record<string, string>): CommandRunner => async (cmd, args) => {
  if (cmd !== 'squeue') return undefined;
  const ids = args[args.indexOf('-j') + 1].split(',');
  return ids.filter((id) => states[id]).map((id) => `${id}|icl|${states[id]}|0:01|vm`).join('\n');
};

function queueFile(name: string, runs: string[]): string {
  const file = path.join(work, `${name}.yaml`);
  fs.writeFileSync(file, `output_dir: ${name}_out\nruns:\n${runs.map((r) => `  - ${r}\n`).join('')}`);
  return file;
}

describe('queue --slurm (fake sbatch and Slurm)', () => {
  it('maps Slurm states to queue statuses', () => {
    assert.deepEqual(['PENDING', 'RUNNING', 'COMPLETING', 'COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'UNKNOWN', undefined].map((s) => queueStatusOfJob(s, undefined)), ['pending', 'running', 'running', 'completed', 'cancelled', 'failed', 'failed', undefined, undefined]);
    assert.equal(queueStatusOfJob('FAILED', 'stopped'), 'stopped', 'a run stopped by SIGTERM (Stop, time limit) checkpointed');
  });

  it('submits each run once, records job ids and states, and resubmits only failed, cancelled and stopped ones', async () => {
    const bin = path.join(work, 'bin1');
    const sbatch = fakeSbatch(bin);
    const q = readQueueFile(queueFile('fake', ['{name: a}', '{name: b, nproc_per_node: 2}', '{name: c}', '{name: d}']));
    const logs: string[] = [];
    const states: Record<string, string> = {};
    const submit = () => submitQueueToSlurm({ queue: q, resources: { time: '00:05:00' }, sbatch, run: fakeSlurm(states), trainScript: '/proj/runtime/cli/train.ts', execArgv: ['--import', 'tsx'], log: (l) => logs.push(l) });
    let s = await submit();
    assert.equal(s.slots, 'slurm');
    assert.deepEqual(s.runs.map((r) => [r.name, r.job_id, r.status, r.attempts]), [['a', '101', 'pending', 1], ['b', '102', 'pending', 1], ['c', '103', 'pending', 1], ['d', '104', 'pending', 1]]);
    assert.equal(s.status, 'running');
    assert.deepEqual(readQueueStatus(q.outputDir)!.runs.map((r) => r.job_id), ['101', '102', '103', '104']);
    assert.equal(s.runs[0].log, path.join(q.outputDir, 'a', 'slurm', 'job-101.out'));
    // one job per run; the data-parallel run starts 2 workers with srun
    const b = fs.readFileSync(path.join(q.outputDir, 'b', 'slurm', 'job.sbatch'), 'utf8');
    assert.match(b, /#SBATCH --ntasks-per-node=2\n/);
    assert.match(b, /train\.distributed True/);
    assert.match(b, /#SBATCH --time=00:05:00\n/);
    assert.match(fs.readFileSync(path.join(q.outputDir, 'a', 'slurm', 'job.sbatch'), 'utf8'), /#SBATCH --ntasks-per-node=1\n/);

    Object.assign(states, { '101': 'COMPLETED', '102': 'RUNNING', '103': 'FAILED', '104': 'CANCELLED' });
    s = await submit();
    assert.deepEqual(s.runs.map((r) => [r.name, r.job_id, r.status, r.jobs]), [['a', '101', 'completed', ['101']], ['b', '102', 'running', ['102']], ['c', '105', 'pending', ['103', '105']], ['d', '106', 'pending', ['104', '106']]]);
    assert.match(logs.join('\n'), /4 runs, 2 to submit to Slurm \(2 pending, running or completed\)/);

    // Slurm forgets a job: its run's events decide (none: it is submitted again)
    Object.assign(states, { '102': 'COMPLETED', '105': 'PENDING' });
    delete states['106'];
    s = await submit();
    assert.deepEqual(s.runs.map((r) => [r.name, r.job_id, r.status]), [['a', '101', 'completed'], ['b', '102', 'completed'], ['c', '105', 'pending'], ['d', '107', 'pending']]);
    assert.equal(fs.readFileSync(path.join(bin, 'scripts'), 'utf8').trim().split('\n').length, 7, 'seven submissions in all');
  });

  it('names the file and the run when sbatch is missing or refuses; queue.json keeps what was submitted', async () => {
    const q = readQueueFile(queueFile('refused', ['{name: a}', '{name: b}', '{name: c}']));
    await assert.rejects(submitQueueToSlurm({ queue: q, resources: {}, sbatch: path.join(work, 'nowhere', 'sbatch'), run: fakeSlurm({}), log: () => undefined }), /^Error: refused\.yaml: run 1 \(a\): sbatch not found: run this on a Slurm login node/);
    const sbatch = fakeSbatch(path.join(work, 'bin2'), 102);
    await assert.rejects(
      submitQueueToSlurm({ queue: q, resources: {}, sbatch, run: fakeSlurm({}), log: () => undefined }),
      (e: Error) => /^refused\.yaml: run 2 \(b\): sbatch refused the job: sbatch: error: Batch job submission failed: Invalid partition name specified/.test(e.message) && !e.message.includes('\n'),
    );
    const s = readQueueStatus(q.outputDir) as QueueStatus;
    assert.deepEqual(s.runs.map((r) => [r.name, r.status, r.job_id]), [['a', 'pending', '101'], ['b', 'failed', undefined], ['c', 'pending', undefined]]);
    assert.equal(s.status, 'failed');
  });

  it('a local queue of the same folder refuses to start while its Slurm jobs run', async () => {
    const q = readQueueFile(queueFile('mixed', ['{name: a}']));
    await submitQueueToSlurm({ queue: q, resources: {}, sbatch: fakeSbatch(path.join(work, 'bin3')), run: fakeSlurm({}), log: () => undefined });
    const bin = path.join(work, 'bin4');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'squeue'), '#!/bin/sh\necho "101|icl|RUNNING|0:01|vm"\n', { mode: 0o755 });
    const PATH = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${PATH}`;
    try {
      await assert.rejects(runQueue({ queue: q, log: () => undefined }), /has Slurm jobs that have not ended \(a: job 101\); wait for them or scancel them/);
    } finally {
      process.env.PATH = PATH;
    }
  });

  it('the CLI refuses --parallel with --slurm, and Slurm options without it', async () => {
    const f = queueFile('cli', ['{name: a}']);
    const r = await runCli('queue', [f, '--slurm', '--parallel', '2']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error: --parallel does not apply with --slurm: every run is its own Slurm job/);
    const r2 = await runCli('queue', [f, '--partition', 'gpu']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /error: --partition applies to a queue submitted to Slurm: add --slurm/);
  });
});

describe('npm run queue -- FILE --slurm (local Slurm)', () => {
  it('submits 2 tiny runs that complete; submitting again submits nothing', { skip, timeout: 240_000 }, async () => {
    assert.equal(down, undefined, `ICL_REQUIRE_SLURM=1 but ${down}`);
    const cifar = path.join(work, 'cifar');
    writeCifar10(cifar, 60, 20);
    const file = path.join(work, 'local.yaml');
    fs.writeFileSync(file, [
      'runs:',
      `  - {name: lr05, overrides: ${JSON.stringify({ ...tinyRun(cifar), 'train.base_lr': 0.05 })}}`,
      `  - {name: lr01, overrides: ${JSON.stringify({ ...tinyRun(cifar), 'train.base_lr': 0.01 })}}`,
      '',
    ].join('\n'));
    const qdir = path.join(work, 'local_out');
    const r = await runCli('queue', [file, '--slurm', '--time', '00:10:00', '--output_dir', qdir, '--wait', '--poll-seconds', '0.5']);
    const s = readQueueStatus(qdir) as QueueStatus;
    const outs = s.runs.map((x) => (x.log && fs.existsSync(x.log) ? fs.readFileSync(x.log, 'utf8') : '')).join('\n');
    assert.equal(r.code, 0, `${r.stderr}\n${outs}`);
    assert.equal(s.status, 'completed');
    assert.deepEqual(s.runs.map((x) => [x.name, x.status, x.job_state]), [['lr05', 'completed', 'COMPLETED'], ['lr01', 'completed', 'COMPLETED']]);
    for (const x of s.runs) {
      assert.match(x.job_id!, /^\d+$/);
      const ev = events(x.output_dir);
      assert.equal((ev[ev.length - 1] as RunEndEvent).type, 'run_end');
      assert.equal((ev[ev.length - 1] as RunEndEvent).status, 'completed');
    }
    assert.deepEqual((r.json!.runs as Array<{ status: string }>).map((x) => x.status), ['completed', 'completed']);
    const again = await runCli('queue', [file, '--slurm', '--output_dir', qdir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /2 runs, 0 to submit to Slurm/);
    const s2 = readQueueStatus(qdir) as QueueStatus;
    assert.deepEqual(s2.runs.map((x) => [x.job_id, x.jobs, x.status]), s.runs.map((x) => [x.job_id, [x.job_id], 'completed']));
  });
});
