/**
 * The runtime processes of this window: spawned as their own Node processes (never inside the
 * extension host), their output in an output channel, stopped with SIGINT (the runtime then writes a
 * checkpoint and run_end status stopped; a queue stops its runs so).
 *
 * Every process outlives the window: trainings, evaluations and queues are started detached (their
 * own session and process group, not waited for), stdout and stderr going to a console log on disk
 * (detached.ts's `consoleLogOf`: `<run>/stdout.log`, `<run>/eval/stdout.log`, `<queue>/stdout.log`),
 * which the output channel follows, and each is recorded in the workspace state (`LaunchRecords`)
 * until it ends. After a window reload the extension re-attaches to it by pid
 * ({@link RuntimeProcesses.attach}): the channel replays the log and follows it, and the process is
 * watched until it ends.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONSOLE_LOG_FILE, pidAlive } from '../../runtime/protocol';
import { DisposableObject } from '../util/disposable';
import { consoleLogOf, readTail, spawnDetached, type LaunchRecords, type ProcessKind } from './detached';
import { FileTail } from './file_tail';
import { parseDownloadLine, type DownloadLine, type Launch } from './launch';

/** How often a re-attached process is checked to be alive (ms). */
const ALIVE_POLL_MS = 1000;

/** A process the extension started, or re-attached to after a window reload. */
export interface RuntimeProcess {
  readonly kind: ProcessKind;
  /** Absolute run folder it writes (train) or reads (evaluate), or the queue's folder (queue). */
  readonly dir: string;
  /** Its process id; undefined when it could not be started. */
  readonly pid: number | undefined;
  /** True for a process this window found running (started before a reload), not started. */
  readonly attached: boolean;
  /**
   * Resolves when it has ended, with the exit code (null when killed by a signal, or when it was
   * re-attached and its code cannot be known) and the end of its console log (evaluate and queue:
   * their result line is the last line; '' for a training).
   */
  readonly exited: Promise<{ code: number | null; stdout: string }>;
  /** The last dataset download progress line it printed, if any. */
  readonly download?: DownloadLine;
  /** Sends `signal` to it (SIGINT: stop after the current step with a checkpoint). */
  signal(signal: NodeJS.Signals): void;
}

/** Whole lines of console output, with a progress bar's `\r` redraws reduced to their last state. */
class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const lines = (this.rest + text).split(/\r?\n/);
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.onLine(l.split('\r').pop() ?? l);
  }

  flush(): void {
    if (this.rest) this.onLine(this.rest.split('\r').pop() ?? this.rest);
    this.rest = '';
  }
}

/** `$ node … (in DIR)`. */
const commandLine = (launch: Launch): string => `$ ${[launch.command, ...launch.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}   (in ${launch.cwd})`;

export class RuntimeProcesses extends DisposableObject {
  private readonly running = new Map<string, RuntimeProcess>();
  private readonly changed = this.disposer.track(new vscode.EventEmitter<void>());
  /** Fires when a process starts or ends. */
  readonly onDidChangeProcesses = this.changed.event;

  /** `records`: where the detached processes are remembered across window reloads (none: not remembered). */
  constructor(private readonly output: vscode.OutputChannel, private readonly records?: LaunchRecords) {
    super();
    // Nothing is stopped on dispose (window reload or close): every process outlives the window.
  }

  /**
   * Spawns a runtime CLI detached, its console in {@link consoleLogOf}`(kind, dir)` (a training's log
   * is appended to; an evaluation's or a queue's starts empty). `label` names it in the record kept
   * for a later window (`file`: a queue's file).
   */
  start(kind: ProcessKind, dir: string, launch: Launch, env: Record<string, string> = {}, label = path.basename(dir), file?: string): RuntimeProcess {
    this.output.appendLine(commandLine(launch));
    const fullEnv = { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' };
    const abs = path.resolve(dir);
    // A new run's folder is created for its console log, and removed again when the start fails before writing anything else.
    const created = kind === 'train' && !fs.existsSync(abs);
    const logFile = consoleLogOf(kind, abs);
    const child: ChildProcess = spawnDetached(launch, logFile, fullEnv, kind === 'train');
    const pid = child.pid;
    if (pid !== undefined) this.records?.add({ kind, dir: abs, pid, startedMs: Date.now(), label, ...(file ? { file } : {}) });
    const log = this.followLog(logFile, kind !== 'train');
    const exited = this.childExit(kind, abs, child, () => log.close()).then((code) => {
      if (pid !== undefined) this.records?.remove(pid);
      if (created) removeIfOnlyLog(abs);
      return { code, stdout: kind === 'train' ? '' : readTail(logFile) };
    });
    return this.track({
      kind, dir: abs, pid, attached: false, exited,
      get download() {
        return log.download;
      },
      signal: (sig) => child.kill(sig),
    });
  }

  /**
   * Re-attaches to the process `pid` of `kind` working on `dir` (checked to be that runtime CLI),
   * started before a window reload: the output channel replays its console log and follows it;
   * `exited` resolves (code null, the end of the log) once the process is gone. Returns the tracked
   * process when it is already known.
   */
  attach(kind: ProcessKind, dir: string, pid: number): RuntimeProcess {
    const abs = path.resolve(dir);
    const known = this.running.get(`${kind}:${abs}`);
    if (known) return known;
    const logFile = consoleLogOf(kind, abs);
    this.output.appendLine(`[re-attached to the ${kind} of ${abs} (process ${pid}), started before the window reloaded; its output so far:]`);
    const log = this.followLog(logFile, true);
    const exited = new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const timer = setInterval(() => {
        if (pidAlive(pid)) return;
        clearInterval(timer);
        log.close();
        this.records?.remove(pid);
        this.output.appendLine(`[${kind} (process ${pid}) has ended]`);
        this.ended(`${kind}:${abs}`);
        resolve({ code: null, stdout: kind === 'train' ? '' : readTail(logFile) });
      }, ALIVE_POLL_MS);
      this.disposer.track({ dispose: () => clearInterval(timer) });
    });
    return this.track({
      kind, dir: abs, pid, attached: true, exited,
      get download() {
        return log.download;
      },
      signal: (sig) => {
        try {
          process.kill(pid, sig);
        } catch {
          // ended meanwhile: the alive check reports it
        }
      },
    });
  }

  /** The output channel following a console log (from its start, or from its end as it is now). */
  private followLog(file: string, replay: boolean): { readonly download?: DownloadLine; close(): void } {
    const state: { download?: DownloadLine; close(): void } = { close: () => undefined };
    const lines = new LineSplitter((line) => {
      this.output.appendLine(line);
      state.download = parseDownloadLine(line) ?? state.download;
    });
    const tail = new FileTail(file, (text) => lines.push(text), { settleMs: 100 });
    if (!replay) tail.skipToEnd();
    tail.follow();
    const sub = this.disposer.track(tail);
    state.close = () => {
      tail.read();
      lines.flush();
      tail.dispose();
      this.disposer.untrack(sub);
    };
    return state;
  }

  private childExit(kind: RuntimeProcess['kind'], dir: string, child: ChildProcess, beforeEnd: () => void): Promise<number | null> {
    return new Promise((resolve) => {
      let failed = false;
      child.on('error', (err) => {
        this.output.appendLine(`[could not start: ${err.message}]`);
        failed = true;
        beforeEnd();
        this.ended(`${kind}:${dir}`);
        resolve(null);
      });
      child.on('close', (code, signal) => {
        if (failed) return;
        beforeEnd();
        this.output.appendLine(`[${kind} exited with ${signal ?? `code ${code}`}]`);
        this.ended(`${kind}:${dir}`);
        resolve(code);
      });
    });
  }

  private track(p: RuntimeProcess): RuntimeProcess {
    this.running.set(`${p.kind}:${p.dir}`, p);
    this.changed.fire();
    return p;
  }

  private ended(key: string): void {
    this.running.delete(key);
    this.changed.fire();
  }

  /** The training process writing `dir`, if this window started it or re-attached to it. */
  training(dir: string): RuntimeProcess | undefined {
    return this.running.get(`train:${path.resolve(dir)}`);
  }

  /** Whether this window started, or re-attached to, a process of `kind` working on `dir`. */
  has(kind: ProcessKind, dir: string): boolean {
    return this.running.has(`${kind}:${path.resolve(dir)}`);
  }

  /** Training processes now running. */
  trainings(): RuntimeProcess[] {
    return [...this.running.values()].filter((p) => p.kind === 'train');
  }

  /** Asks a training to stop cleanly (SIGINT: checkpoint, run_end stopped). */
  stop(dir: string): boolean {
    const p = this.training(dir);
    if (!p) return false;
    p.signal('SIGINT');
    return true;
  }
}

/** Removes a run folder the extension created for a start that failed before writing anything but its console log. */
function removeIfOnlyLog(dir: string): void {
  try {
    const names = fs.readdirSync(dir);
    if (names.length === 1 && names[0] === CONSOLE_LOG_FILE) fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // gone already
  }
}
