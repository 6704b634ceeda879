/**
 * Slurm: the batch script (tasks from --gres, options, fresh/resume branches, quoting), the
 * squeue/sacct/scontrol readers, submission bookkeeping, and, against the local one-node Slurm
 * that .ci/run starts (test/slurm/start-local-slurm.sh), a tiny 2-worker run submitted with
 * `npm run submit -- --slurm` into a folder whose name holds spaces, quotes, `$(…)` and backticks,
 * completed under srun, and its events and job state read back.
 * Without a running Slurm the last test is skipped, saying so (it fails under ICL_REQUIRE_SLURM=1).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { RunEndEvent, RunStartEvent } from '../../runtime/protocol';
import { FINAL_STATES, parseSacct, parseScontrol, parseSqueue, runSlurmState, slurmJobStates, submittedJobs } from '../../runtime/protocol/slurm_jobs';
import { onlySubmission } from '../../runtime/protocol/run_folder';
import { batchScript, gresGpus, shellQuote } from '../../runtime/slurm/script';
import { submitToSlurm } from '../../runtime/slurm/submit';
import { events, runCli, tempDir } from '../cli/fixtures';
import { writeCifar10 } from '../data/fixtures';
import { down, skip, tinyRunArgs } from './local';

const work = tempDir('icl-slurm-');

const RUN = { outputDir: '/runs/a b', configFile: '/c/wrn.yaml', overrides: ['train.batch_size', '64', 'model.wrn.depth', '16'], cwd: '/proj', node: '/usr/bin/node', execArgv: ['--import', 'tsx'], trainScript: '/proj/runtime/cli/train.ts' };

describe('slurm batch script', () => {
  it('asks for one task per GPU and starts or resumes the run with srun', () => {
    assert.deepEqual(['gpu:2', 'gpu:a100:4', 'gpu', 'mps:1,gpu:3', ''].map(gresGpus), [2, 4, 1, 3, 0]);
    const s = batchScript(RUN, { partition: 'p100', gres: 'gpu:4', time: '04:00:00', mem: '32G', extra: ['--account=lab'] });
    for (const line of ['#SBATCH --ntasks-per-node=4', '#SBATCH --nodes=1', '#SBATCH --partition=p100', '#SBATCH --gres=gpu:4', '#SBATCH --time=04:00:00', '#SBATCH --mem=32G', '#SBATCH --account=lab', '#SBATCH --output=job-%j.out', '#SBATCH --job-name=icl-a_b']) {
      assert.ok(s.includes(`${line}\n`), `${line} in\n${s}`);
    }
    assert.match(s, /^#!\/bin\/bash\n/);
    assert.match(s, /RUN_DIR='\/runs\/a b'/);
    assert.match(s, /export ICL_MASTER_ADDR="\$\(scontrol show hostnames "\$SLURM_JOB_NODELIST" \| head -n 1\)"/);
    assert.match(s, /srun --kill-on-bad-exit=0 \/usr\/bin\/node --import tsx \/proj\/runtime\/cli\/train\.ts --resume "\$RUN_DIR" --start-over train\.batch_size 64 model\.wrn\.depth 16 train\.distributed True\n/);
    assert.match(s, /srun --kill-on-bad-exit=0 \/usr\/bin\/node --import tsx \/proj\/runtime\/cli\/train\.ts --config \/c\/wrn\.yaml train\.batch_size 64 model\.wrn\.depth 16 train\.output_dir '\/runs\/a b' train\.distributed True\n/);
    const one = batchScript(RUN, { cpusPerTask: 8 });
    assert.match(one, /--ntasks-per-node=1/);
    assert.doesNotMatch(one, /train\.distributed/);
    assert.match(one, / num_threads 8\n/);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it('writes the script into the run folder, which training then accepts as a fresh run folder', () => {
    const dir = path.join(work, 'dry');
    const r = submitToSlurm({ ...RUN, outputDir: dir }, {}, { dryRun: true });
    assert.equal(r.jobId, undefined);
    assert.equal(r.script, path.join(dir, 'slurm', 'job.sbatch'));
    assert.ok(onlySubmission(dir));
    fs.writeFileSync(path.join(dir, 'config.yaml'), '');
    assert.equal(onlySubmission(dir), false);
    assert.throws(() => submitToSlurm({ ...RUN, outputDir: dir }, {}, { dryRun: true }), /already exists; submit it again with --resume/);
    assert.doesNotThrow(() => submitToSlurm({ ...RUN, outputDir: dir }, {}, { dryRun: true, resume: true }));
    // a fake sbatch records the job
    const fake = path.join(work, 'sbatch');
    fs.writeFileSync(fake, '#!/bin/sh\necho "4242;cluster1"\n', { mode: 0o755 });
    const sub = submitToSlurm({ ...RUN, outputDir: dir }, {}, { resume: true, sbatch: fake });
    assert.equal(sub.jobId, '4242');
    assert.deepEqual(submittedJobs(dir).map((j) => [j.job_id, j.cluster]), [['4242', 'cluster1']]);
  });
});

describe('slurm job states', () => {
  it('parses squeue, sacct and scontrol', () => {
    assert.deepEqual(parseSqueue('12|icl-a|RUNNING|1:02|node1\n13|icl-b|PENDING|0:00|(Resources)\n').map((j) => [j.job_id, j.state, j.reason]), [['12', 'RUNNING', 'node1'], ['13', 'PENDING', 'Resources']]);
    assert.deepEqual(parseSacct('14|icl-c|CANCELLED by 0|00:01:00|0:15\n15|x|COMPLETED|00:00:09|0:0\n').map((j) => [j.job_id, j.state, j.exit_code]), [['14', 'CANCELLED', '0:15'], ['15', 'COMPLETED', '0:0']]);
    const sc = parseScontrol('JobId=16 JobName=icl-d UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) RunTime=00:10:00 ExitCode=0:1\n');
    assert.deepEqual(sc.map((j) => [j.job_id, j.name, j.state, j.reason, j.elapsed]), [['16', 'icl-d', 'TIMEOUT', 'TimeLimit', '00:10:00']]);
    assert.ok(FINAL_STATES.includes('TIMEOUT'));
  });

  it('asks squeue, then sacct for the rest, then scontrol when accounting is off', async () => {
    const calls: string[] = [];
    const states = await slurmJobStates(['1', '2', '3'], async (cmd) => {
      calls.push(cmd);
      if (cmd === 'squeue') return '1|a|RUNNING|0:10|n1\n';
      if (cmd === 'sacct') return undefined; // "Slurm accounting storage is disabled"
      return 'JobId=2 JobName=b JobState=COMPLETED Reason=None RunTime=00:00:05 ExitCode=0:0\n';
    });
    assert.deepEqual(calls, ['squeue', 'sacct', 'scontrol', 'scontrol']);
    assert.deepEqual([...states.entries()].map(([id, s]) => [id, s.state, s.source]), [['1', 'RUNNING', 'squeue'], ['2', 'COMPLETED', 'scontrol']]);
  });
});

describe('npm run submit -- --slurm (local Slurm)', () => {
  it('submits a tiny 2-worker run that completes under srun, with its events and job state readable', { skip }, async () => {
    assert.equal(down, undefined, `ICL_REQUIRE_SLURM=1 but ${down}`);
    const cifar = path.join(work, 'cifar');
    writeCifar10(cifar, 60, 20);
    // A run folder with spaces, quotes, $(…) and backticks in its name: the job runs it unchanged.
    const out = path.join(work, `slurm run 'q' "d" $(touch PWNED1) \`touch PWNED2\``);
    const r = await runCli('submit', [
      '--slurm', '--nproc_per_node', '2', '--time', '00:10:00',
      ...tinyRunArgs(cifar, 256), 'train.output_dir', out, 'device', 'libtorch', // several processes need c10d (libtorch)
    ]);
    assert.equal(r.code, 0, r.stderr);
    const jobId = String(r.json!.job_id);
    assert.match(jobId, /^\d+$/);
    let state;
    for (const t0 = Date.now(); Date.now() - t0 < 180_000; ) {
      state = await runSlurmState(out);
      if (state && FINAL_STATES.includes(state.state)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    const log = fs.readdirSync(path.join(out, 'slurm')).filter((f) => f.startsWith('job-')).map((f) => fs.readFileSync(path.join(out, 'slurm', f), 'utf8')).join('\n');
    assert.equal(state?.state, 'COMPLETED', log);
    assert.equal(state!.job_id, jobId);
    const ev = events(out);
    const start = ev.find((e): e is RunStartEvent => e.type === 'run_start')!;
    assert.equal(start.world_size, 2);
    assert.equal((ev[ev.length - 1] as RunEndEvent).status, 'completed');
    assert.ok(log.includes(`: starting ${out}\n`), log);
    for (const d of [work, out, path.join(out, 'slurm'), process.cwd()]) assert.deepEqual(fs.readdirSync(d).filter((f) => f.startsWith('PWNED')), [], d);
  });
});
