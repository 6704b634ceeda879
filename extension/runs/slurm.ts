/**
 * Slurm jobs of run folders for the Runs view: a run folder submitted with `npm run submit -- --slurm`
 * holds `slurm/jobs.json`; the state of its newest job comes from the runtime's reader
 * (squeue, then sacct, then scontrol). Polled at most every POLL_MS per run and only while the job
 * is not final; a reader that fails or does not know the job gives `UNKNOWN` (never throws).
 * No vscode import.
 */
import * as fs from 'node:fs';
import { FINAL_STATES, newestJobId, runSlurmState, slurmJobsFile, type SlurmJobState } from '../../runtime/protocol/slurm_jobs';
import { stopSlurmRun, type SlurmStopResult } from '../../runtime/protocol/slurm_stop';

/** Minimum time between two state queries of one run. */
export const SLURM_POLL_MS = 10_000;

/** What the Runs view shows of a run's Slurm job. */
export interface SlurmInfo {
  readonly jobId: string;
  /** Slurm's state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, …), or UNKNOWN. */
  readonly state: string;
  readonly reason?: string;
  readonly elapsed?: string;
}

/** The state reader (the runtime's `runSlurmState`; tests pass a stub). */
export type SlurmStateReader = (runDir: string) => Promise<SlurmJobState | undefined>;

/** Whether a run folder was submitted to Slurm (holds slurm/jobs.json). */
export function hasSlurmJobs(dir: string): boolean {
  return fs.existsSync(slurmJobsFile(dir));
}

export const isFinalSlurmState = (state: string): boolean => FINAL_STATES.includes(state);

/** Whether a run's Slurm job is known to be pending or running (Stop then scancels it). */
export const isActiveSlurmJob = (s: SlurmInfo | undefined): boolean => s !== undefined && s.state !== 'UNKNOWN' && !isFinalSlurmState(s.state);

/** A message for the user after Stop. */
export interface StopMessage {
  level: 'info' | 'warn' | 'error';
  message: string;
}

/**
 * Stop of a run whose Slurm job is not known to have ended: the runtime's `stopSlurmRun` asks the
 * job's state now and cancels a pending job or sends SIGTERM to a running one (the run checkpoints).
 * Undefined when this is not a Slurm matter: no job, a final job, or Slurm has nothing to stop while
 * the run's events say it is running (it runs outside Slurm: the caller stops its process).
 */
export async function stopSlurmJob(
  run: { dir: string; name: string; state: string; slurm?: SlurmInfo },
  stop: (dir: string, opts: { name: string }) => Promise<SlurmStopResult> = stopSlurmRun,
): Promise<StopMessage | undefined> {
  if (!run.slurm || isFinalSlurmState(run.slurm.state)) return undefined;
  try {
    const r = await stop(run.dir, { name: run.name });
    if (r.action === 'none' && run.state === 'running') return undefined;
    return { level: r.action === 'none' ? 'warn' : 'info', message: r.message };
  } catch (err) {
    return { level: 'error', message: `Could not stop ${run.name}: ${(err as Error).message}` };
  }
}

/** `Slurm 123 RUNNING` (with the reason of a pending job). */
export function describeSlurm(s: SlurmInfo): string {
  return `Slurm ${s.jobId} ${s.state}${s.state === 'PENDING' && s.reason ? ` (${s.reason})` : ''}`;
}

interface Entry {
  info: SlurmInfo;
  checkedAt: number;
}

/** Caches and polls the Slurm states of run folders. */
export class SlurmPoller {
  private readonly cache = new Map<string, Entry>();
  private inFlight = false;

  constructor(
    private readonly reader: SlurmStateReader = (dir) => runSlurmState(dir),
    private readonly intervalMs = SLURM_POLL_MS,
  ) {}

  /** The last known state of a run folder with Slurm jobs (`UNKNOWN` before the first answer), else undefined. */
  get(dir: string): SlurmInfo | undefined {
    const jobId = newestJobId(dir);
    if (!jobId) return undefined;
    const c = this.cache.get(dir);
    return c && c.info.jobId === jobId ? c.info : { jobId, state: 'UNKNOWN' };
  }

  /** Folders whose state is due: a job not final, not asked within the interval (or a new job). */
  due(dirs: readonly string[], now: number): string[] {
    return dirs.filter((dir) => {
      const jobId = newestJobId(dir);
      if (!jobId) return false;
      const c = this.cache.get(dir);
      if (!c || c.info.jobId !== jobId) return true;
      return !isFinalSlurmState(c.info.state) && now - c.checkedAt >= this.intervalMs;
    });
  }

  /**
   * Asks the reader for the due folders (one poll at a time). Resolves true when a state changed.
   * Errors and jobs the reader does not know become UNKNOWN.
   */
  async poll(dirs: readonly string[], now = Date.now()): Promise<boolean> {
    if (this.inFlight) return false;
    const due = this.due(dirs, now);
    if (!due.length) return false;
    this.inFlight = true;
    let changed = false;
    try {
      for (const dir of due) {
        const jobId = newestJobId(dir);
        if (!jobId) continue;
        let info: SlurmInfo;
        try {
          const s = await this.reader(dir);
          info = s && s.job_id === jobId ? { jobId, state: s.state || 'UNKNOWN', reason: s.reason, elapsed: s.elapsed } : { jobId, state: 'UNKNOWN' };
        } catch {
          info = { jobId, state: 'UNKNOWN' };
        }
        const prev = this.cache.get(dir)?.info;
        if (!prev || prev.jobId !== info.jobId || prev.state !== info.state || prev.reason !== info.reason) changed = true;
        this.cache.set(dir, { info, checkedAt: now });
      }
    } finally {
      this.inFlight = false;
    }
    for (const k of [...this.cache.keys()]) if (!dirs.includes(k)) this.cache.delete(k);
    return changed;
  }
}
