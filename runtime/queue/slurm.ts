/**
 * A queue submitted to Slurm (`npm run queue -- FILE --slurm`): one job per run, written and
 * submitted as `npm run submit -- --slurm` does (runtime/slurm: `<run>/slurm/job.sbatch`, `srun`
 * for data-parallel runs, the job starts or resumes its run). `<queue folder>/queue.json` records
 * each run's folder, job id and status, taken from Slurm (squeue, then sacct, then scontrol):
 *
 *   PENDING, REQUEUED, …        → pending     RUNNING, COMPLETING, … → running
 *   COMPLETED                   → completed   CANCELLED              → cancelled
 *   FAILED, TIMEOUT, NODE_FAIL… → failed, or stopped when the run ended `stopped` (a Stop, i.e.
 *                                 `scancel --signal=TERM`, or the time limit: it checkpointed)
 *
 * A job Slurm has forgotten counts by its run's events (completed when its last run_end is).
 * Submitting again continues the queue: runs whose job is pending, running or completed are left
 * alone; failed, cancelled, stopped and never-submitted ones are submitted (the job resumes a run
 * folder that holds a run). A run's jobs are read from `<run>/slurm/jobs.json`, so a run submitted
 * by hand is not submitted twice either.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EVENTS_FILE, type RunEvent } from '../protocol/events';
import { readEvents } from '../protocol/reader';
import { FINAL_STATES, execCommand, slurmJobStates, submittedJobs, type CommandRunner, type SlurmJobState } from '../protocol/slurm_jobs';
import { hasRunConfig, SLURM_DIR } from '../protocol/run_folder';
import type { SlurmResources } from '../slurm/script';
import { submitToSlurm } from '../slurm/submit';
import type { QueueEntry, QueueFile } from './file';
import { defaultTrainScript } from './runner';
import { queueRunnerAlive, readQueueStatus, writeQueueStatus, QUEUE_STATUS_FILE, QUEUE_STATUS_VERSION, type QueueRunRecord, type QueueRunStatus, type QueueStatus, type QueueStatusValue } from './status';

export interface SlurmQueueOptions {
  queue: QueueFile;
  /** Resources of every job; a run's `nproc_per_node` sets its workers per node. */
  resources: SlurmResources;
  /** The sbatch program (tests pass a fake); default `sbatch`. */
  sbatch?: string;
  /** How squeue/sacct/scontrol are run (tests pass a fake). */
  run?: CommandRunner;
  /** After submitting, poll the jobs until every one has ended, rewriting queue.json. */
  wait?: boolean;
  /** Poll period of `wait`, ms (default 10,000). */
  pollMs?: number;
  /** The training CLI and node options the jobs run (default: this process's). */
  trainScript?: string;
  execArgv?: string[];
  /** The submitting command's words, for the batch scripts' header comment. */
  command?: readonly string[];
  log?: (line: string) => void;
}

/** Polls of `wait` after which a job Slurm does not know any more is judged by its run's events. */
const UNKNOWN_POLLS = 3;

const PENDING_STATES = ['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT'];

/** The last run_end status in a run folder's events, if any. */
function lastRunEnd(runDir: string): string | undefined {
  const file = path.join(runDir, EVENTS_FILE);
  if (!fs.existsSync(file)) return undefined;
  let end: string | undefined;
  for (const e of readEvents(file).events as RunEvent[]) {
    if (e.type === 'run_start') end = undefined;
    else if (e.type === 'run_end') end = e.status;
  }
  return end;
}

/**
 * A run's queue status from its job's Slurm state (see the module comment); undefined when Slurm does
 * not know the job (the caller then looks at the run's events).
 */
export function queueStatusOfJob(state: string | undefined, runEnd: string | undefined): QueueRunStatus | undefined {
  if (!state || state === 'UNKNOWN') return undefined;
  if (PENDING_STATES.includes(state)) return 'pending';
  if (state === 'COMPLETED') return 'completed';
  if (state === 'CANCELLED') return 'cancelled';
  if (FINAL_STATES.includes(state)) return runEnd === 'stopped' ? 'stopped' : 'failed';
  return 'running';
}

/** The queue's status from its runs': running while a job is pending or running. */
export function slurmQueueStatus(runs: readonly QueueRunRecord[]): QueueStatusValue {
  if (runs.every((r) => r.status === 'completed')) return 'completed';
  if (runs.some((r) => r.status === 'pending' || r.status === 'running')) return 'running';
  return runs.some((r) => r.status === 'failed') ? 'failed' : 'stopped';
}

/** Whether a run of a Slurm queue is to be submitted now (its job failed, was cancelled or stopped, or there is none). */
export const needsSubmission = (r: QueueRunRecord): boolean => !r.job_id || ['failed', 'cancelled', 'stopped'].includes(r.status);

function applyState(r: QueueRunRecord, s: SlurmJobState | undefined): void {
  const runEnd = lastRunEnd(r.output_dir);
  r.job_state = s?.state ?? 'UNKNOWN';
  r.status = queueStatusOfJob(s?.state, runEnd) ?? (runEnd === 'completed' ? 'completed' : runEnd === 'stopped' ? 'stopped' : 'failed');
  if (r.status === 'failed' || r.status === 'cancelled') {
    r.error = `Slurm job ${r.job_id} ${r.job_state}${s?.exit_code ? ` (exit code ${s.exit_code})` : ''}; see ${r.log}`;
  } else delete r.error;
}

/** Job output file of a run's job. */
const jobLog = (outputDir: string, jobId: string): string => path.join(outputDir, SLURM_DIR, `job-${jobId}.out`);

/**
 * Submits the runs of a queue that are not pending, running or completed in Slurm, one job each,
 * and records them in queue.json; with `wait`, then follows the jobs to their end.
 * @returns the queue's status (also in queue.json)
 * @throws Error when another live runner owns the queue folder; `FILE: run I (NAME): …` when sbatch
 *   is missing or refuses a job, or the run folder holds something else (queue.json keeps the runs
 *   submitted before it; submitting again continues)
 */
export async function submitQueueToSlurm(o: SlurmQueueOptions): Promise<QueueStatus> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const run = o.run ?? execCommand;
  const q = o.queue;
  const previous = readQueueStatus(q.outputDir);
  if (previous && previous.pid !== process.pid && queueRunnerAlive(previous)) {
    throw new Error(`the queue in ${q.outputDir} is already running (pid ${previous.pid}${previous.slots === 'slurm' ? ', waiting for its Slurm jobs' : ''}); stop it first (SIGINT)`);
  }
  const runs: QueueRunRecord[] = q.entries.map((e) => {
    const old = previous?.runs.find((r) => r.name === e.name);
    const jobs = submittedJobs(e.outputDir).map((j) => j.job_id);
    const jobId = jobs[jobs.length - 1];
    return {
      name: e.name,
      ...(e.config ? { config: e.config } : {}),
      overrides: e.overrides,
      output_dir: e.outputDir,
      status: !jobId && (old?.status === 'completed' || lastRunEnd(e.outputDir) === 'completed') ? 'completed' : 'pending',
      attempts: Math.max(old?.attempts ?? 0, jobs.length),
      log: jobId ? jobLog(e.outputDir, jobId) : '',
      ...(jobId ? { job_id: jobId, jobs } : {}),
    };
  });
  const states = await slurmJobStates(runs.flatMap((r) => (r.job_id ? [r.job_id] : [])), run);
  for (const r of runs) if (r.job_id) applyState(r, states.get(r.job_id));
  const status: QueueStatus = {
    version: QUEUE_STATUS_VERSION,
    file: q.file,
    output_dir: q.outputDir,
    status: 'running',
    parallel: runs.length,
    slots: 'slurm',
    pid: process.pid,
    host: os.hostname(),
    updated: '',
    runs,
  };
  const save = () => writeQueueStatus(q.outputDir, status);
  const todo = runs.map((r, i) => ({ r, e: q.entries[i], i })).filter(({ r }) => needsSubmission(r) && r.status !== 'completed');
  const kept = runs.length - todo.length;
  log(`queue ${q.file}: ${runs.length} runs, ${todo.length} to submit to Slurm (${kept} pending, running or completed); status in ${path.join(q.outputDir, QUEUE_STATUS_FILE)}`);
  save();

  const trainScript = o.trainScript ?? defaultTrainScript();
  for (const { r, e, i } of todo) {
    let jobId: string | undefined;
    try {
      jobId = submitEntry(e, o, trainScript);
    } catch (err) {
      r.status = 'failed';
      r.error = (err as Error).message;
      status.status = 'failed';
      save();
      throw new Error(`${path.basename(q.file)}: run ${i + 1} (${e.name}): ${(err as Error).message}${todo.length > 1 ? ' (queue.json lists what was submitted; submit the queue again to continue)' : ''}`);
    }
    Object.assign(r, { status: 'pending', job_id: jobId, jobs: [...(r.jobs ?? []), jobId], job_state: 'PENDING', attempts: r.attempts + 1, log: jobLog(e.outputDir, jobId) });
    delete r.error;
    save();
    log(`${e.name}: submitted job ${jobId} (${e.outputDir})`);
  }
  status.status = slurmQueueStatus(runs);
  save();

  if (o.wait) {
    const ms = o.pollMs ?? 10_000;
    const unknown = new Map<string, number>();
    while (runs.some((r) => r.status === 'pending' || r.status === 'running')) {
      await new Promise((res) => setTimeout(res, ms));
      const active = runs.filter((r) => r.status === 'pending' || r.status === 'running');
      const now = await slurmJobStates(active.map((r) => r.job_id!), run);
      for (const r of active) {
        const before = r.job_state;
        const s = now.get(r.job_id!);
        // squeue can fail for a moment (a busy controller): a job not found is taken as forgotten
        // only when its run has ended or it stays unknown for a while.
        const misses = s ? 0 : (unknown.get(r.name) ?? 0) + 1;
        unknown.set(r.name, misses);
        if (!s && misses < UNKNOWN_POLLS && lastRunEnd(r.output_dir) === undefined) continue;
        applyState(r, s);
        if (r.job_state !== before) log(`${r.name}: job ${r.job_id} ${r.job_state}${r.error ? `: ${r.error}` : ''}`);
      }
      status.status = slurmQueueStatus(runs);
      save();
    }
  }
  const count = (s: QueueRunStatus) => runs.filter((r) => r.status === s).length;
  log(`queue ${status.status}: ${count('completed')}/${runs.length} completed, ${count('pending')} pending, ${count('running')} running in Slurm${count('failed') + count('cancelled') + count('stopped') ? `, ${count('failed') + count('cancelled') + count('stopped')} failed, cancelled or stopped (submit again to resume them)` : ''}`);
  return status;
}

/** Writes and submits the job of one run; returns its job id. */
function submitEntry(e: QueueEntry, o: SlurmQueueOptions, trainScript: string): string {
  const overrides: string[] = [];
  for (let j = 0; j + 1 < e.overrides.length; j += 2) if (e.overrides[j] !== 'train.output_dir') overrides.push(e.overrides[j], e.overrides[j + 1]);
  const resume = hasRunConfig(e.outputDir);
  const r = submitToSlurm(
    {
      outputDir: e.outputDir,
      configFile: e.config,
      overrides,
      cwd: process.cwd(),
      node: process.execPath,
      execArgv: o.execArgv ?? process.execArgv,
      trainScript,
      command: o.command,
    },
    { ...o.resources, ...(e.nprocPerNode !== undefined ? { nprocPerNode: e.nprocPerNode } : {}) },
    { resume, sbatch: o.sbatch },
  );
  return r.jobId!;
}
