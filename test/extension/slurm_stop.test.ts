/**
 * Stop in the Runs view for runs submitted to Slurm (extension/runs/slurm.ts): which runs offer Stop
 * (a pending or running job, even without events), and what Stop does with the runtime's
 * stopSlurmRun (stubbed here; tested with scancel in test/slurm/cancel.test.ts): its message, an
 * error as an error toast, and a fall-through to the local process when Slurm has nothing to stop.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SlurmStopResult } from '../../runtime/protocol/slurm_stop';
import { isActiveSlurmJob, stopSlurmJob } from '../../extension/runs/slurm';

test('Stop is offered for pending and running Slurm jobs, not for ended or unknown ones', () => {
  for (const state of ['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING']) assert.equal(isActiveSlurmJob({ jobId: '1', state }), true, state);
  for (const state of ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'UNKNOWN']) assert.equal(isActiveSlurmJob({ jobId: '1', state }), false, state);
  assert.equal(isActiveSlurmJob(undefined), false);
});

test('Stop of a Slurm run goes through stopSlurmRun; errors are shown; nothing to stop falls back to the process', async () => {
  const asked: string[] = [];
  const stub = (result: Partial<SlurmStopResult> | Error) => async (dir: string): Promise<SlurmStopResult> => {
    asked.push(dir);
    if (result instanceof Error) throw result;
    return { action: 'none', message: '', ...result };
  };
  const run = { dir: '/x/run', name: 'run', state: 'empty', slurm: { jobId: '5', state: 'PENDING' } };
  assert.deepEqual(await stopSlurmJob(run, stub({ action: 'cancelled', message: 'Cancelled Slurm job 5 of run (it was PENDING).' })), { level: 'info', message: 'Cancelled Slurm job 5 of run (it was PENDING).' });
  assert.deepEqual(await stopSlurmJob({ ...run, state: 'running', slurm: { jobId: '5', state: 'UNKNOWN' } }, stub({ action: 'signalled', message: 'Stopping run' })), { level: 'info', message: 'Stopping run' });
  assert.deepEqual(await stopSlurmJob(run, stub(new Error('scancel not found (scancel): stop the job on a Slurm login node'))), { level: 'error', message: 'Could not stop run: scancel not found (scancel): stop the job on a Slurm login node' });
  assert.deepEqual(await stopSlurmJob(run, stub({ action: 'none', message: 'Slurm job 5 of run has ended (COMPLETED).' })), { level: 'warn', message: 'Slurm job 5 of run has ended (COMPLETED).' });
  // a run resumed outside Slurm after its job: the local process is stopped instead
  assert.equal(await stopSlurmJob({ ...run, state: 'running', slurm: { jobId: '5', state: 'UNKNOWN' } }, stub({ action: 'none' })), undefined);
  assert.equal(asked.length, 5);
  assert.equal(await stopSlurmJob({ ...run, slurm: { jobId: '5', state: 'COMPLETED' } }, stub({})), undefined);
  assert.equal(await stopSlurmJob({ ...run, slurm: undefined }, stub({})), undefined);
  assert.equal(asked.length, 5, 'ended jobs and local runs are not asked');
});
