import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { readIdxImages, readIdxLabels, readIdxPair } from '../../runtime/data/idx';
import { idxImagesBytes, idxLabelsBytes, pixel, tempDir } from './fixtures';

const dir = tempDir();
function write(name: string, data: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

test('reads raw and gzip IDX images with exact pixels', () => {
  const raw = write('a-images-idx3-ubyte', idxImagesBytes(3, 5, 4));
  const gz = write('a-images-idx3-ubyte.gz', zlib.gzipSync(idxImagesBytes(3, 5, 4)));
  for (const f of [raw, gz]) {
    const im = readIdxImages(f);
    assert.deepEqual([im.n, im.height, im.width], [3, 5, 4]);
    assert.equal(im.data.length, 60);
    assert.equal(im.data[0], pixel(0, 0, 0));
    assert.equal(im.data[(2 * 5 + 3) * 4 + 1], pixel(2, 3, 1));
    for (let i = 0; i < 3; i++) for (let y = 0; y < 5; y++) for (let x = 0; x < 4; x++) assert.equal(im.data[(i * 5 + y) * 4 + x], pixel(i, y, x));
  }
});

test('gzip is detected from the content even without a .gz name', () => {
  const f = write('b-labels-idx1-ubyte', zlib.gzipSync(idxLabelsBytes([4, 0, 9])));
  assert.deepEqual(Array.from(readIdxLabels(f)), [4, 0, 9]);
});

test('reads labels and checks the range', () => {
  const f = write('c-labels-idx1-ubyte', idxLabelsBytes([1, 2, 9, 3]));
  assert.deepEqual(Array.from(readIdxLabels(f, 10)), [1, 2, 9, 3]);
  assert.throws(() => readIdxLabels(f, 9), (e: Error) => {
    assert.match(e.message, /c-labels-idx1-ubyte: label 9 of sample 2 \(byte 10\) is out of range: expected < 9 classes/);
    return true;
  });
});

test('a truncated images file names the file, the byte offset and what was expected', () => {
  const full = idxImagesBytes(10, 28, 28);
  const f = write('train-images-idx3-ubyte.gz', zlib.gzipSync(full.subarray(0, 16 + 500)));
  assert.throws(() => readIdxImages(f), {
    message: `${f}: truncated at byte 516 (decompressed): expected 7856 bytes for 10 images of 28x28`,
  });
  const r = write('t-images-idx3-ubyte', full.subarray(0, 100));
  assert.throws(() => readIdxImages(r), { message: `${r}: truncated at byte 100: expected 7856 bytes for 10 images of 28x28` });
  const h = write('h-images-idx3-ubyte', full.subarray(0, 10));
  assert.throws(() => readIdxImages(h), { message: `${h}: truncated at byte 10: expected a 16-byte IDX header with 3 dimension sizes` });
});

test('trailing bytes are an error too (exact size)', () => {
  const f = write('x-labels-idx1-ubyte', Buffer.concat([idxLabelsBytes([1, 2]), Buffer.from([0, 0, 0])]));
  assert.throws(() => readIdxLabels(f), { message: `${f}: 3 unexpected trailing bytes from byte 10: expected exactly 10 bytes for 2 labels` });
});

test('a bad magic number is reported with what was expected', () => {
  const labelsAsImages = write('swapped-images-idx3-ubyte', idxLabelsBytes([1, 2, 3]));
  assert.throws(() => readIdxImages(labelsAsImages), (e: Error) => {
    assert.ok(e.message.startsWith(`${labelsAsImages}: bad magic number 0x00000801 at byte 0: expected 0x00000803 (IDX images, unsigned byte, 3 dims)`), e.message);
    assert.match(e.message, /found an IDX file with 1 dims/);
    return true;
  });
  const junk = write('junk-labels-idx1-ubyte', Buffer.from('hello world'));
  assert.throws(() => readIdxLabels(junk), /junk-labels-idx1-ubyte: bad magic number 0x68656c6c at byte 0: expected 0x00000801 \(IDX labels.*not an unsigned-byte IDX file/);
});

test('a corrupt gzip, or a .gz that is not gzip, names the file', () => {
  const gz = zlib.gzipSync(idxImagesBytes(2, 4, 4));
  gz[gz.length - 6] ^= 0xff; // break the CRC
  const bad = write('bad-images-idx3-ubyte.gz', gz);
  assert.throws(() => readIdxImages(bad), (e: Error) => e.message.startsWith(`${bad}: corrupt gzip data`));
  const cut = write('cut-images-idx3-ubyte.gz', zlib.gzipSync(idxImagesBytes(2, 4, 4)).subarray(0, 20));
  assert.throws(() => readIdxImages(cut), (e: Error) => e.message.startsWith(`${cut}: corrupt gzip data`));
  const notGz = write('plain-images-idx3-ubyte.gz', idxImagesBytes(2, 4, 4));
  assert.throws(() => readIdxImages(notGz), { message: `${notGz}: not a gzip file (expected bytes 1f 8b at byte 0, got 00 00)` });
});

test('image and label counts must match', () => {
  const im = write('p-images-idx3-ubyte', idxImagesBytes(3, 2, 2));
  const lb = write('p-labels-idx1-ubyte', idxLabelsBytes([1, 2]));
  assert.throws(() => readIdxPair(im, lb, 10), { message: `${im} holds 3 images but ${lb} holds 2 labels: the counts must match` });
  const ok = write('q-labels-idx1-ubyte', idxLabelsBytes([1, 2, 3]));
  const pair = readIdxPair(im, ok, 10);
  assert.equal(pair.images.n, 3);
  assert.deepEqual(Array.from(pair.labels), [1, 2, 3]);
});

test('a missing file gives the usual ENOENT error with its path', () => {
  assert.throws(() => readIdxImages(path.join(dir, 'nope')), /ENOENT.*nope/);
});
