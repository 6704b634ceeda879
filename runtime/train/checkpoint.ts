/**
 * The checkpoint store of a run folder: saving checkpoints (checkpoint_format.ts) atomically with the
 * `last_checkpoint` tag naming the newest (as fvcore's `Checkpointer`), reading and probing them,
 * finding the one to resume from, and restoring a model's tensors and an optimizer's state from one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/types';
import { checkpointFileName, CHECKPOINT_NAME_RE, LAST_CHECKPOINT_FILE, parseCheckpointName } from '../protocol/run_folder';
import { writeFileAtomic } from '../util/atomic';
import {
  checkpointHeadBytes,
  decodeCheckpoint,
  encodeCheckpoint,
  parseCheckpointHeader,
  PREAMBLE_BYTES,
  type Checkpoint,
  type CheckpointInput,
  type CheckpointSummary,
  type HostTensor,
} from './checkpoint_format';
import type { Optimizer } from './optim/types';

export { CheckpointError, type Checkpoint, type CheckpointInput, type CheckpointSummary, type HostTensor, type SavableTensor } from './checkpoint_format';

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
  const chunks = encodeCheckpoint(epoch, data);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, checkpointFileName(epoch, opts.stepInEpoch ?? 0));
  writeFileAtomic(file, chunks);
  writeFileAtomic(path.join(dir, LAST_CHECKPOINT_FILE), [Buffer.from(path.basename(file), 'utf8')]);
  return file;
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
    const preamble = Buffer.alloc(Math.min(size, PREAMBLE_BYTES));
    fs.readSync(fd, preamble, 0, preamble.byteLength, 0);
    const head = Buffer.alloc(checkpointHeadBytes(preamble, size));
    fs.readSync(fd, head, 0, head.byteLength, 0);
    const { header } = parseCheckpointHeader(file, head, size);
    return { path: file, epoch: header.epoch, global_step: header.global_step, optimizer: header.optimizer, created: header.created };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads and fully validates a checkpoint (checkpoint_format.ts's {@link decodeCheckpoint}).
 * @throws CheckpointError with the file name and the byte offset of the problem (truncation, bad magic,
 *   corrupt header, checksum mismatch), or a file-system error (e.g. ENOENT).
 */
export function loadCheckpoint(file: string): Checkpoint {
  return decodeCheckpoint(file, fs.readFileSync(file));
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
    const n = parseCheckpointName(file);
    return n ? [n.epoch, n.step] : [-1, -1];
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
