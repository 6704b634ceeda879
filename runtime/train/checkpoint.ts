import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/types';
import type { Optimizer } from './optim/types';

/**
 * Training checkpoints: one self-describing binary file per saved epoch, written atomically, plus a
 * `last_checkpoint` tag file naming the newest (as fvcore's `Checkpointer` does in the original, which
 * saved `checkpoint_%05d.pth` with {model, optimizer, scheduler, epoch, global_step, config}).
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

/** The 8 bytes every checkpoint starts with. */
export const CHECKPOINT_MAGIC = 'ICLCKPT1';
/** Header `version` written and read by this module. */
export const CHECKPOINT_VERSION = 1;
/** Header `format` string. */
export const CHECKPOINT_FORMAT = 'image-classification-lab checkpoint';
/** Name of the tag file naming the newest checkpoint of a run folder (as fvcore's). */
export const LAST_CHECKPOINT_FILE = 'last_checkpoint';
/** Pattern of checkpoint file names; group 1 is the epoch. */
export const CHECKPOINT_NAME_RE = /^checkpoint_(\d+)(?:_step(\d+))?\.ckpt$/;

const PREAMBLE_BYTES = 12;
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

/** What {@link saveCheckpoint} writes besides the epoch. */
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

/** A checkpoint read back by {@link loadCheckpoint}, tensors in host memory. */
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

/**
 * `checkpoint_%05d.ckpt` for the end of `epoch`; `checkpoint_%05d_step%05d.ckpt` for a run
 * stopped `step` steps into the epoch after `epoch`.
 */
export function checkpointFileName(epoch: number, step = 0): string {
  const base = `checkpoint_${String(epoch).padStart(5, '0')}`;
  return step > 0 ? `${base}_step${String(step).padStart(5, '0')}.ckpt` : `${base}.ckpt`;
}

interface TensorEntry {
  group: TensorGroup;
  name: string;
  dtype: CheckpointDtype;
  shape: number[];
  offset: number;
  nbytes: number;
}

interface Header {
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
 * A file-system error re-thrown so that its message names the file: `cannot <op> <file>: <message>`
 * (Node's messages for write and fsync name none); `code` is kept. Errors naming it already pass.
 */
export function fileError(op: string, file: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error)) return new Error(`cannot ${op} ${file}: ${String(err)}`);
  if (e.message.includes(file)) return e;
  return Object.assign(new Error(`cannot ${op} ${file}: ${e.message}`), { code: e.code });
}

/** fsync of a folder (after a rename in it), where the platform allows it. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    // Directories cannot be opened or fsynced on some platforms (Windows: EISDIR/EPERM); the rename is
    // still atomic there, only its durability across a power cut is weaker.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF' && code !== 'EACCES') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes `file` atomically: the chunks go to a temp file `<name>.tmp-<pid>-<random>` in the same folder,
 * which is fsynced, renamed over `file`, and the folder fsynced. Readers see the old file or the new one,
 * never a part; a crash leaves at most a temp file behind (never matched by {@link CHECKPOINT_NAME_RE}).
 */
export function writeFileAtomic(file: string, chunks: Iterable<Uint8Array>): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${path.basename(file)}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.byteLength) done += fs.writeSync(fd, chunk, done, chunk.byteLength - done);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw fileError('write', file, err);
  }
  try {
    fsyncDir(dir);
  } catch (err) {
    throw fileError('sync the folder of', file, err);
  }
}

/**
 * Saves a checkpoint as `<dir>/checkpoint_%05d.ckpt` (format above) and then points `<dir>/last_checkpoint`
 * at it; both files are written atomically (temp file, fsync, rename, fsync of the folder), so a run
 * killed at any moment leaves the previous checkpoint and tag intact.
 * @param dir the run folder (created if missing).
 * @param epoch the epoch just finished (non-negative integer), used in the file name.
 * @param opts.stepInEpoch for a run stopped mid-epoch: steps done in epoch `epoch + 1` (file
 *   `checkpoint_%05d_step%05d.ckpt`); 0 = end of `epoch`.
 * @param data tensors are read with `dataSync` and not disposed.
 * @returns the path of the checkpoint written.
 * @throws Error for an invalid epoch/global_step, a tensor with an unsupported dtype or the wrong number
 *   of values, a duplicate tensor name, a config that is not an object, and file-system errors.
 */
export function saveCheckpoint(dir: string, epoch: number, data: CheckpointInput, opts: { stepInEpoch?: number } = {}): string {
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
  const header: Header = {
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

  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, checkpointFileName(epoch, opts.stepInEpoch ?? 0));
  writeFileAtomic(file, [preamble, json, ...arrays]);
  writeFileAtomic(path.join(dir, LAST_CHECKPOINT_FILE), [Buffer.from(path.basename(file), 'utf8')]);
  return file;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Parses and validates the preamble and header from `head` (at least the first 12 + H bytes) of a file of `size` bytes. */
function parseHeader(file: string, head: Buffer, size: number): { header: Header; dataStart: number } {
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
  const h = raw as Partial<Header>;
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
  return { header: h as Header, dataStart };
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
 * Checks a checkpoint's structure without reading its tensor data: magic, header, and that the file size
 * matches the header (catches files truncated by a crash). The data checksum is checked by {@link loadCheckpoint}.
 * @throws CheckpointError naming the file and byte offset, or a file-system error (e.g. ENOENT).
 */
export function probeCheckpoint(file: string): CheckpointSummary {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let head = Buffer.alloc(Math.min(size, PREAMBLE_BYTES));
    fs.readSync(fd, head, 0, head.byteLength, 0);
    if (size >= PREAMBLE_BYTES && head.subarray(0, 8).toString('latin1') === CHECKPOINT_MAGIC) {
      head = Buffer.alloc(Math.min(size, PREAMBLE_BYTES + head.readUInt32LE(8)));
      fs.readSync(fd, head, 0, head.byteLength, 0);
    }
    const { header } = parseHeader(file, head, size);
    return { path: file, epoch: header.epoch, global_step: header.global_step, optimizer: header.optimizer, created: header.created };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads and fully validates a checkpoint: magic, header (JSON, version, fields, tensor index), exact file
 * size, and the SHA-256 of the data section. Tensors are copied into their own typed arrays.
 * @throws CheckpointError with the file name and the byte offset of the problem (truncation, bad magic,
 *   corrupt header, checksum mismatch), or a file-system error (e.g. ENOENT).
 */
export function loadCheckpoint(file: string): Checkpoint {
  const buf = fs.readFileSync(file);
  const { header, dataStart } = parseHeader(file, buf, buf.byteLength);
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

/** Options of {@link findLastCheckpoint}. */
export interface FindCheckpointOptions {
  /** Called for each candidate passed over, with the reason (e.g. to log it). */
  onSkip?: (file: string, reason: string) => void;
}

/**
 * The checkpoint a run should resume from: the newest complete one. Candidates are the
 * `checkpoint_<epoch>[_step<step>].ckpt` files (and the file `<runDir>/last_checkpoint` names),
 * newest first by (epoch, step); the first that passes {@link probeCheckpoint} wins. The tag
 * only breaks ties: it is written after its checkpoint, so a kill between the two renames leaves
 * it naming the older one, which must not win over the newer complete file. Temp files of
 * interrupted writes are never candidates.
 * @returns the path, or undefined when the folder has no readable checkpoint (or does not exist).
 */
export function findLastCheckpoint(runDir: string, options: FindCheckpointOptions = {}): string | undefined {
  const skip = options.onSkip ?? (() => {});
  const tagFile = path.join(runDir, LAST_CHECKPOINT_FILE);
  let tag: string | undefined;
  try {
    tag = fs.readFileSync(tagFile, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') skip(tagFile, (err as Error).message);
  }
  if (tag === '') skip(tagFile, 'empty tag file');
  let names: string[];
  try {
    names = fs.readdirSync(runDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  const tagged = tag ? path.resolve(runDir, tag) : undefined;
  const files = new Set(names.filter((n) => CHECKPOINT_NAME_RE.test(n)).map((n) => path.join(runDir, n)));
  if (tagged && !files.has(tagged) && !names.includes(path.basename(tagged))) files.add(tagged);
  const key = (file: string): [number, number] => {
    const m = CHECKPOINT_NAME_RE.exec(path.basename(file));
    return m ? [Number(m[1]), Number(m[2] ?? 0)] : [-1, -1];
  };
  const candidates = [...files].sort((a, b) => {
    const [ea, sa] = key(a);
    const [eb, sb] = key(b);
    return eb - ea || sb - sa || (a === tagged ? -1 : b === tagged ? 1 : a < b ? 1 : -1);
  });
  for (const file of candidates) {
    try {
      probeCheckpoint(file);
      return file;
    } catch (err) {
      skip(file, (err as Error).message);
    }
  }
  return undefined;
}

/** The model's parameters and buffers by name, as live variables (not copies), ready for {@link saveCheckpoint}. */
export function modelTensors(model: Model): { params: Record<string, tf.Variable>; buffers: Record<string, tf.Variable> } {
  return {
    params: Object.fromEntries(model.params.map((p) => [p.name, p.variable])),
    buffers: Object.fromEntries(model.buffers.map((b) => [b.name, b.variable])),
  };
}

/** `type/name` and depth of the model a checkpoint's config describes, e.g. `cifar/resnet_preact (depth 14)`. */
function describeSavedModel(config: Record<string, unknown> | undefined): string | undefined {
  const m = config?.model as Record<string, unknown> | undefined;
  if (!m || typeof m.name !== 'string') return undefined;
  const section = m[m.name] as { depth?: unknown } | undefined;
  return `${String(m.type)}/${m.name}${typeof section?.depth === 'number' ? ` (depth ${section.depth})` : ''}`;
}

/**
 * Copies saved parameters and buffers into the model's variables by name. Every check runs before any
 * copy, so on error the model is unchanged.
 * @param saved e.g. a {@link Checkpoint}; only `params` and `buffers` are read.
 * @throws Error naming the model the checkpoint holds (from its config) and the first few
 *   mismatches (missing names, unexpected names, shape or dtype), with the count of the rest.
 */
export function loadModelTensors(model: Model, saved: Pick<CheckpointInput<HostTensor>, 'params' | 'buffers'> & { config?: Record<string, unknown> }): void {
  const savedModel = describeSavedModel(saved.config);
  const problems: string[] = [];
  const plan: Array<[tf.Variable, HostTensor]> = [];
  const groups = [
    ['params', model.params, saved.params],
    ['buffers', model.buffers, saved.buffers],
  ] as const;
  for (const [group, own, theirs] of groups) {
    const names = new Set(own.map((p) => p.name));
    const missing = own.filter((p) => !(p.name in theirs)).map((p) => p.name);
    const unexpected = Object.keys(theirs).filter((n) => !names.has(n));
    const names5 = (xs: string[]) => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ` (and ${xs.length - 5} more)` : ''}`;
    if (missing.length > 0) problems.push(`missing ${group}: ${names5(missing)}`);
    if (unexpected.length > 0) problems.push(`unexpected ${group}: ${names5(unexpected)}`);
    for (const p of own) {
      const t = theirs[p.name];
      if (t === undefined) continue;
      if (!tf.util.arraysEqual(t.shape, p.variable.shape)) {
        problems.push(`${group} '${p.name}': saved shape [${t.shape.join(', ')}], model [${p.variable.shape.join(', ')}]`);
      } else if (t.dtype !== p.variable.dtype) {
        problems.push(`${group} '${p.name}': saved dtype ${t.dtype}, model ${p.variable.dtype}`);
      } else {
        plan.push([p.variable, t]);
      }
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 4);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    const holds = savedModel ? `holds model ${savedModel}, ` : '';
    throw new Error(`checkpoint ${holds}does not match model '${model.name}': ${shown.join('; ')}${more}`);
  }
  tf.tidy(() => {
    for (const [v, t] of plan) v.assign(tf.tensor(t.values, t.shape, t.dtype));
  });
}

/**
 * Loads saved optimizer state into `optimizer` (which copies it); the temporary tensors are freed.
 * @throws Error from {@link Optimizer.setState} (other optimizer, unknown parameter, shape mismatch).
 */
export function restoreOptimizerState(optimizer: Optimizer, saved: { name: string; tensors: Record<string, HostTensor> }): void {
  const tensors = Object.fromEntries(Object.entries(saved.tensors).map(([k, t]) => [k, tf.tensor(t.values, t.shape, t.dtype)]));
  try {
    optimizer.setState({ name: saved.name, tensors });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
