import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { crossEntropy } from '../../runtime/train/losses/cross_entropy';
import { dualCutoutLoss, labelSmoothingLoss, mixedCrossEntropy, trainLoss } from '../../runtime/train/losses';

before(async () => {
  await tf.setBackend('cpu');
});

const Z = [[2.0, -1.0, 0.5], [0.1, 0.2, -0.3]];
const Y = [0, 2];

/** log softmax of one row, float64. */
const logSoftmax = (row: number[]): number[] => {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
};
const ce = (z: number[][], y: number[]): number => -z.reduce((s, row, i) => s + logSoftmax(row)[y[i]], 0) / z.length;
const value = (t: tf.Scalar): number => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

test('label smoothing: mean over the batch of Σ_c −((1−ε)·onehot + ε/K)·log softmax', () => {
  const eps = 0.1;
  const expected = -Z.reduce((s, row, i) => s + logSoftmax(row).reduce((a, l, c) => a + ((c === Y[i] ? 1 - eps : 0) + eps / 3) * l, 0), 0) / 2;
  const z = tf.tensor2d(Z);
  const y = tf.tensor1d(Y, 'int32');
  assert.ok(Math.abs(value(labelSmoothingLoss(z, y, eps)) - expected) < 1e-6);
  assert.ok(Math.abs(value(labelSmoothingLoss(z, y, 0)) - ce(Z, Y)) < 1e-6);
  // by hand: row 1 lse 2.2413, 0.9333·0.2413 + 0.0333·(3.2413 + 1.7413) = 0.3913; row 2 1.3908; mean 0.8911
  assert.ok(Math.abs(expected - 0.8911) < 1e-4, `hand value ${expected}`);
  tf.dispose([z, y]);
});

test('mixed cross-entropy: Σ_k w_k·CE(z, y_k)', () => {
  const z = tf.tensor2d(Z);
  const ys = [[0, 2], [1, 1], [2, 0]].map((l) => tf.tensor1d(l, 'int32'));
  const w = [0.5, 0.3, 0.2];
  const expected = 0.5 * ce(Z, [0, 2]) + 0.3 * ce(Z, [1, 1]) + 0.2 * ce(Z, [2, 0]);
  assert.ok(Math.abs(value(mixedCrossEntropy(z, ys, w)) - expected) < 1e-6);
  assert.ok(Math.abs(value(trainLoss([z], { labels: ys[0], mix: { labels: ys, weights: w } }, { labelSmoothing: 0.1, dualCutoutAlpha: null })) - expected) < 1e-6, 'mixing has priority over label smoothing');
  tf.dispose([z, ...ys]);
});

test('dual cutout: ½(CE(z1, y) + CE(z2, y)) + α·mean((z1 − z2)²)', () => {
  const Z2 = [[1.0, 0.0, 0.0], [0.5, -0.5, 1.5]];
  let mse = 0;
  for (let i = 0; i < 2; i++) for (let c = 0; c < 3; c++) mse += (Z[i][c] - Z2[i][c]) ** 2;
  mse /= 6;
  const expected = 0.5 * (ce(Z, Y) + ce(Z2, Y)) + 0.1 * mse;
  const [z1, z2, y] = [tf.tensor2d(Z), tf.tensor2d(Z2), tf.tensor1d(Y, 'int32')];
  assert.ok(Math.abs(value(dualCutoutLoss(z1, z2, y, 0.1)) - expected) < 1e-6);
  assert.ok(Math.abs(value(trainLoss([z1, z2], { labels: y }, { labelSmoothing: null, dualCutoutAlpha: 0.1 })) - expected) < 1e-6);
  // with label smoothing on, the two copies' smoothed losses are averaged and the MSE is dropped
  const ls = (value(labelSmoothingLoss(z1, y, 0.2)) + value(labelSmoothingLoss(z2, y, 0.2))) / 2;
  assert.ok(Math.abs(value(trainLoss([z1, z2], { labels: y }, { labelSmoothing: 0.2, dualCutoutAlpha: 0.1 })) - ls) < 1e-6);
  assert.ok(Math.abs(value(crossEntropy(z1, y)) - ce(Z, Y)) < 1e-6);
  tf.dispose([z1, z2, y]);
});
