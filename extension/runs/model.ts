/**
 * The runs of the workspace: run folders under experiments/ (also those started from a terminal),
 * their events read incrementally (byte offsets) and summarised. Fires onDidChangeRuns.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EVENTS_FILE, type RunEvent } from '../../runtime/protocol/events';
import { readEvents } from '../../runtime/protocol/reader';
import { EvalSummaries } from '../evaluation/read';
import { Setting } from '../ids';
import { DisposableObject } from '../util/disposable';
import { getSetting } from '../vscode/config';
import { findRunDirs, openRunStart, summarizeRun, type RunSummary } from './collect';
import { checkRunProcess, probeProcess, type ProcessCheck, type ProcessFacts } from './liveness';
import type { RuntimeProcesses } from './processes';
import { SlurmPoller } from './slurm';

/** Where a run's process cannot be checked (no pid, another host): a file that grew within this many ms counts as live. */
const LIVE_MS = 30_000;
/** Rescan period: file watchers miss or delay events (new folders, network file systems, a busy machine). */
const RESCAN_MS = 5_000;

interface Cached {
  offset: number;
  events: RunEvent[];
  mtimeMs: number;
}

export class RunsModel extends DisposableObject {
  private readonly cache = new Map<string, Cached>();
  private readonly evals = new EvalSummaries();
  private summaries: RunSummary[] = [];
  private readonly changed = this.disposer.track(new vscode.EventEmitter<void>());
  /** Fires after a refresh that changed something. */
  readonly onDidChangeRuns = this.changed.event;
  private timer: NodeJS.Timeout | undefined;
  private lastKey = '';
  private closed = false;

  constructor(
    private readonly workspace: string,
    private readonly processes: RuntimeProcesses,
    private readonly probe: (pid: number) => ProcessFacts = probeProcess,
    private readonly slurm: SlurmPoller = new SlurmPoller(),
  ) {
    super();
    const watcher = this.disposer.track(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(workspace, `**/${EVENTS_FILE}`)));
    const soon = (): void => this.refreshSoon();
    this.disposer.track(watcher.onDidChange(soon));
    this.disposer.track(watcher.onDidCreate(soon));
    this.disposer.track(watcher.onDidDelete(soon));
    this.disposer.track(processes.onDidChangeProcesses(soon));
    this.disposer.track({ dispose: () => clearTimeout(this.timer) });
    this.disposer.track({ dispose: () => (this.closed = true) });
    const rescan = setInterval(() => this.refresh(), RESCAN_MS);
    this.disposer.track({ dispose: () => clearInterval(rescan) });
    this.refresh();
  }

  /** The experiments folder (absolute). */
  get root(): string {
    return path.resolve(this.workspace, getSetting(Setting.ExperimentsFolder, 'experiments'));
  }

  get runs(): readonly RunSummary[] {
    return this.summaries;
  }

  run(dir: string): RunSummary | undefined {
    return this.summaries.find((r) => r.dir === path.resolve(dir));
  }

  /**
   * The training process of a run that has not ended, checked now: `running` only when it is alive on
   * this host and is the run's runtime. Undefined when the run has ended or has no events.
   */
  processOf(dir: string): ProcessCheck | undefined {
    const start = openRunStart(this.read(path.resolve(dir)).events);
    return start ? checkRunProcess(start, os.hostname(), this.probe) : undefined;
  }

  /** Whether a run that has not ended is live: started here, its process verified, else its file grew lately. */
  private isLive(dir: string, c: Cached, now: number): boolean {
    if (this.processes.training(dir)) return true;
    const start = openRunStart(c.events);
    if (!start) return false;
    const check = checkRunProcess(start, os.hostname(), this.probe);
    if (check.kind === 'running') return true;
    if (check.kind === 'gone') return false;
    return now - c.mtimeMs < LIVE_MS;
  }

  /** The cached events of a run (read up to date first). */
  events(dir: string): RunEvent[] {
    return this.read(path.resolve(dir)).events;
  }

  private refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 300);
  }

  private read(dir: string): Cached {
    const file = path.join(dir, EVENTS_FILE);
    let c = this.cache.get(dir) ?? { offset: 0, events: [], mtimeMs: 0 };
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(file);
    } catch {
      return c;
    }
    if (stat.size < c.offset) c = { offset: 0, events: [], mtimeMs: 0 };
    if (stat.size > c.offset) {
      const parsed = readEvents(file, c.offset);
      c = { offset: parsed.consumed, events: c.events.concat(parsed.events), mtimeMs: stat.mtimeMs };
    }
    c.mtimeMs = stat.mtimeMs;
    this.cache.set(dir, c);
    return c;
  }

  /** Rescans the experiments folder and re-summarises the runs. */
  refresh(): void {
    const root = this.root;
    const dirs = findRunDirs(root);
    const now = Date.now();
    this.summaries = dirs.map((dir) => {
      const c = this.read(dir);
      const slurm = this.slurm.get(dir);
      // A job Slurm runs elsewhere: its process cannot be checked from here.
      const live = slurm?.state === 'RUNNING' || this.isLive(dir, c, now);
      const s = { ...summarizeRun(dir, path.relative(root, dir).split(path.sep).join('/') || path.basename(dir), c.events, live), ...this.evals.of(dir) };
      return slurm ? { ...s, slurm } : s;
    });
    for (const k of [...this.cache.keys()]) if (!dirs.includes(k)) this.cache.delete(k);
    // Slurm states are asked in the background (at most every 10 s a run, while not final); a change refreshes.
    void this.slurm.poll(dirs).then((changed) => {
      if (changed && !this.closed) this.refresh();
    });
    const key = JSON.stringify(this.summaries.map((s) => [s.dir, s.state, s.epoch, s.lastError, s.slurm?.state, s.slurm?.jobId, s.testError, s.evalCheckpoint]));
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.changed.fire();
    }
  }
}
