import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  boxArea, cutmix, cutmixBox, drawCutout, drawRandomErasing, drawResizedCrop, mixup, ricap, sampleBeta, sampleGamma, type MixImages,
} from '../../runtime/data/augment';
import { BatchBuilder, epochOrder, type BatchPlan } from '../../runtime/data/batch';
import { sharedBytes, type ImageDataset } from '../../runtime/data/dataset';
import { BatchLoader } from '../../runtime/data/loader';
import { Rng } from '../../runtime/data/rng';
import type { TransformOptions } from '../../runtime/data/transforms';

const CUTOUT16 = { prob: 1, maskSize: 16, cutInside: false, maskColor: 0 };

test('cutout 16x16 on 32x32: masked area 64..256 px (mean about 190.6, as measured on the original); 256 when inside', () => {
  const rng = Rng.fromKey(1);
  const areas: number[] = [];
  for (let i = 0; i < 20000; i++) areas.push(boxArea(drawCutout(rng, CUTOUT16, 32, 32)!));
  assert.equal(Math.min(...areas), 64);
  assert.equal(Math.max(...areas), 256);
  const mean = areas.reduce((a, b) => a + b, 0) / areas.length;
  // exact mean over the 33x33 equally likely centres: (Σ_cx width(cx) / 33)² = (456/33)² = 190.94 (the
  // reference's 190.6 is a sample mean of the original)
  let sum = 0;
  for (let c = 0; c < 33; c++) sum += Math.min(32, c + 8) - Math.max(0, c - 8);
  const exact = (sum / 33) ** 2;
  assert.ok(Math.abs(exact - 190.94) < 0.01, `exact mean ${exact}`);
  assert.ok(Math.abs(mean - exact) < 1.5, `sample mean ${mean} vs ${exact}`);
  const inside = { ...CUTOUT16, cutInside: true };
  for (let i = 0; i < 2000; i++) {
    const b = drawCutout(rng, inside, 32, 32)!;
    assert.equal(boxArea(b), 256);
    assert.ok(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= 32 && b.y1 <= 32);
  }
  let skipped = 0;
  for (let i = 0; i < 4000; i++) if (drawCutout(rng, { ...CUTOUT16, prob: 0.25 }, 32, 32) === null) skipped++;
  assert.ok(Math.abs(skipped / 4000 - 0.75) < 0.03, `skipped ${skipped}`);
});

test('random erasing: box inside the image (never touching the last row/column, as the original), area and aspect in range, one fill value', () => {
  const rng = Rng.fromKey(2);
  const o = { prob: 1, areaRatioRange: [0.02, 0.4], minAspectRatio: 0.3, maxAttempt: 20 };
  let n = 0;
  for (let i = 0; i < 5000; i++) {
    const e = drawRandomErasing(rng, o, 32, 32);
    if (!e) continue;
    n++;
    const { box, value } = e;
    const [h, w] = [box.y1 - box.y0, box.x1 - box.x0];
    assert.ok(box.x0 >= 0 && box.y0 >= 0 && box.x1 <= 31 && box.y1 <= 31, JSON.stringify(box));
    assert.ok(h * w <= 0.4 * 1024 + 1e-9, `area ${h * w}`);
    // h = floor(sqrt(A r)), w = floor(sqrt(A / r)) with A >= 0.02·1024 = 20.48 and r in [0.3, 1/0.3]
    assert.ok((h + 1) * (w + 1) > 20.48, `area ${h}x${w} too small`);
    assert.ok(h / (w + 1) < 1 / 0.3 && w / (h + 1) < 1 / 0.3, `aspect ${h}x${w}`);
    assert.ok(value >= 0 && value < 1);
  }
  assert.ok(n > 4900, `erased ${n} of 5000`);
  let skipped = 0;
  for (let i = 0; i < 4000; i++) if (drawRandomErasing(rng, { ...o, prob: 0.5 }, 32, 32) === null) skipped++;
  assert.ok(Math.abs(skipped / 4000 - 0.5) < 0.03);
});

test('Beta and Gamma samplers: sample moments match', () => {
  const rng = Rng.fromKey(3);
  const N = 40000;
  for (const [a, b] of [[1, 1], [0.3, 0.3], [2, 5], [0.05, 0.05]]) {
    const xs = Array.from({ length: N }, () => sampleBeta(rng, a, b));
    const mean = xs.reduce((s, x) => s + x, 0) / N;
    const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / N;
    const em = a / (a + b);
    const ev = (a * b) / ((a + b) ** 2 * (a + b + 1));
    assert.ok(xs.every((x) => x >= 0 && x <= 1 && Number.isFinite(x)));
    assert.ok(Math.abs(mean - em) < 4 * Math.sqrt(ev / N), `Beta(${a},${b}) mean ${mean} vs ${em}`);
    assert.ok(Math.abs(v - ev) < 0.06 * ev, `Beta(${a},${b}) var ${v} vs ${ev}`);
  }
  for (const k of [0.5, 3]) {
    const xs = Array.from({ length: N }, () => sampleGamma(rng, k));
    const mean = xs.reduce((s, x) => s + x, 0) / N;
    assert.ok(Math.abs(mean - k) < 4 * Math.sqrt(k / N), `Gamma(${k}) mean ${mean}`);
  }
  assert.throws(() => sampleBeta(rng, 0, 1), /must be a finite number > 0/);
});

/** n single-channel h×w images whose pixels all equal the image's id (i + 1). */
function idBatch(n: number, h: number, w: number): MixImages {
  const x = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) x.fill(i + 1, i * h * w, (i + 1) * h * w);
  return { xs: [x], y: Int32Array.from({ length: n }, (_, i) => i), n, h, w, c: 1 };
}

/** Fraction of the pixels of image i equal to v. */
function share(x: Float32Array, i: number, size: number, v: number): number {
  let k = 0;
  for (let p = 0; p < size; p++) if (x[i * size + p] === v) k++;
  return k / size;
}

test('mixup: x = λ·x + (1−λ)·x[perm], labels (y, y[perm]) with weights (λ, 1−λ)', () => {
  const b = idBatch(8, 4, 4);
  const t = mixup(Rng.fromKey(4), 1, b);
  const [lam, rest] = t.weights;
  assert.ok(Math.abs(lam + rest - 1) < 1e-12);
  for (let i = 0; i < 8; i++) {
    const expect = lam * (i + 1) + (1 - lam) * (t.labels[1][i] + 1);
    assert.ok(Math.abs(b.xs[0][i * 16 + 5] - expect) < 1e-5);
    assert.equal(t.labels[0][i], i);
  }
  assert.deepEqual([...t.labels[1]].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('cutmix: weights sum to 1 and equal the pasted area; the box is clipped and rounded half to even', () => {
  assert.deepEqual(cutmixBox(0.75, 0, 0, 32, 32), { x0: 0, x1: 8, y0: 0, y1: 8 });
  assert.deepEqual(cutmixBox(0.75, 31.5, 16, 32, 32), { x0: 24, x1: 32, y0: 8, y1: 24 });
  for (let s = 0; s < 30; s++) {
    const b = idBatch(6, 16, 16);
    const t = cutmix(Rng.fromKey(5, s), 1, b);
    assert.ok(Math.abs(t.weights[0] + t.weights[1] - 1) < 1e-12);
    for (let i = 0; i < 6; i++) {
      const j = t.labels[1][i];
      if (j === i) continue;
      assert.ok(Math.abs(share(b.xs[0], i, 256, j + 1) - t.weights[1]) < 1e-12, `seed ${s} image ${i}`);
      assert.ok(Math.abs(share(b.xs[0], i, 256, i + 1) - t.weights[0]) < 1e-12);
    }
  }
});

test('ricap: four label sets whose weights sum to 1 and equal each source image\'s pasted area', () => {
  for (let s = 0; s < 30; s++) {
    const b = idBatch(5, 12, 10);
    const t = ricap(Rng.fromKey(6, s), 0.3, b);
    assert.equal(t.labels.length, 4);
    assert.ok(Math.abs(t.weights.reduce((a, w) => a + w, 0) - 1) < 1e-12);
    for (let i = 0; i < 5; i++) {
      const bySource = new Map<number, number>();
      t.labels.forEach((l, k) => bySource.set(l[i], (bySource.get(l[i]) ?? 0) + t.weights[k]));
      for (const [src, weight] of bySource) assert.ok(Math.abs(share(b.xs[0], i, 120, src + 1) - weight) < 1e-12, `seed ${s} image ${i} source ${src}`);
    }
  }
});

test('random resized crop: torchvision bounds (scale 0.08..1, ratio 3/4..4/3, inside the image)', () => {
  const rng = Rng.fromKey(7);
  for (let i = 0; i < 3000; i++) {
    const [h, w] = [40 + (i % 30), 50 + (i % 17)];
    const b = drawResizedCrop(rng, h, w);
    assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.height <= h && b.left + b.width <= w, JSON.stringify(b));
    const a = (b.height * b.width) / (h * w);
    assert.ok(a > 0.05 && a <= 1, `area ratio ${a}`);
  }
  // a very wide image falls back to the central crop of ratio 4/3
  const b = drawResizedCrop(Rng.fromKey(8), 10, 1000, [0.99, 1], [3 / 4, 4 / 3]);
  assert.deepEqual(b, { top: 0, left: 493, height: 10, width: 13 });
});

function memDataset(n: number, h: number, w: number, c: number): ImageDataset {
  const images = sharedBytes(n * h * w * c);
  const rng = Rng.fromKey(99);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(0, 256);
  return { name: 'CIFAR10', split: 'train', images, labels: Int32Array.from({ length: n }, (_, i) => i % 10), n, height: h, width: w, channels: c, nClasses: 10, files: [] };
}

const ALL: TransformOptions = {
  mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], randomCrop: { padding: 2 }, horizontalFlip: { prob: 0.5 },
  cutout: { prob: 1, maskSize: 4, cutInside: false, maskColor: 0 },
  randomErasing: { prob: 0.5, areaRatioRange: [0.02, 0.4], minAspectRatio: 0.3, maxAttempt: 20 },
  dualCutout: { prob: 1, maskSize: 4, cutInside: true, maskColor: 3 },
  mix: { kind: 'ricap', alpha: 0.3 },
};

test('batches with every augmentation are a pure function of (seed, epoch, step): rebuilt and worker batches are identical', async () => {
  const ds = memDataset(24, 8, 8, 3);
  const plan: BatchPlan = { mode: 'train', batchSize: 8, seed: 5, dropLast: true, transform: ALL, n: 24, height: 8, width: 8, channels: 3 };
  const a = new BatchBuilder(plan, ds.images, ds.labels);
  const b = new BatchBuilder(plan, ds.images, ds.labels);
  const x = a.build(2, 3, epochOrder(plan, 2));
  const y = b.build(2, 3, epochOrder(plan, 2));
  assert.deepEqual(x, y);
  assert.ok(x.x2 && x.mix && x.mix.labels.length === 4);
  assert.notDeepEqual(x.x, x.x2);
  // without mixing, each dual-cutout copy carries the mask colour 3 in one full 4x4 square (cut_inside)
  const plain = new BatchBuilder({ ...plan, transform: { ...ALL, mix: null } }, ds.images, ds.labels).build(1, 1, epochOrder(plan, 1));
  assert.equal(plain.mix, undefined);
  for (const copy of [plain.x, plain.x2!]) {
    for (let i = 0; i < 8; i++) assert.equal(copy.subarray(i * 192, (i + 1) * 192).filter((v) => v === 3).length, 48);
  }
  const workers = new BatchLoader(ds, { mode: 'train', batchSize: 8, seed: 5, transform: ALL, workers: 1 });
  const inThread = new BatchLoader(ds, { mode: 'train', batchSize: 8, seed: 5, transform: ALL, workers: 0 });
  after(() => Promise.all([workers.close(), inThread.close()]));
  const got: unknown[] = [];
  const want: unknown[] = [];
  for await (const batch of workers.epoch(2)) got.push(batch);
  for await (const batch of inThread.epoch(2)) want.push(batch);
  assert.deepEqual(got, want);
  assert.deepEqual(want[2], x);
});
