/**
 * Process entry of the all-reduce benchmark (./bench.ts): run alone it starts N workers and prints one JSON line per
 * size; with `--worker` it is one of those workers (rank and port from ICL_RANK, ICL_WORLD_SIZE, ICL_MASTER_PORT).
 *
 *   node --import tsx runtime/dist/bench_main.ts [--nproc N] [--elements 272282,1730522] [--iters 20]
 *
 * Its own file, so that bundling `bench.ts` into a CLI does not also bundle a second program's entry.
 */
import { parseArgs } from 'node:util';
import { benchAllReduce, DEFAULT_SIZES, measure } from './bench';
import { RingComm } from './ring';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { worker: { type: 'boolean' }, nproc: { type: 'string' }, elements: { type: 'string' }, iters: { type: 'string' } },
  });
  const sizes = values.elements ? values.elements.split(',').map(Number) : DEFAULT_SIZES;
  const iters = values.iters ? Number(values.iters) : 20;
  if (values.worker) {
    const comm = await RingComm.connect({ rank: Number(process.env.ICL_RANK), worldSize: Number(process.env.ICL_WORLD_SIZE), masterAddr: '127.0.0.1', masterPort: Number(process.env.ICL_MASTER_PORT) });
    const r = await measure(comm, sizes, iters);
    comm.close();
    if (comm.rank === 0) process.stdout.write(JSON.stringify(r));
    return;
  }
  const results = await benchAllReduce({ nproc: values.nproc ? Number(values.nproc) : 2, sizes, iters });
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = 1;
});
