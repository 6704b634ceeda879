/**
 * The runtime processes of this window: spawned as their own Node processes (never inside the
 * extension host), their output in an output channel, stopped with SIGINT (the runtime then writes a
 * checkpoint and run_end status stopped).
 *
 * A training outlives the window: it is started detached (its own session and process group, not
 * waited for), its stdout and stderr going to `<run>/stdout.log`, which the output channel follows.
 * After a window reload the extension re-attaches to it by pid ({@link RuntimeProcesses.attach}): the
 * channel replays the log and follows it, and the process is watched until it ends. Evaluations and
 * queues are short or hold their own state (queue.json) and keep piped output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONSOLE_LOG_FILE, pidAlive } from '../../runtime/protocol';
import { DisposableObject } from '../util/disposable';
import { FileTail } from './file_tail';
import { parseDownloadLine, type DownloadLine, type Launch } from './launch';

/** How often a re-attached process is checked to be alive (ms). */
const ALIVE_POLL_MS = 1000;

/** A process the extension started, or re-attached to after a window reload. */
export interface RuntimeProcess {
  readonly kind: 'train' | 'evaluate' | 'queue';
  /** Absolute run folder it writes (train) or reads (evaluate). */
  readonly dir: string;
  /** Its process id; undefined when it could not be started. */
  readonly pid: number | undefined;
  /** True for a training this window found running (started before a reload), not started. */
  readonly attached: boolean;
  /**
   * Resolves when it has ended, with the exit code (null when killed by a signal, or when it was
   * re-attached and its code cannot be known) and the stdout text (piped processes only).
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

  constructor(private readonly output: vscode.OutputChannel) {
    super();
    // Trainings are left running (they outlive the window); evaluations and queues are asked to stop.
    this.disposer.track({ dispose: () => this.running.forEach((p) => p.kind !== 'train' && p.signal('SIGINT')) });
  }

  /** Spawns a runtime CLI: a training detached, writing `<dir>/stdout.log`; the others with piped output. */
  start(kind: RuntimeProcess['kind'], dir: string, launch: Launch, env: Record<string, string> = {}): RuntimeProcess {
    this.output.appendLine(commandLine(launch));
    const fullEnv = { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' };
    return kind === 'train' ? this.startDetached(path.resolve(dir), launch, fullEnv) : this.startPiped(kind, path.resolve(dir), launch, fullEnv);
  }

  private startPiped(kind: RuntimeProcess['kind'], dir: string, launch: Launch, env: NodeJS.ProcessEnv): RuntimeProcess {
    const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      this.output.append(s);
    });
    let download: DownloadLine | undefined;
    const lines = new LineSplitter((line) => {
      this.output.appendLine(line);
      download = parseDownloadLine(line) ?? download;
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => lines.push(s));
    const exited = this.childExit(kind, dir, child, () => lines.flush()).then((code) => ({ code, stdout }));
    return this.track({
      kind, dir, pid: child.pid, attached: false, exited,
      get download() {
        return download;
      },
      signal: (sig) => child.kill(sig),
    });
  }

  /**
   * A training in its own session and process group, not a child the window waits for: a window
   * reload or close leaves it running. Its output goes to `<dir>/stdout.log` (appended; a new run's
   * folder is created for it and removed again when the start fails before writing anything else).
   */
  private startDetached(dir: string, launch: Launch, env: NodeJS.ProcessEnv): RuntimeProcess {
    const created = !fs.existsSync(dir);
    fs.mkdirSync(dir, { recursive: true });
    const logFile = path.join(dir, CONSOLE_LOG_FILE);
    const fd = fs.openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(launch.command, launch.args, { cwd: launch.cwd, env, stdio: ['ignore', fd, fd], detached: true, windowsHide: true });
    } finally {
      fs.closeSync(fd);
    }
    child.unref();
    const log = this.followLog(logFile, false);
    const exited = this.childExit('train', dir, child, () => log.close()).then((code) => {
      if (created) removeIfOnlyLog(dir);
      return { code, stdout: '' };
    });
    return this.track({
      kind: 'train', dir, pid: child.pid, attached: false, exited,
      get download() {
        return log.download;
      },
      signal: (sig) => child.kill(sig),
    });
  }

  /**
   * Re-attaches to the training writing `dir` (process `pid`, checked to be that run's runtime),
   * started before a window reload: the output channel replays its log and follows it; `exited`
   * resolves (code null) once the process is gone. Returns the tracked process when it is already known.
   */
  attach(dir: string, pid: number): RuntimeProcess {
    const abs = path.resolve(dir);
    const known = this.training(abs);
    if (known) return known;
    this.output.appendLine(`[re-attached to the training of ${abs} (process ${pid}), started before the window reloaded; its output so far:]`);
    const log = this.followLog(path.join(abs, CONSOLE_LOG_FILE), true);
    const exited = new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const timer = setInterval(() => {
        if (pidAlive(pid)) return;
        clearInterval(timer);
        log.close();
        this.output.appendLine(`[train (process ${pid}) has ended]`);
        this.ended(`train:${abs}`);
        resolve({ code: null, stdout: '' });
      }, ALIVE_POLL_MS);
      this.disposer.track({ dispose: () => clearInterval(timer) });
    });
    return this.track({
      kind: 'train', dir: abs, pid, attached: true, exited,
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
