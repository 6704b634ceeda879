/**
 * The blocking small-buffer all-reduce of synchronised batch norm (runtime/dist/sync_collective.ts),
 * with each rank a separate process (test/dist/sync_collective_rank.ts), since a rank blocks its
 * thread: sums over 2 and 3 ranks are the rank-order float64 sums, bit-identical on every rank; a
 * rank that exits makes the others fail at once naming it; a rank that stalls makes them fail after
 * the timeout, not hang; a group of one is the identity.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../../runtime/dist/ports';
import { RingComm } from '../../runtime/dist/ring';
import { SyncCollective } from '../../runtime/dist/sync_collective';
import { contribution } from './sync_collective_rank';

const SCRIPT = path.join(__dirname, 'sync_collective_rank.ts');

interface Line {
  op?: number;
  values?: number[];
  error?: string;
  name?: string;
  ms?: number;
}

/** Runs `world` ranks in MODE; resolves with each rank's exit code and JSON lines. */
async function runGroup(world: number, mode: string, timeoutMs = 20_000, kill?: (rank: number) => boolean): Promise<{ code: number | null; lines: Line[] }[]> {
  const port = await freePort();
  return Promise.all(
    Array.from({ length: world }, (_, rank) => new Promise<{ code: number | null; lines: Line[] }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, String(rank), String(world), String(port), mode], {
        env: { ...process.env, TEST_SYNC_TIMEOUT_MS: String(timeoutMs) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        // The stalled rank sleeps a minute: stop it once the others have reported.
        if (kill?.(rank) && out.includes('"op":0')) setTimeout(() => child.kill('SIGKILL'), 4000);
      });
      child.on('exit', (code) => resolve({ code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) }));
    })),
  );
}

describe('SyncCollective (blocking all-reduce for synchronised batch norm)', () => {
  for (const world of [2, 3]) {
    it(`sums over ${world} processes in rank order, bit-identically on every rank`, async () => {
      const ranks = await runGroup(world, 'sum');
      const lengths = [5, 1, 3000, 10_000]; // the last one grows the shared buffer
      for (const [r, res] of ranks.entries()) {
        assert.equal(res.code, 0, `rank ${r}: ${JSON.stringify(res.lines.find((l) => l.error))}`);
        assert.equal(res.lines.length, lengths.length);
      }
      for (let i = 0; i < lengths.length; i++) {
        const expected = new Float64Array(lengths[i]);
        for (let r = 0; r < world; r++) {
          const c = contribution(r, i, lengths[i]);
          for (let k = 0; k < c.length; k++) expected[k] += c[k];
        }
        for (const res of ranks) assert.deepEqual(res.lines[i].values, Array.from(expected), `operation ${i}`);
      }
    });
  }

  it('fails at once with a DistError naming a rank that exited (not after the timeout)', async () => {
    const ranks = await runGroup(3, 'die', 20_000);
    assert.equal(ranks[2].code, 3);
    for (const r of [0, 1]) {
      const err = ranks[r].lines.find((l) => l.error)!;
      assert.ok(err, `rank ${r} reports an error`);
      assert.equal(err.name, 'DistError');
      assert.match(err.error!, new RegExp(`^rank ${r} lost the connection to rank 2 \\(synchronised batch norm(, [^)]*)?\\): that worker exited or was killed$`));
      assert.ok(err.ms! < 5000, `rank ${r} took ${err.ms} ms`);
      assert.equal(ranks[r].code, 1);
    }
  });

  it('fails with a DistError after the timeout when a rank stalls', async () => {
    const ranks = await runGroup(3, 'stall', 1500, (rank) => rank === 2);
    for (const r of [0, 1]) {
      const err = ranks[r].lines.find((l) => l.error)!;
      assert.ok(err, `rank ${r} reports an error`);
      assert.equal(err.name, 'DistError');
      assert.match(err.error!, /synchronised batch norm got no answer from the other ranks within 2 s/);
      assert.ok(err.ms! >= 1400 && err.ms! < 10_000, `rank ${r} took ${err.ms} ms`);
    }
  });

  it('is the identity in a group of one', async () => {
    const coll = await SyncCollective.create(RingComm.single());
    const buf = Float64Array.from([1, 2, 3]);
    coll.allReduce(buf);
    assert.deepEqual(Array.from(buf), [1, 2, 3]);
    coll.close();
  });
});
