/**
 * IDX readers (the MNIST-family file format: `*-idx3-ubyte` images, `*-idx1-ubyte` labels),
 * optionally gzip-compressed. Gzip is detected from the content (magic 1f 8b), so a `.gz` name is
 * not required, and a `.gz` file that is not gzip is an error.
 *
 * Format: big-endian header, magic `0x00 0x00 <type> <ndims>` with type 0x08 (unsigned byte), then
 * `ndims` uint32 dimension sizes, then the data in C order. Images: magic 0x00000803, [N, H, W];
 * labels: magic 0x00000801, [N]. The file must be exactly header + product(dims) bytes long.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/** Magic number of an unsigned-byte, 3-dimensional IDX file (images). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an unsigned-byte, 1-dimensional IDX file (labels). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** Images read from an IDX file. */
export interface IdxImages {
  /** uint8 pixels [n, height, width], row-major (0 = background for MNIST). A view of the file data. */
  data: Uint8Array;
  n: number;
  height: number;
  width: number;
}

/**
 * Reads a whole file and gunzips it if it starts with the gzip magic.
 * @returns the (decompressed) bytes and whether they were compressed
 * @throws naming the file if it cannot be read, is named `.gz` but is not gzip, or is corrupt gzip
 */
export function readMaybeGzip(file: string): { bytes: Uint8Array; compressed: boolean } {
  const raw = fs.readFileSync(file);
  const isGzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  if (!isGzip) {
    if (file.endsWith('.gz')) {
      throw new Error(`${file}: not a gzip file (expected bytes 1f 8b at byte 0, got ${hexBytes(raw, 0, 2)})`);
    }
    return { bytes: new Uint8Array(raw.buffer, raw.byteOffset, raw.length), compressed: false };
  }
  try {
    const out = zlib.gunzipSync(raw);
    return { bytes: new Uint8Array(out.buffer, out.byteOffset, out.length), compressed: true };
  } catch (err) {
    throw new Error(`${file}: corrupt gzip data (${(err as Error).message}); delete the file and get it again`);
  }
}

function hexBytes(b: Uint8Array, from: number, count: number): string {
  const parts: string[] = [];
  for (let i = from; i < Math.min(b.length, from + count); i++) parts.push(b[i].toString(16).padStart(2, '0'));
  return parts.length ? parts.join(' ') : '<end of file>';
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/**
 * Parses an IDX unsigned-byte buffer with the expected number of dimensions.
 * @param what describes the content for messages, e.g. `images` / `labels`
 * @returns the dims and the data view (after the header)
 * @throws with the file name, byte offset and expectation on a bad magic, a short header, a
 *   truncated body, or trailing bytes
 */
function parseIdx(bytes: Uint8Array, file: string, compressed: boolean, ndims: number, what: string): { dims: number[]; data: Uint8Array } {
  const where = compressed ? ' (decompressed)' : '';
  const magic = ndims === 3 ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC;
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < 4) {
    throw new Error(`${file}: truncated at byte ${bytes.length}${where}: expected the 4-byte IDX magic ${hex32(magic)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got = view.getUint32(0, false);
  if (got !== magic) {
    const kind = bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08 ? `an IDX file with ${bytes[3]} dims` : 'not an unsigned-byte IDX file';
    throw new Error(`${file}: bad magic number ${hex32(got)} at byte 0${where}: expected ${hex32(magic)} (IDX ${what}, unsigned byte, ${ndims} dims); found ${kind}`);
  }
  if (bytes.length < headerLen) {
    throw new Error(`${file}: truncated at byte ${bytes.length}${where}: expected a ${headerLen}-byte IDX header with ${ndims} dimension sizes`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (ndims === 3 && (dims[1] === 0 || dims[2] === 0)) {
    throw new Error(`${file}: invalid image size ${dims[1]}x${dims[2]} in the header at byte 8${where}`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerLen + count;
  const desc = ndims === 3 ? `${dims[0]} images of ${dims[1]}x${dims[2]}` : `${dims[0]} labels`;
  if (bytes.length < expected) {
    throw new Error(`${file}: truncated at byte ${bytes.length}${where}: expected ${expected} bytes for ${desc}`);
  }
  if (bytes.length > expected) {
    throw new Error(`${file}: ${bytes.length - expected} unexpected trailing bytes from byte ${expected}${where}: expected exactly ${expected} bytes for ${desc}`);
  }
  return { dims, data: bytes.subarray(headerLen, expected) };
}

/**
 * Reads an IDX images file (`*-idx3-ubyte`, optionally gzip).
 * @param file path to the file
 * @returns uint8 images [n, height, width]
 * @throws see {@link parseIdx} and {@link readMaybeGzip}
 */
export function readIdxImages(file: string): IdxImages {
  const { bytes, compressed } = readMaybeGzip(file);
  return parseIdxImages(bytes, file, compressed);
}

/** Parses IDX images from bytes already in memory (`file` is only used in messages). */
export function parseIdxImages(bytes: Uint8Array, file: string, compressed = false): IdxImages {
  const { dims, data } = parseIdx(bytes, file, compressed, 3, 'images');
  return { data, n: dims[0], height: dims[1], width: dims[2] };
}

/**
 * Reads an IDX labels file (`*-idx1-ubyte`, optionally gzip).
 * @param file path to the file
 * @param nClasses if given, every label must be < nClasses
 * @returns labels [n] as int32
 * @throws see {@link parseIdx}; a label ≥ nClasses names its index and byte offset
 */
export function readIdxLabels(file: string, nClasses?: number): Int32Array {
  const { bytes, compressed } = readMaybeGzip(file);
  return parseIdxLabels(bytes, file, nClasses, compressed);
}

/** Parses IDX labels from bytes already in memory (`file` is only used in messages). */
export function parseIdxLabels(bytes: Uint8Array, file: string, nClasses?: number, compressed = false): Int32Array {
  const { data } = parseIdx(bytes, file, compressed, 1, 'labels');
  const labels = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (nClasses !== undefined && v >= nClasses) {
      throw new Error(`${file}: label ${v} of sample ${i} (byte ${8 + i}${compressed ? ', decompressed' : ''}) is out of range: expected < ${nClasses} classes`);
    }
    labels[i] = v;
  }
  return labels;
}

/**
 * Reads a matching pair of IDX images and labels files.
 * @throws as the single readers, and if the image and label counts differ
 */
export function readIdxPair(imagesFile: string, labelsFile: string, nClasses?: number): { images: IdxImages; labels: Int32Array } {
  const images = readIdxImages(imagesFile);
  const labels = readIdxLabels(labelsFile, nClasses);
  if (images.n !== labels.length) {
    throw new Error(`${imagesFile} holds ${images.n} images but ${labelsFile} holds ${labels.length} labels: the counts must match`);
  }
  return { images, labels };
}
