/**
 * The checkpoint file format: one self-describing binary file per saved epoch, bytes only (no file
 * system; checkpoint.ts stores, finds and restores them). The original's fvcore `Checkpointer`
 * saved `checkpoint_%05d.pth` with {model, optimizer, scheduler, epoch, global_step, config}.
 *
 * File `checkpoint_00010.ckpt` (format version 1, all integers little-endian; see docs/checkpoint-format.md):
 *
 * | bytes                 | content                                                                   |
 * |-----------------------|---------------------------------------------------------------------------|
 * | 0..8                  | magic, ASCII `ICLCKPT1`                                                   |
 * | 8..12                 | uint32 H, the header length in bytes                                      |
 * | 12..12+H              | UTF-8 JSON header, padded with spaces so that D = 12 + H is a multiple of 8 |
 * | D..D+data_bytes       | tensor data: float32 / int32 little-endian, row-major, at header offsets  |
 *
 * Header: `{ format, version, created, epoch, global_step, optimizer, rng, config, data_bytes,
 * data_sha256, tensors: [{ group, name, dtype, shape, offset, nbytes }] }` where `group` is `params`,
 * `buffers` or `optimizer`, `offset` is relative to D, `nbytes` = 4·prod(shape), and `data_sha256` is
 * the hex SHA-256 of bytes D..D+data_bytes. The file is exactly D + data_bytes long.
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';


/** The 8 bytes every checkpoint starts with. */
export const CHECKPOINT_MAGIC = 'ICLCKPT1';
/** Header `version` written and read by this module. */
export const CHECKPOINT_VERSION = 1;
/** Header `format` string. */
export const CHECKPOINT_FORMAT = 'image-classification-lab checkpoint';
/** Bytes before the JSON header: the magic and the header length. */
export const PREAMBLE_BYTES = 12;
const ALIGN = 8;

/** Element types a checkpoint can hold (4 bytes each). */
export type CheckpointDtype = 'float32' | 'int32';
const DTYPES: readonly CheckpointDtype[] = ['float32', 'int32'];

/** A tensor held in host memory. `values.length` = prod(shape). */
export interface HostTensor {
  dtype: CheckpointDtype;
  shape: number[];
  values: Float32Array | Int32Array;
}

/** A tensor to save: host data or a live TensorFlow.js tensor/variable (read with `dataSync`, not disposed). */
export type SavableTensor = HostTensor | tf.Tensor;

/** The groups of tensors in a checkpoint. */
export type TensorGroup = 'params' | 'buffers' | 'optimizer';
const GROUPS: readonly TensorGroup[] = ['params', 'buffers', 'optimizer'];

/** What a checkpoint holds besides the epoch (checkpoint.ts's `saveCheckpoint` writes it). */
export interface CheckpointInput<T = SavableTensor> {
  /** Optimizer steps done so far: the lr schedule position (its `t`). Non-negative integer. */
  global_step: number;
  /** Model parameters by `Param.name`. */
  params: Record<string, T>;
  /** Model buffers (BN running statistics) by `Buffer.name`. */
  buffers: Record<string, T>;
  /** Optimizer state ({@link Optimizer.getState}). */
  optimizer: { name: string; tensors: Record<string, T> };
  /** Random-number-generator state, opaque; must be JSON-serialisable (`undefined` is saved as null). */
  rng: unknown;
  /** The full run config, opaque; must be a JSON-serialisable object. */
  config: Record<string, unknown>;
}

/** A checkpoint read back ({@link decodeCheckpoint}), tensors in host memory. */
export interface Checkpoint extends CheckpointInput<HostTensor> {
  /** The file it was read from. */
  path: string;
  /** The epoch it was saved after (1-based, as in the file name). */
  epoch: number;
  /** ISO time of writing. */
  created: string;
}

/** A checkpoint that cannot be read: names the file and, where it applies, the byte offset of the problem. */
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number | undefined,
    detail: string,
  ) {
    super(`${file}: ${detail}${offset === undefined ? '' : ` (at byte offset ${offset})`}`);
    this.name = 'CheckpointError';
  }
}

interface TensorEntry {
  group: TensorGroup;
  name: string;
  dtype: CheckpointDtype;
  shape: number[];
  offset: number;
  nbytes: number;
}

/** The JSON header of a checkpoint (see the table above). */
export interface CheckpointHeader {
  format: string;
  version: number;
  created: string;
  epoch: number;
  global_step: number;
  optimizer: string;
  rng: unknown;
  config: Record<string, unknown>;
  data_bytes: number;
  data_sha256: string;
  tensors: TensorEntry[];
}

function isHostTensor(t: SavableTensor): t is HostTensor {
  return !(t instanceof tf.Tensor);
}

function toHost(t: SavableTensor, what: string): HostTensor {
  if (isHostTensor(t)) {
    if (!DTYPES.includes(t.dtype)) throw new Error(`${what}: dtype ${String(t.dtype)} cannot be saved (allowed: ${DTYPES.join(', ')})`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.values.length !== n) throw new Error(`${what}: ${t.values.length} values for shape [${t.shape.join(', ')}] (${n})`);
    return t;
  }
  if (t.isDisposed) throw new Error(`${what}: tensor is disposed`);
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new Error(`${what}: dtype ${t.dtype} cannot be saved (allowed: ${DTYPES.join(', ')})`);
  }
  return { dtype: t.dtype, shape: t.shape.slice(), values: t.dataSync() as Float32Array | Int32Array };
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** The little-endian bytes of `values` (a view on little-endian hosts, a copy otherwise). */
function leBytes(values: Float32Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => (values instanceof Float32Array ? view.setFloat32(i * 4, v, true) : view.setInt32(i * 4, v, true)));
  return out;
}

/**
 * The bytes of a checkpoint of `epoch` (the format above), in chunks to write in order.
 * @param data tensors are read with `dataSync` and not disposed.
 * @throws Error for an invalid epoch/global_step, a tensor with an unsupported dtype or the wrong number
 *   of values, a duplicate tensor name, or a config that is not an object.
 */
export function encodeCheckpoint(epoch: number, data: CheckpointInput): Uint8Array[] {
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`saveCheckpoint: epoch must be an integer >= 0, got ${String(epoch)}`);
  if (!Number.isInteger(data.global_step) || data.global_step < 0) {
    throw new Error(`saveCheckpoint: global_step must be an integer >= 0, got ${String(data.global_step)}`);
  }
  if (data.config === null || typeof data.config !== 'object' || Array.isArray(data.config)) {
    throw new Error('saveCheckpoint: config must be a JSON object');
  }
  const entries: TensorEntry[] = [];
  const arrays: Uint8Array[] = [];
  let offset = 0;
  const groups: Record<TensorGroup, Record<string, SavableTensor>> = {
    params: data.params,
    buffers: data.buffers,
    optimizer: data.optimizer.tensors,
  };
  for (const group of GROUPS) {
    for (const [name, t] of Object.entries(groups[group])) {
      const host = toHost(t, `saveCheckpoint: ${group} '${name}'`);
      const bytes = leBytes(host.values);
      entries.push({ group, name, dtype: host.dtype, shape: host.shape, offset, nbytes: bytes.byteLength });
      arrays.push(bytes);
      offset += bytes.byteLength;
    }
  }
  const hash = crypto.createHash('sha256');
  for (const a of arrays) hash.update(a);
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    created: new Date().toISOString(),
    epoch,
    global_step: data.global_step,
    optimizer: data.optimizer.name,
    rng: data.rng ?? null,
    config: data.config,
    data_bytes: offset,
    data_sha256: hash.digest('hex'),
    tensors: entries,
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (ALIGN - ((PREAMBLE_BYTES + json.byteLength) % ALIGN)) % ALIGN;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  preamble.write(CHECKPOINT_MAGIC, 0, 'ascii');
  preamble.writeUInt32LE(json.byteLength, 8);

  return [preamble, json, ...arrays];
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/**
 * Parses and validates the preamble and header from `head` (at least the first 12 + H bytes, see
 * {@link checkpointHeadBytes}) of a file of `size` bytes.
 * @throws CheckpointError naming the file and the byte offset of the problem
 */
export function parseCheckpointHeader(file: string, head: Buffer, size: number): { header: CheckpointHeader; dataStart: number } {
  if (size < PREAMBLE_BYTES) {
    throw new CheckpointError(file, size, `truncated: ${size} bytes, shorter than the 12-byte preamble (magic + header length)`);
  }
  const magic = head.subarray(0, 8);
  if (!magic.equals(Buffer.from(CHECKPOINT_MAGIC, 'ascii'))) {
    throw new CheckpointError(file, 0, `not a checkpoint: magic is ${JSON.stringify(magic.toString('latin1'))}, expected "${CHECKPOINT_MAGIC}"`);
  }
  const headerBytes = head.readUInt32LE(8);
  const dataStart = PREAMBLE_BYTES + headerBytes;
  if (dataStart > size) {
    throw new CheckpointError(file, size, `truncated: the header needs bytes 12..${dataStart}, the file has ${size} bytes`);
  }
  const bad = (detail: string): CheckpointError => new CheckpointError(file, PREAMBLE_BYTES, `corrupt header: ${detail}`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(PREAMBLE_BYTES, dataStart)));
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('not a JSON object');
  const h = raw as Partial<CheckpointHeader>;
  if (h.version !== CHECKPOINT_VERSION) {
    throw bad(`version ${JSON.stringify(h.version)} is not supported (this reader reads version ${CHECKPOINT_VERSION})`);
  }
  for (const key of ['epoch', 'global_step', 'data_bytes'] as const) {
    if (!isNonNegInt(h[key])) throw bad(`'${key}' must be an integer >= 0, got ${JSON.stringify(h[key])}`);
  }
  if (typeof h.optimizer !== 'string') throw bad(`'optimizer' must be a string`);
  if (typeof h.data_sha256 !== 'string') throw bad(`'data_sha256' must be a string`);
  if (h.config === null || typeof h.config !== 'object' || Array.isArray(h.config)) throw bad(`'config' must be an object`);
  if (!Array.isArray(h.tensors)) throw bad(`'tensors' must be an array`);
  const dataBytes = h.data_bytes as number;
  const seen = new Set<string>();
  h.tensors.forEach((e: Partial<TensorEntry>, i) => {
    const where = `tensors[${i}]`;
    if (e === null || typeof e !== 'object') throw bad(`${where} must be an object`);
    if (!GROUPS.includes(e.group as TensorGroup)) throw bad(`${where}.group must be one of ${GROUPS.join(', ')}`);
    if (typeof e.name !== 'string') throw bad(`${where}.name must be a string`);
    const key = `${e.group}/${e.name}`;
    if (seen.has(key)) throw bad(`${where}: duplicate tensor ${key}`);
    seen.add(key);
    if (!DTYPES.includes(e.dtype as CheckpointDtype)) throw bad(`${where} (${key}).dtype must be one of ${DTYPES.join(', ')}`);
    if (!Array.isArray(e.shape) || !e.shape.every(isNonNegInt)) throw bad(`${where} (${key}).shape must be a list of integers >= 0`);
    if (!isNonNegInt(e.offset) || !isNonNegInt(e.nbytes)) throw bad(`${where} (${key}).offset and .nbytes must be integers >= 0`);
    const need = 4 * e.shape.reduce((a: number, b: number) => a * b, 1);
    if (e.nbytes !== need) throw bad(`${where} (${key}): shape [${e.shape.join(', ')}] needs ${need} bytes, nbytes is ${e.nbytes}`);
    if (e.offset + e.nbytes > dataBytes) {
      throw new CheckpointError(file, dataStart + e.offset, `corrupt header: tensor ${key} (bytes ${e.offset}..${e.offset + e.nbytes} of the data) lies outside the ${dataBytes}-byte data section`);
    }
  });
  const expected = dataStart + dataBytes;
  if (size < expected) {
    throw new CheckpointError(file, size, `truncated: the header describes ${expected} bytes (data ${dataStart}..${expected}), the file ends after ${size}`);
  }
  if (size > expected) {
    throw new CheckpointError(file, expected, `corrupt: ${size - expected} unexpected bytes after the data section (file is ${size} bytes, expected ${expected})`);
  }
  return { header: h as CheckpointHeader, dataStart };
}

/**
 * How many bytes of a file of `size` bytes hold its preamble and header, from its first
 * {@link PREAMBLE_BYTES} bytes (fewer when the file is shorter or not a checkpoint: then
 * {@link parseCheckpointHeader} reports it).
 */
export function checkpointHeadBytes(preamble: Buffer, size: number): number {
  if (size < PREAMBLE_BYTES || preamble.subarray(0, 8).toString('latin1') !== CHECKPOINT_MAGIC) return Math.min(size, PREAMBLE_BYTES);
  return Math.min(size, PREAMBLE_BYTES + preamble.readUInt32LE(8));
}

/** The epoch, step and optimizer name of a checkpoint, from its header. */
export interface CheckpointSummary {
  path: string;
  epoch: number;
  global_step: number;
  optimizer: string;
  created: string;
}

/**
 * Decodes and fully validates the bytes of checkpoint `file`: magic, header (JSON, version, fields,
 * tensor index), exact size, and the SHA-256 of the data section. Tensors are copied into their own typed arrays.
 * @param file the name shown in errors (and `Checkpoint.path`)
 * @throws CheckpointError with the file name and the byte offset of the problem
 */
export function decodeCheckpoint(file: string, buf: Buffer): Checkpoint {
  const { header, dataStart } = parseCheckpointHeader(file, buf, buf.byteLength);
  const data = buf.subarray(dataStart, dataStart + header.data_bytes);
  const sha = crypto.createHash('sha256').update(data).digest('hex');
  if (sha !== header.data_sha256) {
    throw new CheckpointError(file, dataStart, `corrupt data: the SHA-256 of bytes ${dataStart}..${dataStart + header.data_bytes} does not match the header`);
  }
  const groups: Record<TensorGroup, Record<string, HostTensor>> = { params: {}, buffers: {}, optimizer: {} };
  for (const e of header.tensors) {
    const n = e.nbytes / 4;
    const values = e.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
    const src = data.subarray(e.offset, e.offset + e.nbytes);
    if (LITTLE_ENDIAN) {
      new Uint8Array(values.buffer).set(src);
    } else {
      for (let i = 0; i < n; i++) values[i] = e.dtype === 'float32' ? src.readFloatLE(i * 4) : src.readInt32LE(i * 4);
    }
    groups[e.group][e.name] = { dtype: e.dtype, shape: e.shape, values };
  }
  return {
    path: file,
    epoch: header.epoch,
    global_step: header.global_step,
    created: header.created,
    params: groups.params,
    buffers: groups.buffers,
    optimizer: { name: header.optimizer, tensors: groups.optimizer },
    rng: header.rng,
    config: header.config,
  };
}

