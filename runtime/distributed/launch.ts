/**
 * The worker launcher of `npm run train -- --nproc_per_node N …` (torch.distributed.launch's
 * counterpart): starts N copies of the training CLI on this machine as ranks 0..N-1 of one
 * process group, each with `train.distributed True`, its share of the CPU threads, and its GPU
 * (`CUDA_VISIBLE_DEVICES`) when there are GPUs; forwards SIGINT/SIGTERM to them (they stop together
 * after the same step, see trainer.ts); and when a worker dies, lets the others fail cleanly
 * (their all-reduce reports the lost rank and rank 0 writes `run_end` failed), forcing them after
 * a grace period. When rank 0 itself is killed, the launcher writes the `run_end` it could not.
 *
 * With `--nnodes M` one launcher runs on each of M machines (torchrun's `--nnodes`, `--node_rank`, `--master_addr`,
 * `--master_port`): node R's workers are ranks R·N .. R·N+N-1 of M·N, and they meet at node 0's address.
 *
 * Workers run in their own process group (a terminal's Ctrl-C reaches only the launcher, which
 * forwards it once) and hold an IPC channel to it: a worker whose launcher disappears stops as on
 * SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../config/errors';
import type { ExtraFlag } from '../config/args';
import { EVENTS_FILE, type EpochEvent } from '../protocol/events';
import { parseEvents } from '../protocol/reader';
import { hasRunConfig } from '../protocol/run_folder';
import { EventWriter } from '../protocol/writer';
import { freePort } from './ports';
import { NUM_THREADS_ENV } from './threads';

/** The launcher's own flags of `npm run train` (torchrun's names). */
export const LAUNCH_FLAGS: Record<string, ExtraFlag> = {
  nproc_per_node: { type: 'string', description: 'data-parallel worker processes on this machine (one per GPU)' },
  nnodes: { type: 'string', description: 'machines taking part, one launcher on each (default 1)' },
  node_rank: { type: 'string', description: 'this machine\'s index, 0..nnodes-1 (with --nnodes)' },
  master_addr: { type: 'string', description: 'address of node 0, where the workers meet (with --nnodes)' },
  master_port: { type: 'string', description: 'port of the rendezvous on node 0 (default: a free port with one node, 29500 with several)' },
};

/** Where this machine's launcher stands among the nodes. */
export interface NodePlace {
  nnodes: number;
  nodeRank: number;
  /** Rendezvous address (node 0's). */
  masterAddr: string;
  /** Rendezvous port; undefined: a free one (one node only). */
  masterPort?: number;
}

/**
 * The node flags of the command line.
 * @throws ConfigError naming the flag that is malformed or missing (`--nnodes` without `--master_addr`)
 */
export function nodeFlags(flags: Record<string, string | boolean>): NodePlace {
  const int = (name: string, min: number): number | undefined => {
    const v = flags[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (typeof v !== 'string' || !Number.isInteger(n) || n < min) throw new ConfigError(`--${name} must be an integer >= ${min}, got ${String(v)}`);
    return n;
  };
  const nnodes = int('nnodes', 1) ?? 1;
  const nodeRank = int('node_rank', 0);
  const masterPort = int('master_port', 1);
  if (masterPort !== undefined && masterPort > 65535) throw new ConfigError(`--master_port must be a TCP port (1-65535), got ${masterPort}`);
  const addr = typeof flags.master_addr === 'string' ? flags.master_addr : undefined;
  if (nnodes > 1) {
    if (addr === undefined) throw new ConfigError(`--nnodes ${nnodes} needs --master_addr (the address of node 0, where the workers meet)`);
    if (nodeRank === undefined) throw new ConfigError(`--nnodes ${nnodes} needs --node_rank (this machine's index, 0..${nnodes - 1})`);
    if (nodeRank >= nnodes) throw new ConfigError(`--node_rank must be below --nnodes ${nnodes}, got ${nodeRank}`);
  } else if (nodeRank !== undefined && nodeRank > 0) {
    throw new ConfigError(`--node_rank ${nodeRank} needs --nnodes (more than one machine)`);
  }
  return { nnodes, nodeRank: nodeRank ?? 0, masterAddr: addr ?? '127.0.0.1', masterPort: masterPort ?? (nnodes > 1 ? 29500 : undefined) };
}

/** The command line without the launcher's flags (`--flag value` and `--flag=value`), as the workers get it. */
export function withoutFlags(argv: string[], names: string[] = Object.keys(LAUNCH_FLAGS)): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2).split('=')[0] : undefined;
    if (name === undefined || !names.includes(name)) out.push(argv[i]);
    else if (!argv[i].includes('=')) i++;
  }
  return out;
}

export interface LaunchOptions extends Partial<NodePlace> {
  /** Workers to start on this machine. */
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
export function planWorkers(o: Pick<LaunchOptions, 'nproc' | 'args' | 'device' | 'numThreads' | 'nnodes' | 'nodeRank' | 'masterAddr'>, masterPort: number, gpus: string[], cores?: number): WorkerPlan[] {
  const threads = threadsPerWorker(o.numThreads, o.nproc, cores);
  const useGpus = gpus.length > 0 && ['auto', 'cuda', 'gpu'].includes(o.device);
  const first = (o.nodeRank ?? 0) * o.nproc;
  return Array.from({ length: o.nproc }, (_, local) => {
    const rank = first + local;
    const env: Record<string, string> = {
      ICL_RANK: String(rank),
      ICL_LOCAL_RANK: String(local),
      ICL_WORLD_SIZE: String(o.nproc * (o.nnodes ?? 1)),
      ICL_MASTER_ADDR: o.masterAddr ?? '127.0.0.1',
      ICL_MASTER_PORT: String(masterPort),
    };
    if (useGpus) env.CUDA_VISIBLE_DEVICES = gpus[local % gpus.length];
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
  const port = o.masterPort ?? (await freePort());
  const gpus = ['auto', 'cuda', 'gpu'].includes(o.device) ? visibleGpus() : [];
  const plans = planWorkers(o, port, gpus);
  const node0 = (o.nodeRank ?? 0) === 0;
  const resumeCmd = `npm run train -- --resume ${o.outputDir} --nproc_per_node ${o.nproc}${(o.nnodes ?? 1) > 1 ? ` --nnodes ${o.nnodes} --node_rank R --master_addr ${o.masterAddr} --master_port ${port}` : ''}`;
  const script = o.script ?? process.argv[1];
  const execArgv = o.execArgv ?? process.execArgv;
  const threads = plans[0].env[NUM_THREADS_ENV];
  log(
    `launching ${o.nproc} workers on this machine (ranks ${plans[0].rank}-${plans[plans.length - 1].rank} of ${plans[0].env.ICL_WORLD_SIZE}; ${gpus.length && plans[0].env.CUDA_VISIBLE_DEVICES !== undefined ? `GPUs ${plans.map((p) => p.env.CUDA_VISIBLE_DEVICES).join(',')}` : 'CPU'}, ${threads} thread(s) each, rendezvous ${plans[0].env.ICL_MASTER_ADDR}:${port})`,
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
        children[p.rank - plans[0].rank] = child;
        child.on('error', (err) => {
          exits[p.rank - plans[0].rank] = { code: 1, signal: null };
          firstFailure ??= { rank: p.rank, what: `could not start: ${err.message}` };
          resolve();
        });
        child.on('exit', (code, signal) => {
          exits[p.rank - plans[0].rank] = { code, signal };
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
  if (node0 && !rank0Ok && (e0.signal !== null || (e0.code !== 1 && e0.code !== 2))) {
    const cause = firstFailure && firstFailure.rank !== 0 ? `worker rank ${firstFailure.rank} ${firstFailure.what}` : `worker rank 0 ${describeExit(e0.code, e0.signal)}`;
    if (closeEventLog(o.outputDir, `${cause}; resume with ${resumeCmd}`)) log(`wrote run_end (failed) for ${cause}`);
  }
  if (firstFailure) {
    // Advise a resume only when there is a run to resume (a run that failed to start wrote nothing).
    const resumable = hasRunConfig(o.outputDir);
    log(`the run failed: worker rank ${firstFailure.rank} ${firstFailure.what}${resumable ? `; resume it with: ${resumeCmd}` : ` before its run folder ${o.outputDir} was written`}`);
    return 1;
  }
  return e0.code ?? 1;
}
