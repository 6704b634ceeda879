/**
 * Stopping Slurm jobs (runtime/slurm/cancel.ts, what the Runs view's Stop does for a submitted run):
 * scancel's arguments and errors with a fake scancel on PATH, the decision by the job's state
 * (pending: cancel; running: SIGTERM to its steps; ended or unknown: nothing), and against the local
 * one-node Slurm: a held (pending) job cancelled, and a running tiny run stopped with SIGTERM that
 * checkpoints and ends `stopped` while its job ends FAILED with exit code 130. Skipped without a
 * running Slurm, saying so (failed under ICL_REQUIRE_SLURM=1).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEndEvent } from '../../runtime/protocol';
import { cancelJob, scancelArgs, stopSlurmRun } from '../../runtime/protocol/slurm_stop';
import { FINAL_STATES, runSlurmState, slurmJobStates, type CommandRunner } from '../../runtime/protocol/slurm_jobs';
import { submitToSlurm } from '../../runtime/slurm/submit';
import { overrideValue } from '../../runtime/queue/file';
import { events, ROOT, tempDir } from '../cli/fixtures';
import { writeCifar10 } from '../data/fixtures';
import { down, skip, tinyRun } from './local';

const work = tempDir('icl-slurm-cancel-');

/** A fake scancel in its own folder, first on PATH: records its arguments; fails for job 13. */
const bin = path.join(work, 'bin');
fs.mkdirSync(bin);
fs.writeFileSync(path.join(bin, 'scancel'), [
  '#!/bin/sh',
  `echo "$@" >> ${bin}/calls`,
  'for a in "$@"; do [ "$a" = 13 ] && { echo "scancel: error: Kill job error on job id 13: Invalid job id specified" >&2; exit 1; }; done',
  'exit 0',
  '',
].join('\n'), { mode: 0o755 });
const calls = (): string[] => (fs.existsSync(path.join(bin, 'calls')) ? fs.readFileSync(path.join(bin, 'calls'), 'utf8').trim().split('\n') : []);

/** A run folder whose slurm/jobs.json names `jobId`. */
function submitted(name: string, jobId: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'slurm'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'slurm', 'jobs.json'), JSON.stringify([{ job_id: jobId, submitted: '2026-11-29T00:00:00Z', script: '' }]));
  return dir;
}

const states = (s: Record<string, string>): CommandRunner => async (cmd, args) => {
  if (cmd !== 'squeue') return undefined;
  const id = args[args.indexOf('-j') + 1];
  return s[id] ? `${id}|icl|${s[id]}|0:01|vm\n` : undefined;
};

describe('cancelJob and stopSlurmRun (fake scancel)', () => {
  it('runs scancel with the job id, or --signal (and --full) for a signal', async () => {
    assert.deepEqual(scancelArgs('7'), ['7']);
    assert.deepEqual(scancelArgs('7', { signal: 'TERM' }), ['--signal=TERM', '7']);
    assert.deepEqual(scancelArgs('7', { signal: 'TERM', full: true }), ['--signal=TERM', '--full', '7']);
    const PATH = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${PATH}`;
    try {
      await cancelJob('11');
      await cancelJob('12', { signal: 'TERM' });
      assert.deepEqual(calls(), ['11', '--signal=TERM 12']);
      await assert.rejects(cancelJob('13'), (e: Error) => e.message === 'scancel failed for job 13: Kill job error on job id 13: Invalid job id specified');
    } finally {
      process.env.PATH = PATH;
    }
    await assert.rejects(cancelJob('11', { scancel: path.join(work, 'nowhere') }), /^Error: scancel not found \(.*nowhere\): stop the job on a Slurm login node/);
    await assert.rejects(cancelJob('11; rm -rf /'), /not a Slurm job id/);
  });

  it('cancels a pending job, sends SIGTERM to a running one, leaves ended and unknown ones alone', async () => {
    fs.rmSync(path.join(bin, 'calls'), { force: true });
    const scancel = path.join(bin, 'scancel');
    const run = states({ '21': 'PENDING', '22': 'RUNNING', '23': 'COMPLETED' });
    const p = await stopSlurmRun(submitted('p', '21'), { name: 'p', scancel, run });
    assert.deepEqual([p.action, p.state], ['cancelled', 'PENDING']);
    assert.equal(p.message, 'Cancelled Slurm job 21 of p (it was PENDING).');
    const r = await stopSlurmRun(submitted('r', '22'), { name: 'r', scancel, run });
    assert.equal(r.action, 'signalled');
    assert.match(r.message, /Stopping r \(Slurm job 22, SIGTERM\): it finishes the current step, writes a checkpoint/);
    const d = await stopSlurmRun(submitted('d', '23'), { name: 'd', scancel, run });
    assert.deepEqual([d.action, d.message], ['none', 'Slurm job 23 of d has ended (COMPLETED).']);
    const u = await stopSlurmRun(submitted('u', '24'), { name: 'u', scancel, run });
    assert.deepEqual([u.action, u.state], ['none', 'UNKNOWN']);
    const n = await stopSlurmRun(path.join(work, 'none'), { name: 'n', scancel, run });
    assert.match(n.message, /n was not submitted to Slurm/);
    assert.deepEqual(calls(), ['21', '--signal=TERM 22']);
  });
});

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  for (const t0 = Date.now(); Date.now() - t0 < timeoutMs; ) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

describe('stopSlurmRun (local Slurm)', () => {
  const cifar = path.join(work, 'cifar');
  const job = (name: string, overrides: Record<string, unknown>, extra: string[] = []) => {
    const outputDir = path.join(work, name);
    const r = submitToSlurm(
      {
        outputDir,
        overrides: Object.entries(overrides).flatMap(([k, v]) => [k, overrideValue(v)]),
        cwd: ROOT,
        node: process.execPath,
        execArgv: ['--import', 'tsx'],
        trainScript: path.join(ROOT, 'runtime', 'cli', 'train.ts'),
      },
      { time: '00:05:00', extra },
    );
    return { outputDir, jobId: r.jobId! };
  };

  it('cancels a held (pending) job: CANCELLED', { skip, timeout: 60_000 }, async () => {
    assert.equal(down, undefined, `ICL_REQUIRE_SLURM=1 but ${down}`);
    writeCifar10(cifar, 60, 20);
    const { outputDir, jobId } = job('held', tinyRun(cifar), ['--hold']);
    assert.equal((await runSlurmState(outputDir))?.state, 'PENDING');
    const r = await stopSlurmRun(outputDir, { name: 'held' });
    assert.equal(r.action, 'cancelled');
    const state = await until('CANCELLED', async () => {
      const s = (await slurmJobStates([jobId])).get(jobId)?.state;
      return s && FINAL_STATES.includes(s) ? s : undefined;
    }, 30_000);
    assert.equal(state, 'CANCELLED');
    assert.deepEqual(events(outputDir), [], 'it never started');
  });

  it('stops a running job with SIGTERM: the run checkpoints and ends stopped, the job ends FAILED 130', { skip, timeout: 90_000 }, async () => {
    assert.equal(down, undefined, `ICL_REQUIRE_SLURM=1 but ${down}`);
    if (!fs.existsSync(cifar)) writeCifar10(cifar, 60, 20);
    const { outputDir, jobId } = job('long', { ...tinyRun(cifar, 60), 'scheduler.epochs': 200, 'train.log_period': 1, 'train.val_period': 0, 'train.val_first': false });
    await until('the run to train', () => (events(outputDir).some((e) => e.type === 'step') ? true : undefined), 60_000);
    const r = await stopSlurmRun(outputDir, { name: 'long' });
    assert.deepEqual([r.action, r.state], ['signalled', 'RUNNING']);
    const s = await until('the job to end', async () => {
      const st = (await slurmJobStates([jobId])).get(jobId);
      return st && FINAL_STATES.includes(st.state) ? st : undefined;
    }, 30_000);
    const log = fs.readFileSync(path.join(outputDir, 'slurm', `job-${jobId}.out`), 'utf8');
    const ev = events(outputDir);
    const end = ev[ev.length - 1] as RunEndEvent;
    assert.equal(end.type, 'run_end', log);
    assert.equal(end.status, 'stopped', log);
    assert.ok(ev.some((e) => e.type === 'checkpoint'), `a checkpoint was written\n${log}`);
    assert.ok(end.epoch < 200);
    assert.equal(s.state, 'FAILED', log);
    assert.match(s.exit_code ?? '', /^130:/);
  });
});
