import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../runtime/config';
import { BatchBuilder, epochOrder } from '../../runtime/data/batch';
import { decodeImage } from '../../runtime/data/image_decode';
import { listImageFolder, loadImageFolder } from '../../runtime/data/image_folder';
import { loadRunData } from '../../runtime/train/data';
import { rgb, writeImageFolder, writePng } from './fixtures';

const root = writeImageFolder(4);

test('ImageFolder listing: sorted class folders, files recursively in order, other files skipped', () => {
  const l = listImageFolder(path.join(root, 'train'));
  assert.deepEqual(l.classes, ['ant', 'bee', 'cat']);
  assert.deepEqual(l.files.map((f) => path.relative(root, f)), ['ant', 'bee', 'cat'].flatMap((c) => [0, 1, 2, 3].map((i) => `train/${c}/img${i}.${i % 2 ? 'JPG' : 'png'}`)));
  assert.deepEqual(Array.from(l.labels), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  assert.throws(() => listImageFolder(path.join(root, 'nope')), /is not a folder/);
});

test('PNG decodes exactly, JPEG closely; a non-image is named in the error', () => {
  const l = listImageFolder(path.join(root, 'train'));
  const png = decodeImage(fs.readFileSync(l.files[0]), l.files[0]);
  assert.deepEqual([png.height, png.width], [20, 26]);
  assert.deepEqual(Array.from(png.data.subarray((3 * 26 + 5) * 3, (3 * 26 + 5) * 3 + 3)), rgb(0, 3, 5));
  const jpg = decodeImage(fs.readFileSync(l.files[1]), l.files[1]);
  assert.deepEqual([jpg.height, jpg.width], [27, 31]);
  let err = 0;
  for (let y = 0; y < jpg.height; y++) for (let x = 0; x < jpg.width; x++) rgb(1, y, x).forEach((v, k) => (err += Math.abs(jpg.data[(y * jpg.width + x) * 3 + k] - v)));
  assert.ok(err / (jpg.height * jpg.width * 3) < 4, `mean JPEG error ${err / (jpg.height * jpg.width * 3)}`);
  assert.throws(() => decodeImage(Buffer.from('hello'), 'x.png'), /x\.png: not a PNG or JPEG file/);
});

test('train split keeps sizes (layout); val split is resized and center-cropped at load', () => {
  const train = loadImageFolder({ dir: root, split: 'train', imageSize: 16 });
  assert.equal(train.n, 12);
  assert.deepEqual([train.height, train.width, train.channels, train.nClasses], [16, 16, 3, 3]);
  assert.deepEqual(Array.from(train.layout!.heights.subarray(0, 3)), [20, 27, 34]);
  const val = loadImageFolder({ dir: root, split: 'test', imageSize: 16, resize: 18 });
  assert.equal(val.n, 6);
  assert.equal(val.images.length, 6 * 16 * 16 * 3);
  // a constant image stays constant through resize and crop
  const dir = path.join(root, 'flat');
  for (const cls of ['a', 'b']) writePng(path.join(dir, 'val', cls, 'x.png'), 0, 1, 1);
  const flat = loadImageFolder({ dir, split: 'test', imageSize: 4, resize: 6 });
  assert.deepEqual(Array.from(new Set(flat.images.filter((_, i) => i % 3 === 2))), [rgb(0, 0, 0)[2]]);
});

test('config → loaders: random resized crops of imageSize, n_classes checked against the class folders', async () => {
  const base = ['dataset.name', 'ImageFolder', 'dataset.dataset_dir', root, 'dataset.image_size', '16', 'train.batch_size', '4', 'train.dataloader.num_workers', '0', 'tta.use_resize', 'True', 'tta.resize', '18'];
  const bad = loadConfig({ overrides: base });
  assert.throws(() => loadRunData(bad), (e: unknown) => e instanceof ConfigError && /^dataset\.n_classes: 10, but .*train has 3 class folders \(ant, bee, cat\): set dataset\.n_classes 3$/.test(e.message));
  assert.throws(() => loadRunData(loadConfig({ overrides: [...base, 'dataset.n_classes', '3', 'dataset.n_channels', '1'] })), /set dataset.n_channels 3/);
  const cfg = loadConfig({ overrides: [...base, 'dataset.n_classes', '3', 'augmentation.use_cutout', 'True', 'augmentation.cutout.mask_size', '4'] });
  const data = loadRunData(cfg);
  try {
    assert.deepEqual(data.imageShape, [16, 16, 3]);
    assert.equal(data.trainLoader.stepsPerEpoch, 3);
    const batches = [];
    for await (const b of data.trainLoader.epoch(1)) batches.push(b);
    assert.equal(batches.length, 3);
    assert.equal(batches[0].x.length, 4 * 16 * 16 * 3);
    assert.ok(batches[0].x.every((v) => Number.isFinite(v)));
    const plan = data.trainLoader.plan;
    assert.deepEqual(new BatchBuilder(plan, data.train.images, data.train.labels).build(1, 2, epochOrder(plan, 1)), batches[1]);
    let evalN = 0;
    for await (const b of data.valLoader!.epoch(0)) evalN += b.n;
    assert.equal(evalN, 6);
  } finally {
    data.close();
  }
});

test('train.use_test_as_val False: the held-out part of train/ is read like val/ (resized, center-cropped), the rest keeps its sizes', async () => {
  const cfg = loadConfig({ overrides: ['dataset.name', 'ImageFolder', 'dataset.dataset_dir', root, 'dataset.image_size', '16', 'dataset.n_classes', '3', 'train.batch_size', '4',
    'train.dataloader.num_workers', '0', 'tta.use_resize', 'True', 'tta.resize', '18', 'train.use_test_as_val', 'False', 'train.val_ratio', '0.25'] });
  const data = loadRunData(cfg);
  try {
    const held = data.heldOut!;
    assert.deepEqual([data.train.n, data.val.n, held.val.length], [9, 3, 3]);
    const files = listImageFolder(path.join(root, 'train')).files;
    assert.deepEqual(data.val.files, Array.from(held.val, (i) => files[i]));
    assert.deepEqual(data.train.files, Array.from(held.train, (i) => files[i]));
    const alone = loadImageFolder({ dir: root, split: 'train', imageSize: 16, resize: 18, indices: held.val, processing: 'eval' });
    assert.deepEqual(data.val.images, alone.images);
    assert.equal(data.val.images.length, 3 * 16 * 16 * 3);
    assert.deepEqual(Array.from((data.train as { layout?: { heights: Int32Array } }).layout!.heights), Array.from(held.train, (i) => 20 + ((i * 7) % 21))); // the fixture's heights
    let evalN = 0;
    for await (const b of data.valLoader!.epoch(0)) evalN += b.n;
    assert.equal(evalN, 3);
  } finally {
    data.close();
  }
});

test('val/ class folders must be those of train/, the error listing the difference (issue 12 finding 5)', () => {
  const swapped = writeImageFolder(2);
  // train/{ant,bee,cat}, val/{bee,cat,dog}: same count, other classes (labels would be swapped silently)
  fs.renameSync(path.join(swapped, 'val', 'ant'), path.join(swapped, 'val', 'dog'));
  const base = ['dataset.name', 'ImageFolder', 'dataset.dataset_dir', swapped, 'dataset.image_size', '16', 'dataset.n_classes', '3', 'train.batch_size', '2', 'train.dataloader.num_workers', '0'];
  assert.throws(() => loadRunData(loadConfig({ overrides: base })), new RegExp(`^Error: ${swapped}: val/ must have the class folders of train/ \\(labels are folder indices\\): only in train/: ant; only in val/: dog$`));
  // a val/ missing a class: the difference, not "set dataset.n_classes 2"
  fs.rmSync(path.join(swapped, 'val', 'dog'), { recursive: true });
  assert.throws(() => loadRunData(loadConfig({ overrides: base })), /only in train\/: ant; only in val\/: none$/);
});
