/**
 * The worker launcher of `npm run train -- --nproc_per_node N …` (torch.distributed.launch's
 * counterpart): starts N copies of the training CLI on this machine as ranks 0..N-1 of one
 * process group, each with `train.distributed True`, its share of the CPU threads, and its GPU
 * (`CUDA_VISIBLE_DEVICES`) when there are GPUs; forwards SIGINT/SIGTERM to them (they stop together
 * after the same step, see trainer.ts); and when a worker dies, lets the others fail cleanly
 * (their all-reduce reports the lost rank and rank 0 writes `run_end` failed), forcing them after
 * a grace period. When rank 0 itself is killed, the launcher writes the `run_end` it could not.
 *
 * Workers run in their own process group (a terminal's Ctrl-C reaches only the launcher, which
 * forwards it once) and hold an IPC channel to it: a worker whose launcher disappears stops as on
 * SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EVENTS_FILE, type EpochEvent } from '../protocol/events';
import { parseEvents } from '../protocol/reader';
import { EventWriter } from '../protocol/writer';
import { freePort } from './ports';
import { NUM_THREADS_ENV } from './threads';

export interface LaunchOptions {
  /** Workers to start. */
  nproc: number;
  /** Arguments of the training CLI for every worker (without --nproc_per_node). */
  args: string[];
  /** The CLI script (default: this process's, process.argv[1]). */
  script?: string;
  /** Node options (default: this process's, e.g. `--import tsx`). */
  execArgv?: string[];
  /** The config's `device` and `num_threads`. */
  device: string;
  numThreads: number;
  /** Absolute run folder (to close its event log if rank 0 is killed). */
  outputDir: string;
  /** Seconds the other workers get to fail on their own after one died; default 30. */
  graceSeconds?: number;
  /** Extra environment of the workers. */
  env?: NodeJS.ProcessEnv;
  /** Where the launcher's own lines go; default stderr. */
  log?: (line: string) => void;
}

/** GPUs the workers may use: `CUDA_VISIBLE_DEVICES` when set, else what `nvidia-smi -L` lists. */
export function visibleGpus(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CUDA_VISIBLE_DEVICES !== undefined) return env.CUDA_VISIBLE_DEVICES.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== '-1');
  try {
    const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) return [];
    return r.stdout.split('\n').map((l) => /^GPU (\d+):/.exec(l)?.[1]).filter((s): s is string => s !== undefined);
  } catch {
    return [];
  }
}

/** Compute threads per worker: `num_threads` when set, else the cores shared out (at least 1). */
export function threadsPerWorker(numThreads: number, nproc: number, cores = os.availableParallelism()): number {
  return numThreads > 0 ? numThreads : Math.max(1, Math.floor(cores / nproc));
}

/** How each worker is started. */
export interface WorkerPlan {
  rank: number;
  env: Record<string, string>;
  args: string[];
}

/** The rank, environment and arguments of every worker (pure; see {@link launchWorkers}). */
export function planWorkers(o: Pick<LaunchOptions, 'nproc' | 'args' | 'device' | 'numThreads'>, masterPort: number, gpus: string[], cores?: number): WorkerPlan[] {
  const threads = threadsPerWorker(o.numThreads, o.nproc, cores);
  const useGpus = gpus.length > 0 && ['auto', 'cuda', 'gpu'].includes(o.device);
  return Array.from({ length: o.nproc }, (_, rank) => {
    const env: Record<string, string> = {
      ICL_RANK: String(rank),
      ICL_LOCAL_RANK: String(rank),
      ICL_WORLD_SIZE: String(o.nproc),
      ICL_MASTER_ADDR: '127.0.0.1',
      ICL_MASTER_PORT: String(masterPort),
    };
    if (useGpus) env.CUDA_VISIBLE_DEVICES = gpus[rank % gpus.length];
    // The share travels in the environment, not as an override, so the run's config keeps num_threads as given.
    env[NUM_THREADS_ENV] = String(threads);
    return { rank, env, args: [...o.args, 'train.distributed', 'True'] };
  });
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Appends `run_end` failed to a run's event log unless it already ends with one (rank 0 was killed
 * before it could write it). No-op when the run never started.
 */
export function closeEventLog(outputDir: string, message: string): boolean {
  const file = path.join(outputDir, EVENTS_FILE);
  if (!fs.existsSync(file)) return false;
  const { events } = parseEvents(fs.readFileSync(file, 'utf8'));
  const starts = events.map((e, i) => (e.type === 'run_start' ? i : -1)).filter((i) => i >= 0);
  if (starts.length === 0) return false;
  const tail = events.slice(starts[starts.length - 1]);
  if (tail.some((e) => e.type === 'run_end')) return false;
  const start = tail[0] as { resumed_from?: { epoch: number } };
  const epochs = tail.filter((e): e is EpochEvent => e.type === 'epoch' && e.train !== undefined);
  const epoch = epochs.length ? epochs[epochs.length - 1].epoch : (start.resumed_from?.epoch ?? 0);
  const w = new EventWriter(outputDir);
  w.write({ type: 'run_end', status: 'failed', epoch, error: { message } });
  w.close();
  return true;
}

/**
 * Starts the workers and waits for them.
 * @returns the exit code for the launcher: rank 0's when every worker ended normally (0 done,
 *   130 stopped), else 1
 */
export async function launchWorkers(o: LaunchOptions): Promise<number> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const port = await freePort();
  const gpus = ['auto', 'cuda', 'gpu'].includes(o.device) ? visibleGpus() : [];
  const plans = planWorkers(o, port, gpus);
  const script = o.script ?? process.argv[1];
  const execArgv = o.execArgv ?? process.execArgv;
  const threads = plans[0].env[NUM_THREADS_ENV];
  log(
    `launching ${o.nproc} workers on this machine (${gpus.length && plans[0].env.CUDA_VISIBLE_DEVICES !== undefined ? `GPUs ${plans.map((p) => p.env.CUDA_VISIBLE_DEVICES).join(',')}` : 'CPU'}, ${threads} thread(s) each, rendezvous 127.0.0.1:${port})`,
  );
  const children: ChildProcess[] = [];
  const exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];
  let firstFailure: { rank: number; what: string } | undefined;
  const timers: NodeJS.Timeout[] = [];
  const alive = () => children.filter((_, r) => exits[r] === undefined);
  const done = plans.map(
    (p) =>
      new Promise<void>((resolve) => {
        const child = spawn(process.execPath, [...execArgv, script, ...p.args], {
          env: { ...process.env, ...o.env, ...p.env },
          stdio: ['ignore', p.rank === 0 ? 'inherit' : 'ignore', 'inherit', 'ipc'],
          detached: true,
        });
        children[p.rank] = child;
        child.on('error', (err) => {
          exits[p.rank] = { code: 1, signal: null };
          firstFailure ??= { rank: p.rank, what: `could not start: ${err.message}` };
          resolve();
        });
        child.on('exit', (code, signal) => {
          exits[p.rank] = { code, signal };
          const ok = signal === null && (code === 0 || code === 130);
          if (!ok && !firstFailure) {
            firstFailure = { rank: p.rank, what: describeExit(code, signal) };
            if (alive().length > 0) log(`worker rank ${p.rank} ${firstFailure.what}; the other workers stop`);
            const grace = (o.graceSeconds ?? 30) * 1000;
            timers.push(
              setTimeout(() => {
                for (const c of alive()) c.kill('SIGTERM');
                timers.push(setTimeout(() => alive().forEach((c) => c.kill('SIGKILL')), 10_000));
              }, grace),
            );
          }
          resolve();
        });
      }),
  );
  const forward = (sig: NodeJS.Signals) => {
    for (const c of alive()) c.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    await Promise.all(done);
  } finally {
    process.removeListener('SIGINT', forward);
    process.removeListener('SIGTERM', forward);
    for (const t of timers) clearTimeout(t);
  }
  const e0 = exits[0];
  const rank0Ok = e0.signal === null && (e0.code === 0 || e0.code === 130);
  if (!rank0Ok && (e0.signal !== null || (e0.code !== 1 && e0.code !== 2))) {
    const cause = firstFailure && firstFailure.rank !== 0 ? `worker rank ${firstFailure.rank} ${firstFailure.what}` : `worker rank 0 ${describeExit(e0.code, e0.signal)}`;
    if (closeEventLog(o.outputDir, `${cause}; resume with --resume ${o.outputDir} --nproc_per_node ${o.nproc}`)) log(`wrote run_end (failed) for ${cause}`);
  }
  if (firstFailure) {
    // Advise a resume only when there is a run to resume (a run that failed to start wrote nothing).
    const resumable = fs.existsSync(path.join(o.outputDir, 'config.yaml'));
    log(`the run failed: worker rank ${firstFailure.rank} ${firstFailure.what}${resumable ? `; resume it with: npm run train -- --resume ${o.outputDir} --nproc_per_node ${o.nproc}` : ` before its run folder ${o.outputDir} was written`}`);
    return 1;
  }
  return e0.code ?? 1;
}
