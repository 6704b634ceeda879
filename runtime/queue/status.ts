/**
 * The status file of a queue, `<queue folder>/queue.json`: written atomically by the queue
 * runner at every change, read by the extension (and by a resumed queue). Version 1:
 *
 *   { "version": 1, "file", "output_dir", "status", "parallel", "slots", "pid", "host", "updated",
 *     "runs": [{ "name", "config", "overrides", "output_dir", "status", "slot"?, "pid"?, "exit_code"?,
 *                "started"?, "ended"?, "error"?, "log", "attempts", "job_id"?, "jobs"?, "job_state"? }] }
 *
 * Run status: `pending` (not started), `running`, `completed`, `stopped` (SIGINT/SIGTERM; resumable),
 * `failed` (see `error` and `log`), `cancelled` (Slurm queues: the job was cancelled). Queue status:
 * `running`, `completed` (every run completed), `stopped`, `failed` (it ended with failed runs). A
 * `running` status whose `pid` is gone on `host` means the queue runner was killed; running the queue
 * again continues it. A queue submitted to Slurm (`slots: "slurm"`, runtime/queue/slurm.ts) records
 * each run's job (`job_id`, every job id in `jobs`, Slurm's `job_state`); its `pid` is the submitting
 * command's, and `running` there means some jobs are pending or running.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTextAtomic } from '../util/atomic';

export const QUEUE_STATUS_FILE = 'queue.json';
export const QUEUE_STATUS_VERSION = 1;

export type QueueRunStatus = 'pending' | 'running' | 'completed' | 'stopped' | 'failed' | 'cancelled';
export type QueueStatusValue = 'running' | 'completed' | 'stopped' | 'failed';

export interface QueueRunRecord {
  name: string;
  /** Config file, absolute; absent for the defaults. */
  config?: string;
  overrides: string[];
  /** The run folder (holds events.jsonl once started). */
  output_dir: string;
  status: QueueRunStatus;
  /** GPU id (CUDA_VISIBLE_DEVICES) or CPU slot `cpuN` of the last attempt (absent under Slurm). */
  slot?: string;
  pid?: number;
  exit_code?: number | null;
  /** ISO 8601 times of the last attempt. */
  started?: string;
  ended?: string;
  /** Last error line of a failed run. */
  error?: string;
  /** Output of the training command (all attempts, appended). */
  log: string;
  /** Times it was started (1 + resumes); under Slurm, times it was submitted. */
  attempts: number;
  /** Slurm queues: the newest job of the run, as sbatch printed it. */
  job_id?: string;
  /** Slurm queues: every job submitted for the run, oldest first. */
  jobs?: string[];
  /** Slurm queues: the job's state as Slurm last said it (PENDING, RUNNING, COMPLETED, FAILED, …; UNKNOWN when forgotten). */
  job_state?: string;
}

export interface QueueStatus {
  version: number;
  /** The queue file, absolute. */
  file: string;
  output_dir: string;
  status: QueueStatusValue;
  /** Runs at a time (Slurm queues: the number of runs; Slurm schedules them). */
  parallel: number;
  /** `gpu` (one run per GPU), `cpu`, or `slurm` (one job per run). */
  slots: 'gpu' | 'cpu' | 'slurm';
  pid: number;
  host: string;
  updated: string;
  runs: QueueRunRecord[];
}

/** Writes the status file atomically (util/atomic.ts). */
export function writeQueueStatus(dir: string, status: QueueStatus): void {
  fs.mkdirSync(dir, { recursive: true });
  writeTextAtomic(path.join(dir, QUEUE_STATUS_FILE), `${JSON.stringify({ ...status, updated: new Date().toISOString() }, null, 2)}\n`);
}

/** The status of the queue in `dir`, or undefined when it has none (or it is unreadable). */
export function readQueueStatus(dir: string): QueueStatus | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, QUEUE_STATUS_FILE), 'utf8')) as QueueStatus;
    return s && Array.isArray(s.runs) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** True when a queue that says `running` has a live runner (same host, pid alive). */
export function queueRunnerAlive(s: QueueStatus): boolean {
  if (s.status !== 'running') return false;
  if (s.host !== os.hostname()) return true;
  try {
    process.kill(s.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
