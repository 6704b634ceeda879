/**
 * Runtime processes that outlive the window: every CLI the extension starts (train, evaluate, queue)
 * runs in its own session and process group, not waited for, its stdout and stderr going to a console
 * log on disk ({@link consoleLogOf}). A window reload or close leaves it running; the window that
 * comes back finds it again from the {@link LaunchRecords} kept in the workspace state (pid, kind,
 * folder, start time), checked against what the OS says ({@link launchAlive}). The record covers the
 * seconds before a training writes its `run_start` (dataset loading or download), which is where the
 * run_start-based re-attach (reattach.ts) cannot see it. No vscode import: unit-tested.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONSOLE_LOG_FILE, EVAL_DIR, lastJsonLine, type RunEvent } from '../../runtime/protocol';
import { isRuntimeCommand, type ProcessFacts } from './liveness';

/** The runtime CLIs the extension starts. */
export type ProcessKind = 'train' | 'evaluate' | 'queue';

/**
 * The console log of a process of `kind` working on `dir` (absolute): `<run>/stdout.log` for a
 * training, `<run>/eval/stdout.log` for an evaluation of a run's checkpoint (next to the evaluation's
 * files), `<queue folder>/stdout.log` for a queue (next to its queue.json).
 */
export function consoleLogOf(kind: ProcessKind, dir: string): string {
  return kind === 'evaluate' ? path.join(dir, EVAL_DIR, CONSOLE_LOG_FILE) : path.join(dir, CONSOLE_LOG_FILE);
}

/** What to spawn: a command, its arguments and working folder (launch.ts's `Launch`). */
export interface SpawnSpec {
  command: string;
  args: string[];
  cwd: string;
}

/**
 * Spawns `spec` detached (own session and process group; `windowsHide`), stdin ignored, stdout and
 * stderr both on `logFile` (appended, or truncated first when `append` is false; its folder is
 * created), and unreferenced: the caller's exit neither waits for it nor ends it. The log's
 * descriptor is closed in the caller. A failed start is reported by the child's `error` event.
 */
export function spawnDetached(spec: SpawnSpec, logFile: string, env: NodeJS.ProcessEnv, append: boolean): ChildProcess {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, append ? 'a' : 'w');
  try {
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env, stdio: ['ignore', fd, fd], detached: true, windowsHide: true });
    child.unref();
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `bytes` bytes of a file as text ('' when it cannot be read): a console log's result line. */
export function readTail(file: string, bytes = 65536): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const n = Math.min(size, bytes);
      const buf = Buffer.alloc(n);
      fs.readSync(fd, buf, 0, n, size - n);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** A detached process a window of this workspace started. */
export interface LaunchRecord {
  kind: ProcessKind;
  /** The run folder (train, evaluate) or queue folder (queue), absolute. */
  dir: string;
  pid: number;
  /** When it was spawned, ms since the epoch (taken right after the spawn). */
  startedMs: number;
  /** What the user saw it as: the run's name (train, evaluate), the queue's name. */
  label: string;
  /** Evaluations: the checkpoint's file name; queues: the queue file, relative to the workspace (for the messages at their end). */
  file?: string;
}

/** A key-value store that outlives the window (vscode's `ExtensionContext.workspaceState` is one). */
export interface RecordStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

const STORE_KEY = 'imageClassificationLab.launches';

/** The records of detached processes, kept in the workspace state (added at spawn, removed at their end). */
export class LaunchRecords {
  constructor(private readonly store: RecordStore) {}

  /** Every record kept (malformed entries are dropped). */
  all(): LaunchRecord[] {
    const v = this.store.get<unknown>(STORE_KEY);
    return Array.isArray(v) ? v.filter(isRecord) : [];
  }

  add(r: LaunchRecord): void {
    this.write([...this.all().filter((x) => x.pid !== r.pid), r]);
  }

  /** Forgets the record of process `pid` (it ended, or it is not the runtime any more). */
  remove(pid: number): void {
    const all = this.all();
    const kept = all.filter((x) => x.pid !== pid);
    if (kept.length !== all.length) this.write(kept);
  }

  private write(records: LaunchRecord[]): void {
    void this.store.update(STORE_KEY, records);
  }
}

const isRecord = (v: unknown): v is LaunchRecord => {
  const r = v as Partial<LaunchRecord> | null;
  return !!r && typeof r === 'object' && (r.kind === 'train' || r.kind === 'evaluate' || r.kind === 'queue') && typeof r.dir === 'string' &&
    Number.isInteger(r.pid) && (r.pid as number) > 0 && typeof r.startedMs === 'number' && typeof r.label === 'string';
};

/** Slack between the OS's start time of a process (rounded to about a second) and the record's spawn time. */
const START_SLACK_MS = 3000;

/**
 * True when the process of a record is still the one the window started: alive here, its command line
 * the runtime's CLI of that kind, and started no later than the record (a pid reused by a later
 * process is not it). An unreadable command line or start time counts as not verified.
 */
export function launchAlive(r: LaunchRecord, probe: (pid: number) => ProcessFacts): boolean {
  const facts = probe(r.pid);
  if (!facts.alive || facts.command === undefined || !isRuntimeCommand(r.kind, facts.command)) return false;
  return facts.startMs === undefined || facts.startMs <= r.startedMs + START_SLACK_MS;
}

/**
 * Where a re-attached training's own events begin in its run's `events`: at its run_start, the last one
 * written at or after `sinceMs` (the spawn time from its record, less a second's slack; -Infinity when
 * the run_start itself told the pid); `events.length` when it has not written one yet (a reload
 * during its dataset loading): then only what it writes from now on is its own.
 */
export function attachFrom(events: readonly RunEvent[], sinceMs: number): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.type !== 'run_start') continue;
    return sinceMs === -Infinity || Date.parse(e.time) >= sinceMs - 1000 ? i : events.length;
  }
  return events.length;
}

/**
 * How a queue ended: from its exit code (0 completed, 130 stopped, other failed), else (re-attached
 * after a reload: the code cannot be known) from the `status` of the result line ending its console
 * log (runtime/cli/queue.ts); no result line (it was killed) counts as failed.
 */
export function queueEnd(code: number | null, consoleTail: string): 'completed' | 'stopped' | 'failed' {
  if (code === 0) return 'completed';
  if (code === 130) return 'stopped';
  if (code !== null) return 'failed';
  const line = lastJsonLine(consoleTail) as { status?: unknown } | undefined;
  return line?.status === 'completed' || line?.status === 'stopped' ? line.status : 'failed';
}
