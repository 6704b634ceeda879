/**
 * Atomic writes, the one way the runtime replaces a file: the bytes go to a temp file
 * `<name>.tmp-<pid>-<hex>` in the same folder, which is fsynced, renamed over the target, and the
 * folder fsynced. Readers see the old file or the new one, never a part; a crash leaves at most a
 * temp file behind, which {@link TEMP_NAME_RE} recognises (run_dir.ts removes those of dead writers).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Temp files of {@link writeFileAtomic} and staging folders: `<name>.tmp-<pid>-<hex>`; group 1 is the pid. */
export const TEMP_NAME_RE = /\.tmp-(\d+)-[0-9a-f]+$/;

/** `<file>.tmp-<pid>-<hex>`: a name no other writer uses, never matched by the names of a run's files. */
export function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
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
 * Writes `file` atomically from `chunks`: temp file in the same folder ({@link tempName}), fsync,
 * rename over `file`, fsync of the folder.
 * @throws Error naming the file (see {@link fileError}); the temp file is removed first.
 */
export function writeFileAtomic(file: string, chunks: Iterable<Uint8Array>): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, path.basename(tempName(file)));
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

/** Writes UTF-8 `text` to `file` atomically ({@link writeFileAtomic}). */
export function writeTextAtomic(file: string, text: string): void {
  writeFileAtomic(file, [Buffer.from(text, 'utf8')]);
}
