/**
 * Cost of the gradient exchange (`npm run bench -- --allreduce N`): N processes on this machine (as
 * `--nproc_per_node N` starts them) join the c10d process group and average tensors of a model's parameter sizes
 * exactly as training does ({@link ProcessGroup.allReduceMean}: 25 MB buckets), after a barrier each time; rank 0
 * reports the median time. Beside it, PyTorch's own DistributedDataParallel (Gloo) on the same sizes
 * (scripts/bench_ddp.py, run by /usr/bin/python3 or `ICL_PYTHON`).
 *
 *   node --import tsx runtime/distributed/bench_main.ts [--nproc N] [--elements 272282,36479194] [--iters 10]
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from './ports';
import type { ProcessGroup } from './process_group';
import { NUM_THREADS_ENV } from './threads';

/** One measured set of sizes. */
export interface AllReduceBench {
  world_size: number;
  elements: number;
  tensors: number;
  megabytes: number;
  iters: number;
  /** Median wall time of one exchange, ms. */
  ms_median: number;
  ms_min: number;
  /** Algorithm bandwidth: bytes / time, GB/s. */
  algo_gb_per_s: number;
}

/** Parameter counts of ResNet-preact-20 and WRN-28-10 (CIFAR), each as one tensor, for the stand-alone run. */
export const DEFAULT_SIZES = [272_282, 36_479_194];

/** The worker side: averages tensors of `sizes` (one per size) `iters` times in a group already formed. */
export async function measure(pg: ProcessGroup, sizes: number[], iters: number): Promise<AllReduceBench> {
  const tf = await import('@tensorflow/tfjs-core');
  const tensors = sizes.map((n) => tf.fill([n], pg.rank + 1));
  const expected = (pg.worldSize + 1) / 2;
  const times: number[] = [];
  const elements = sizes.reduce((a, b) => a + b, 0);
  const reps = elements > 10_000_000 ? Math.max(3, Math.ceil(iters / 2)) : iters;
  for (let i = 0; i < reps + 2; i++) {
    pg.barrier();
    const t0 = performance.now();
    const out = pg.allReduceMean(tensors);
    const ms = performance.now() - t0;
    if (i >= 2) times.push(ms);
    const lastT = out[out.length - 1];
    const probe = tf.slice(lastT, [lastT.size - 1], [1]);
    const got = probe.dataSync()[0];
    probe.dispose();
    if (got !== expected) throw new Error(`the exchange gave ${got}, expected ${expected}`);
    tf.dispose(out);
  }
  tf.dispose(tensors);
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  return {
    world_size: pg.worldSize,
    elements,
    tensors: sizes.length,
    megabytes: (elements * 4) / 1e6,
    iters: reps,
    ms_median: med,
    ms_min: times[0],
    algo_gb_per_s: (elements * 4) / (med / 1000) / 1e9,
  };
}

/** File name the build gives bench_main.ts, beside the bundles (`dist/cli/allreduce-bench.js`). */
export const ALLREDUCE_BENCH_BUNDLE = 'allreduce-bench.js';

/** The entry the worker processes run: bench_main.ts from source (under tsx), its bundle beside a bundled CLI. */
function workerEntry(): string {
  return __filename.endsWith('.ts') ? path.join(__dirname, 'bench_main.ts') : path.join(__dirname, ALLREDUCE_BENCH_BUNDLE);
}

/**
 * stdout of `child` once it exits 0.
 * @param timeoutS with a child started `detached` (its own process group): after this many seconds the whole
 *   group is killed (SIGKILL) and the promise rejects saying so, so a stuck benchmark never hangs the bench
 * @throws Error naming `what` and the exit code with the last stderr line, or the timeout
 */
function collect(child: ReturnType<typeof spawn>, what: string, timeoutS?: number): Promise<string> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise<string>((resolve, reject) => {
    let timedOut = false;
    const timer = timeoutS === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutS * 1000);
    child.on('error', (e) => reject(new Error(`${what}: ${e.message}`)));
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (timedOut) reject(new Error(`${what} did not finish in ${timeoutS} s and was killed`));
      else if (code === 0) resolve(stdout);
      else reject(new Error(`${what} exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}

/**
 * Starts `nproc` worker processes (bench_main.ts --worker, 1 compute thread each) that exchange tensors of `sizes`
 * (a model's parameter sizes) and returns rank 0's measurement.
 */
export async function benchAllReduce(opts: { nproc: number; sizes: number[]; iters?: number }): Promise<AllReduceBench> {
  const port = await freePort();
  const iters = opts.iters ?? 10;
  const procs = Array.from({ length: opts.nproc }, (_, rank) =>
    collect(
      spawn(process.execPath, [...process.execArgv, workerEntry(), '--worker', '--elements', opts.sizes.join(','), '--iters', String(iters)], {
        env: { ...process.env, ICL_RANK: String(rank), ICL_WORLD_SIZE: String(opts.nproc), ICL_MASTER_PORT: String(port), [NUM_THREADS_ENV]: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      `all-reduce bench worker ${rank}`,
    ),
  );
  const outs = await Promise.all(procs);
  return JSON.parse(outs[0]) as AllReduceBench;
}

/** What scripts/bench_ddp.py prints: PyTorch DDP's exchange of the same sizes. */
export interface DdpBench {
  world_size: number;
  elements: number;
  iters: number;
  /** DDP backward minus plain backward, median ms. */
  ms_median: number;
  step_ms_median: number;
  local_ms_median: number;
  /** c10d's bucketed all-reduce from Python after the backward pass (no overlap, as ours), median ms. */
  bucketed_ms_median: number;
}

/** Seconds the PyTorch DDP bench may take before it is killed (WRN-28-10 needs well under a minute). */
const DDP_TIMEOUT_S = 300;

/** Times PyTorch's DistributedDataParallel (Gloo, `nproc` processes, 1 thread each) on parameters of `sizes`. */
export async function benchDdp(opts: { nproc: number; sizes: number[]; iters?: number }): Promise<DdpBench> {
  const python = process.env.ICL_PYTHON ?? (process.platform === 'linux' ? '/usr/bin/python3' : 'python3');
  const script = path.join(__dirname, '..', '..', 'scripts', 'bench_ddp.py');
  const port = await freePort();
  const out = await collect(
    spawn(python, [script, '--nproc', String(opts.nproc), '--sizes', opts.sizes.join(','), '--iters', String(opts.iters ?? 10), '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
    `PyTorch DDP bench (${python} ${path.relative(process.cwd(), script)}; needs python3-torch, or ICL_PYTHON)`,
    DDP_TIMEOUT_S,
  );
  return JSON.parse(out.trim().split('\n').pop()!) as DdpBench;
}
