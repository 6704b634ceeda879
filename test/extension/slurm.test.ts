import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readEvents } from '../../runtime/protocol/reader';
import { newestJobId, type SlurmJobState } from '../../runtime/protocol/slurm_jobs';
import { findRunDirs, runStatus, summarizeRun } from '../../extension/runs/collect';
import { SlurmPoller, describeSlurm, hasSlurmJobs, isFinalSlurmState, SLURM_POLL_MS } from '../../extension/runs/slurm';
import { runCli, tempDir } from '../cli/fixtures';
import { writeCifar10 } from '../data/fixtures';
import { down, skip, tinyRunArgs } from '../slurm/local';

const ROOT = path.resolve('test/extension/fixtures/slurm_runs');
const dir = (rel: string) => path.join(ROOT, rel);

/** A stub reader: states by job id; counts calls per folder. */
function stub(states: Record<string, string | Error | undefined>) {
  const calls: string[] = [];
  const reader = async (runDir: string): Promise<SlurmJobState | undefined> => {
    calls.push(path.basename(runDir));
    const id = newestJobId(runDir) ?? '';
    const s = states[id];
    if (s instanceof Error) throw s;
    return s === undefined ? undefined : { job_id: id, state: s, source: 'squeue', ...(s === 'PENDING' ? { reason: 'Priority' } : {}) };
  };
  return { reader, calls };
}

test('discovery: a submitted run without events yet is a run folder; the slurm/ folder itself is not', () => {
  assert.deepEqual(findRunDirs(ROOT).map((d) => path.relative(ROOT, d)), ['done', 'local', 'pending', 'running']);
  assert.equal(hasSlurmJobs(dir('pending')), true);
  assert.equal(hasSlurmJobs(dir('local')), false);
  assert.equal(newestJobId(dir('running')), '102');
  assert.equal(newestJobId(dir('local')), undefined);
});

test('poller: states from the reader beside the event-derived status; a pending job without events appears', async () => {
  const { reader } = stub({ '101': 'PENDING', '102': 'RUNNING', '103': 'COMPLETED' });
  const poller = new SlurmPoller(reader);
  const dirs = findRunDirs(ROOT);
  assert.deepEqual(poller.get(dir('pending')), { jobId: '101', state: 'UNKNOWN' });
  assert.equal(poller.get(dir('local')), undefined);
  assert.equal(await poller.poll(dirs, 0), true);
  const at = (rel: string, live = false) => {
    const s = summarizeRun(dir(rel), rel, readEvents(dir(rel)).events, live);
    const slurm = poller.get(dir(rel));
    return slurm ? { ...s, slurm } : s;
  };
  assert.equal(runStatus(at('pending')), 'no events yet · Slurm 101 PENDING (Priority)');
  assert.equal(at('pending').state, 'empty');
  assert.equal(runStatus(at('running', true)), 'running · Slurm 102 RUNNING');
  assert.equal(runStatus(at('done')), 'completed · Slurm 103 COMPLETED');
  assert.equal(runStatus(at('local')), 'stopped');
  assert.equal(describeSlurm({ jobId: '7', state: 'FAILED' }), 'Slurm 7 FAILED');
});

test('poller: at most every 10 s a run, and never again once final', async () => {
  const states: Record<string, string> = { '101': 'PENDING', '102': 'RUNNING', '103': 'COMPLETED' };
  const { reader, calls } = stub(states);
  const poller = new SlurmPoller(reader);
  const dirs = findRunDirs(ROOT);
  await poller.poll(dirs, 0);
  assert.deepEqual(calls.sort(), ['done', 'pending', 'running']);
  calls.length = 0;
  assert.equal(await poller.poll(dirs, SLURM_POLL_MS - 1), false);
  assert.deepEqual(calls, []);
  states['102'] = 'COMPLETED';
  assert.equal(await poller.poll(dirs, SLURM_POLL_MS), true);
  assert.deepEqual(calls.sort(), ['pending', 'running']);
  assert.equal(poller.get(dir('running'))?.state, 'COMPLETED');
  calls.length = 0;
  await poller.poll(dirs, 10 * SLURM_POLL_MS);
  assert.deepEqual(calls, ['pending']);
});

test('poller: reader errors and jobs Slurm does not know show as UNKNOWN, never thrown', async () => {
  const { reader } = stub({ '101': new Error('squeue: command not found'), '102': undefined, '103': 'FAILED' });
  const poller = new SlurmPoller(reader);
  await poller.poll(findRunDirs(ROOT), 0);
  assert.equal(poller.get(dir('pending'))?.state, 'UNKNOWN');
  assert.equal(poller.get(dir('running'))?.state, 'UNKNOWN');
  assert.equal(poller.get(dir('done'))?.state, 'FAILED');
  // UNKNOWN is not final: asked again after the interval.
  assert.deepEqual(poller.due(findRunDirs(ROOT), SLURM_POLL_MS).map((d) => path.basename(d)), ['pending', 'running']);
});

test('poller: the default reader (the runtime runSlurmState) answers without throwing, Slurm or not', async () => {
  const poller = new SlurmPoller();
  await poller.poll([dir('pending')], 0);
  assert.match(poller.get(dir('pending'))?.state ?? '', /^[A-Z_]+$/);
});

test('local Slurm: a tiny submitted run appears in the Runs view data at once and ends completed beside COMPLETED', { skip }, async () => {
  assert.equal(down, undefined, `ICL_REQUIRE_SLURM=1 but ${down}`);
  const work = tempDir('icl-ext-slurm-');
  const cifar = path.join(work, 'cifar');
  writeCifar10(cifar, 60, 20);
  const root = path.join(work, 'experiments');
  const out = path.join(root, 'tiny', 'exp00');
  const r = await runCli('submit', [
    '--slurm', '--time', '00:10:00',
    ...tinyRunArgs(cifar), 'train.output_dir', out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const jobId = String(r.json!.job_id);
  // What RunsModel.refresh does: discover, poll Slurm (interval 0 here), summarise.
  const poller = new SlurmPoller(undefined, 0);
  const view = async () => {
    const dirs = findRunDirs(root);
    await poller.poll(dirs);
    return dirs.map((d) => {
      const slurm = poller.get(d);
      const s = summarizeRun(d, path.relative(root, d), readEvents(d).events, slurm?.state === 'RUNNING');
      return slurm ? { ...s, slurm } : s;
    });
  };
  const first = await view();
  assert.deepEqual(first.map((s) => [s.name, s.slurm?.jobId]), [['tiny/exp00', jobId]]);
  let last = first[0];
  for (const t0 = Date.now(); Date.now() - t0 < 180_000 && !isFinalSlurmState(last.slurm?.state ?? ''); ) {
    await new Promise((res) => setTimeout(res, 500));
    last = (await view())[0];
  }
  const log = fs.readdirSync(path.join(out, 'slurm')).filter((f) => f.startsWith('job-')).map((f) => fs.readFileSync(path.join(out, 'slurm', f), 'utf8')).join('\n');
  assert.equal(last.slurm?.state, 'COMPLETED', log);
  assert.equal(last.state, 'completed', log);
  assert.equal(last.epoch, 1);
  assert.equal(runStatus(last), `completed · Slurm ${jobId} COMPLETED`);
});
