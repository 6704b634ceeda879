/**
 * Latency of the synchronised-BN collective (./sync_collective.ts) between processes on this
 * machine: `node --import tsx runtime/dist/sync_collective_bench.ts [--nproc N] [--channels 16,64,256,640] [--reps 200]`.
 * Starts N processes (ranks), each joins a ring and a SyncCollective, then for each channel count C
 * times `reps` blocking all-reduces of 2C+1 float64 values (one BN forward) after a barrier and
 * prints the median and 90th percentile per operation, µs (rank 0's view, including waiting for
 * the slowest rank).
 */
import { spawn } from 'node:child_process';
import { freePort } from './ports';
import { RingComm } from './ring';
import { SyncCollective } from './sync_collective';

/** One row of the bench: C channels, 2C+1 values, times in µs. */
export interface SyncBenchRow {
  channels: number;
  medianUs: number;
  p90Us: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function worker(): Promise<void> {
  const channels = arg('channels', '16,64,256,640').split(',').map(Number);
  const reps = Number(arg('reps', '200'));
  const comm = await RingComm.connect({ rank: Number(process.env.ICL_RANK), worldSize: Number(process.env.ICL_WORLD_SIZE), masterAddr: '127.0.0.1', masterPort: Number(process.env.ICL_MASTER_PORT) });
  const coll = await SyncCollective.create(comm);
  const rows: SyncBenchRow[] = [];
  for (const c of channels) {
    const buf = new Float64Array(2 * c + 1);
    for (let i = 0; i < 20; i++) coll.allReduce(buf); // warm-up
    await comm.barrier();
    const t: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      coll.allReduce(buf);
      t.push((performance.now() - t0) * 1000);
    }
    t.sort((a, b) => a - b);
    rows.push({ channels: c, medianUs: t[Math.floor(reps / 2)], p90Us: t[Math.floor(reps * 0.9)] });
  }
  coll.close();
  comm.close();
  if (comm.rank === 0) process.stdout.write(`${JSON.stringify(rows)}\n`);
}

async function main(): Promise<void> {
  const n = Number(arg('nproc', '2'));
  const port = await freePort();
  const outs = await Promise.all(
    Array.from({ length: n }, (_, rank) => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
        env: { ...process.env, ICL_BENCH_WORKER: '1', ICL_RANK: String(rank), ICL_WORLD_SIZE: String(n), ICL_MASTER_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`rank ${rank} exited with code ${code}`))));
    })),
  );
  const rows = JSON.parse(outs[0]) as SyncBenchRow[];
  process.stdout.write(`sync-BN collective, ${n} processes: ${rows.map((r) => `C=${r.channels} (${2 * r.channels + 1} float64): median ${r.medianUs.toFixed(0)} µs, p90 ${r.p90Us.toFixed(0)} µs`).join('; ')}\n`);
}

if (require.main === module) {
  (process.env.ICL_BENCH_WORKER ? worker() : main()).catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
}
