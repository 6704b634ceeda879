/**
 * The runs of the workspace: run folders under experiments/ (also those started from a terminal),
 * their events from the shared follower of each folder (runs/follower.ts), summarised. Fires
 * onDidChangeRuns.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EVENTS_FILE, type RunEvent } from '../../runtime/protocol/events';
import { EvalSummaries } from '../evaluation/read';
import { Setting } from '../ids';
import { DisposableObject, type IDisposable } from '../util/disposable';
import { getSetting } from '../vscode/config';
import { findRunDirs, openRunStart, summarizeRun, type RunSummary } from './collect';
import { RunFollowers, type RunFollower } from './follower';
import { checkRunProcess, probeProcess, type ProcessCheck, type ProcessFacts } from './liveness';
import type { RuntimeProcesses } from './processes';
import { SlurmPoller } from './slurm';

/** Where a run's process cannot be checked (no pid, another host): a file that grew within this many ms counts as live. */
const LIVE_MS = 30_000;
/**
 * Rescan period: new run folders, processes that died, Slurm states; and a poll of every follower,
 * for file systems whose changes fs.watch does not see.
 */
const RESCAN_MS = 5_000;

/** A followed run folder: its follower (held), the subscription, and the last summary with what it was made of. */
interface Held {
  follower: RunFollower;
  release: IDisposable;
  summary?: { events: number; live: boolean; slurm: string; evaluation: string; s: RunSummary };
}

export class RunsModel extends DisposableObject {
  /** One follower per run folder, shared with the trainings and the Curves panel. */
  readonly followers = this.disposer.track(new RunFollowers());
  private readonly held = new Map<string, Held>();
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
    // New and removed run folders; the followers see what is appended.
    const watcher = this.disposer.track(vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(workspace, `**/${EVENTS_FILE}`), false, true, false));
    const soon = (): void => this.refreshSoon();
    this.disposer.track(watcher.onDidCreate(soon));
    this.disposer.track(watcher.onDidDelete(soon));
    this.disposer.track(processes.onDidChangeProcesses(soon));
    this.disposer.track({ dispose: () => clearTimeout(this.timer) });
    this.disposer.track({ dispose: () => (this.closed = true) });
    this.disposer.track({ dispose: () => this.held.forEach((h) => h.release.dispose()) });
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
    const start = openRunStart(this.events(dir));
    return start ? checkRunProcess(start, os.hostname(), this.probe) : undefined;
  }

  /** Whether a run that has not ended is live: started here, its process verified, else its file grew lately. */
  private isLive(dir: string, f: RunFollower, now: number): boolean {
    if (this.processes.training(dir)) return true;
    const start = openRunStart(f.events);
    if (!start) return false;
    const check = checkRunProcess(start, os.hostname(), this.probe);
    if (check.kind === 'running') return true;
    if (check.kind === 'gone') return false;
    return now - f.mtimeMs < LIVE_MS;
  }

  /** The events of a run, read up to date. */
  events(dir: string): readonly RunEvent[] {
    const abs = path.resolve(dir);
    const held = this.held.get(abs);
    if (held) {
      held.follower.poll();
      return held.follower.events;
    }
    const once = this.followers.acquire(abs);
    try {
      return once.follower.events;
    } finally {
      once.dispose();
    }
  }

  private refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 300);
  }

  /** The held follower of a run folder (a change refreshes the summaries). */
  private hold(dir: string): Held {
    let h = this.held.get(dir);
    if (!h) {
      const handle = this.followers.acquire(dir);
      const sub = handle.follower.onDidChange(() => this.refreshSoon());
      h = { follower: handle.follower, release: { dispose: () => (sub.dispose(), handle.dispose()) } };
      this.held.set(dir, h);
    }
    return h;
  }

  /** A run's summary, made again only when its events, liveness or Slurm state changed. */
  private summarize(dir: string, root: string, now: number): RunSummary {
    const h = this.hold(dir);
    h.follower.poll();
    const slurm = this.slurm.get(dir);
    const ended = h.follower.ended;
    // A job Slurm runs elsewhere: its process cannot be checked from here.
    const live = !ended && (slurm?.state === 'RUNNING' || this.isLive(dir, h.follower, now));
    const n = h.follower.events.length;
    const slurmKey = JSON.stringify(slurm ?? null);
    const evaluation = this.evals.of(dir);
    const evalKey = JSON.stringify(evaluation ?? null);
    const same = h.summary && h.summary.events === n && h.summary.live === live && h.summary.slurm === slurmKey && h.summary.evaluation === evalKey;
    if (same) return h.summary!.s;
    const s0 = { ...summarizeRun(dir, path.relative(root, dir).split(path.sep).join('/') || path.basename(dir), h.follower.events, live), ...evaluation };
    const s = slurm ? { ...s0, slurm } : s0;
    h.summary = { events: n, live, slurm: slurmKey, evaluation: evalKey, s };
    return s;
  }

  /** Rescans the experiments folder and re-summarises the runs. */
  refresh(): void {
    const root = this.root;
    const dirs = findRunDirs(root);
    const now = Date.now();
    this.summaries = dirs.map((dir) => this.summarize(dir, root, now));
    const found = new Set(dirs);
    for (const [dir, h] of [...this.held]) {
      if (found.has(dir)) continue;
      h.release.dispose();
      this.held.delete(dir);
    }
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
