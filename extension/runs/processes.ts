/**
 * The runtime processes the extension started: spawned as their own Node processes (never inside the
 * extension host), their output in an output channel, stopped with SIGINT (the runtime then writes a
 * checkpoint and run_end status stopped).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DisposableObject } from '../util/disposable';
import { parseDownloadLine, type DownloadLine, type Launch } from './launch';

/** A process the extension started. */
export interface RuntimeProcess {
  readonly kind: 'train' | 'evaluate' | 'queue';
  /** Absolute run folder it writes (train) or reads (evaluate). */
  readonly dir: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) and the stdout text. */
  readonly exited: Promise<{ code: number | null; stdout: string }>;
  /** The last dataset download progress line it printed, if any. */
  readonly download?: DownloadLine;
}

export class RuntimeProcesses extends DisposableObject {
  private readonly running = new Map<string, RuntimeProcess>();
  private readonly changed = this.disposer.track(new vscode.EventEmitter<void>());
  /** Fires when a process starts or ends. */
  readonly onDidChangeProcesses = this.changed.event;

  constructor(private readonly output: vscode.OutputChannel) {
    super();
    this.disposer.track({ dispose: () => this.running.forEach((p) => p.child.kill('SIGINT')) });
  }

  /** Spawns a runtime CLI. */
  start(kind: RuntimeProcess['kind'], dir: string, launch: Launch, env: Record<string, string> = {}): RuntimeProcess {
    const key = `${kind}:${path.resolve(dir)}`;
    this.output.appendLine(`$ ${[launch.command, ...launch.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}   (in ${launch.cwd})`);
    const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      this.output.append(s);
    });
    // The progress bar redraws with \r: keep only complete lines in the channel.
    let errBuf = '';
    let download: DownloadLine | undefined;
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      errBuf += s;
      const lines = errBuf.split(/\r?\n/);
      errBuf = lines.pop() ?? '';
      for (const l of lines) {
        const line = l.split('\r').pop() ?? l;
        this.output.appendLine(line);
        download = parseDownloadLine(line) ?? download;
      }
    });
    const exited = new Promise<{ code: number | null; stdout: string }>((resolve) => {
      child.on('error', (err) => {
        this.output.appendLine(`[could not start: ${err.message}]`);
      });
      child.on('close', (code, signal) => {
        if (errBuf) this.output.appendLine(errBuf.split('\r').pop() ?? errBuf);
        this.output.appendLine(`[${kind} exited with ${signal ?? `code ${code}`}]`);
        this.running.delete(key);
        this.changed.fire();
        resolve({ code, stdout });
      });
    });
    const proc: RuntimeProcess = {
      kind, dir: path.resolve(dir), child, exited,
      get download() {
        return download;
      },
    };
    this.running.set(key, proc);
    this.changed.fire();
    return proc;
  }

  /** The training process writing `dir`, if the extension started it. */
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
    p.child.kill('SIGINT');
    return true;
  }
}
