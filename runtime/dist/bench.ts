/**
 * Cost of the gradient all-reduce: N processes on this machine (as `--nproc_per_node N` starts
 * them) all-reduce float32 buffers of a model's parameter count, after a barrier each time, and
 * rank 0 reports the time per all-reduce, as one JSON line per size:
 *
 *   node --import tsx runtime/dist/bench_main.ts [--nproc N] [--elements 272282,1730522] [--iters 20]
 *
 * Default sizes: ResNet-preact-20 (272,282 parameters), ResNet-preact-110 (1,730,522) and
 * WRN-28-10 (36,479,194). `benchAllReduce` is the function behind it.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from './ports';
import { RingComm } from './ring';

/** One measured size. */
export interface AllReduceBench {
  world_size: number;
  elements: number;
  megabytes: number;
  iters: number;
  /** Median wall time of one all-reduce, ms. */
  ms_median: number;
  ms_min: number;
  /** Algorithm bandwidth: buffer bytes / time, and the ring's bus bandwidth 2(N-1)/N · that, GB/s. */
  algo_gb_per_s: number;
  bus_gb_per_s: number;
}

export const DEFAULT_SIZES = [272_282, 1_730_522, 36_479_194];

/** The worker side: measures `sizes` in a group already formed; rank 0 returns the results. */
export async function measure(comm: RingComm, sizes: number[], iters: number): Promise<AllReduceBench[]> {
  const out: AllReduceBench[] = [];
  for (const n of sizes) {
    const buf = new Float32Array(n).fill(comm.rank + 1);
    const expected = (comm.worldSize * (comm.worldSize + 1)) / 2;
    const times: number[] = [];
    const reps = n > 10_000_000 ? Math.max(3, Math.ceil(iters / 4)) : iters;
    for (let i = 0; i < reps + 2; i++) {
      await comm.barrier();
      const t0 = performance.now();
      await comm.allReduce(buf);
      if (i >= 2) times.push(performance.now() - t0);
      if (buf[n - 1] !== expected) throw new Error(`all-reduce of ${n} elements gave ${buf[n - 1]}, expected ${expected}`);
      buf.fill(comm.rank + 1);
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)];
    const W = comm.worldSize;
    out.push({
      world_size: W,
      elements: n,
      megabytes: (n * 4) / 1e6,
      iters: reps,
      ms_median: med,
      ms_min: times[0],
      algo_gb_per_s: (n * 4) / (med / 1000) / 1e9,
      bus_gb_per_s: (((n * 4) / (med / 1000)) * (2 * (W - 1))) / W / 1e9,
    });
  }
  return out;
}

/** File name the build gives bench_main.ts, beside the bundles (`dist/cli/allreduce-bench.js`). */
export const ALLREDUCE_BENCH_BUNDLE = 'allreduce-bench.js';

/** The entry the worker processes run: bench_main.ts from source (under tsx), its bundle beside a bundled CLI. */
function workerEntry(): string {
  return __filename.endsWith('.ts') ? path.join(__dirname, 'bench_main.ts') : path.join(__dirname, ALLREDUCE_BENCH_BUNDLE);
}

/** Starts `nproc` worker processes (bench_main.ts --worker) and returns rank 0's measurements. */
export async function benchAllReduce(opts: { nproc: number; sizes?: number[]; iters?: number }): Promise<AllReduceBench[]> {
  const port = await freePort();
  const sizes = opts.sizes ?? DEFAULT_SIZES;
  const iters = opts.iters ?? 20;
  const procs = Array.from({ length: opts.nproc }, (_, rank) => {
    const child = spawn(process.execPath, [...process.execArgv, workerEntry(), '--worker', '--elements', sizes.join(','), '--iters', String(iters)], {
      env: { ...process.env, ICL_RANK: String(rank), ICL_WORLD_SIZE: String(opts.nproc), ICL_MASTER_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    return new Promise<string>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`bench worker ${rank} exited with code ${code}`)))));
  });
  const outs = await Promise.all(procs);
  return JSON.parse(outs[0]) as AllReduceBench[];
}
