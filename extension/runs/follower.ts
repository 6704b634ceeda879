/**
 * The one follower of a run folder's `events.jsonl`, with no vscode import. `RunFollower` reads it
 * with a {@link FileTail} (by byte offset from an open descriptor, complete lines only, truncation and
 * replacement start over, fs.watch with polling only as a fallback), parses the lines into events,
 * keeps them, and fires typed changes to its subscribers (the Runs model, the trainings, the Curves
 * panel). It stops watching once the run has ended (a `run_end` after the last `run_start`); `poll()`
 * reads again (a resumed run appends, and the Runs model polls on its rescans). `RunFollowers` shares
 * one follower per folder between its users (reference counted).
 */
import * as path from 'node:path';
import { EVENTS_FILE, type RunEvent } from '../../runtime/protocol/events';
import { parseEvents } from '../../runtime/protocol/reader';
import type { IDisposable } from '../util/disposable';
import { FileTail, type TailOptions } from './file_tail';

/** What changed in a run's events. */
export interface RunChange {
  /** The events appended by this read; when `reset`, all the events of the file. */
  readonly appended: readonly RunEvent[];
  /** The file was truncated, replaced or removed: the events before are void. */
  readonly reset: boolean;
  /** The run has ended: a `run_end` follows its last `run_start`. */
  readonly ended: boolean;
}

/** True when the last `run_start`/`run_end` of `events` is a `run_end`. */
function endsRun(events: readonly RunEvent[], ended: boolean): boolean {
  for (let i = events.length - 1; i >= 0; i--) {
    const t = events[i].type;
    if (t === 'run_end') return true;
    if (t === 'run_start') return false;
  }
  return ended;
}

/** The follower of one run folder's events.jsonl; see the module comment. */
export class RunFollower implements IDisposable {
  readonly file: string;
  private readonly tail: FileTail;
  private readonly listeners = new Set<(change: RunChange) => void>();
  private all: RunEvent[] = [];
  private hasEnded = false;
  /** Complete lines that were not events (line numbers since the last reset). */
  badLines = 0;

  constructor(readonly dir: string, opts: TailOptions = {}) {
    this.file = path.join(dir, EVENTS_FILE);
    this.tail = new FileTail(this.file, (text, reset) => this.onText(text, reset), opts);
    this.poll();
  }

  /** The run's events so far (read up to the last poll or watch notification). */
  get events(): readonly RunEvent[] {
    return this.all;
  }

  /** Whether the run has ended (a `run_end` after its last `run_start`). */
  get ended(): boolean {
    return this.hasEnded;
  }

  /** Whether it is watching the file (the run has not ended). */
  get isFollowing(): boolean {
    return this.tail.isFollowing;
  }

  /** Modification time (ms) of the file at the last read; 0 when it does not exist. */
  get mtimeMs(): number {
    return this.tail.mtimeMs;
  }

  /** Calls `listener` after every read that changed the events. */
  onDidChange(listener: (change: RunChange) => void): IDisposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Reads now; follows the file while the run has not ended, stops once it has. */
  poll(): void {
    try {
      this.tail.read();
    } catch {
      // unreadable for now: the next poll tries again
    }
    if (this.hasEnded) this.tail.stop();
    else this.tail.follow();
  }

  private onText(text: string, reset: boolean): void {
    const parsed = parseEvents(text);
    if (reset) {
      this.all = [];
      this.badLines = 0;
      this.hasEnded = false;
    }
    this.badLines += parsed.badLines.length;
    for (const e of parsed.events) this.all.push(e);
    this.hasEnded = endsRun(parsed.events, this.hasEnded);
    // Stop watching an ended run once the read that brought its run_end is over.
    if (this.hasEnded) queueMicrotask(() => this.hasEnded && this.tail.stop());
    const change: RunChange = { appended: reset ? this.all.slice() : parsed.events, reset, ended: this.hasEnded };
    for (const l of [...this.listeners]) l(change);
  }

  dispose(): void {
    this.listeners.clear();
    this.tail.dispose();
  }
}

/** One {@link RunFollower} per run folder, shared by its users; disposed when the last user releases it. */
export class RunFollowers implements IDisposable {
  private readonly held = new Map<string, { follower: RunFollower; users: number }>();

  constructor(private readonly opts: TailOptions = {}) {}

  /** The follower of `dir` (absolute or relative to the current folder), held until the returned handle is disposed. */
  acquire(dir: string): { follower: RunFollower } & IDisposable {
    const key = path.resolve(dir);
    let entry = this.held.get(key);
    if (!entry) {
      entry = { follower: new RunFollower(key, this.opts), users: 0 };
      this.held.set(key, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      follower: held.follower,
      dispose: () => {
        if (released) return;
        released = true;
        if (--held.users > 0 || this.held.get(key) !== held) return;
        this.held.delete(key);
        held.follower.dispose();
      },
    };
  }

  /** The follower of `dir` when someone holds it. */
  get(dir: string): RunFollower | undefined {
    return this.held.get(path.resolve(dir))?.follower;
  }

  /** Folders followed now (tests, the benchmark). */
  get size(): number {
    return this.held.size;
  }

  dispose(): void {
    for (const { follower } of this.held.values()) follower.dispose();
    this.held.clear();
  }
}
