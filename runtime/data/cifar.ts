/**
 * CIFAR readers: the binary version ("CIFAR-10 binary version" / "CIFAR-100 binary version" from
 * the dataset authors), and through ./cifar_pickle.ts the python version torchvision downloads.
 *
 * Record layouts (no header; the file is a sequence of fixed-size records):
 * - CIFAR-10 (`data_batch_{1..5}.bin`, `test_batch.bin`): 1 label byte (0..9), then 3072 pixel bytes.
 * - CIFAR-100 (`train.bin`, `test.bin`): 1 coarse label byte (0..19), 1 fine label byte (0..99),
 *   then 3072 pixel bytes. The fine label is used.
 * The 3072 pixel bytes are channel-major: the 32x32 red plane (row-major), then green, then blue.
 */
import * as fs from 'node:fs';
import { parseCifarPickle, type CifarPlanes } from './cifar_pickle';

/** CIFAR image side, pixels. */
export const CIFAR_SIZE = 32;
const PLANE = CIFAR_SIZE * CIFAR_SIZE;
const PIXELS = 3 * PLANE;

/** Which CIFAR flavour a file is. */
export type CifarKind = 'CIFAR10' | 'CIFAR100';

/** Bytes per record: CIFAR-10 3073, CIFAR-100 3074. */
export function cifarRecordSize(kind: CifarKind): number {
  return (kind === 'CIFAR10' ? 1 : 2) + PIXELS;
}

/** Records decoded from one or more CIFAR binary files. */
export interface CifarData {
  /** uint8 images [n, 32, 32, 3] NHWC (R, G, B). */
  images: Uint8Array;
  /** labels [n] (fine labels for CIFAR-100). */
  labels: Int32Array;
  n: number;
}

/** Copies one image from R, G, B 32x32 planes (`src` at `from`) to HWC (`dst` at `to`). */
function planesToHwc(src: Uint8Array, from: number, dst: Uint8Array, to: number): void {
  for (let p = 0; p < PLANE; p++) {
    const d = to + 3 * p;
    dst[d] = src[from + p];
    dst[d + 1] = src[from + PLANE + p];
    dst[d + 2] = src[from + 2 * PLANE + p];
  }
}

/** True for a binary-version file name (`*.bin`); the python-version files have no extension. */
export function isCifarBinary(file: string): boolean {
  return file.endsWith('.bin');
}

/**
 * Decodes CIFAR binary records into NHWC.
 * @param bytes the file content
 * @param file used in messages only
 * @param maxRecords decode at most this many (from the start); undefined = all
 * @param out optional destination for the images, [≥ count, 32, 32, 3]; `outOffset` in images
 * @throws naming the file and byte offset if its size is not a multiple of the record size, or a
 *   label is out of range (CIFAR-10 < 10; CIFAR-100 coarse < 20, fine < 100)
 */
export function parseCifar(kind: CifarKind, bytes: Uint8Array, file: string, maxRecords?: number,
  out?: { images: Uint8Array; labels: Int32Array; offset: number }): CifarData {
  const rec = cifarRecordSize(kind);
  if (bytes.length % rec !== 0) {
    const whole = Math.floor(bytes.length / rec);
    throw new Error(`${file}: truncated or corrupt: size ${bytes.length} bytes is not a multiple of the ${rec}-byte ${kind} record; ` +
      `record ${whole} starts at byte ${whole * rec} but only ${bytes.length - whole * rec} bytes follow`);
  }
  const total = bytes.length / rec;
  const n = maxRecords === undefined ? total : Math.min(total, maxRecords);
  const images = out ? out.images : new Uint8Array(n * PIXELS);
  const labels = out ? out.labels : new Int32Array(n);
  const base = out ? out.offset : 0;
  const labelBytes = kind === 'CIFAR10' ? 1 : 2;
  const nClasses = kind === 'CIFAR10' ? 10 : 100;
  for (let i = 0; i < n; i++) {
    const r = i * rec;
    if (kind === 'CIFAR100' && bytes[r] >= 20) {
      throw new Error(`${file}: coarse label ${bytes[r]} of record ${i} (byte ${r}) is out of range: expected < 20`);
    }
    const label = bytes[r + labelBytes - 1];
    if (label >= nClasses) {
      throw new Error(`${file}: label ${label} of record ${i} (byte ${r + labelBytes - 1}) is out of range: expected < ${nClasses} classes`);
    }
    labels[base + i] = label;
    planesToHwc(bytes, r + labelBytes, images, (base + i) * PIXELS);
  }
  return { images: out ? images.subarray(base * PIXELS, (base + n) * PIXELS) : images, labels: out ? labels.subarray(base, base + n) : labels, n };
}

/** Number of records in a CIFAR binary file, from its size (throws as {@link parseCifar} if not whole). */
export function cifarRecordCount(kind: CifarKind, file: string): number {
  const size = fs.statSync(file).size;
  const rec = cifarRecordSize(kind);
  if (size % rec !== 0) {
    const whole = Math.floor(size / rec);
    throw new Error(`${file}: truncated or corrupt: size ${size} bytes is not a multiple of the ${rec}-byte ${kind} record; ` +
      `record ${whole} starts at byte ${whole * rec} but only ${size - whole * rec} bytes follow`);
  }
  return size / rec;
}

/**
 * Reads CIFAR files in order and concatenates them: binary-version files (`*.bin`) or
 * python-version files (pickles, ./cifar_pickle.ts), told apart by {@link isCifarBinary}.
 * @param files e.g. `data_batch_1.bin` … `data_batch_5.bin`, or `data_batch_1` … `data_batch_5`
 * @param maxSamples 0/undefined = all; else the first N records in file order
 * @param alloc allocator for the image buffer (e.g. backed by a SharedArrayBuffer); default plain
 * @returns images [n, 32, 32, 3] NHWC uint8 and labels [n]
 * @throws naming the file (and byte) for any format error of either reader
 */
export function readCifarFiles(kind: CifarKind, files: string[], maxSamples?: number,
  alloc: (bytes: number) => Uint8Array = (b) => new Uint8Array(b)): CifarData {
  const pickled = new Map<string, CifarPlanes>();
  const counts = files.map((f) => {
    if (isCifarBinary(f)) return cifarRecordCount(kind, f);
    const buf = fs.readFileSync(f);
    const p = parseCifarPickle(kind, new Uint8Array(buf.buffer, buf.byteOffset, buf.length), f);
    pickled.set(f, p);
    return p.n;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const n = maxSamples ? Math.min(maxSamples, total) : total;
  const images = alloc(n * PIXELS);
  const labels = new Int32Array(n);
  let offset = 0;
  for (let i = 0; i < files.length && offset < n; i++) {
    const p = pickled.get(files[i]);
    if (p) {
      const take = Math.min(p.n, n - offset);
      for (let j = 0; j < take; j++) planesToHwc(p.planes, j * PIXELS, images, (offset + j) * PIXELS);
      labels.set(p.labels.subarray(0, take), offset);
      offset += take;
      continue;
    }
    const buf = fs.readFileSync(files[i]);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    offset += parseCifar(kind, bytes, files[i], n - offset, { images, labels, offset }).n;
  }
  return { images, labels, n };
}
