/**
 * Stopping Slurm jobs with `scancel`: a pending job is cancelled; a running one gets SIGTERM in its
 * job steps (the training processes that `srun` started), so the trainer finishes its current step,
 * writes a checkpoint and `run_end` stopped, and the run can be resumed. The batch shell itself is not
 * signalled (no `--full`): killing it would end the job and make Slurm send a second SIGTERM, which
 * stops the trainer at once without a checkpoint. The job then ends FAILED with exit code 130 (the
 * trainer's exit code when stopped), not CANCELLED. No tfjs import (the extension uses it).
 */
import { execFile } from 'node:child_process';
import { FINAL_STATES, execCommand, slurmJobStates, submittedJobs, type CommandRunner } from './slurm_jobs';

export interface CancelOptions {
  /** Signal name sent instead of cancelling (`TERM`, `INT`, …; scancel's `--signal`). */
  signal?: string;
  /** With `signal`: also signal the batch shell (scancel's `--full`); by default only the job steps. */
  full?: boolean;
  /** The scancel program (tests pass a fake). Default `scancel` on PATH. */
  scancel?: string;
  /** Time limit of the scancel command, ms (default 15,000). */
  timeoutMs?: number;
}

/** The arguments of `scancel` for {@link cancelJob}. */
export function scancelArgs(jobId: string, opts: Pick<CancelOptions, 'signal' | 'full'> = {}): string[] {
  return [...(opts.signal ? [`--signal=${opts.signal}`] : []), ...(opts.signal && opts.full ? ['--full'] : []), jobId];
}

/**
 * Cancels a Slurm job, or with `signal` sends it that signal (the job goes on until its processes exit).
 * @param jobId as sbatch printed it (digits, maybe `_array index`)
 * @throws Error `scancel not found: …` when scancel is not installed; `scancel failed for job ID: …`
 *   with scancel's last error line when it refuses (unknown job, job already ended, not yours)
 */
export function cancelJob(jobId: string, opts: CancelOptions = {}): Promise<void> {
  if (!/^\d+(_\d+)?$/.test(jobId)) return Promise.reject(new Error(`not a Slurm job id: ${JSON.stringify(jobId)}`));
  const cmd = opts.scancel ?? 'scancel';
  return new Promise((resolve, reject) => {
    execFile(cmd, scancelArgs(jobId, opts), { timeout: opts.timeoutMs ?? 15_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.code === 'ENOENT') return reject(new Error(`scancel not found (${cmd}): stop the job on a Slurm login node (or install slurm-client)`));
      if (e.killed) return reject(new Error(`scancel did not answer within ${(opts.timeoutMs ?? 15_000) / 1000} s for job ${jobId}`));
      const line = String(stderr).trim().split('\n').pop() || e.message.split('\n')[0];
      reject(new Error(`scancel failed for job ${jobId}: ${line.replace(/^scancel: (error: )?/, '')}`));
    });
  });
}

/** What {@link stopSlurmRun} did. */
export interface SlurmStopResult {
  /** The newest job of the run folder, undefined when it has none. */
  jobId?: string;
  /** Its state before the stop (UNKNOWN when Slurm does not know it). */
  state?: string;
  /** `cancelled` (was pending), `signalled` (was running: SIGTERM), `none` (nothing to stop). */
  action: 'cancelled' | 'signalled' | 'none';
  /** One line for the user. */
  message: string;
}

/** Job states in which the job's processes are (or are about to be) running: SIGTERM them. */
const ACTIVE_STATES = ['RUNNING', 'CONFIGURING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'RESIZING', 'SUSPENDED', 'STOPPED'];

/**
 * Stops the newest Slurm job of a run folder (`<run>/slurm/jobs.json`), its state asked now: a pending
 * (or held, requeued) job is cancelled; a running one gets `scancel --signal=TERM` (its steps only), so
 * the trainer checkpoints and ends `stopped`; a finished or unknown job is left alone.
 * @param name how the run is named in the message (default: the folder)
 * @throws Error from {@link cancelJob} when scancel is missing or refuses
 */
export async function stopSlurmRun(runDir: string, opts: { name?: string; scancel?: string; run?: CommandRunner } = {}): Promise<SlurmStopResult> {
  const name = opts.name ?? runDir;
  const jobs = submittedJobs(runDir);
  const jobId = jobs[jobs.length - 1]?.job_id;
  if (!jobId) return { action: 'none', message: `${name} was not submitted to Slurm (no slurm/jobs.json).` };
  const state = (await slurmJobStates([jobId], opts.run ?? execCommand)).get(jobId)?.state ?? 'UNKNOWN';
  if (state === 'UNKNOWN') return { jobId, state, action: 'none', message: `Slurm does not know job ${jobId} of ${name} (any more); nothing to stop.` };
  if (FINAL_STATES.includes(state)) return { jobId, state, action: 'none', message: `Slurm job ${jobId} of ${name} has ended (${state}).` };
  if (ACTIVE_STATES.includes(state)) {
    await cancelJob(jobId, { signal: 'TERM', scancel: opts.scancel });
    return { jobId, state, action: 'signalled', message: `Stopping ${name} (Slurm job ${jobId}, SIGTERM): it finishes the current step, writes a checkpoint, and can be resumed.` };
  }
  await cancelJob(jobId, { scancel: opts.scancel });
  return { jobId, state, action: 'cancelled', message: `Cancelled Slurm job ${jobId} of ${name} (it was ${state}).` };
}
