import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCifar, readCifarFiles } from '../../runtime/data/cifar';
import { cifarBytes, label, pixel, tempDir } from './fixtures';

const dir = tempDir();

test('CIFAR-10 records: channel-major planes become NHWC, labels exact', () => {
  const bytes = cifarBytes(3, 'CIFAR10');
  const d = parseCifar('CIFAR10', bytes, 'x.bin');
  assert.equal(d.n, 3);
  assert.equal(d.images.length, 3 * 32 * 32 * 3);
  assert.deepEqual(Array.from(d.labels), [label(0), label(1), label(2)]);
  for (let i = 0; i < 3; i++) {
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        for (let c = 0; c < 3; c++) assert.equal(d.images[((i * 32 + y) * 32 + x) * 3 + c], pixel(i, y, x, c));
      }
    }
  }
  // byte-level spot check: record 1, pixel (2, 5), green = byte 1*3073 + 1 + 1024 + 2*32 + 5
  assert.equal(d.images[((1 * 32 + 2) * 32 + 5) * 3 + 1], bytes[3073 + 1 + 1024 + 69]);
});

test('CIFAR-100 uses the fine label (second byte)', () => {
  const bytes = cifarBytes(4, 'CIFAR100');
  assert.notEqual(bytes[0], bytes[1]);
  const d = parseCifar('CIFAR100', bytes, 'train.bin');
  assert.deepEqual(Array.from(d.labels), [0, 1, 2, 3].map((i) => label(i, 100)));
  assert.equal(d.images[0], pixel(0, 0, 0, 0));
  assert.equal(d.images[3 * 32 * 32 * 3 + 2], pixel(3, 0, 0, 2));
});

test('a size that is not a multiple of the record is an error with file and byte offset', () => {
  const f = path.join(dir, 'data_batch_1.bin');
  fs.writeFileSync(f, cifarBytes(2, 'CIFAR10').subarray(0, 2 * 3073 - 100));
  assert.throws(() => readCifarFiles('CIFAR10', [f]), {
    message: `${f}: truncated or corrupt: size 6046 bytes is not a multiple of the 3073-byte CIFAR10 record; record 1 starts at byte 3073 but only 2973 bytes follow`,
  });
  assert.throws(() => parseCifar('CIFAR100', new Uint8Array(3075), 'test.bin'), /test\.bin: .*3074-byte CIFAR100 record; record 1 starts at byte 3074 but only 1 bytes follow/);
});

test('labels out of range are errors naming record and byte', () => {
  const b = cifarBytes(2, 'CIFAR10');
  b[3073] = 10;
  assert.throws(() => parseCifar('CIFAR10', b, 'f.bin'), { message: 'f.bin: label 10 of record 1 (byte 3073) is out of range: expected < 10 classes' });
  const c = cifarBytes(2, 'CIFAR100');
  c[3074 + 1] = 100;
  assert.throws(() => parseCifar('CIFAR100', c, 'g.bin'), { message: 'g.bin: label 100 of record 1 (byte 3075) is out of range: expected < 100 classes' });
  c[3074 + 1] = 5;
  c[3074] = 20;
  assert.throws(() => parseCifar('CIFAR100', c, 'g.bin'), { message: 'g.bin: coarse label 20 of record 1 (byte 3074) is out of range: expected < 20' });
});

test('several files concatenate in order; maxSamples takes the first N across files', () => {
  const files = [0, 1].map((k) => {
    const f = path.join(dir, `batch_${k}.bin`);
    fs.writeFileSync(f, cifarBytes(3, 'CIFAR10', 3 * k));
    return f;
  });
  const all = readCifarFiles('CIFAR10', files);
  assert.equal(all.n, 6);
  assert.deepEqual(Array.from(all.labels), [0, 1, 2, 3, 4, 5].map((i) => label(i)));
  assert.equal(all.images[4 * 3072 + (1 * 32 + 2) * 3 + 1], pixel(4, 1, 2, 1)); // image 4 comes from the second file
  const some = readCifarFiles('CIFAR10', files, 4);
  assert.equal(some.n, 4);
  assert.deepEqual(Array.from(some.labels), [0, 1, 2, 3].map((i) => label(i)));
  assert.deepEqual(some.images, all.images.subarray(0, 4 * 3072));
});
