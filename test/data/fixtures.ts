/** Small dataset fixtures written in the real file formats (IDX, CIFAR binary) into temp folders. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

let root: string | null = null;

/** A fresh temp folder under one per-process root, removed when the process exits. */
export function tempDir(prefix = 'icl-data-'): string {
  if (!root) {
    const r = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-data-tests-'));
    root = r;
    process.on('exit', () => fs.rmSync(r, { recursive: true, force: true }));
  }
  return fs.mkdtempSync(path.join(root, prefix));
}

/** Deterministic pixel value of image i at (y, x, channel c). */
export function pixel(i: number, y: number, x: number, c = 0): number {
  return (i * 31 + y * 7 + x * 3 + c * 85) % 256;
}

/** IDX images file bytes, [n, h, w] with {@link pixel} values. */
export function idxImagesBytes(n: number, h: number, w: number, magic = 0x00000803): Buffer {
  const buf = Buffer.alloc(16 + n * h * w);
  buf.writeUInt32BE(magic, 0);
  buf.writeUInt32BE(n, 4);
  buf.writeUInt32BE(h, 8);
  buf.writeUInt32BE(w, 12);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) buf[16 + (i * h + y) * w + x] = pixel(i, y, x);
  return buf;
}

/** IDX labels file bytes. */
export function idxLabelsBytes(labels: number[], magic = 0x00000801): Buffer {
  const buf = Buffer.alloc(8 + labels.length);
  buf.writeUInt32BE(magic, 0);
  buf.writeUInt32BE(labels.length, 4);
  labels.forEach((l, i) => (buf[8 + i] = l));
  return buf;
}

/** Label of sample i in the fixtures. */
export function label(i: number, nClasses = 10): number {
  return (i * 7 + 3) % nClasses;
}

/** Writes an MNIST-family split (train or t10k) of n images of 28x28 into dir. */
export function writeIdxSplit(dir: string, prefix: 'train' | 't10k', n: number, gz: boolean, size = 28): void {
  fs.mkdirSync(dir, { recursive: true });
  const ext = gz ? '.gz' : '';
  const enc = (b: Buffer): Buffer => (gz ? zlib.gzipSync(b) : b);
  fs.writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte${ext}`), enc(idxImagesBytes(n, size, size)));
  fs.writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte${ext}`), enc(idxLabelsBytes(Array.from({ length: n }, (_, i) => label(i)))));
}

/** CIFAR records: `labelBytes` (1: CIFAR-10, 2: CIFAR-100 coarse+fine), then R, G, B 32x32 planes of {@link pixel}. */
export function cifarBytes(n: number, kind: 'CIFAR10' | 'CIFAR100', first = 0): Buffer {
  const lb = kind === 'CIFAR10' ? 1 : 2;
  const rec = lb + 3072;
  const buf = Buffer.alloc(n * rec);
  for (let r = 0; r < n; r++) {
    const i = first + r;
    const o = r * rec;
    if (kind === 'CIFAR10') buf[o] = label(i, 10);
    else {
      buf[o] = (i * 3 + 11) % 20; // coarse label, differs from the fine one
      buf[o + 1] = label(i, 100);
    }
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) buf[o + lb + c * 1024 + y * 32 + x] = pixel(i, y, x, c);
  }
  return buf;
}

/** Writes cifar-10-batches-bin/ (5 train batches of `perBatch`, test of `test`) under base. */
export function writeCifar10(base: string, perBatch: number, test: number): string {
  const dir = path.join(base, 'cifar-10-batches-bin');
  fs.mkdirSync(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(dir, `data_batch_${b}.bin`), cifarBytes(perBatch, 'CIFAR10', (b - 1) * perBatch));
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarBytes(test, 'CIFAR10'));
  return dir;
}

/** Writes cifar-100-binary/ (train.bin, test.bin) under base. */
export function writeCifar100(base: string, train: number, test: number): string {
  const dir = path.join(base, 'cifar-100-binary');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train.bin'), cifarBytes(train, 'CIFAR100'));
  fs.writeFileSync(path.join(dir, 'test.bin'), cifarBytes(test, 'CIFAR100'));
  return dir;
}

/** Locate options that see nothing of this machine (no env dir, empty home/cwd/system folders). */
export function isolated(root: string): { env: Record<string, string | undefined>; cwd: string; home: string; systemDir: string } {
  const mk = (p: string): string => {
    fs.mkdirSync(p, { recursive: true });
    return p;
  };
  return { env: {}, cwd: mk(path.join(root, 'cwd')), home: mk(path.join(root, 'home')), systemDir: mk(path.join(root, 'system')) };
}

/** Pickle opcodes of a SHORT_BINSTRING (Python 2 `str`, as in the CIFAR python version). */
function pyStr(s: string): Buffer {
  return Buffer.concat([Buffer.from([0x55, s.length]), Buffer.from(s, 'latin1')]);
}

/** A pickled int: BININT1 / BININT2 / BININT. */
function pyInt(v: number): Buffer {
  if (v < 256) return Buffer.from([0x4b, v]);
  if (v < 65536) return Buffer.from([0x4d, v & 0xff, v >> 8]);
  const b = Buffer.alloc(5);
  b[0] = 0x4a;
  b.writeInt32LE(v, 1);
  return b;
}

/**
 * A CIFAR python-version file (what torchvision downloads) of n images, pickled as the dataset
 * authors' Python 2 files are (protocol 2): a dict with `batch_label`, `labels` (CIFAR-10) or
 * `fine_labels` + `coarse_labels` (CIFAR-100), `data` (a numpy uint8 [n, 3072] array built by
 * `numpy.core.multiarray._reconstruct`, raw bytes as a BINSTRING) and `filenames`. Pixels
 * {@link pixel}, labels {@link label} of sample `first + i`.
 */
export function cifarPickleBytes(n: number, kind: 'CIFAR10' | 'CIFAR100', first = 0): Buffer {
  const data = Buffer.alloc(n * 3072);
  for (let r = 0; r < n; r++) for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) data[r * 3072 + c * 1024 + y * 32 + x] = pixel(first + r, y, x, c);
  const list = (values: Buffer[]): Buffer => Buffer.concat([Buffer.from([0x5d, 0x28]), ...values, Buffer.from([0x65])]); // EMPTY_LIST MARK … APPENDS
  const ids = Array.from({ length: n }, (_, r) => first + r);
  const rawLen = Buffer.alloc(4);
  rawLen.writeUInt32LE(data.length);
  const array = Buffer.concat([
    Buffer.from('cnumpy.core.multiarray\n_reconstruct\nq\x05cnumpy\nndarray\nq\x06K\x00\x85q\x07', 'latin1'), pyStr('b'), Buffer.from([0x87, 0x52]), // TUPLE3 REDUCE
    Buffer.from([0x28]), pyInt(1), pyInt(n), pyInt(3072), Buffer.from([0x86]), // (1, (n, 3072),
    Buffer.from('cnumpy\ndtype\nq\x0c', 'latin1'), pyStr('u1'), pyInt(0), pyInt(1), Buffer.from([0x87, 0x52, 0x28]), pyInt(3), pyStr('|'),
    Buffer.from('NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb', 'latin1'), // dtype state, BUILD
    Buffer.from([0x89, 0x54]), rawLen, data, Buffer.from([0x74, 0x62]), // False, BINSTRING raw, TUPLE, BUILD
  ]);
  const items: Buffer[] = [pyStr('batch_label'), pyStr('fixture batch'), pyStr('data'), array];
  if (kind === 'CIFAR10') items.push(pyStr('labels'), list(ids.map((i) => pyInt(label(i, 10)))));
  else items.push(pyStr('fine_labels'), list(ids.map((i) => pyInt(label(i, 100)))), pyStr('coarse_labels'), list(ids.map((i) => pyInt((i * 3 + 11) % 20))));
  items.push(pyStr('filenames'), list(ids.map((i) => pyStr(`img_${i}.png`))));
  return Buffer.concat([Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x01, 0x28]), ...items, Buffer.from([0x75, 0x2e])]); // PROTO 2 EMPTY_DICT BINPUT MARK … SETITEMS STOP
}

/**
 * Writes the CIFAR python-version folder (`cifar-10-batches-py/` with data_batch_1 … 5 of
 * `perBatch` images and test_batch of `test`; or `cifar-100-python/` with train and test) under base.
 */
export function writeCifarPython(base: string, kind: 'CIFAR10' | 'CIFAR100', perBatch: number, test: number): string {
  const dir = path.join(base, kind === 'CIFAR10' ? 'cifar-10-batches-py' : 'cifar-100-python');
  fs.mkdirSync(dir, { recursive: true });
  if (kind === 'CIFAR10') {
    for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(dir, `data_batch_${b}`), cifarPickleBytes(perBatch, kind, (b - 1) * perBatch));
    fs.writeFileSync(path.join(dir, 'test_batch'), cifarPickleBytes(test, kind));
  } else {
    fs.writeFileSync(path.join(dir, 'train'), cifarPickleBytes(perBatch, kind));
    fs.writeFileSync(path.join(dir, 'test'), cifarPickleBytes(test, kind));
  }
  fs.writeFileSync(path.join(dir, 'readme.html'), '<p>fixture</p>\n');
  return dir;
}
