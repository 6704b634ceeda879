/**
 * Synchronised batch norm's arithmetic (runtime/models/ops/batch_norm.ts `batchNormTrainSynced`),
 * in one process: two "workers" holding 5 and 3 rows of one batch, each with a reducer that adds
 * the other one's exact contribution, must give the rows, gradients, statistics and running
 * statistics of plain batch norm on the whole batch (dγ and dβ: the two workers' sum, as the
 * gradient all-reduce makes them). A reducer for a group of one changes nothing; on the libtorch
 * backend (when built) the synchronised path replaces the fused kernel and agrees with it.
 */
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend';
import { loadAddon } from '../../runtime/backend/libtorch';
import { batchNormTrain, PYTORCH_BN_EPS, updateRunningStats } from '../../runtime/models/ops/batch_norm';
import type { BatchNormReducer } from '../../runtime/models/ops/batch_norm_sync';
import { maxAbs, maxAbsDiff, onBackend, rand } from '../backend/helpers';

const [H, W, C] = [3, 3, 4];
const SPLIT = 5; // rows of worker A; worker B has the other 3

/** x, γ, β and the upstream gradient of L = Σ y·up, as plain arrays (x with a non-zero mean). */
function inputs(): { x: Float32Array; g: Float32Array; b: Float32Array; up: Float32Array } {
  return tf.tidy(() => ({
    x: tf.add(rand([8, H, W, C], 5, 2), 0.7).dataSync() as Float32Array,
    g: tf.add(rand([C], 6, 0.5), 1).dataSync() as Float32Array,
    b: rand([C], 7, 0.5).dataSync() as Float32Array,
    up: rand([8, H, W, C], 8).dataSync() as Float32Array,
  }));
}

/** y, dx, dγ, dβ, mean, variance, running mean, running var of `rows` rows (plain BN without a reducer). */
function bnRun(x: Float32Array, g: Float32Array, b: Float32Array, up: Float32Array, rows: number, reduce: BatchNormReducer | null = null): tf.Tensor[] {
  const xt = tf.tensor4d(x, [rows, H, W, C]);
  const gt = tf.tensor1d(g);
  const bt = tf.tensor1d(b);
  const upt = tf.tensor4d(up, [rows, H, W, C]);
  const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(xx as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D, PYTORCH_BN_EPS, reduce).y, upt));
  const grads = tf.grads(f)([xt, gt, bt]);
  const out = batchNormTrain(xt, gt, bt, PYTORCH_BN_EPS, reduce);
  const rm = tf.variable(tf.zeros([C]));
  const rv = tf.variable(tf.ones([C]));
  updateRunningStats(rm, rv, out.mean, out.variance, out.count);
  return [out.y, ...grads, out.mean, out.variance, rm.clone(), rv.clone()];
}

/** Per-channel float64 sums over rows [s, e) of NHWC values: Σa, and Σa·b when b is given. */
function channelSums(a: Float32Array, s: number, e: number, b?: (i: number, c: number) => number): Float64Array {
  const out = new Float64Array(C);
  for (let i = s * H * W * C; i < e * H * W * C; i++) out[i % C] += a[i] * (b ? b(i, i % C) : 1);
  return out;
}

describe('synchronised batch norm (batchNormTrainSynced) against plain batch norm of the whole batch', () => {
  before(async () => {
    await initBackend('wasm', 1);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: workers of 5 and 3 rows get the whole batch's y, dx, statistics and running stats; dγ, dβ sum to its`, async () => {
      const { x, g, b, up } = inputs();
      const ref = await onBackend(backend, () => bnRun(x, g, b, up, 8));
      // The global mean in float64, for the other worker's backward contribution.
      const total = 8 * H * W;
      const mean = channelSums(x, 0, 8).map((v) => v / total);
      const reducerFor = (other: [number, number]) => {
        let call = 0;
        return (buf: Float64Array) => {
          const [s, e] = other;
          if (call++ % 2 === 0) {
            assert.equal(buf.length, 2 * C + 1);
            const sx = channelSums(x, s, e);
            const sxx = channelSums(x, s, e, (i) => x[i]);
            for (let c = 0; c < C; c++) {
              buf[c] += sx[c];
              buf[C + c] += sxx[c];
            }
            buf[2 * C] += (e - s) * H * W;
          } else {
            assert.equal(buf.length, 2 * C);
            const sdy = channelSums(up, s, e);
            const sdyxc = channelSums(up, s, e, (i, c) => x[i] - mean[c]);
            for (let c = 0; c < C; c++) {
              buf[c] += sdy[c];
              buf[C + c] += sdyxc[c];
            }
          }
        };
      };
      const cut = SPLIT * H * W * C;
      const a = await onBackend(backend, () => bnRun(x.subarray(0, cut), g, b, up.subarray(0, cut), SPLIT, reducerFor([SPLIT, 8])));
      const bb = await onBackend(backend, () => bnRun(x.subarray(cut), g, b, up.subarray(cut), 8 - SPLIT, reducerFor([0, SPLIT])));
      const close = (name: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
        const d = maxAbsDiff(got, want);
        const tol = 3e-6 * Math.max(1, maxAbs(want));
        assert.ok(d <= tol, `${name}: max abs diff ${d} > ${tol}`);
      };
      close('y (A)', a[0], ref[0].subarray(0, cut));
      close('y (B)', bb[0], ref[0].subarray(cut));
      close('dx (A)', a[1], ref[1].subarray(0, cut));
      close('dx (B)', bb[1], ref[1].subarray(cut));
      close('dgamma', a[2].map((v, i) => v + bb[2][i]), ref[2]);
      close('dbeta', a[3].map((v, i) => v + bb[3][i]), ref[3]);
      for (const [i, name] of [[4, 'mean'], [5, 'variance'], [6, 'running mean'], [7, 'running var (global count)']] as const) {
        close(`${name} (A)`, a[i], ref[i]);
        close(`${name} (B)`, bb[i], ref[i]);
      }
      // Not vacuous: a worker's own statistics differ from the whole batch's.
      const plainA = await onBackend(backend, () => bnRun(x.subarray(0, cut), g, b, up.subarray(0, cut), SPLIT));
      assert.ok(maxAbsDiff(plainA[4], ref[4]) > 1e-3);
    });
  }

  it('a group of one (identity reducer) is plain batch norm', async () => {
    const { x, g, b, up } = inputs();
    const ref = await onBackend('wasm', () => bnRun(x, g, b, up, 8));
    let calls = 0;
    const synced = await onBackend('wasm', () => bnRun(x, g, b, up, 8, () => void calls++));
    assert.equal(calls, 3, 'the forward and backward under tf.grads, then bnRun\'s own forward');
    ref.forEach((r, i) => assert.ok(maxAbsDiff(synced[i], r) <= 3e-6 * Math.max(1, maxAbs(r)), `output ${i}`));
  });

  it('leaks no tensors inside tf.tidy and tf.variableGrads (cpu, wasm)', async () => {
    const reduce: BatchNormReducer = (v) => void v;
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const x = rand([4, 3, 3, 2], 50) as tf.Tensor4D;
      const gamma = tf.variable(tf.ones([2]), true, `sync_gamma_${backend}`);
      const beta = tf.variable(tf.zeros([2]), true, `sync_beta_${backend}`);
      const rm = tf.variable(tf.zeros([2]), false, `sync_rm_${backend}`);
      const rv = tf.variable(tf.ones([2]), false, `sync_rv_${backend}`);
      const step = (): void => {
        const { value, grads } = tf.variableGrads(() => {
          const out = batchNormTrain(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, PYTORCH_BN_EPS, reduce);
          updateRunningStats(rm, rv, out.mean, out.variance, out.count);
          return tf.sum(tf.square(out.y)) as tf.Scalar;
        }, [gamma, beta]);
        tf.dispose([value, ...Object.values(grads)]);
        tf.tidy(() => void batchNormTrain(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, PYTORCH_BN_EPS, reduce));
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      assert.equal(tf.memory().numTensors, before, backend);
      tf.dispose([x, gamma, beta, rm, rv]);
    }
  });

  const addon = loadAddon();
  it('libtorch: with a reducer, the generic synchronised path replaces the fused kernel and agrees with it', { skip: addon.ok ? false : `libtorch backend unavailable: ${addon.reason}` }, async () => {
    const { x, g, b, up } = inputs();
    await initBackend('libtorch', 1);
    const read = (ts: tf.Tensor[]) => ts.map((t) => Float32Array.from(t.dataSync()));
    const fused = read(tf.tidy(() => bnRun(x, g, b, up, 8)));
    let calls = 0;
    try {
      const synced = read(tf.tidy(() => bnRun(x, g, b, up, 8, () => void calls++)));
      assert.equal(calls, 3);
      fused.forEach((r, i) => assert.ok(maxAbsDiff(synced[i], r) <= 2e-5 * Math.max(1, maxAbs(r)), `output ${i}: ${maxAbsDiff(synced[i], r)}`));
    } finally {
      await initBackend('wasm', 1);
    }
  });
});
