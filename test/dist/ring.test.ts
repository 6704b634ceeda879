/**
 * The ring all-reduce on its own: N = 1..4 ranks in one process (each its own sockets), even and
 * uneven sizes (including fewer elements than ranks), float32 and float64, bit-identical results on
 * every rank, broadcast, disagreement and a dying rank reported as DistError, rendezvous timeout,
 * flush(), and separate processes (through the all-reduce bench).
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchAllReduce } from '../../runtime/dist/bench';
import { DistError, RingComm } from '../../runtime/dist/ring';
import { freePort } from '../../runtime/dist/ports';

async function group(n: number, timeoutMs = 20_000): Promise<RingComm[]> {
  const port = await freePort();
  return Promise.all(Array.from({ length: n }, (_, rank) => RingComm.connect({ rank, worldSize: n, masterAddr: '127.0.0.1', masterPort: port, timeoutMs })));
}

function values(rank: number, len: number, Ctor: Float32ArrayConstructor | Float64ArrayConstructor): Float32Array | Float64Array {
  const a = new Ctor(len);
  for (let i = 0; i < len; i++) a[i] = Math.sin(rank * 7919 + i * 0.37) * (1 + (i % 13)) + rank;
  return a;
}

describe('ring all-reduce', () => {
  for (const n of [1, 2, 3, 4]) {
    it(`sums over ${n} rank(s) for every size, identically on each rank`, async () => {
      const comms = await group(n);
      try {
        for (const Ctor of [Float32Array, Float64Array]) {
          for (const len of [0, 1, 2, 3, 5, 7, 1000, 1001, 65_537]) {
            const bufs = comms.map((c) => values(c.rank, len, Ctor));
            const expected = new Float64Array(len);
            for (const b of bufs) for (let i = 0; i < len; i++) expected[i] += b[i];
            await Promise.all(comms.map((c, r) => c.allReduce(bufs[r])));
            const tol = Ctor === Float32Array ? 1e-5 : 1e-12;
            for (let i = 0; i < len; i++) {
              assert.ok(Math.abs(bufs[0][i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `n=${n} len=${len} i=${i}: ${bufs[0][i]} vs ${expected[i]}`);
            }
            for (let r = 1; r < n; r++) assert.deepEqual(bufs[r], bufs[0], `rank ${r} equals rank 0 bit for bit (n=${n} len=${len})`);
          }
        }
        // integers are summed exactly
        const ints = comms.map((c) => Float32Array.from({ length: 11 }, (_, i) => c.rank * 100 + i));
        await Promise.all(comms.map((c, r) => c.allReduce(ints[r])));
        assert.deepEqual(Array.from(ints[n - 1]), Array.from({ length: 11 }, (_, i) => n * i + (100 * n * (n - 1)) / 2));
        // broadcast
        const b = comms.map((c) => Float64Array.from([c.rank + 0.5, -c.rank]));
        await Promise.all(comms.map((c, r) => c.broadcast(b[r], n - 1)));
        for (const x of b) assert.deepEqual(Array.from(x), [n - 0.5, -(n - 1)]);
        if (n > 1) assert.ok(comms[0].stats.ops > 0 && comms[0].stats.bytesSent > 0);
      } finally {
        for (const c of comms) c.close();
      }
    });
  }

  it('reports ranks that reduce different lengths', async () => {
    const comms = await group(2);
    const results = await Promise.allSettled([comms[0].allReduce(new Float32Array(10)), comms[1].allReduce(new Float32Array(12))]);
    assert.ok(results.some((r) => r.status === 'rejected' && r.reason instanceof DistError && /ranks disagree/.test(r.reason.message)));
    for (const c of comms) c.abort();
  });

  it('rejects pending and later operations when a rank dies, naming it', async () => {
    const comms = await group(3);
    await Promise.all(comms.map((c) => c.barrier()));
    const pending = [comms[0].allReduce(new Float32Array(100)), comms[2].allReduce(new Float32Array(100))];
    comms[1].abort();
    const results = await Promise.allSettled(pending);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof DistError);
      assert.match((r as PromiseRejectedResult).reason.message, /lost the connection to rank 1: that worker exited or was killed/);
    }
    await assert.rejects(comms[0].allReduce(new Float32Array(3)), DistError);
    for (const c of comms) c.abort();
  });

  it('flush() resolves once the queued data has left for the kernel (before sync BN blocks the event loop)', async () => {
    const comms = await group(2);
    try {
      await comms[0].flush(); // nothing queued
      const bufs = comms.map(() => new Float32Array(4_000_000).fill(1)); // 16 MB: more than the socket buffers
      await Promise.all(comms.map((c, r) => c.allReduce(bufs[r]).then(() => c.flush())));
      assert.equal(bufs[1][3_999_999], 2);
      const out = (comms[0] as unknown as { out: { writableLength: number } }).out;
      assert.equal(out.writableLength, 0);
    } finally {
      for (const c of comms) c.close();
    }
  });

  it('runs across processes (the all-reduce bench with 3 workers)', async () => {
    const r = await benchAllReduce({ nproc: 3, sizes: [1, 1001, 100_000], iters: 3 });
    assert.deepEqual(r.map((x) => [x.world_size, x.elements]), [[3, 1], [3, 1001], [3, 100_000]]);
    for (const x of r) assert.ok(x.ms_median > 0 && Number.isFinite(x.bus_gb_per_s));
  });

  it('gives up on a rendezvous that never completes', async () => {
    const port = await freePort();
    await assert.rejects(RingComm.connect({ rank: 0, worldSize: 2, masterAddr: '127.0.0.1', masterPort: port, timeoutMs: 300 }), /did not all join the rendezvous/);
  });
});
