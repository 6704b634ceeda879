/** The Curves panel (host side): selected runs' points, followed live from events.jsonl by byte offset. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readEvents } from '../../runtime/protocol/reader';
import { EVENTS_FILE } from '../../runtime/protocol/events';
import { DEFAULT_CURVES_OPTIONS, FromCurves, ToCurves, type CurvesHostMessage, type CurvesOptions, type CurvesWebviewMessage, type RunSeries } from '../../webviews/curves/contract';
import { PanelId } from '../ids';
import type { RunsModel } from '../runs/model';
import { TypedPanel } from '../webview/panel';
import { Toast, saveDialog } from '../vscode/ui';
import { MAX_DRAWN_POINTS, runsForDrawing } from './downsample';
import { curvesCsv, eventsToPoints, mergePoints, runColor, seriesStart, type SeriesState } from './series';

interface Followed {
  run: RunSeries;
  state: SeriesState;
  offset: number;
}

export class CurvesPanel extends TypedPanel<CurvesHostMessage, CurvesWebviewMessage> {
  private followed: Followed[] = [];
  private options: CurvesOptions = { ...DEFAULT_CURVES_OPTIONS };
  private readonly timer: NodeJS.Timeout;
  /** Points appended since the last snapshot: past {@link MAX_DRAWN_POINTS} a downsampled snapshot replaces the appends. */
  private appended = 0;

  constructor(extensionUri: vscode.Uri, private readonly model: RunsModel, private readonly workspace: string, dirs: string[], private readonly chooseRuns: () => Promise<string[] | undefined>) {
    super(extensionUri, PanelId.Curves, 'Curves', 'curves');
    this.setRuns(dirs);
    this.timer = setInterval(() => this.poll(), 1000);
    this.disposer.track({ dispose: () => clearInterval(this.timer) });
  }

  /** The folders of the runs shown. */
  get runDirs(): string[] {
    return this.followed.map((f) => f.run.id);
  }

  /** Shows these runs (a full snapshot follows). */
  setRuns(dirs: string[]): void {
    const root = this.model.root;
    this.followed = dirs.map((d) => path.resolve(d)).map((dir) => {
      const name = path.relative(root, dir).split(path.sep).join('/') || path.basename(dir);
      return { run: { id: dir, name, color: runColor(name), state: this.model.run(dir)?.state ?? 'unknown', series: {} }, state: seriesStart(), offset: 0 };
    });
    this.followed.forEach((f) => this.read(f));
    this.panel.title = `Curves: ${this.followed.map((f) => f.run.name).join(', ') || 'no run'}`;
    this.sendSnapshot();
  }

  private read(f: Followed): ReturnType<typeof eventsToPoints> | undefined {
    const file = path.join(f.run.id, EVENTS_FILE);
    if (!fs.existsSync(file)) return undefined;
    const r = readEvents(file, f.offset);
    if (r.consumed === f.offset) return undefined;
    f.offset = r.consumed;
    const pts = eventsToPoints(f.state, r.events);
    mergePoints(f.run.series, pts);
    f.run.state = this.model.run(f.run.id)?.state ?? f.run.state;
    if (r.events.some((e) => e.type === 'run_end')) f.run.state = (r.events.filter((e) => e.type === 'run_end').pop() as { status: string }).status;
    return pts;
  }

  private poll(): void {
    const news = this.followed.map((f) => ({ f, pts: this.read(f) }));
    this.appended += news.reduce((s, { pts }) => s + Object.values(pts ?? {}).reduce((k, p) => k + p.length, 0), 0);
    if (this.appended > MAX_DRAWN_POINTS) return this.sendSnapshot();
    for (const { f, pts } of news) if (pts) this.post({ type: ToCurves.Append, runId: f.run.id, state: f.run.state, points: pts });
  }

  protected sendSnapshot(): void {
    // Drawn downsampled (extension/curves/downsample.ts); the CSV export reads the full series.
    this.appended = 0;
    this.post({ type: ToCurves.Snapshot, runs: runsForDrawing(this.followed.map((f) => f.run)), options: this.options });
  }

  protected onMessage(m: CurvesWebviewMessage): void {
    switch (m.type) {
      case FromCurves.SetOptions:
        this.options = m.options;
        break;
      case FromCurves.ExportCsv:
        void this.exportCsv();
        break;
      case FromCurves.ExportPng:
        void this.exportPng(m.dataUrl);
        break;
      case FromCurves.ChooseRuns:
        void this.chooseRuns().then((dirs) => dirs && this.setRuns(dirs));
        break;
    }
  }

  private async exportCsv(): Promise<void> {
    const target = await saveDialog(path.join(this.workspace, 'curves.csv'), { CSV: ['csv'] });
    if (!target) return;
    fs.writeFileSync(target, curvesCsv(this.followed.map((f) => f.run)));
    void Toast.info(`Curves written to ${vscode.workspace.asRelativePath(target)}.`);
  }

  private async exportPng(dataUrl: string): Promise<void> {
    const m = /^data:image\/png;base64,(.*)$/.exec(dataUrl);
    if (!m) return;
    const target = await saveDialog(path.join(this.workspace, 'curves.png'), { PNG: ['png'] });
    if (!target) return;
    fs.writeFileSync(target, Buffer.from(m[1], 'base64'));
    void Toast.info(`Curves written to ${vscode.workspace.asRelativePath(target)}.`);
  }
}
