import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../runtime/data/rng';

test('xoshiro128** reference outputs from state {1, 2, 3, 4}', () => {
  const r = new Rng({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4] });
  assert.equal(r.nextUint32(), 11520);
  assert.equal(r.nextUint32(), 0);
  assert.equal(r.nextUint32(), 5927040);
  assert.equal(r.nextUint32(), 70819200);
});

test('same key → same stream; different keys → different streams', () => {
  const a = Rng.fromKey(0, 1, 2);
  const b = Rng.fromKey(0, 1, 2);
  const seqA = [...Array(10)].map(() => a.nextUint32());
  assert.deepEqual(seqA, [...Array(10)].map(() => b.nextUint32()));
  for (const k of [[0, 1, 3], [0, 2, 2], [1, 1, 2], [0, 1], [0, 1, 2, 0], [2 ** 40, 1, 2], [-1, 1, 2]]) {
    const c = Rng.fromKey(...k);
    assert.notDeepEqual([...Array(10)].map(() => c.nextUint32()), seqA, `key ${k}`);
  }
  assert.throws(() => Rng.fromKey(0.5), /safe integer/);
});

test('getState/setState resume the exact stream (JSON round trip)', () => {
  const r = Rng.fromKey(123);
  r.uniform();
  const saved = JSON.parse(JSON.stringify(r.getState()));
  const next = [r.uniform(), r.int(0, 10), r.normal()];
  const s = Rng.fromKey(999);
  s.setState(saved);
  assert.deepEqual([s.uniform(), s.int(0, 10), s.normal()], next);
  assert.throws(() => s.setState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0] }), /all-zero/);
  assert.throws(() => s.setState({ algorithm: 'pcg32' } as never), /expected/);
  const c = r.clone();
  assert.equal(c.nextUint32(), r.nextUint32());
});

test('uniform in [0, 1) with mean ≈ 0.5; int unbiased within bounds; normal moments', () => {
  const r = Rng.fromKey(5);
  let sum = 0;
  const N = 20000;
  for (let i = 0; i < N; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / N - 0.5) < 0.01);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[r.int(-1, 2) + 1]++;
  for (const c of counts) assert.ok(c > 900 && c < 1100, String(counts));
  let m = 0;
  let m2 = 0;
  for (let i = 0; i < N; i++) {
    const z = r.normal(1, 2);
    m += z;
    m2 += z * z;
  }
  const mean = m / N;
  assert.ok(Math.abs(mean - 1) < 0.05, String(mean));
  assert.ok(Math.abs(Math.sqrt(m2 / N - mean * mean) - 2) < 0.05);
  assert.throws(() => r.int(3, 3), /invalid range/);
  assert.equal(r.int(0, 2 ** 32) >= 0, true);
});

test('permutation is a permutation; shuffle works in place on arrays', () => {
  const p = Rng.fromKey(1).permutation(1000);
  assert.deepEqual(Array.from(p).sort((a, b) => a - b), [...Array(1000).keys()]);
  assert.notDeepEqual(Array.from(p), [...Array(1000).keys()]);
  const arr = ['a', 'b', 'c', 'd'];
  assert.equal(Rng.fromKey(2).shuffle(arr), arr);
  assert.deepEqual([...arr].sort(), ['a', 'b', 'c', 'd']);
});
