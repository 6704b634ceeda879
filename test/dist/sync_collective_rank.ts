/**
 * One rank of a test process group for test/dist/sync_collective.test.ts (not a test itself):
 * `node --import tsx test/dist/sync_collective_rank.ts RANK WORLD PORT MODE`. Joins the ring, creates
 * the SyncCollective, does the operations of MODE and prints one JSON line per result:
 * `{"op": i, "values": [...]}`, or `{"error": message, "ms": time the failing call took}`.
 * MODE: `sum` (4 operations of lengths 5, 1, 3000, 10000), `die` (rank WORLD-1 exits after the first
 * operation), `stall` (rank WORLD-1 sleeps instead of its second operation).
 */
import { RingComm } from '../../runtime/dist/ring';
import { SyncCollective } from '../../runtime/dist/sync_collective';

const [rank, world, port] = process.argv.slice(2, 5).map(Number);
const mode = process.argv[5] ?? 'sum';
const timeoutMs = Number(process.env.TEST_SYNC_TIMEOUT_MS ?? 20_000);

/** The values rank r contributes to operation i (exactly representable sums). */
export function contribution(r: number, i: number, len: number): Float64Array {
  return Float64Array.from({ length: len }, (_, k) => Math.sin(r * 31 + i * 7 + k * 0.1) * (k + 1) + r);
}

async function main(): Promise<void> {
  const comm = await RingComm.connect({ rank, worldSize: world, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 20_000 });
  const coll = await SyncCollective.create(comm, { timeoutMs });
  const lengths = [5, 1, 3000, 10_000]; // the last one grows the shared buffer
  const last = rank === world - 1;
  for (let i = 0; i < lengths.length; i++) {
    if (i === 1 && last && mode === 'die') process.exit(3);
    if (i === 1 && last && mode === 'stall') await new Promise((r) => setTimeout(r, 60_000));
    const buf = contribution(rank, i, lengths[i]);
    const t0 = Date.now();
    try {
      coll.allReduce(buf);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ error: (e as Error).message, name: (e as Error).name, ms: Date.now() - t0 })}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify({ op: i, values: Array.from(buf) })}\n`);
  }
  coll.close();
  comm.close();
}

if (require.main === module) {
  main().catch((e) => {
    process.stdout.write(`${JSON.stringify({ error: (e as Error).message, name: (e as Error).name })}\n`);
    process.exit(2);
  });
}
