/**
 * Runs a queue of experiments (runtime/queue/file.ts) with a fixed number of slots: one per GPU
 * (each run pinned with `CUDA_VISIBLE_DEVICES`) when GPUs are visible, else `parallel` runs at a
 * time on the CPU, sharing the cores (cores / parallel threads each, through `ICL_NUM_THREADS`, unless the run sets
 * `num_threads`).
 * Every run is the training CLI in its own process, its output appended to
 * `<queue folder>/logs/<name>.log`; the queue's status file (runtime/queue/status.ts) is rewritten
 * at every change.
 *
 * Stop: SIGINT/SIGTERM is forwarded once to the running runs (each stops after its current step
 * with a checkpoint), no run is started after it, and the queue ends `stopped`. Running the queue
 * again continues it: completed runs are skipped, stopped, failed and interrupted ones resume from
 * their run folder (`--resume`), pending ones start.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../config';
import { threadsPerWorker, visibleGpus } from '../distributed/launch';
import { NUM_THREADS_ENV } from '../distributed/threads';
import { hasRunConfig } from '../protocol/run_folder';
import { FINAL_STATES, slurmJobStates } from '../protocol/slurm_jobs';
import type { QueueEntry, QueueFile } from './file';
import { queueRunnerAlive, readQueueStatus, writeQueueStatus, QUEUE_STATUS_FILE, QUEUE_STATUS_VERSION, type QueueRunRecord, type QueueStatus } from './status';

export interface QueueOptions {
  queue: QueueFile;
  /** Runs at a time on the CPU (wins over the file's `parallel`); default 1. */
  parallel?: number;
  /** GPUs to use; default {@link visibleGpus} (none: CPU slots). */
  gpus?: string[];
  /** The training CLI (default: train.ts/.js next to the queue CLI). */
  trainScript?: string;
  execArgv?: string[];
  log?: (line: string) => void;
}

/** The training CLI next to this module's CLI folder (source: .ts, bundle: .js). */
export function defaultTrainScript(): string {
  const ext = path.extname(__filename);
  const cliDir = path.basename(__dirname) === 'queue' ? path.join(__dirname, '..', 'cli') : __dirname;
  return path.join(cliDir, `train${ext}`);
}

function lastErrorLine(logFile: string): string | undefined {
  try {
    const text = fs.readFileSync(logFile, 'utf8');
    const lines = text.trimEnd().split('\n');
    return [...lines].reverse().find((l) => l.startsWith('error: ') || / ERROR: /.test(l))?.replace(/^error: /, '');
  } catch {
    return undefined;
  }
}

/**
 * The command line of one attempt of a run: a fresh start, or `--resume` when its folder holds a run
 * (`--start-over`: continuing the queue trains a run killed before its first checkpoint again).
 */
export function runArgs(e: QueueEntry): string[] {
  if (hasRunConfig(e.outputDir)) return ['--resume', e.outputDir, '--start-over', ...e.args];
  return [...(e.config ? ['--config', e.config] : []), ...e.args, ...e.overrides, 'train.output_dir', e.outputDir];
}

/**
 * @throws Error when another live runner owns the queue folder, or its Slurm jobs (a queue submitted
 *   to Slurm) have not ended
 */
async function refuseIfRunningElsewhere(q: QueueFile, previous: QueueStatus | undefined): Promise<void> {
  if (previous && previous.pid !== process.pid && queueRunnerAlive(previous)) {
    throw new Error(`the queue in ${q.outputDir} is already running (pid ${previous.pid}); stop it first (SIGINT)`);
  }
  // A queue submitted to Slurm whose jobs still run there must not be run here at the same time.
  const jobs = (previous?.runs ?? []).filter((r) => r.job_id && (r.status === 'pending' || r.status === 'running'));
  if (jobs.length === 0) return;
  const states = await slurmJobStates(jobs.map((r) => r.job_id!));
  const live = jobs.filter((r) => { const s = states.get(r.job_id!)?.state; return s !== undefined && !FINAL_STATES.includes(s); });
  if (live.length > 0) throw new Error(`the queue in ${q.outputDir} has Slurm jobs that have not ended (${live.map((r) => `${r.name}: job ${r.job_id}`).join(', ')}); wait for them or scancel them before running it here`);
}

/** The status record of a run at the queue's start: completed runs stay so, others are pending or stopped (resumed). */
function runRecord(e: QueueEntry, previous: QueueStatus | undefined, logs: string): QueueRunRecord {
  const old = previous?.runs.find((r) => r.name === e.name);
  return {
    name: e.name,
    ...(e.config ? { config: e.config } : {}),
    overrides: e.overrides,
    output_dir: e.outputDir,
    status: old?.status === 'completed' ? 'completed' : old && old.status !== 'pending' ? 'stopped' : 'pending',
    attempts: old?.attempts ?? 0,
    log: path.join(logs, `${e.name}.log`),
    ...(old?.status === 'completed' ? { started: old.started, ended: old.ended, exit_code: old.exit_code, slot: old.slot } : {}),
  };
}

/**
 * Runs the queue to its end (or until stopped).
 * @returns the final status (also in the status file)
 * @throws Error when another live runner owns the queue folder
 */
export async function runQueue(o: QueueOptions): Promise<QueueStatus> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const q = o.queue;
  const previous = readQueueStatus(q.outputDir);
  await refuseIfRunningElsewhere(q, previous);
  const gpus = o.gpus ?? visibleGpus();
  const slots = gpus.length > 0 ? gpus : Array.from({ length: o.parallel ?? q.parallel ?? 1 }, (_, i) => `cpu${i}`);
  const onGpu = gpus.length > 0;
  const logs = path.join(q.outputDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const runs = q.entries.map((e) => runRecord(e, previous, logs));
  const status: QueueStatus = {
    version: QUEUE_STATUS_VERSION,
    file: q.file,
    output_dir: q.outputDir,
    status: 'running',
    parallel: slots.length,
    slots: onGpu ? 'gpu' : 'cpu',
    pid: process.pid,
    host: os.hostname(),
    updated: '',
    runs,
  };
  const save = () => writeQueueStatus(q.outputDir, status);
  save();
  const skipped = runs.filter((r) => r.status === 'completed').length;
  log(`queue ${q.file}: ${runs.length} runs (${skipped} already completed), ${slots.length} at a time on ${onGpu ? `GPUs ${gpus.join(',')}` : 'the CPU'}; status in ${path.join(q.outputDir, QUEUE_STATUS_FILE)}`);

  const script = o.trainScript ?? defaultTrainScript();
  const execArgv = o.execArgv ?? process.execArgv;
  const children = new Map<number, ReturnType<typeof spawn>>();
  let stopping: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stopping) log(`${sig}: stopping the running runs after their current step (send again to stop them at once)`);
    stopping = sig;
    for (const c of children.values()) c.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const free = [...slots];
  const todo = runs.map((r, i) => ({ r, e: q.entries[i] })).filter(({ r }) => r.status !== 'completed');
  await new Promise<void>((resolve) => {
    const startNext = () => {
      while (!stopping && free.length > 0 && todo.length > 0) {
        const { r, e } = todo.shift()!;
        const slot = free.shift()!;
        const numThreads = loadConfig({ configFile: e.config, overrides: e.overrides }).num_threads;
        const threads = onGpu || numThreads > 0 ? undefined : threadsPerWorker(0, slots.length);
        const args = runArgs(e);
        const fd = fs.openSync(r.log, 'a');
        fs.writeSync(fd, `\n# ${new Date().toISOString()} ${args.includes('--resume') ? 'resume' : 'start'}: ${[script, ...args].join(' ')}\n`);
        const child = spawn(process.execPath, [...execArgv, script, ...args], {
          // The core share travels in the environment so the run's config keeps num_threads as given.
          env: { ...process.env, ...(onGpu ? { CUDA_VISIBLE_DEVICES: slot } : {}), ...(threads === undefined ? {} : { [NUM_THREADS_ENV]: String(threads) }) },
          stdio: ['ignore', fd, fd, 'ipc'],
          detached: true,
        });
        fs.closeSync(fd);
        Object.assign(r, { status: 'running', slot, pid: child.pid, started: new Date().toISOString(), attempts: r.attempts + 1 });
        delete r.ended;
        delete r.error;
        delete r.exit_code;
        save();
        log(`${r.name}: started on ${slot} (${r.output_dir})`);
        children.set(child.pid!, child);
        const finish = (code: number | null, signal: NodeJS.Signals | null) => {
          if (!children.delete(child.pid!)) return;
          r.exit_code = code;
          r.ended = new Date().toISOString();
          r.status = code === 0 ? 'completed' : code === 130 || (signal && stopping) ? 'stopped' : 'failed';
          if (r.status === 'failed') r.error = lastErrorLine(r.log) ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
          delete r.pid;
          save();
          log(`${r.name}: ${r.status}${r.error ? `: ${r.error}` : ''}`);
          free.push(slot);
          startNext();
          if (children.size === 0 && (stopping || todo.length === 0)) resolve();
        };
        child.on('exit', finish);
        child.on('error', (err) => {
          fs.appendFileSync(r.log, `error: ${err.message}\n`);
          finish(1, null);
        });
      }
      if (children.size === 0 && (stopping || todo.length === 0)) resolve();
    };
    startNext();
  });
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  status.status = stopping ? 'stopped' : runs.some((r) => r.status === 'failed') ? 'failed' : 'completed';
  save();
  log(`queue ${status.status}: ${runs.filter((r) => r.status === 'completed').length}/${runs.length} runs completed`);
  return status;
}
