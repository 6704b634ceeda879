import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { loadDataset } from '../../runtime/data/dataset';
import { DATASETS } from '../../runtime/data/dataset_info';
import { BatchLoader } from '../../runtime/data/loader';

const DEBIAN = '/usr/share/datasets/fashion-mnist';
const present = fs.existsSync(`${DEBIAN}/train-images-idx3-ubyte.gz`);
const opts = { skip: present ? false : `real data not installed (sudo apt-get install dataset-fashion-mnist)` };

test('real Fashion-MNIST (Debian package): sizes, first labels, pixel statistics', opts, async () => {
  const train = loadDataset({ name: 'FashionMNIST', split: 'train', datasetDir: DEBIAN });
  const test10k = loadDataset({ name: 'FashionMNIST', split: 'test', datasetDir: DEBIAN });
  assert.deepEqual([train.n, train.height, train.width, train.channels, train.nClasses], [60000, 28, 28, 1, 10]);
  assert.equal(test10k.n, 10000);
  assert.deepEqual(train.files, [`${DEBIAN}/train-images-idx3-ubyte.gz`, `${DEBIAN}/train-labels-idx1-ubyte.gz`]);
  assert.deepEqual(Array.from(train.labels.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.deepEqual(Array.from(test10k.labels.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  assert.deepEqual(Array.from(train.images.subarray(14 * 28 + 10, 14 * 28 + 16)), [0, 0, 237, 226, 217, 223]);
  const counts = new Array<number>(10).fill(0);
  for (const l of train.labels) counts[l]++;
  assert.deepEqual(counts, new Array<number>(10).fill(6000));
  let sum = 0;
  let sq = 0;
  for (const v of train.images) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / train.images.length / 255;
  const std = Math.sqrt(sq / train.images.length / 255 / 255 - mean * mean);
  assert.ok(Math.abs(mean - DATASETS.FashionMNIST.mean[0]) < 5e-5, `mean ${mean}`);
  assert.ok(Math.abs(std - DATASETS.FashionMNIST.std[0]) < 5e-5, `std ${std}`);
  // normalised eval batches of the test set are then ≈ zero-mean over a big batch
  const l = new BatchLoader(test10k, { mode: 'eval', batchSize: 2500, transform: DATASETS.FashionMNIST, workers: 0 });
  let m = 0;
  for await (const b of l.epoch(1)) for (const v of b.x) m += v;
  assert.ok(Math.abs(m / (10000 * 784)) < 0.02);
  await l.close();
});

test('real Fashion-MNIST is found without a dataset_dir (Debian place in the search list)', opts, () => {
  const ds = loadDataset({ name: 'FashionMNIST', split: 'test', maxSamples: 5, env: {}, cwd: '/nonexistent', home: '/nonexistent' });
  assert.equal(ds.n, 5);
  assert.equal(ds.files[0], `${DEBIAN}/t10k-images-idx3-ubyte.gz`);
});
