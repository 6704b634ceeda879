/**
 * Complete lines of a growing file, with no vscode import: `FileTail` reads from an open descriptor by
 * byte offset and hands on whole lines only (a partial last line waits for its newline); it starts over
 * from byte 0 when the file shrinks (truncated) or is replaced (another inode). It is woken by
 * `fs.watch`; it polls only where watching fails (some network file systems, no inotify watches left)
 * and while the file does not exist yet. Used for a run's events.jsonl (runs/follower.ts) and its
 * console log (runs/processes.ts).
 */
import * as fs from 'node:fs';
import type { IDisposable } from '../util/disposable';

/** Options of {@link FileTail}. */
export interface TailOptions {
  /** Polling period (ms) where fs.watch is not available, or before the file exists. Default 1000. */
  pollMs?: number;
  /** Delay (ms) that gathers a burst of watch notifications into one read. Default 50. */
  settleMs?: number;
  /** Use fs.watch (default true; false polls, as on a file system without notifications). */
  watch?: boolean;
}

/** Bytes read at once: a large file is parsed in pieces of at most this size (cut at a newline). */
const CHUNK_BYTES = 8 << 20;

/**
 * Complete lines of a growing file, from an open descriptor by byte offset. `onText(text, reset)`
 * gets whole lines (each ending with `\n`); `reset` says the file was truncated or replaced and
 * `text` starts again at its first byte.
 */
export class FileTail implements IDisposable {
  private fd: number | undefined;
  private ino = -1;
  /** Bytes of complete lines handed on. */
  private offset = 0;
  private watcher: fs.FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private following = false;
  /** Modification time of the file at the last read (ms), 0 before it exists. */
  mtimeMs = 0;

  constructor(
    readonly file: string,
    private readonly onText: (text: string, reset: boolean) => void,
    private readonly opts: TailOptions = {},
  ) {}

  /** Whether it is following (watching or polling). */
  get isFollowing(): boolean {
    return this.following;
  }

  /** Bytes of complete lines read so far. */
  get bytesRead(): number {
    return this.offset;
  }

  /**
   * Reads what was appended since the last read, now. Returns true when it handed on text (or a reset).
   * @throws file-system errors other than a missing file (EACCES, EIO), naming the file
   */
  read(): boolean {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.file}: ${(err as Error).message}`);
      return this.vanished();
    }
    this.mtimeMs = st.mtimeMs;
    // Stopped, and nothing new: no need to open it.
    if (this.fd === undefined && st.ino === this.ino && st.size === this.offset) return false;
    let reset = false;
    if (this.fd !== undefined && st.ino !== this.ino) this.closeFd();
    if (this.fd === undefined) {
      this.fd = fs.openSync(this.file, 'r');
      const ino = fs.fstatSync(this.fd).ino;
      if (ino !== this.ino) {
        // Another file than the one read so far (replaced): start over.
        reset = this.offset > 0;
        this.offset = 0;
        this.ino = ino;
      }
    }
    const size = fs.fstatSync(this.fd).size;
    if (size < this.offset) {
      reset = true;
      this.offset = 0;
    }
    let handed = false;
    while (this.offset < size) {
      const text = this.readLines(Math.min(size - this.offset, CHUNK_BYTES));
      if (text === undefined) break;
      this.onText(text, reset);
      handed = true;
      reset = false;
    }
    if (reset) this.onText('', true);
    return handed || reset;
  }

  /** The complete lines of the next `n` bytes (consumed), or undefined when they hold no newline. */
  private readLines(n: number): string | undefined {
    const buf = Buffer.allocUnsafe(n);
    const got = fs.readSync(this.fd as number, buf, 0, n, this.offset);
    const end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
    if (end === 0) {
      // A line longer than a chunk: read it whole next time round, or wait for its newline.
      if (got === CHUNK_BYTES) return this.readLongLine();
      return undefined;
    }
    this.offset += end;
    return buf.subarray(0, end).toString('utf8');
  }

  /** A single line longer than a chunk (a corrupt file): read up to its newline, if it has one yet. */
  private readLongLine(): string | undefined {
    const size = fs.fstatSync(this.fd as number).size;
    const buf = Buffer.allocUnsafe(size - this.offset);
    const got = fs.readSync(this.fd as number, buf, 0, buf.length, this.offset);
    const end = buf.subarray(0, got).indexOf(0x0a) + 1;
    if (end === 0) return undefined;
    this.offset += end;
    return buf.subarray(0, end).toString('utf8');
  }

  /** The file is gone: what was read is void (a reset) unless nothing was. */
  private vanished(): boolean {
    this.closeFd();
    this.ino = -1;
    this.mtimeMs = 0;
    if (this.offset === 0) return false;
    this.offset = 0;
    this.onText('', true);
    return true;
  }

  /** Skips what the file holds now: later reads start at its present end (a log appended to by a new session). */
  skipToEnd(): void {
    try {
      const st = fs.statSync(this.file);
      this.ino = st.ino;
      this.offset = st.size;
    } catch {
      // not there yet: read from its start once it is
    }
  }

  /** Reads now and then whenever the file changes, until {@link stop}. */
  follow(): void {
    if (this.following) return;
    this.following = true;
    this.watchOrPoll();
    // What was appended before the watch began.
    this.tick();
  }

  private watchOrPoll(): void {
    if (!this.following || this.watcher) return;
    if (this.opts.watch !== false && fs.existsSync(this.file)) {
      try {
        this.watcher = fs.watch(this.file, { persistent: false }, (kind) => this.onWatch(kind));
        this.watcher.on('error', () => this.unwatch());
        this.stopPolling();
        return;
      } catch {
        // no watch here (ENOSPC: inotify watches used up, or a file system without notifications): poll
      }
    }
    this.pollTimer ??= setInterval(() => this.tick(), this.opts.pollMs ?? 1000);
  }

  private onWatch(kind: string): void {
    // A rename: the file was replaced or removed; watch the new file (or poll until it appears).
    if (kind === 'rename') this.unwatch();
    if (this.settleTimer) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.tick();
    }, this.opts.settleMs ?? 50);
  }

  private tick(): void {
    try {
      this.read();
    } catch {
      // unreadable for now (permissions, I/O): tried again at the next change or poll
    }
    if (!this.watcher) this.watchOrPoll();
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.following) this.watchOrPoll();
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private closeFd(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Stops watching or polling and closes the descriptor; the offset is kept, so {@link read} continues. */
  stop(): void {
    this.following = false;
    this.watcher?.close();
    this.watcher = undefined;
    this.stopPolling();
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    // The inode is kept: a later read of the same file continues at the offset.
    this.closeFd();
  }

  dispose(): void {
    this.stop();
  }
}
