import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { CHECKPOINT_NAME_RE, CONFIG_FILE, CONSOLE_LOG_FILE, hasRunConfig, LOCK_FILE } from '../protocol/run_folder';
import { readEvents } from '../protocol/reader';
import { fileError, fsyncDir, tempName, TEMP_NAME_RE, writeFileAtomic } from '../util/atomic';
import { pidAlive } from '../util/pid';

/** Thrown for problems with the run folder (exit code 2, as config errors); the CLI prints the message alone. */
export class RunDirError extends Error {
  override name = 'RunDirError';
}

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the run took the lock. */
  started: string;
}

/** Lock files this process holds (absolute paths). */
const held = new Set<string>();
process.on('exit', () => {
  // A second Ctrl-C exits at once (trainer.ts): the lock still goes.
  for (const file of held) fs.rmSync(file, { force: true });
});

/** Whether a writer with `pid` is gone: not running, or this process when it does not hold `lockFile`. */
function writerGone(pid: number, lockFile?: string): boolean {
  if (pid === process.pid) return lockFile === undefined || !held.has(lockFile);
  return !pidAlive(pid);
}

/** The lock of `dir`, or undefined when there is none; `{}` fields when it cannot be read (half written). */
export function readLock(dir: string): Partial<LockInfo> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    return v !== null && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/**
 * Whether the lock of `dir` is stale: its process is gone (same host, pid not running), or the
 * file is unreadable (its writer was killed while writing it; a live writer links it complete).
 * A lock from another host is never taken for stale: only its owner can tell.
 */
export function lockIsStale(dir: string, info: Partial<LockInfo>): boolean {
  if (typeof info.pid !== 'number' || typeof info.host !== 'string') return true;
  return info.host === os.hostname() && writerGone(info.pid, path.resolve(dir, LOCK_FILE));
}

function inUseMessage(dir: string, info: Partial<LockInfo>): string {
  return `run folder ${dir} is in use by process ${info.pid} on ${info.host} (since ${info.started}; lock file ${path.join(dir, LOCK_FILE)}): ` +
    'wait for that run to end, or delete the lock file if that process is gone';
}

/** A run folder's lock, held by this process until {@link RunLock.release}. */
export class RunLock {
  constructor(public file: string) {
    held.add(file);
  }

  /** The folder was renamed (staging folder to run folder): the lock moved with it. */
  moved(dir: string): void {
    held.delete(this.file);
    this.file = path.join(dir, LOCK_FILE);
    held.add(this.file);
  }

  /** Removes the lock file (once). */
  release(): void {
    if (!held.delete(this.file)) return;
    fs.rmSync(this.file, { force: true });
  }
}

/**
 * Locks run folder `dir` (which exists) for this process: writes `run.lock` with pid, host and
 * time, complete or not at all (a temp file hard-linked into place). A stale lock (see
 * {@link lockIsStale}) is replaced.
 * @throws RunDirError when a live run holds the folder; file-system errors naming the file.
 */
export function lockRunDir(dir: string): RunLock {
  const file = path.resolve(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    const tmp = tempName(file);
    writeFileAtomic(tmp, [Buffer.from(`${JSON.stringify(info)}\n`, 'utf8')]);
    try {
      fs.linkSync(tmp, file);
      return new RunLock(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError('create', file, err);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const other = readLock(dir);
    if (other === undefined) continue;
    if (attempt > 0 || !lockIsStale(dir, other)) throw new RunDirError(inUseMessage(dir, other));
    fs.rmSync(file, { force: true });
  }
}

/**
 * Removes what interrupted writers left in `dir`: temp files (`*.tmp-<pid>-<hex>`, and staging
 * folders when `prefix` is given: only names starting with it) whose writer is gone.
 * @returns the names removed.
 */
export function removeLeftovers(dir: string, prefix = ''): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME_RE.exec(name);
    if (!m || !name.startsWith(prefix) || !writerGone(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** The first existing folder of `dir` and its parents, checked to be a writable folder. */
function existingAncestor(dir: string): string {
  let p = dir;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new RunDirError(`cannot create run folder ${dir}: ${p} is not a usable folder (${code})`);
    }
    if (st) {
      if (!st.isDirectory()) throw new RunDirError(`cannot create run folder ${dir}: ${p} is a file, not a folder`);
      return p;
    }
    p = path.dirname(p);
  }
}

/**
 * Creates `dir` and its missing parents, one by one (a recursive mkdir reports a read-only disk
 * as ENOENT).
 * @throws RunDirError naming the folder that cannot be created and why.
 */
export function makeDirs(dir: string): void {
  const base = existingAncestor(dir);
  const missing: string[] = [];
  for (let p = dir; p !== base; p = path.dirname(p)) missing.unshift(p);
  for (const p of missing) {
    try {
      fs.mkdirSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new RunDirError(`cannot create folder ${p}: ${(err as Error).message}`);
    }
  }
}

/**
 * `--resume` of a run folder that has no checkpoint file would start the run over from epoch 0 and
 * append a second history to its events.jsonl (curves drawn back to step 0). Refused once the run has
 * logged any training, unless the user asked for it (`train --resume DIR --start-over`). A folder
 * whose checkpoints exist but cannot be read is found later, when loading (a warning, then epoch 0).
 * @throws RunDirError naming the folder and saying how to start over
 */
export function refuseSecondHistory(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // checkRunDir names what is wrong with the folder
  }
  if (names.some((n) => CHECKPOINT_NAME_RE.test(n))) return;
  // A run still going holds the folder: the lock's refusal names it (the start-up takes the lock).
  const lock = readLock(dir);
  if (lock && !lockIsStale(dir, lock)) return;
  const { events } = readEvents(dir);
  const steps = events.filter((e) => e.type === 'step').length;
  if (steps === 0 && !events.some((e) => e.type === 'epoch' && e.epoch > 0)) return;
  throw new RunDirError(
    `cannot resume ${dir}: it has no checkpoint, and its events.jsonl already holds a training history (${steps} step events); ` +
      `resuming would start it over from epoch 0 after that history. Start over in a new folder (npm run train -- --config ${path.join(dir, CONFIG_FILE)} ` +
      'train.output_dir NEW_FOLDER), or here after the old history with --start-over',
  );
}

/**
 * Checks that `dir` can hold a new run (absent or empty), or, when resuming, that it is a run folder.
 * Creates nothing, so a run that fails to start leaves no folder behind.
 * @throws RunDirError when `dir` exists and `resume` is false (as the original refuses it), when
 *   a live run holds it (its lock file), or when resuming a folder that does not exist or has no
 *   `config.yaml`.
 */
export function checkRunDir(dir: string, resume: boolean): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch {
    st = undefined;
  }
  if (resume) {
    if (!st) throw new RunDirError(`cannot resume: ${dir} does not exist`);
    if (!st.isDirectory()) throw new RunDirError(`cannot resume: ${dir} is a file; --resume takes the run folder (--resume ${path.dirname(dir)})`);
    if (!hasRunConfig(dir)) {
      throw new RunDirError(`cannot resume: ${dir} has no ${CONFIG_FILE} (is it a run folder?)`);
    }
    return;
  }
  if (!st) {
    const base = existingAncestor(dir);
    try {
      fs.accessSync(base, fs.constants.W_OK);
    } catch (err) {
      throw new RunDirError(`cannot create run folder ${dir}: ${base} is not writable (${(err as Error).message})`);
    }
    return;
  }
  if (!st.isDirectory()) throw new RunDirError(`train.output_dir ${dir} is a file, not a folder`);
  const lock = readLock(dir);
  if (lock && !lockIsStale(dir, lock)) throw new RunDirError(inUseMessage(dir, lock));
  // Empty, or holding only what a start killed before its config.yaml left (a stale lock, temp files),
  // or the console log the VS Code extension opened for this run (it starts the runtime writing there).
  const names = fs.readdirSync(dir).filter((n) => n !== LOCK_FILE && n !== CONSOLE_LOG_FILE && !(TEMP_NAME_RE.test(n) && writerGone(Number(TEMP_NAME_RE.exec(n)![1]))));
  if (names.length === 0) return;
  if (hasRunConfig(dir)) {
    throw new RunDirError(`output directory ${dir} already exists; resume it with --resume ${dir}, or choose another train.output_dir`);
  }
  throw new RunDirError(`output directory ${dir} already exists and holds other files (no ${CONFIG_FILE}: not a run to resume); choose another train.output_dir`);
}

/**
 * Creates the staging folder of a new run next to `dir` (`.<name>.tmp-<pid>-<hex>`, after
 * removing those of runs that were killed), creating `dir`'s missing parents. The run's first
 * files go there; {@link commitRunDir} renames it to `dir`, so a start that fails or is killed
 * leaves no run folder.
 * @throws RunDirError naming the folder that cannot be created.
 */
export function stageRunDir(dir: string): string {
  const parent = path.dirname(dir);
  makeDirs(parent);
  removeLeftovers(parent, `.${path.basename(dir)}.tmp-`);
  const staging = path.join(parent, `.${path.basename(tempName(dir))}`);
  try {
    fs.mkdirSync(staging);
  } catch (err) {
    throw new RunDirError(`cannot create folder ${staging}: ${(err as Error).message}`);
  }
  return staging;
}

/**
 * Renames the staging folder to `dir` (absent or empty) and syncs the parent folder.
 * @throws RunDirError when another run created `dir` meanwhile; file-system errors naming the folder.
 */
export function commitRunDir(staging: string, dir: string): void {
  try {
    fs.renameSync(staging, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      const other = readLock(dir);
      throw new RunDirError(other ? inUseMessage(dir, other) : `output directory ${dir} was filled by another process while this run started; choose another train.output_dir`);
    }
    throw fileError('rename', `${staging} to ${dir}`, err);
  }
  fsyncDir(path.dirname(dir));
}

/** What `env.yaml` records about the machine and the engine. */
export interface EnvInfo {
  node_version: string;
  tfjs_version: string;
  backend: string;
  engine: string;
  threads: number;
  platform: string;
  cpu: string;
  cpu_count: number;
  memory_gb: number;
  gpu: string;
}

/** Collects {@link EnvInfo} for the chosen backend. */
export function collectEnvInfo(backend: { backend: string; engine: string; threads: number; tfjsVersion: string; gpu?: string }): EnvInfo {
  const cpus = os.cpus();
  return {
    node_version: process.version,
    tfjs_version: backend.tfjsVersion,
    backend: backend.backend,
    engine: backend.engine,
    threads: backend.threads,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpu_count: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    gpu: backend.gpu ?? '',
  };
}

/** YAML text of `env.yaml`. */
export function dumpEnvInfo(env: EnvInfo): string {
  return stringify(env);
}
