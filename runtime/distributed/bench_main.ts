/**
 * Process entry of the all-reduce benchmark (./bench.ts): run alone it starts N workers and prints one JSON line per
 * size, with PyTorch DDP's figure beside ours; with `--worker` it is one of those workers (rank and port from
 * ICL_RANK, ICL_WORLD_SIZE, ICL_MASTER_PORT), on the libtorch backend.
 *
 *   node --import tsx runtime/distributed/bench_main.ts [--nproc N] [--elements 272282,36479194] [--iters 10]
 *
 * Its own file, so that bundling `bench.ts` into a CLI does not also bundle a second program's entry.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { registerLibtorchBackend } from '../backend/libtorch';
import { benchAllReduce, benchDdp, DEFAULT_SIZES, measure } from './bench';
import { ProcessGroup } from './process_group';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { worker: { type: 'boolean' }, nproc: { type: 'string' }, elements: { type: 'string' }, iters: { type: 'string' } },
  });
  const sizes = values.elements ? values.elements.split(',').map(Number) : DEFAULT_SIZES;
  const iters = values.iters ? Number(values.iters) : 10;
  if (values.worker) {
    const reg = registerLibtorchBackend('cpu', Number(process.env.ICL_NUM_THREADS ?? 1));
    if (!reg.ok) throw new Error(`libtorch backend: ${reg.reason}`);
    await tf.setBackend('libtorch');
    const rank = Number(process.env.ICL_RANK);
    const pg = ProcessGroup.join({ rank, worldSize: Number(process.env.ICL_WORLD_SIZE), localRank: rank, masterAddr: '127.0.0.1', masterPort: Number(process.env.ICL_MASTER_PORT) });
    const r = await measure(pg, sizes, iters);
    pg.close();
    if (pg.rank === 0) process.stdout.write(JSON.stringify(r));
    return;
  }
  const nproc = values.nproc ? Number(values.nproc) : 2;
  for (const n of sizes) {
    const ours = await benchAllReduce({ nproc, sizes: [n], iters });
    const ddp = await benchDdp({ nproc, sizes: [n], iters });
    process.stdout.write(`${JSON.stringify({ ...ours, ddp_ms_median: ddp.ms_median })}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = 1;
});
