import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../runtime/data/rng';
import {
  drawAugmentParams, normalizationTable, padImage, padIndex, prepareTransform, transformImage, type PaddingMode, type TransformOptions,
} from '../../runtime/data/transforms';

// A 3x4 single-channel image with values 10..21 (row-major); expectations below come from numpy.pad.
const IMG = Uint8Array.from({ length: 12 }, (_, i) => 10 + i);
const PADDED: Record<PaddingMode, number[][]> = {
  constant: [[7, 7, 7, 7, 7, 7, 7, 7], [7, 7, 7, 7, 7, 7, 7, 7], [7, 7, 10, 11, 12, 13, 7, 7], [7, 7, 14, 15, 16, 17, 7, 7], [7, 7, 18, 19, 20, 21, 7, 7], [7, 7, 7, 7, 7, 7, 7, 7], [7, 7, 7, 7, 7, 7, 7, 7]],
  edge: [[10, 10, 10, 11, 12, 13, 13, 13], [10, 10, 10, 11, 12, 13, 13, 13], [10, 10, 10, 11, 12, 13, 13, 13], [14, 14, 14, 15, 16, 17, 17, 17], [18, 18, 18, 19, 20, 21, 21, 21], [18, 18, 18, 19, 20, 21, 21, 21], [18, 18, 18, 19, 20, 21, 21, 21]],
  reflect: [[20, 19, 18, 19, 20, 21, 20, 19], [16, 15, 14, 15, 16, 17, 16, 15], [12, 11, 10, 11, 12, 13, 12, 11], [16, 15, 14, 15, 16, 17, 16, 15], [20, 19, 18, 19, 20, 21, 20, 19], [16, 15, 14, 15, 16, 17, 16, 15], [12, 11, 10, 11, 12, 13, 12, 11]],
  symmetric: [[15, 14, 14, 15, 16, 17, 17, 16], [11, 10, 10, 11, 12, 13, 13, 12], [11, 10, 10, 11, 12, 13, 13, 12], [15, 14, 14, 15, 16, 17, 17, 16], [19, 18, 18, 19, 20, 21, 21, 20], [19, 18, 18, 19, 20, 21, 21, 20], [15, 14, 14, 15, 16, 17, 17, 16]],
};

function rows(a: ArrayLike<number>, w: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += w) out.push(Array.from(a).slice(i, i + w));
  return out;
}

/** Identity-ish normalisation: out = float32(v / 255); maps back exactly with Math.round(out * 255). */
const RAW: TransformOptions = { mean: [0], std: [1] };
const back = (a: Float32Array): number[] => Array.from(a, (v) => Math.round(v * 255));

test('padImage matches numpy.pad for constant (fill), edge, reflect, symmetric', () => {
  for (const mode of ['constant', 'edge', 'reflect', 'symmetric'] as const) {
    assert.deepEqual(rows(padImage(IMG, 3, 4, 1, 2, mode, 7), 8), PADDED[mode], mode);
  }
  assert.deepEqual(rows(padImage(IMG, 3, 4, 1, 1), 6)[0], [0, 0, 0, 0, 0, 0]); // default constant 0
});

test('padIndex continues the pattern for paddings wider than the image (numpy.pad, n=4, pad 6)', () => {
  const seq = (m: PaddingMode): number[] => Array.from({ length: 16 }, (_, i) => padIndex(i - 6, 4, m));
  assert.deepEqual(seq('edge'), [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3]);
  assert.deepEqual(seq('reflect'), [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3]);
  assert.deepEqual(seq('symmetric'), [2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1]);
  assert.equal(padIndex(-1, 4, 'constant'), -1);
  assert.equal(padIndex(-3, 1, 'reflect'), 0);
});

test('crop at a forced offset gives the expected pixels, per padding mode', () => {
  for (const mode of ['constant', 'edge', 'reflect', 'symmetric'] as const) {
    const t = prepareTransform({ ...RAW, randomCrop: { padding: 2, paddingMode: mode, fill: 7 } }, 3, 4, 1);
    const out = new Float32Array(12);
    transformImage(t, IMG, 0, { top: 1, left: 3, flip: false }, out, 0);
    assert.deepEqual(rows(back(out), 4), PADDED[mode].slice(1, 4).map((r) => r.slice(3, 7)), mode);
  }
  // reflect, by hand from numpy: padded[1:4, 3:7]
  const t = prepareTransform({ ...RAW, randomCrop: { padding: 2, paddingMode: 'reflect' } }, 3, 4, 1);
  const out = new Float32Array(12);
  transformImage(t, IMG, 0, { top: 1, left: 3, flip: false }, out, 0);
  assert.deepEqual(rows(back(out), 4), [[15, 16, 17, 16], [11, 12, 13, 12], [15, 16, 17, 16]]);
  // the centre offset (top = left = padding) is the identity
  transformImage(t, IMG, 0, { top: 2, left: 2, flip: false }, out, 0);
  assert.deepEqual(back(out), Array.from(IMG));
});

test('flip mirrors each row, after the crop', () => {
  const t = prepareTransform({ ...RAW, randomCrop: { padding: 2, paddingMode: 'reflect' }, horizontalFlip: { prob: 0.5 } }, 3, 4, 1);
  const out = new Float32Array(12);
  transformImage(t, IMG, 0, { top: 2, left: 2, flip: true }, out, 0);
  assert.deepEqual(rows(back(out), 4), [[13, 12, 11, 10], [17, 16, 15, 14], [21, 20, 19, 18]]);
  transformImage(t, IMG, 0, { top: 1, left: 3, flip: true }, out, 0);
  assert.deepEqual(rows(back(out), 4), [[16, 17, 16, 15], [12, 13, 12, 11], [16, 17, 16, 15]]); // numpy: padded[1:4, 3:7][:, ::-1]
});

test('fused transform equals pad → crop → flip → normalise on 3-channel images with per-channel fill', () => {
  const h = 5;
  const w = 6;
  const c = 3;
  const rng = Rng.fromKey(42);
  const src = Uint8Array.from({ length: 2 * h * w * c }, () => rng.int(0, 256));
  const opts: TransformOptions = { mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616] };
  const table = normalizationTable(opts.mean, opts.std);
  for (const mode of ['constant', 'edge', 'reflect', 'symmetric'] as const) {
    const p = 3;
    const t = prepareTransform({ ...opts, randomCrop: { padding: p, paddingMode: mode, fill: [1, 2, 250] }, horizontalFlip: { prob: 0.5 } }, h, w, c);
    for (let trial = 0; trial < 20; trial++) {
      const params = { top: rng.int(0, 2 * p + 1), left: rng.int(0, 2 * p + 1), flip: rng.uniform() < 0.5 };
      const out = new Float32Array(h * w * c);
      transformImage(t, src, h * w * c, params, out, 0); // second image
      const padded = padImage(src.subarray(h * w * c), h, w, c, p, mode, [1, 2, 250]);
      const pw = w + 2 * p;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const cx = params.flip ? w - 1 - x : x;
          for (let k = 0; k < c; k++) {
            const v = padded[((params.top + y) * pw + params.left + cx) * c + k];
            assert.equal(out[(y * w + x) * c + k], table[k * 256 + v]);
          }
        }
      }
    }
  }
});

test('normalisation is the original\'s (x/255 in float32 − mean) / std, as numpy computes it', () => {
  const t = normalizationTable([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]);
  // values from numpy: ((np.float32 array / 255.) - np.array(mean)) / np.array(std), cast to float32
  const at = (v: number): number[] => [t[v], t[256 + v], t[512 + v]];
  assert.deepEqual(at(0), [-1.9894737005233765, -1.9802874326705933, -1.7068042755126953]);
  assert.deepEqual(at(1), [-1.9735969305038452, -1.9641824960708618, -1.691813588142395]);
  assert.deepEqual(at(128), [0.0427563302218914, 0.08115324378013611, 0.21200616657733917]);
  assert.deepEqual(at(255), [2.0591092109680176, 2.12648868560791, 2.115825653076172]);
  // eval (no params): normalise only, NHWC channel order
  const tr = prepareTransform({ mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616] }, 1, 2, 3);
  const out = new Float32Array(6);
  transformImage(tr, Uint8Array.from([0, 1, 128, 255, 0, 1]), 0, null, out, 0);
  assert.deepEqual(Array.from(out), [t[0], t[256 + 1], t[512 + 128], t[255], t[256], t[512 + 1]]);
  const g = prepareTransform({ mean: [0.2860], std: [0.3530] }, 1, 1, 1);
  transformImage(g, Uint8Array.from([255]), 0, null, out, 0);
  assert.equal(out[0], Math.fround((1 - 0.2860) / 0.3530));
});

test('random draws: crop offsets uniform over [0, 2·padding], flip with probability p', () => {
  const rng = Rng.fromKey(7);
  const opts: TransformOptions = { mean: [0], std: [1], randomCrop: { padding: 4 }, horizontalFlip: { prob: 0.5 } };
  const tops = new Array<number>(9).fill(0);
  let flips = 0;
  const N = 9000;
  for (let i = 0; i < N; i++) {
    const p = drawAugmentParams(rng, opts);
    tops[p.top]++;
    assert.ok(p.left >= 0 && p.left <= 8);
    if (p.flip) flips++;
  }
  for (const c of tops) assert.ok(c > 850 && c < 1150, `counts ${tops}`);
  assert.ok(Math.abs(flips / N - 0.5) < 0.03, `flip rate ${flips / N}`);
  assert.ok([...Array(100)].every(() => !drawAugmentParams(rng, { ...opts, horizontalFlip: { prob: 0 } }).flip));
  assert.ok([...Array(100)].every(() => drawAugmentParams(rng, { ...opts, horizontalFlip: { prob: 1 } }).flip));
  // disabled steps draw nothing
  const a = Rng.fromKey(1);
  assert.deepEqual(drawAugmentParams(a, { mean: [0], std: [1] }), { top: 0, left: 0, flip: false });
  assert.deepEqual(a.getState(), Rng.fromKey(1).getState());
});

test('invalid options are rejected with clear messages', () => {
  assert.throws(() => prepareTransform({ mean: [0, 0], std: [1, 1] }, 2, 2, 1), /mean has 2 values for 1-channel images/);
  assert.throws(() => prepareTransform({ mean: [0], std: [0] }, 2, 2, 1), /std must be > 0/);
  assert.throws(() => prepareTransform({ mean: [0], std: [1], randomCrop: { padding: -1 } }, 2, 2, 1), /padding must be a non-negative integer/);
  assert.throws(() => prepareTransform({ mean: [0], std: [1], randomCrop: { padding: 1, paddingMode: 'wrap' as PaddingMode } }, 2, 2, 1),
    /unknown padding_mode "wrap": expected one of constant, edge, reflect, symmetric/);
  assert.throws(() => prepareTransform({ mean: [0], std: [1], randomCrop: { padding: 1, fill: 300 } }, 2, 2, 1), /fill must be an integer 0..255/);
  assert.throws(() => prepareTransform({ mean: [0], std: [1], horizontalFlip: { prob: 2 } }, 2, 2, 1), /prob must be in \[0, 1\]/);
});
