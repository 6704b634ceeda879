import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { BatchBuilder, epochOrder } from '../../runtime/data/batch';
import { sharedBytes, type ImageDataset } from '../../runtime/data/dataset';
import { BatchLoader, type Batch, type LoaderOptions } from '../../runtime/data/loader';
import { Rng } from '../../runtime/data/rng';
import { tempDir } from './fixtures';

const REPO = path.resolve(__dirname, '..', '..');

/** n images of h×w×c; with idPixels, every pixel of image i is i (so a batch reveals its sample ids). */
function memDataset(n: number, h: number, w: number, c: number, idPixels: boolean): ImageDataset {
  const images = sharedBytes(n * h * w * c);
  const rng = Rng.fromKey(99);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w * c; p++) images[i * h * w * c + p] = idPixels ? i : rng.int(0, 256);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
  return { name: 'CIFAR10', split: 'train', images, labels, n, height: h, width: w, channels: c, nClasses: 10, files: [] };
}

async function collect(loader: BatchLoader, epoch: number, startStep?: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch, { startStep })) out.push(b);
  return out;
}

/** Sample ids of a batch from an id-pixel dataset normalised with mean 0, std 1. */
const ids = (b: Batch, size: number): number[] => Array.from({ length: b.n }, (_, i) => Math.round(b.x[i * size] * 255));

const PLAIN = { mean: [0], std: [1] };
const AUG3 = { mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616], randomCrop: { padding: 4 }, horizontalFlip: { prob: 0.5 } };

const open: BatchLoader[] = [];
function loader(ds: ImageDataset, opts: LoaderOptions): BatchLoader {
  const l = new BatchLoader(ds, opts);
  open.push(l);
  return l;
}
after(async () => {
  await Promise.all(open.map((l) => l.close()));
});

test('train: each epoch is a permutation without replacement, drop_last, 1-based index', async () => {
  const ds = memDataset(50, 2, 2, 1, true);
  const l = loader(ds, { mode: 'train', batchSize: 8, seed: 3, transform: PLAIN, workers: 0 });
  assert.equal(l.stepsPerEpoch, 6);
  const batches = await collect(l, 1);
  assert.deepEqual(batches.map((b) => [b.index, b.n, b.epoch]), [1, 2, 3, 4, 5, 6].map((i) => [i, 8, 1]));
  const seen = batches.flatMap((b) => ids(b, 4));
  assert.equal(new Set(seen).size, 48);
  assert.notDeepEqual(seen, [...Array(48).keys()]);
  for (const b of batches) assert.deepEqual(Array.from(b.y), ids(b, 4).map((i) => i % 10));
  assert.deepEqual(seen, Array.from(epochOrder(l.plan, 1)!.subarray(0, 48)));
});

test('train: a pure function of (seed, epoch): same seed same batches, other epochs and seeds differ', async () => {
  const ds = memDataset(40, 2, 2, 1, true);
  const mk = (seed: number): BatchLoader => loader(ds, { mode: 'train', batchSize: 10, seed, transform: PLAIN, workers: 0 });
  const order = async (l: BatchLoader, e: number): Promise<number[]> => (await collect(l, e)).flatMap((b) => ids(b, 4));
  const a = mk(0);
  const b = mk(0);
  assert.deepEqual(await order(a, 1), await order(b, 1));
  assert.deepEqual(await order(a, 2), await order(b, 2));
  assert.notDeepEqual(await order(a, 1), await order(a, 2));
  assert.notDeepEqual(await order(a, 1), await order(mk(1), 1));
  // order of calls does not matter: epoch 2 first, then 1
  const c = mk(0);
  const e2 = await order(c, 2);
  assert.deepEqual(await order(c, 1), await order(a, 1));
  assert.deepEqual(e2, await order(a, 2));
});

test('eval: sequential, no shuffle, last partial batch kept, normalise only', async () => {
  const ds = memDataset(50, 3, 3, 1, true);
  const l = loader(ds, { mode: 'eval', batchSize: 8, transform: { ...PLAIN, randomCrop: { padding: 4 }, horizontalFlip: { prob: 1 } }, workers: 0 });
  assert.equal(l.stepsPerEpoch, 7);
  const batches = await collect(l, 1);
  assert.deepEqual(batches.map((b) => b.n), [8, 8, 8, 8, 8, 8, 2]);
  assert.deepEqual(batches.flatMap((b) => ids(b, 9)), [...Array(50).keys()]);
  for (const b of batches) for (let i = 0; i < b.x.length; i++) assert.equal(b.x[i], Math.fround(ids(b, 9)[Math.floor(i / 9)] / 255));
  assert.deepEqual((await collect(l, 5)).map((b) => Array.from(b.x)), batches.map((b) => Array.from(b.x)));
});

test('workers: 0, 1 and 2 give the same augmented batches bit for bit', async () => {
  const ds = memDataset(70, 8, 8, 3, false);
  const opts: LoaderOptions = { mode: 'train', batchSize: 16, seed: 11, transform: AUG3 };
  const ref = loader(ds, { ...opts, workers: 0 });
  const w1 = loader(ds, { ...opts, workers: 1, prefetch: 2 });
  const w2 = loader(ds, { ...opts, workers: 2 });
  for (const epoch of [1, 2]) {
    const r = await collect(ref, epoch);
    assert.equal(r.length, 4);
    for (const other of [w1, w2]) {
      const o = await collect(other, epoch);
      assert.equal(o.length, r.length);
      o.forEach((b, i) => {
        assert.equal(b.index, r[i].index);
        assert.deepEqual(b.y, r[i].y);
        assert.deepEqual(b.x, r[i].x);
      });
    }
  }
  const ev0 = await collect(loader(ds, { ...opts, mode: 'eval', workers: 0 }), 1);
  const ev1 = await collect(loader(ds, { ...opts, mode: 'eval', workers: 1 }), 1);
  assert.deepEqual(ev1.map((b) => b.x), ev0.map((b) => b.x));
});

test('augmentation differs between epochs and is applied (x is not just the normalised image)', async () => {
  const ds = memDataset(16, 8, 8, 3, false);
  const l = loader(ds, { mode: 'train', batchSize: 16, seed: 0, transform: AUG3, workers: 0 });
  const [b1] = await collect(l, 1);
  const [b2] = await collect(l, 2);
  assert.notDeepEqual(b1.x, b2.x);
  const builder = new BatchBuilder({ ...l.plan, mode: 'eval' }, ds.images, ds.labels);
  const plain = builder.build(1, 1, epochOrder(l.plan, 1));
  assert.deepEqual(plain.y, b1.y);
  assert.notDeepEqual(plain.x, b1.x);
});

test('resume: startStep yields exactly the remaining batches of the epoch (worker and in-thread)', async () => {
  const ds = memDataset(60, 8, 8, 3, false);
  for (const workers of [0, 1]) {
    const l = loader(ds, { mode: 'train', batchSize: 10, seed: 5, transform: AUG3, workers });
    const full = await collect(l, 3);
    const rest = await collect(l, 3, 4);
    assert.deepEqual(rest.map((b) => b.index), [4, 5, 6]);
    rest.forEach((b, i) => assert.deepEqual(b.x, full[i + 3].x));
    assert.equal((await collect(l, 3, 7)).length, 0);
    assert.throws(() => l.epoch(3, { startStep: 8 }), /startStep 8 out of range 1..7/);
  }
});

test('breaking out of an epoch and starting another gives no stale batches', async () => {
  const ds = memDataset(64, 8, 8, 3, false);
  const l = loader(ds, { mode: 'train', batchSize: 8, seed: 1, transform: AUG3, workers: 1 });
  const ref = loader(ds, { mode: 'train', batchSize: 8, seed: 1, transform: AUG3, workers: 0 });
  for await (const b of l.epoch(1)) if (b.index === 2) break;
  const e2 = await collect(l, 2);
  const r2 = await collect(ref, 2);
  assert.deepEqual(e2.map((b) => b.x), r2.map((b) => b.x));
});

test('the worker prepares the next batches while the main thread is busy', async () => {
  const ds = memDataset(4096, 32, 32, 3, false);
  const opts: LoaderOptions = { mode: 'train', batchSize: 512, seed: 0, transform: AUG3, prefetch: 3 };
  const inThread = loader(ds, { ...opts, workers: 0 });
  const t0 = performance.now();
  for await (const b of inThread.epoch(1)) if (b.index === 3) break;
  const buildMs = (performance.now() - t0) / 3;
  const l = loader(ds, { ...opts, workers: 1 });
  const it = l.epoch(1);
  await it.next(); // batch 1 (includes worker start-up)
  let waited = 0;
  for (let s = 2; s <= 4; s++) {
    const busyUntil = performance.now() + Math.max(4 * buildMs, 150);
    while (performance.now() < busyUntil) { /* "training" synchronously on the main thread */ }
    const t = performance.now();
    const r = await it.next();
    waited += performance.now() - t;
    assert.equal(r.value && r.value.index, s);
  }
  await it.return();
  assert.ok(waited < 3 * buildMs, `waited ${waited.toFixed(1)} ms for 3 prefetched batches; building one takes ${buildMs.toFixed(1)} ms`);
});

test('a failing worker surfaces as an error of the iteration', async () => {
  const dir = tempDir();
  const bad = path.join(dir, 'bad-worker.js');
  fs.writeFileSync(bad, 'throw new Error("boom in worker");\n');
  const l = loader(memDataset(8, 2, 2, 1, true), { mode: 'train', batchSize: 4, transform: PLAIN, workerScript: { filename: bad } });
  await assert.rejects(collect(l, 1), /batch worker failed: boom in worker/);
});

test('bad options and a closed loader are errors', async () => {
  const ds = memDataset(8, 2, 2, 1, true);
  assert.throws(() => new BatchLoader(ds, { mode: 'train', batchSize: 0, transform: PLAIN, workers: 0 }), /batch size must be a positive integer/);
  assert.throws(() => new BatchLoader(ds, { mode: 'train', batchSize: 2, transform: PLAIN, workers: -1 }), /workers must be a non-negative integer/);
  assert.throws(() => new BatchLoader(ds, { mode: 'train', batchSize: 2, transform: PLAIN, workers: 0, prefetch: 0 }), /prefetch must be a positive integer/);
  const l = new BatchLoader(ds, { mode: 'train', batchSize: 2, transform: PLAIN, workers: 1 });
  await l.close();
  await l.close();
  assert.throws(() => l.epoch(1), /the loader is closed/);
});

test('a script using the loader exits by itself, with or without close()', () => {
  const dir = tempDir();
  for (const closeIt of [true, false]) {
    const script = path.join(dir, `use-loader-${closeIt}.ts`);
    fs.writeFileSync(script, [
      `import { BatchLoader } from ${JSON.stringify(path.join(REPO, 'runtime', 'data', 'loader'))};`,
      `import { sharedBytes } from ${JSON.stringify(path.join(REPO, 'runtime', 'data', 'dataset'))};`,
      'const images = sharedBytes(32 * 4 * 4);',
      "const ds = { name: 'MNIST' as const, split: 'train' as const, images, labels: new Int32Array(32), n: 32, height: 4, width: 4, channels: 1, nClasses: 10, files: [] };",
      'void (async () => {',
      "  const l = new BatchLoader(ds, { mode: 'train', batchSize: 4, transform: { mean: [0], std: [1], randomCrop: { padding: 1 } }, workers: 1 });",
      '  let n = 0;',
      '  for await (const b of l.epoch(1)) { n += b.n; if (b.index === 5) break; }',
      '  for await (const b of l.epoch(2)) n += b.n;',
      `  ${closeIt ? 'await l.close();' : ''}`,
      "  console.log('images', n);",
      '})();',
    ].join('\n'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO, timeout: 20000, encoding: 'utf8' });
    assert.equal(r.error, undefined, `close=${closeIt}: ${r.error?.message}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'images 52');
  }
});
