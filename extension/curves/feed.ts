/**
 * The Curves panel's data on the host, without vscode: the chosen runs' points, built from their
 * shared followers (runs/follower.ts; no file is read here and no timer runs), and the messages for
 * the webview as the runs grow: appended points, or a new snapshot when a run's file was truncated.
 * A completed run costs nothing after its snapshot.
 */
import * as path from 'node:path';
import type { RunEvent } from '../../runtime/protocol/events';
import { ToCurves, type CurvesHostMessage, type CurvesOptions, type RunSeries } from '../../webviews/curves/contract';
import type { RunChange, RunFollowers } from '../runs/follower';
import type { IDisposable } from '../util/disposable';
import { MAX_DRAWN_POINTS, runsForDrawing } from './downsample';
import { eventsToPoints, mergePoints, runColor, seriesStart, type SeriesState } from './series';

interface FedRun {
  run: RunSeries;
  state: SeriesState;
  release: IDisposable;
}

/** The state a run's events end in (`completed`, `stopped`, `failed` from its last run_end), or undefined. */
function endState(events: readonly RunEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.type === 'run_end') return e.status;
    if (e.type === 'run_start') return undefined;
  }
  return undefined;
}

export class CurvesFeed implements IDisposable {
  private fed: FedRun[] = [];
  /** Points appended since the last snapshot: past {@link MAX_DRAWN_POINTS} a downsampled snapshot replaces the appends. */
  private appended = 0;

  /**
   * @param post where messages for the webview go (the caller sends the first snapshot)
   * @param view `stateOf`: the Runs view's state of a run folder (`running`, `interrupted`, …) if
   *   known; `root`: the experiments folder, which run names are relative to; `options`: the view
   *   options a snapshot carries
   */
  constructor(
    private readonly followers: RunFollowers,
    private readonly post: (message: CurvesHostMessage) => void,
    private readonly view: { stateOf(dir: string): string | undefined; root(): string; options(): CurvesOptions },
  ) {}

  /** The folders of the runs shown. */
  get runDirs(): string[] {
    return this.fed.map((f) => f.run.id);
  }

  /** The runs' series, as a snapshot sends them. */
  get runs(): RunSeries[] {
    return this.fed.map((f) => f.run);
  }

  /** Shows these runs (absolute or relative folders); the caller sends the snapshot. */
  setRuns(dirs: readonly string[]): void {
    const old = this.fed;
    const root = this.view.root();
    this.fed = dirs.map((d) => path.resolve(d)).map((dir) => {
      const name = path.relative(root, dir).split(path.sep).join('/') || path.basename(dir);
      const held = this.followers.acquire(dir);
      const fed: FedRun = { run: { id: dir, name, color: runColor(name), state: 'unknown', series: {} }, state: seriesStart(), release: held };
      const sub = held.follower.onDidChange((c) => this.onChange(fed, c));
      fed.release = { dispose: () => (sub.dispose(), held.dispose()) };
      held.follower.poll();
      this.rebuild(fed, held.follower.events);
      return fed;
    });
    // Released after the new ones are held: a run in both keeps its follower.
    for (const f of old) f.release.dispose();
  }

  private rebuild(f: FedRun, events: readonly RunEvent[]): void {
    f.state = seriesStart();
    f.run.series = eventsToPoints(f.state, events);
    f.run.state = endState(events) ?? this.view.stateOf(f.run.id) ?? 'unknown';
  }

  private onChange(f: FedRun, c: RunChange): void {
    if (c.reset) {
      this.rebuild(f, c.appended);
      this.post(this.snapshotMessage());
      return;
    }
    const points = eventsToPoints(f.state, c.appended);
    mergePoints(f.run.series, points);
    f.run.state = endState(c.appended) ?? (c.ended ? f.run.state : this.view.stateOf(f.run.id) ?? f.run.state);
    this.appended += Object.values(points).reduce((k, p) => k + (p?.length ?? 0), 0);
    if (this.appended > MAX_DRAWN_POINTS) this.post(this.snapshotMessage());
    else this.post({ type: ToCurves.Append, runId: f.run.id, state: f.run.state, points });
  }

  /** The full state, as the webview gets it first, downsampled for drawing (downsample.ts; the CSV export reads {@link runs}). */
  snapshotMessage(): CurvesHostMessage {
    this.appended = 0;
    return { type: ToCurves.Snapshot, runs: runsForDrawing(this.runs), options: this.view.options() };
  }

  dispose(): void {
    for (const f of this.fed) f.release.dispose();
    this.fed = [];
  }
}
