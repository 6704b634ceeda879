/**
 * A run folder's Slurm jobs: the jobs submitted for it (`<run>/slurm/jobs.json`, written by
 * `npm run submit`; read here only) and their states: `squeue` for queued and running jobs, then
 * `sacct` for finished ones, and `scontrol show job` when accounting is disabled (a small cluster,
 * or the local test Slurm) while Slurm still remembers the job (MinJobAge). Used by the queue, the
 * submit command and the extension's Runs view; no TensorFlow.js.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SLURM_DIR, SLURM_JOBS } from './run_folder';

/** Slurm's state names (JOB_STATE_CODES), e.g. PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT. */
export type SlurmState = string;

export interface SlurmJobState {
  job_id: string;
  name?: string;
  /** Upper case, without squeue/sacct decorations (`CANCELLED by 0` → CANCELLED). */
  state: SlurmState;
  /** Why pending, or the node list when running. */
  reason?: string;
  /** Elapsed time as Slurm prints it (`1:02:03`). */
  elapsed?: string;
  /** `code:signal` of finished jobs. */
  exit_code?: string;
  source: 'squeue' | 'sacct' | 'scontrol';
}

/** States after which a job does not change any more. */
export const FINAL_STATES: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE'];

/** One entry of `<run>/slurm/jobs.json`. */
export interface SubmittedJob {
  job_id: string;
  submitted: string;
  script: string;
  cluster?: string;
}

function cleanState(s: string): string {
  return s.trim().split(/\s+/)[0].replace(/\+$/, '').toUpperCase();
}

/** Parses `squeue -h -o '%i|%j|%T|%M|%R'`. */
export function parseSqueue(text: string): SlurmJobState[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [id, name, state, elapsed, reason] = l.split('|');
    return { job_id: id.trim(), name, state: cleanState(state ?? ''), elapsed, reason: reason?.replace(/^\(|\)$/g, ''), source: 'squeue' as const };
  });
}

/** Parses `sacct -n -P -X -o JobID,JobName,State,Elapsed,ExitCode`. */
export function parseSacct(text: string): SlurmJobState[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [id, name, state, elapsed, exit] = l.split('|');
    return { job_id: id.trim(), name, state: cleanState(state ?? ''), elapsed, exit_code: exit, source: 'sacct' as const };
  });
}

/** Parses `scontrol show job -o ID` (one line of Key=Value pairs per job). */
export function parseScontrol(text: string): SlurmJobState[] {
  return text.split('\n').filter((l) => /JobId=/.test(l)).map((l) => {
    const kv = new Map<string, string>();
    for (const m of l.matchAll(/(\w+)=(\S*)/g)) if (!kv.has(m[1])) kv.set(m[1], m[2]);
    const reason = kv.get('Reason');
    return {
      job_id: kv.get('JobId') ?? '',
      name: kv.get('JobName'),
      state: cleanState(kv.get('JobState') ?? ''),
      elapsed: kv.get('RunTime'),
      exit_code: kv.get('ExitCode'),
      ...(reason && reason !== 'None' ? { reason } : {}),
      source: 'scontrol' as const,
    };
  });
}

/** Runs a command and returns its stdout, or undefined when it fails (no Slurm, unknown job). */
export type CommandRunner = (cmd: string, args: string[]) => Promise<string | undefined>;

export const execCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: 15_000, maxBuffer: 16 << 20 }, (err, stdout) => resolve(err ? undefined : stdout));
  });

/**
 * The states of `ids` (job ids as sbatch printed them). Jobs Slurm no longer knows are absent.
 * @param run how commands are run (tests pass a fake)
 */
export async function slurmJobStates(ids: string[], run: CommandRunner = execCommand): Promise<Map<string, SlurmJobState>> {
  const out = new Map<string, SlurmJobState>();
  if (ids.length === 0) return out;
  const list = ids.join(',');
  const sq = await run('squeue', ['-h', '-j', list, '-o', '%i|%j|%T|%M|%R']);
  for (const j of parseSqueue(sq ?? '')) if (ids.includes(j.job_id)) out.set(j.job_id, j);
  let missing = ids.filter((id) => !out.has(id));
  if (missing.length === 0) return out;
  const sa = await run('sacct', ['-n', '-P', '-X', '-j', missing.join(','), '-o', 'JobID,JobName,State,Elapsed,ExitCode']);
  for (const j of parseSacct(sa ?? '')) if (missing.includes(j.job_id)) out.set(j.job_id, j);
  missing = missing.filter((id) => !out.has(id));
  for (const id of missing) {
    const sc = await run('scontrol', ['show', 'job', '-o', id]);
    for (const j of parseScontrol(sc ?? '')) if (j.job_id === id) out.set(id, j);
  }
  return out;
}

/** The path of a run folder's `slurm/jobs.json`. */
export function slurmJobsFile(runDir: string): string {
  return path.join(runDir, SLURM_DIR, SLURM_JOBS);
}

/** One entry of jobs.json, checked; undefined when it has no job id. Job ids are kept as text. */
function toSubmittedJob(v: unknown): SubmittedJob | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const e = v as Record<string, unknown>;
  if (typeof e.job_id !== 'string' && typeof e.job_id !== 'number') return undefined;
  return {
    job_id: String(e.job_id),
    submitted: typeof e.submitted === 'string' ? e.submitted : '',
    script: typeof e.script === 'string' ? e.script : '',
    ...(typeof e.cluster === 'string' ? { cluster: e.cluster } : {}),
  };
}

/**
 * The jobs submitted for a run folder, oldest first: `[]` when it has no jobs.json or the file is
 * not a JSON list; entries without a job id are left out.
 */
export function submittedJobs(runDir: string): SubmittedJob[] {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(slurmJobsFile(runDir), 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  return v.map(toSubmittedJob).filter((j): j is SubmittedJob => j !== undefined);
}

/** The newest job id recorded in a run folder's jobs.json, or undefined. */
export function newestJobId(runDir: string): string | undefined {
  return submittedJobs(runDir).at(-1)?.job_id;
}

/** The state of the newest job submitted for a run folder, or undefined (none, or Slurm forgot it). */
export async function runSlurmState(runDir: string, run: CommandRunner = execCommand): Promise<SlurmJobState | undefined> {
  const jobs = submittedJobs(runDir);
  const last = jobs[jobs.length - 1];
  if (!last) return undefined;
  return (await slurmJobStates([last.job_id], run)).get(last.job_id);
}
