/**
 * Downloading one file over HTTP(S) with Node's http/https: resumable (HTTP Range on a `.part`
 * file), checked against an MD5 before it is renamed into place, with an idle timeout. Every
 * failure is a {@link DownloadError} whose message is one line naming the URL or file and what to do.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

/** A failed download; the message is one line naming the URL or file and what to do. */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** Options of {@link downloadFile}. */
export interface DownloadOptions {
  /** Expected MD5 of the whole file, lower-case hex. */
  md5: string;
  /** Abort when no byte arrives for this long, milliseconds (default 60000). */
  timeoutMs?: number;
  /** Tries on a cut connection or a timeout, each resuming where the last stopped (default 3). */
  attempts?: number;
  /** Called as bytes arrive: bytes on disk so far (resumed bytes included), total size if known. */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** What {@link downloadFile} did. */
export interface DownloadResult {
  /** Size of the file, bytes. */
  bytes: number;
  /** Bytes that were already in the `.part` file from an earlier attempt (0: a fresh download). */
  resumedFrom: number;
}

/** The `.part` file a download of `dest` writes before it is checked and renamed. */
export function partFile(dest: string): string {
  return `${dest}.part`;
}

/** MD5 of a file, lower-case hex, read as a stream. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function size(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** A transient failure worth another try from where it stopped. */
class Retryable extends DownloadError {}

const NETWORK_CODES: Record<string, string> = {
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
};

const OFFLINE_HINT = 'check the network, set ICL_DATASET_MIRROR to a mirror, or put the files in place by hand (see README "Data")';

/** One GET of `url` (following up to 5 redirects), resolving with the response. */
function get(url: string, headers: Record<string, string>, timeoutMs: number, redirects = 5): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new DownloadError(`${url}: not a valid URL (check ICL_DATASET_MIRROR)`));
      return;
    }
    const lib = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!lib) {
      reject(new DownloadError(`${url}: only http:// and https:// URLs can be downloaded (check ICL_DATASET_MIRROR)`));
      return;
    }
    const req = lib.get(parsed, { headers: { 'User-Agent': 'image-classification-lab', ...headers } }, (res) => {
      req.setTimeout(0); // from here on, receive() watches the body
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects === 0) {
          reject(new DownloadError(`${url}: too many redirects; ${OFFLINE_HINT}`));
          return;
        }
        get(new URL(res.headers.location, parsed).toString(), headers, timeoutMs, redirects - 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Retryable(`${url}: no response for ${timeoutMs / 1000} s (server stalled); run again to resume, or ${OFFLINE_HINT}`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof DownloadError) reject(err);
      else {
        const what = NETWORK_CODES[err.code ?? ''] ?? err.message;
        const E = err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ETIMEDOUT' ? Retryable : DownloadError;
        reject(new E(`${url}: ${what}${err.code && what !== err.message ? ` (${err.code})` : ''}; ${OFFLINE_HINT}`));
      }
    });
  });
}

/** Appends the response body to `part`; rejects on a stall, a cut connection or a write error. */
function receive(res: http.IncomingMessage, url: string, part: string, append: boolean, expected: number | undefined,
  timeoutMs: number, onChunk: (n: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(part, { flags: append ? 'a' : 'w' });
    let received = 0;
    let failed: Error | undefined;
    // A network failure keeps what arrived (flushed to the .part for the next attempt); a write error drops it.
    const fail = (err: Error, writeError = false): void => {
      if (failed) return;
      failed = err;
      res.unpipe(out);
      res.destroy();
      if (writeError) out.destroy();
      else out.end();
    };
    res.socket.setTimeout(timeoutMs, () => fail(new Retryable(`${url}: no data for ${timeoutMs / 1000} s after ${received} bytes (server stalled); run again to resume, or ${OFFLINE_HINT}`)));
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      onChunk(chunk.length);
    });
    res.on('aborted', () => fail(new Retryable(`${url}: connection closed after ${received} of ${expected ?? '?'} bytes; run again to resume`)));
    res.on('error', (err) => fail(err instanceof DownloadError ? err : new Retryable(`${url}: ${err.message} after ${received} bytes; run again to resume`)));
    out.on('error', (err: NodeJS.ErrnoException) => {
      const what = err.code === 'ENOSPC' ? 'disk full' : err.code === 'EACCES' || err.code === 'EROFS' ? 'not writable' : err.message;
      fail(new DownloadError(`${part}: ${what} (${err.code ?? 'write error'}) after ${size(part)} bytes; free space or set ICL_DATA_DIR to another disk, then run again to resume`), true);
    });
    out.on('close', () => {
      if (failed) reject(failed);
      else if (expected !== undefined && received < expected) {
        reject(new Retryable(`${url}: connection closed after ${received} of ${expected} bytes; run again to resume`));
      } else resolve();
    });
    res.pipe(out);
  });
}

/** One attempt: resumes `part` from its size with a Range request, or starts it over. */
async function attempt(url: string, part: string, timeoutMs: number, onProgress: DownloadOptions['onProgress']): Promise<void> {
  const have = size(part);
  const res = await get(url, have > 0 ? { Range: `bytes=${have}-` } : {}, timeoutMs);
  const status = res.statusCode ?? 0;
  if (status === 416 && have > 0) {
    // The part already holds the whole file (or more): let the checksum decide.
    res.resume();
    return;
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    const hint = status === 404 ? 'the file is not at this address (check ICL_DATASET_MIRROR, or download it by hand)' : OFFLINE_HINT;
    const E = status >= 500 ? Retryable : DownloadError;
    throw new E(`${url}: HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd() + `; ${hint}`);
  }
  const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
  let start = 0;
  if (status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
    if (!m || Number(m[1]) !== have) {
      res.resume();
      fs.rmSync(part, { force: true });
      throw new Retryable(`${url}: the server resumed at the wrong byte (${res.headers['content-range'] ?? 'no Content-Range'}); the partial file was deleted, run again`);
    }
    start = have;
  }
  const total = length !== undefined ? start + length : undefined;
  let done = start;
  onProgress?.(done, total);
  await receive(res, url, part, start > 0, length, timeoutMs, (n) => {
    done += n;
    onProgress?.(done, total);
  });
}

/**
 * Downloads `url` to `dest`: writes `dest.part` (resuming it with an HTTP Range request when an
 * earlier attempt left one), checks its MD5, then renames it to `dest`. A cut connection or a
 * stall is retried from where it stopped (`attempts`); the `.part` is kept for the next run if
 * every attempt fails.
 * @throws DownloadError (one line): network failures and HTTP errors naming the URL; a stall
 *   longer than `timeoutMs`; a full or read-only disk naming the file; an MD5 mismatch (the
 *   `.part` file is deleted and the message says so)
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions): Promise<DownloadResult> {
  const part = partFile(dest);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const resumedFrom = size(part);
  for (let i = 1; ; i++) {
    try {
      await attempt(url, part, timeoutMs, opts.onProgress);
      break;
    } catch (err) {
      if (!(err instanceof Retryable) || i >= attempts) throw err instanceof DownloadError ? new DownloadError(err.message) : err;
    }
  }
  const md5 = await md5File(part);
  if (md5 !== opts.md5.toLowerCase()) {
    const bytes = size(part);
    fs.rmSync(part, { force: true });
    throw new DownloadError(`${part}: checksum mismatch (MD5 ${md5}, expected ${opts.md5}, ${bytes} bytes from ${url}); the file was deleted: run again, or check ICL_DATASET_MIRROR`);
  }
  const bytes = size(part);
  fs.renameSync(part, dest);
  return { bytes, resumedFrom };
}
