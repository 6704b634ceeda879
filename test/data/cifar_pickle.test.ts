/** The CIFAR python version (torchvision's download) and the pickle reader under it. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readCifarFiles } from '../../runtime/data/cifar';
import { parseCifarPickle } from '../../runtime/data/cifar_pickle';
import { loadDataset } from '../../runtime/data/dataset';
import { NdArray, PyBytes, unpickle } from '../../runtime/data/pickle';
import { cifarPickleBytes, isolated, label, tempDir, writeCifar10, writeCifar100, writeCifarPython } from './fixtures';

test('the python version decodes to exactly the images and labels of the binary version', () => {
  const root = tempDir();
  for (const kind of ['CIFAR10', 'CIFAR100'] as const) {
    const py = writeCifarPython(path.join(root, `${kind}-py`), kind, 3, 2);
    const bin = kind === 'CIFAR10' ? writeCifar10(path.join(root, `${kind}-bin`), 3, 2) : writeCifar100(path.join(root, `${kind}-bin`), 3, 2);
    const pyFiles = kind === 'CIFAR10' ? [1, 2, 3, 4, 5].map((b) => path.join(py, `data_batch_${b}`)) : [path.join(py, 'train')];
    const binFiles = kind === 'CIFAR10' ? [1, 2, 3, 4, 5].map((b) => path.join(bin, `data_batch_${b}.bin`)) : [path.join(bin, 'train.bin')];
    const a = readCifarFiles(kind, pyFiles);
    const b = readCifarFiles(kind, binFiles);
    assert.equal(a.n, kind === 'CIFAR10' ? 15 : 3);
    assert.deepEqual(a.labels, b.labels);
    assert.deepEqual(a.images, b.images);
    assert.deepEqual(readCifarFiles(kind, pyFiles, 4).labels, b.labels.subarray(0, Math.min(4, b.n)));
  }
  const ds = loadDataset({ ...isolated(root), name: 'CIFAR100', split: 'test', datasetDir: path.join(root, 'CIFAR100-py') });
  assert.deepEqual(ds.files, [path.join(root, 'CIFAR100-py', 'cifar-100-python', 'test')]);
  assert.deepEqual(Array.from(ds.labels), [label(0, 100), label(1, 100)]);
});

test('the pickle reader: the dict, the numpy array (shape, dtype, bytes) and the lists of a CIFAR file', () => {
  const v = unpickle(cifarPickleBytes(2, 'CIFAR10', 7), 'f');
  assert.ok(v instanceof Map);
  assert.deepEqual([...v.keys()], ['batch_label', 'data', 'labels', 'filenames']);
  const data = v.get('data') as NdArray;
  assert.deepEqual([data.dtype, data.shape, data.data.length], ['u1', [2, 3072], 6144]);
  assert.deepEqual(v.get('labels'), [label(7), label(8)]);
  assert.deepEqual((v.get('filenames') as PyBytes[]).map(String), ['img_7.png', 'img_8.png']);
});

test('the pickle reader refuses to run code and names file and byte of what it cannot read', () => {
  // GLOBAL os.system, a string, TUPLE1, REDUCE
  const evil = Buffer.from('\x80\x02cos\nsystem\nU\x04echo\x85R.', 'latin1');
  assert.throws(() => unpickle(evil, 'evil'), { message: 'evil: pickle calls os.system, which this reader does not run at byte 20' });
  assert.throws(() => unpickle(Buffer.from('\x80\x02}q\x01(U\x04data', 'latin1'), 'cut'), { message: 'cut: pickle truncated (ends before its STOP opcode) at byte 12' });
  assert.throws(() => unpickle(Buffer.from('\x80\x02}q\x01(U\x08dat', 'latin1'), 'cut'), { message: 'cut: pickle truncated (opcode 0x55 needs 8 bytes) at byte 6' });
  assert.throws(() => unpickle(Buffer.from([0x80, 0x02, 0x66]), 'odd'), { message: 'odd: pickle opcode 0x66 is not supported by this reader at byte 2' });
});

test('a python-version file with the wrong content names the file and what was expected', () => {
  const dir = tempDir();
  const f = path.join(dir, 'data_batch_1');
  fs.writeFileSync(f, cifarPickleBytes(2, 'CIFAR100'));
  assert.throws(() => readCifarFiles('CIFAR10', [f]), { message: `${f}: not a CIFAR10 python-version file (no list "labels")` });
  const bytes = cifarPickleBytes(2, 'CIFAR10');
  // label list [K a, K b]: make the second label 10
  const at = bytes.indexOf(Buffer.from('labels', 'latin1')) + 6 + 2 + 2;
  assert.equal(bytes[at], 0x4b);
  bytes[at + 1] = 10;
  assert.throws(() => parseCifarPickle('CIFAR10', bytes, 'b'), { message: 'b: "labels"[1] is 10: expected an integer in [0, 10)' });
});
