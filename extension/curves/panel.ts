/**
 * The Curves panel (host side): the selected runs' points, fed by the runs' shared followers
 * (curves/feed.ts). The webview is kept while hidden (retainContextWhenHidden): re-showing it sends
 * nothing, where rebuilding it would resend every point of long runs (seconds for 80,000 steps).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_CURVES_OPTIONS, FromCurves, type CurvesHostMessage, type CurvesOptions, type CurvesWebviewMessage } from '../../webviews/curves/contract';
import { PanelId } from '../ids';
import type { RunsModel } from '../runs/model';
import { TypedPanel } from '../webview/panel';
import { Toast, saveDialog } from '../vscode/ui';
import { CurvesFeed } from './feed';
import { curvesCsv } from './series';

export class CurvesPanel extends TypedPanel<CurvesHostMessage, CurvesWebviewMessage> {
  private options: CurvesOptions = { ...DEFAULT_CURVES_OPTIONS };
  private readonly feed: CurvesFeed;

  constructor(extensionUri: vscode.Uri, private readonly model: RunsModel, private readonly workspace: string, dirs: string[], private readonly chooseRuns: () => Promise<string[] | undefined>) {
    super(extensionUri, PanelId.Curves, 'Curves', 'curves', { retainWhenHidden: true });
    this.feed = this.disposer.track(new CurvesFeed(model.followers, (m) => this.post(m), {
      stateOf: (dir) => this.model.run(dir)?.state,
      root: () => this.model.root,
      options: () => this.options,
    }));
    this.setRuns(dirs);
  }

  /** The folders of the runs shown. */
  get runDirs(): string[] {
    return this.feed.runDirs;
  }

  /** Shows these runs (a full snapshot follows). */
  setRuns(dirs: string[]): void {
    this.feed.setRuns(dirs);
    this.panel.title = `Curves: ${this.feed.runs.map((r) => r.name).join(', ') || 'no run'}`;
    this.sendSnapshot();
  }

  protected sendSnapshot(): void {
    this.post(this.feed.snapshotMessage());
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
    fs.writeFileSync(target, curvesCsv(this.feed.runs));
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
