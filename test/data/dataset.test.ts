import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadDataset, randomSplit, subsetDataset } from '../../runtime/data/dataset';
import { DATASETS, BUILTIN_DATASET_NAMES, datasetInfo } from '../../runtime/data/dataset_info';
import { locateDataset, searchDirs } from '../../runtime/data/locate';
import { cifarBytes, isolated, label, pixel, tempDir, writeCifar10, writeCifar100, writeIdxSplit } from './fixtures';

test('normalisation constants and shapes are exactly the original\'s', () => {
  assert.deepEqual(DATASETS.CIFAR10.mean, [0.4914, 0.4822, 0.4465]);
  assert.deepEqual(DATASETS.CIFAR10.std, [0.2470, 0.2435, 0.2616]);
  assert.deepEqual(DATASETS.CIFAR100.mean, [0.5071, 0.4865, 0.4409]);
  assert.deepEqual(DATASETS.CIFAR100.std, [0.2673, 0.2564, 0.2762]);
  assert.deepEqual([DATASETS.MNIST.mean, DATASETS.MNIST.std], [[0.1307], [0.3081]]);
  assert.deepEqual([DATASETS.FashionMNIST.mean, DATASETS.FashionMNIST.std], [[0.2860], [0.3530]]);
  assert.deepEqual([DATASETS.KMNIST.mean, DATASETS.KMNIST.std], [[0.1904], [0.3475]]);
  assert.deepEqual([DATASETS.CIFAR100.imageSize, DATASETS.CIFAR100.channels, DATASETS.CIFAR100.nClasses], [32, 3, 100]);
  assert.deepEqual([DATASETS.KMNIST.imageSize, DATASETS.KMNIST.channels, DATASETS.KMNIST.nClasses], [28, 1, 10]);
  assert.equal(datasetInfo('fashionmnist').name, 'FashionMNIST');
});

test('an unknown name lists the supported ones', () => {
  assert.throws(() => datasetInfo('SVHN'), { message: `Unknown dataset name "SVHN": supported are ${BUILTIN_DATASET_NAMES.join(', ')}` });
  assert.throws(() => loadDataset({ name: 'ImageNet', split: 'train' }), /ImageNet is a folder dataset: loadImageFolder reads it.*CIFAR10, CIFAR100, MNIST, FashionMNIST, KMNIST/);
});

test('MNIST family: finds torchvision raw/ layout, .gz and plain, reads exact pixels and labels', () => {
  const root = tempDir();
  const env = isolated(root);
  writeIdxSplit(path.join(root, 'torch', 'KMNIST', 'raw'), 'train', 7, true);
  writeIdxSplit(path.join(root, 'torch', 'KMNIST', 'raw'), 't10k', 3, false);
  const ds = loadDataset({ ...env, name: 'KMNIST', split: 'train', datasetDir: path.join(root, 'torch') });
  assert.equal(ds.name, 'KMNIST');
  assert.deepEqual([ds.n, ds.height, ds.width, ds.channels, ds.nClasses], [7, 28, 28, 1, 10]);
  assert.ok(ds.images.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(ds.files, [path.join(root, 'torch', 'KMNIST', 'raw', 'train-images-idx3-ubyte.gz'), path.join(root, 'torch', 'KMNIST', 'raw', 'train-labels-idx1-ubyte.gz')]);
  assert.deepEqual(Array.from(ds.labels), [0, 1, 2, 3, 4, 5, 6].map((i) => label(i)));
  assert.equal(ds.images[(6 * 28 + 27) * 28 + 13], pixel(6, 27, 13));
  const test = loadDataset({ ...env, name: 'KMNIST', split: 'test', datasetDir: path.join(root, 'torch') });
  assert.equal(test.n, 3);
  assert.ok(test.files[0].endsWith('t10k-images-idx3-ubyte'));
  assert.equal(test.images[28 * 28 + 5], pixel(1, 0, 5));
});

test('maxSamples takes the first N in file order', () => {
  const root = tempDir();
  writeIdxSplit(path.join(root, 'd'), 'train', 9, false);
  const ds = loadDataset({ ...isolated(root), name: 'MNIST', split: 'train', datasetDir: path.join(root, 'd'), maxSamples: 4 });
  assert.equal(ds.n, 4);
  assert.equal(ds.images.length, 4 * 784);
  assert.deepEqual(Array.from(ds.labels), [0, 1, 2, 3].map((i) => label(i)));
  assert.equal(ds.images[3 * 784 + 100], pixel(3, 3, 16));
  assert.equal(loadDataset({ ...isolated(root), name: 'MNIST', split: 'train', datasetDir: path.join(root, 'd'), maxSamples: 0 }).n, 9);
  assert.equal(loadDataset({ ...isolated(root), name: 'MNIST', split: 'train', datasetDir: path.join(root, 'd'), maxSamples: 100 }).n, 9);
  assert.throws(() => loadDataset({ ...isolated(root), name: 'MNIST', split: 'train', maxSamples: -1 }), /maxSamples must be a non-negative integer/);
});

test('a wrong image size for the dataset is an error', () => {
  const root = tempDir();
  writeIdxSplit(path.join(root, 'd'), 'train', 2, false, 20);
  assert.throws(() => loadDataset({ ...isolated(root), name: 'MNIST', split: 'train', datasetDir: path.join(root, 'd') }), /images are 20x20, expected 28x28 for MNIST/);
});

test('CIFAR-10: five train batches concatenated, test batch, NHWC', () => {
  const root = tempDir();
  writeCifar10(path.join(root, 'c10'), 2, 3);
  const env = isolated(root);
  const train = loadDataset({ ...env, name: 'CIFAR10', split: 'train', datasetDir: path.join(root, 'c10') });
  assert.deepEqual([train.n, train.height, train.width, train.channels, train.nClasses], [10, 32, 32, 3, 10]);
  assert.equal(train.files.length, 5);
  assert.ok(train.files[4].endsWith(path.join('cifar-10-batches-bin', 'data_batch_5.bin')));
  assert.deepEqual(Array.from(train.labels), [...Array(10).keys()].map((i) => label(i)));
  assert.equal(train.images[((9 * 32 + 31) * 32 + 30) * 3 + 2], pixel(9, 31, 30, 2));
  const test = loadDataset({ ...env, name: 'CIFAR10', split: 'test', datasetDir: path.join(root, 'c10'), maxSamples: 2 });
  assert.equal(test.n, 2);
  assert.ok(test.files[0].endsWith('test_batch.bin'));
});

test('CIFAR-100 via $ICL_DATA_DIR', () => {
  const root = tempDir();
  writeCifar100(path.join(root, 'envdir'), 4, 2);
  const env = isolated(root);
  const ds = loadDataset({ ...env, env: { ICL_DATA_DIR: path.join(root, 'envdir') }, name: 'CIFAR100', split: 'test' });
  assert.equal(ds.n, 2);
  assert.equal(ds.nClasses, 100);
  assert.deepEqual(Array.from(ds.labels), [label(0, 100), label(1, 100)]);
});

test('search order: $ICL_DATA_DIR, ./data, ~/.torch/datasets, ~/.cache, /usr/share/datasets; an explicit dataset_dir alone', () => {
  const root = tempDir();
  const env = isolated(root);
  const dirs = searchDirs('FashionMNIST', undefined, { ...env, env: { ICL_DATA_DIR: '/env' } });
  const idx = (p: string): number => dirs.indexOf(p);
  for (const p of ['/env', path.join(env.cwd, 'data', 'FashionMNIST'),
    path.join(env.home, '.torch', 'datasets', 'FashionMNIST', 'raw'), path.join(env.home, '.cache', 'image-classification-lab'),
    path.join(env.systemDir, 'fashion-mnist')]) assert.ok(idx(p) >= 0, `${p} not in ${dirs.join('\n')}`);
  assert.ok(idx('/env') < idx(path.join(env.cwd, 'data', 'FashionMNIST')));
  assert.ok(idx(path.join(env.cwd, 'data', 'FashionMNIST')) < idx(path.join(env.home, '.torch', 'datasets', 'FashionMNIST', 'raw')));
  assert.ok(idx(path.join(env.home, '.torch', 'datasets', 'FashionMNIST', 'raw')) < idx(path.join(env.systemDir, 'fashion-mnist')));
  const mine = searchDirs('FashionMNIST', '~/mine', { ...env, env: { ICL_DATA_DIR: '/env' } });
  assert.deepEqual(mine, ['', 'raw', 'FashionMNIST', 'FashionMNIST/raw', 'fashion-mnist'].map((s) => path.join(env.home, 'mine', s)));
  const cifar = searchDirs('CIFAR10', undefined, env);
  for (const v of ['cifar-10-batches-bin', 'cifar-10-batches-py']) {
    assert.ok(cifar.includes(path.join(env.home, '.torch', 'datasets', v)));
    assert.ok(cifar.includes(path.join(env.cwd, 'data', v)));
  }
  assert.equal(new Set(cifar).size, cifar.length);
});

test('an explicit dataset_dir that does not exist is a ConfigError; one with only the train files does not take test files from elsewhere', () => {
  const root = tempDir();
  const env = isolated(root);
  writeIdxSplit(path.join(env.systemDir, 'fashion-mnist'), 'train', 2, true);
  writeIdxSplit(path.join(env.systemDir, 'fashion-mnist'), 't10k', 2, true);
  const missing = path.join(root, 'nowhere');
  assert.throws(() => locateDataset({ ...env, name: 'FashionMNIST', split: 'train', datasetDir: missing }), (e: Error) => {
    assert.equal(e.name, 'ConfigError');
    assert.equal(e.message, `dataset.dataset_dir: ${missing} does not exist (when set, only this folder is searched): fix the path, create the folder (a missing dataset is then downloaded into it), or set dataset.dataset_dir '' to search the usual places`);
    return true;
  });
  const onlyTrain = path.join(root, 'only-train');
  writeIdxSplit(onlyTrain, 'train', 3, false);
  assert.equal(locateDataset({ ...env, name: 'FashionMNIST', split: 'train', datasetDir: onlyTrain }).dir, onlyTrain);
  assert.throws(() => locateDataset({ ...env, name: 'FashionMNIST', split: 'test', datasetDir: onlyTrain }), (e: Error) => {
    assert.ok(e.message.startsWith('FashionMNIST test split not found'), e.message);
    assert.ok(!e.message.includes(env.systemDir), e.message);
    return true;
  });
  // Without dataset_dir the system folder is found.
  assert.equal(locateDataset({ ...env, name: 'FashionMNIST', split: 'test' }).dir, path.join(env.systemDir, 'fashion-mnist'));
});

test('Debian layout under the system folder and ./data are found; alternative IDX names accepted', () => {
  const root = tempDir();
  const env = isolated(root);
  writeIdxSplit(path.join(env.systemDir, 'fashion-mnist'), 't10k', 2, true);
  assert.equal(locateDataset({ ...env, name: 'FashionMNIST', split: 'test' }).dir, path.join(env.systemDir, 'fashion-mnist'));
  const local = path.join(env.cwd, 'data', 'FashionMNIST');
  writeIdxSplit(local, 't10k', 2, false);
  fs.renameSync(path.join(local, 't10k-images-idx3-ubyte'), path.join(local, 't10k-images.idx3-ubyte'));
  const found = locateDataset({ ...env, name: 'FashionMNIST', split: 'test' });
  assert.equal(found.dir, local);
  assert.deepEqual(found.files, [path.join(local, 't10k-images.idx3-ubyte'), path.join(local, 't10k-labels-idx1-ubyte')]);
});

test('not found: one message listing every place looked in, incomplete folders, and how to get the data', () => {
  const root = tempDir();
  const env = isolated(root);
  const partial = path.join(root, 'partial');
  writeIdxSplit(partial, 'train', 2, true);
  fs.rmSync(path.join(partial, 'train-labels-idx1-ubyte.gz'));
  let msg = '';
  assert.throws(() => loadDataset({ ...env, env: { ICL_DATA_DIR: path.join(root, 'envdir') }, name: 'FashionMNIST', split: 'train', datasetDir: partial }), (e: Error) => {
    msg = e.message;
    return true;
  });
  assert.ok(msg.startsWith('FashionMNIST train split not found: no folder holds train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz].\nLooked in:\n'), msg);
  for (const d of searchDirs('FashionMNIST', partial, env)) assert.ok(msg.includes(`\n  ${d}\n`), `missing ${d}`);
  assert.ok(!msg.includes('envdir'), msg);
  assert.ok(msg.includes(`Incomplete folders:\n  ${partial} (missing train-labels-idx1-ubyte)`), msg);
  assert.ok(msg.includes('sudo apt-get install dataset-fashion-mnist'));
  assert.ok(msg.includes('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz'));
  assert.throws(() => locateDataset({ ...env, name: 'CIFAR10', split: 'test' }), /CIFAR10 test split not found: no folder holds test_batch\[\.bin\]\.[\s\S]*cifar-10-python\.tar\.gz[\s\S]*cifar-10-binary\.tar\.gz/);
  assert.throws(() => locateDataset({ ...env, name: 'CIFAR100', split: 'train' }), /cifar-100-python\.tar\.gz[\s\S]*cifar-100-binary\.tar\.gz/);
  assert.throws(() => locateDataset({ ...env, name: 'MNIST', split: 'train' }), /ossci-datasets\.s3\.amazonaws\.com\/mnist\/train-images-idx3-ubyte\.gz/);
  assert.throws(() => locateDataset({ ...env, name: 'KMNIST', split: 'train' }), /codh\.rois\.ac\.jp\/kmnist\/dataset\/kmnist\//);
});

test('a truncated CIFAR file found on disk reports file and offset through loadDataset', () => {
  const root = tempDir();
  const dir = path.join(root, 'cifar-100-binary');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'test.bin'), cifarBytes(2, 'CIFAR100').subarray(0, 5000));
  assert.throws(() => loadDataset({ ...isolated(root), name: 'CIFAR100', split: 'test', datasetDir: root }),
    { message: `${path.join(dir, 'test.bin')}: truncated or corrupt: size 5000 bytes is not a multiple of the 3074-byte CIFAR100 record; record 1 starts at byte 3074 but only 1926 bytes follow` });
});

test('subsetDataset picks samples in the given order', () => {
  const root = tempDir();
  writeIdxSplit(path.join(root, 'd'), 'train', 5, false);
  const ds = loadDataset({ ...isolated(root), name: 'MNIST', split: 'train', datasetDir: path.join(root, 'd') });
  const sub = subsetDataset(ds, [4, 1]);
  assert.equal(sub.n, 2);
  assert.deepEqual(Array.from(sub.labels), [label(4), label(1)]);
  assert.deepEqual(sub.images.subarray(784), ds.images.subarray(784, 2 * 784));
  assert.throws(() => subsetDataset(ds, [5]), /index 5 out of range/);
});

test('randomSplit: floor(n·ratio) validation samples, disjoint, deterministic in the seed', () => {
  const root = tempDir();
  writeIdxSplit(path.join(root, 'd'), 'train', 10, false);
  const ds = loadDataset({ ...isolated(root), name: 'MNIST', split: 'train', datasetDir: path.join(root, 'd') });
  const id = (d: typeof ds): number[] => Array.from({ length: d.n }, (_, i) => d.images[i * 784 + 1]); // pixel(i, 0, 1) = 31·i + 3
  const { train, val } = randomSplit(ds, 0.25, 0);
  assert.deepEqual([train.n, val.n], [8, 2]);
  assert.deepEqual([...id(train), ...id(val)].sort((a, b) => a - b), id(ds).sort((a, b) => a - b));
  assert.deepEqual(id(randomSplit(ds, 0.25, 0).val), id(val));
  assert.equal(randomSplit(ds, 0, 0).val.n, 0);
  assert.throws(() => randomSplit(ds, 1, 0), /val_ratio must be in \[0, 1\)/);
});
