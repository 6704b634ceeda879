/**
 * The validation split of `train.use_test_as_val False`: PyTorch's exact permutation, disjoint
 * parts, the same split for the same seed and on every data-parallel rank, eval transforms.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../runtime/config';
import { splitIndices } from '../../runtime/data/dataset';
import { torchRandperm } from '../../runtime/data/torch_randperm';
import { loadRunData } from '../../runtime/train/data';
import { tempDir, writeIdxSplit } from '../data/fixtures';

test('torchRandperm is torch.randperm(n) after torch.manual_seed(seed) (values printed by PyTorch 1.13)', () => {
  assert.deepEqual(Array.from(torchRandperm(10, 0)), [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]);
  assert.deepEqual(Array.from(torchRandperm(50000, 3).subarray(0, 8)), [8986, 17124, 43401, 20135, 26324, 4400, 1156, 15902]);
  assert.deepEqual(Array.from(torchRandperm(1, 0)), [0]);
  assert.equal(torchRandperm(0, 0).length, 0);
});

test('splitIndices: floor(n·r) held out as random_split draws them, disjoint from the trained ones, the same for the same seed', () => {
  const a = splitIndices(1000, 0.2, 0);
  assert.deepEqual([a.train.length, a.val.length], [800, 200]);
  // torch.manual_seed(0); random_split(range(1000), [800, 200]) -> val[:10], train[:5]
  assert.deepEqual(Array.from(a.val.subarray(0, 10)), [29, 169, 235, 495, 27, 330, 251, 622, 854, 786]);
  assert.deepEqual(Array.from(a.train.subarray(0, 5)), [44, 37, 675, 775, 947]);
  const trained = new Set(a.train);
  assert.ok(a.val.every((i) => !trained.has(i)), 'held-out indices are disjoint from the trained ones');
  assert.equal(new Set([...a.train, ...a.val]).size, 1000);
  const again = splitIndices(1000, 0.2, 0);
  assert.deepEqual(Array.from(again.val), Array.from(a.val));
  assert.notDeepEqual(Array.from(splitIndices(1000, 0.2, 1).val), Array.from(a.val));
  assert.equal(splitIndices(7, 0.2, 0).val.length, 1); // int(7 * 0.2) = 1
  assert.throws(() => splitIndices(10, 1, 0), /val_ratio must be in \[0, 1\), got 1/);
});

const root = tempDir('valsplit-');
const dir = path.join(root, 'mnist');
writeIdxSplit(dir, 'train', 100, false);
writeIdxSplit(dir, 't10k', 20, false);
/** The fixture's pixel (0, 1) of image i is (31·i + 3) mod 256: an id of the training file (i < 256). */
const ids = (images: Uint8Array, n: number): number[] => Array.from({ length: n }, (_, k) => images[k * 784 + 1]);
const fileId = (i: number): number => (31 * i + 3) % 256;
const cfgOf = (...extra: string[]) => loadConfig({
  overrides: ['dataset.name', 'MNIST', 'dataset.dataset_dir', dir, 'train.batch_size', '10', 'train.dataloader.num_workers', '0', 'validation.batch_size', '7', ...extra],
});

test('loadRunData holds out floor(n·val_ratio) training images, validates on them in eval mode, trains on the rest', async () => {
  const data = loadRunData(cfgOf('train.use_test_as_val', 'False', 'train.val_ratio', '0.2', 'dataset.max_train_samples', '90', 'train.seed', '5'));
  try {
    assert.deepEqual(data.valSplit, { source: 'held_out', n: 18, ratio: 0.2, seed: 5 });
    assert.deepEqual([data.train.n, data.val.n, data.trainLoader.stepsPerEpoch], [72, 18, 7]);
    const held = data.heldOut!;
    assert.deepEqual(Array.from(held.val), Array.from(splitIndices(90, 0.2, 5).val));
    assert.deepEqual(ids(data.val.images, data.val.n), Array.from(held.val, fileId));
    assert.deepEqual(ids(data.train.images, data.train.n), Array.from(held.train, fileId));
    const trained = new Set(ids(data.train.images, data.train.n));
    assert.ok(ids(data.val.images, data.val.n).every((id) => !trained.has(id)));
    // Eval loader: every held-out image once, in order, normalised only (no augmentation).
    const labels: number[] = [];
    for await (const b of data.valLoader!.epoch(0)) labels.push(...b.y);
    assert.deepEqual(labels, Array.from(data.val.labels));
    assert.equal(data.valLoader!.plan.mode, 'eval');
    assert.equal(data.valLoader!.stepsPerEpoch, 3); // 18 images, validation.batch_size 7, the last batch kept
  } finally {
    data.close();
  }
  const dropped = loadRunData(cfgOf('train.use_test_as_val', 'False', 'train.val_ratio', '0.2', 'dataset.max_train_samples', '90', 'validation.dataloader.drop_last', 'True', 'validation.dataloader.num_workers', '0'));
  try {
    assert.equal(dropped.valLoader!.stepsPerEpoch, 2);
  } finally {
    dropped.close();
  }
});

test('data parallel: every rank holds out the same images and validates on its slice of them', () => {
  const cfg = cfgOf('train.use_test_as_val', 'False', 'train.val_ratio', '0.25');
  const ranks = [0, 1].map((rank) => loadRunData(cfg, { rank, worldSize: 2 }));
  try {
    assert.deepEqual(Array.from(ranks[1].heldOut!.val), Array.from(ranks[0].heldOut!.val));
    assert.deepEqual(ranks.map((d) => d.valLoader!.plan.n), [12, 13]);
    assert.deepEqual(ranks[1].train.images, ranks[0].train.images);
    assert.deepEqual(ranks.map((d) => d.train.n), [75, 75]);
    assert.deepEqual(ranks.map((d) => d.trainLoader.stepsPerEpoch), [3, 3]); // ceil(75 / 2) = 38 per rank, batches of 10, drop_last
  } finally {
    for (const d of ranks) d.close();
  }
});

test('use_test_as_val True validates on the test split; False with val_ratio 0 has no validation set', () => {
  const t = loadRunData(cfgOf('dataset.max_test_samples', '15'));
  const none = loadRunData(cfgOf('train.use_test_as_val', 'False'));
  try {
    assert.deepEqual(t.valSplit, { source: 'test', n: 15 });
    assert.equal(t.val.split, 'test');
    assert.equal(t.train.n, 100);
    assert.deepEqual(none.valSplit, { source: 'none', n: 0 });
    assert.equal(none.valLoader, null);
    assert.equal(none.train.n, 100);
  } finally {
    t.close();
    none.close();
  }
});
