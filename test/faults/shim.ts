/**
 * File-system fault injection for the fault and disk tiers (docs/reliability.md). It wraps the
 * synchronous `node:fs` calls the runtime writes with (the module object is shared, so every
 * module sees the wrappers) and, for paths under `root` only, counts each write, rename (and
 * hard link) and fsync as a fault point. At point `at` it:
 * - `fail`: throws an errno error (default EIO) instead of doing the call, once;
 * - `kill`: does half of a write (a torn write) or none of a rename/fsync, then the process
 *   "dies": in-process (`killWith: 'freeze'`) every later change under `root` throws, so the disk
 *   stays as a SIGKILL would leave it; in a child process (`'sigkill'`) it sends itself SIGKILL;
 * - `full` / `readonly`: from that point on every write, creation (and, read-only, every change)
 *   under `root` fails with ENOSPC / EROFS, as a full or read-only disk;
 * - `record`: only lists the points.
 * `sigintOnStep`: after the first `step` event is written under `root`, SIGINT is delivered (a
 * user's Ctrl-C at a known place), and points are counted from then on only.
 */
import type * as FS from 'node:fs';
import * as path from 'node:path';
import { createRequire, syncBuiltinESMExports } from 'node:module';

/** The `node:fs` module object itself (a namespace import is a read-only view of it). */
const fs = createRequire(path.join(process.cwd(), 'index.js'))('node:fs') as typeof FS;

/** A counted call. */
export interface FaultPoint {
  op: 'write' | 'rename' | 'fsync';
  /** Path relative to the plan's root, temp suffixes (`.tmp-<pid>-<hex>`) shown as `.tmp`. */
  file: string;
}

export interface FaultPlan {
  root: string;
  mode: 'record' | 'fail' | 'kill' | 'full' | 'readonly';
  /** 0-based index of the point where the fault strikes (not for `record`). */
  at?: number;
  /** `fail`: the error code; default EIO. */
  code?: string;
  killWith?: 'freeze' | 'sigkill';
  sigintOnStep?: boolean;
}

/** Thrown by every change under the root after an in-process kill. */
export class SimulatedKill extends Error {
  code = 'ESIMKILL';
}

interface State {
  plan: FaultPlan;
  points: FaultPoint[];
  struck: boolean;
  frozen: boolean;
  counting: boolean;
  fds: Map<number, string>;
}

let state: State | undefined;
type FsFns = Pick<typeof FS, 'openSync' | 'closeSync' | 'writeSync' | 'writeFileSync' | 'appendFileSync' | 'renameSync' | 'linkSync' | 'fsyncSync' | 'mkdirSync' | 'rmSync' | 'unlinkSync' | 'rmdirSync'>;
const NAMES = ['openSync', 'closeSync', 'writeSync', 'writeFileSync', 'appendFileSync', 'renameSync', 'linkSync', 'fsyncSync', 'mkdirSync', 'rmSync', 'unlinkSync', 'rmdirSync'] as const;
const real = Object.fromEntries(NAMES.map((n) => [n, fs[n]])) as unknown as FsFns;

function errno(code: string, call: string, file?: string): NodeJS.ErrnoException {
  const text: Record<string, string> = { EIO: 'i/o error', ENOSPC: 'no space left on device', EROFS: 'read-only file system' };
  return Object.assign(new Error(`${code}: ${text[code] ?? 'injected fault'}, ${call}${file ? ` '${file}'` : ''}`), { code, syscall: call });
}

function under(file: string | undefined): boolean {
  if (!state || file === undefined) return false;
  const rel = path.relative(state.plan.root, path.resolve(file));
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}

function label(file: string): string {
  return path.relative(state!.plan.root, path.resolve(file)).replace(/\.tmp-\d+-[0-9a-f]+/g, '.tmp');
}

function asPath(p: FS.PathLike | number): string | undefined {
  if (typeof p === 'number') return state?.fds.get(p);
  return typeof p === 'string' ? p : Buffer.isBuffer(p) ? p.toString() : p instanceof URL ? p.pathname : undefined;
}

function die(): never {
  const s = state!;
  s.frozen = true;
  if (s.plan.killWith === 'sigkill') {
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL is not delivered synchronously: do not let the caller go on meanwhile
    const until = Date.now() + 5000;
    while (Date.now() < until) { /* wait for the signal */ }
  }
  throw new SimulatedKill('simulated kill');
}

/**
 * Before a change under the root: throws after a kill, or for a full / read-only disk.
 * @param creates whether the call takes space (a write, a new file or folder)
 */
function guardChange(call: string, file: string | undefined, creates: boolean): void {
  const s = state;
  if (!s || !under(file)) return;
  if (s.frozen) throw new SimulatedKill(`simulated kill (${call} after it)`);
  if (!s.struck) return;
  if (s.plan.mode === 'readonly') throw errno('EROFS', call, file);
  if (s.plan.mode === 'full' && creates) throw errno('ENOSPC', call, file);
}

/** Counts a fault point; returns 'strike' when the fault is due at it. */
function count(op: FaultPoint['op'], file: string | undefined): 'strike' | undefined {
  const s = state;
  if (!s || !under(file) || !s.counting || s.frozen) return undefined;
  const index = s.points.length;
  s.points.push({ op, file: label(file!) });
  if (s.plan.mode === 'record' || index !== s.plan.at) return undefined;
  s.struck = true;
  return 'strike';
}

function onStrike(op: string, file: string | undefined): void {
  const s = state!;
  if (s.plan.mode === 'fail') throw errno(s.plan.code ?? 'EIO', op, op === 'write' || op === 'fsync' ? undefined : file);
  if (s.plan.mode === 'kill') die();
  guardChange(op, file, op === 'write');
}

function writesFlag(flags: FS.OpenMode | undefined): boolean {
  if (flags === undefined) return false;
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) !== 0;
  return /[wa+]/.test(flags);
}

function maybeSigint(file: string | undefined, data: unknown): void {
  const s = state;
  if (!s?.plan.sigintOnStep || s.counting || !under(file) || !String(file).endsWith('events.jsonl')) return;
  if (!String(data).includes('"type":"step"')) return;
  s.counting = true;
  if (s.plan.killWith === 'sigkill') process.kill(process.pid, 'SIGINT');
  else process.emit('SIGINT', 'SIGINT');
}

const wrappers: Partial<FsFns> = {
  openSync(p: FS.PathLike, flags: FS.OpenMode = 'r', mode?: FS.Mode | null): number {
    const file = asPath(p);
    if (writesFlag(flags)) guardChange('open', file, !fs.existsSync(file!));
    const fd = real.openSync(p, flags, mode);
    if (state && file !== undefined) state.fds.set(fd, path.resolve(file));
    return fd;
  },
  closeSync(fd: number): void {
    state?.fds.delete(fd);
    real.closeSync(fd);
  },
  writeSync(fd: number, buffer: NodeJS.ArrayBufferView | string, ...rest: unknown[]): number {
    const file = asPath(fd);
    guardChange('write', file, true);
    if (count('write', file) === 'strike') {
      if (state!.plan.mode === 'kill') {
        const bytes = typeof buffer === 'string' ? Buffer.from(buffer) : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
        const offset = typeof rest[0] === 'number' && typeof buffer !== 'string' ? rest[0] : 0;
        const length = typeof rest[1] === 'number' && typeof buffer !== 'string' ? rest[1] : bytes.byteLength - offset;
        real.writeSync(fd, bytes, offset, Math.floor(length / 2));
      }
      onStrike('write', file);
    }
    const n = (real.writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
    maybeSigint(file, buffer);
    return n;
  },
  writeFileSync(p: FS.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: FS.WriteFileOptions): void {
    const file = asPath(p as FS.PathLike | number);
    guardChange('write', file, true);
    if (count('write', file) === 'strike') onStrike('write', file);
    real.writeFileSync(p, data, options);
  },
  appendFileSync(p: FS.PathOrFileDescriptor, data: string | Uint8Array, options?: FS.WriteFileOptions): void {
    const file = asPath(p as FS.PathLike | number);
    guardChange('write', file, true);
    if (count('write', file) === 'strike') onStrike('write', file);
    real.appendFileSync(p, data, options);
    maybeSigint(file, data);
  },
  renameSync(from: FS.PathLike, to: FS.PathLike): void {
    const file = asPath(to);
    guardChange('rename', file, false);
    if (count('rename', file) === 'strike') onStrike('rename', file);
    real.renameSync(from, to);
  },
  linkSync(from: FS.PathLike, to: FS.PathLike): void {
    const file = asPath(to);
    guardChange('link', file, true);
    if (count('rename', file) === 'strike') onStrike('link', file);
    real.linkSync(from, to);
  },
  fsyncSync(fd: number): void {
    const file = asPath(fd);
    if (count('fsync', file) === 'strike') onStrike('fsync', file);
    real.fsyncSync(fd);
  },
  mkdirSync(p: FS.PathLike, options?: FS.Mode | FS.MakeDirectoryOptions | null) {
    guardChange('mkdir', asPath(p), true);
    return real.mkdirSync(p, options as FS.MakeDirectoryOptions & { recursive: true });
  },
  rmSync(p: FS.PathLike, options?: FS.RmOptions): void {
    guardChange('rm', asPath(p), false);
    real.rmSync(p, options);
  },
  unlinkSync(p: FS.PathLike): void {
    guardChange('unlink', asPath(p), false);
    real.unlinkSync(p);
  },
  rmdirSync(p: FS.PathLike, options?: FS.RmDirOptions): void {
    guardChange('rmdir', asPath(p), false);
    real.rmdirSync(p, options);
  },
};

/** Starts injecting by `plan` (replacing any plan in force). */
export function installFaults(plan: FaultPlan): void {
  state = { plan: { ...plan, root: path.resolve(plan.root) }, points: [], struck: false, frozen: false, counting: !plan.sigintOnStep, fds: new Map() };
  Object.assign(fs, wrappers);
  syncBuiltinESMExports();
}

/** Stops injecting; returns the points counted and whether the fault struck. */
export function removeFaults(): { points: FaultPoint[]; struck: boolean } {
  const s = state;
  state = undefined;
  Object.assign(fs, real);
  syncBuiltinESMExports();
  return { points: s?.points ?? [], struck: s?.struck ?? false };
}
