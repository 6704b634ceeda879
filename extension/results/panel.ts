/**
 * The Results panel (host side): the table of the chosen runs beside the closest reference rows; sort,
 * choose runs, show all reference rows, export.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FromResults, ToResults, type ResultsHostMessage, type ResultsWebviewMessage, type SortState } from '../../webviews/results/contract';
import { PanelId } from '../ids';
import type { RunsModel } from '../runs/model';
import { Toast, saveDialog } from '../vscode/ui';
import { TypedPanel } from '../webview/panel';
import paperResults from './paper_results.json';
import { exportTable, referenceRows, resultRows, sortRows, tableCells, type PaperResults } from './table';

const EXT = { csv: 'csv', markdown: 'md', latex: 'tex' } as const;

export class ResultsPanel extends TypedPanel<ResultsHostMessage, ResultsWebviewMessage> {
  private sort: SortState = { key: 'lastError', descending: false };
  private dirs: string[] = [];
  private allReference = false;

  constructor(extensionUri: vscode.Uri, private readonly model: RunsModel, private readonly workspace: string, dirs: string[], private readonly chooseRuns: (current: string[]) => Promise<string[] | undefined>) {
    super(extensionUri, PanelId.Results, 'Results', 'results');
    this.disposer.track(model.onDidChangeRuns(() => this.sendSnapshot()));
    this.setRuns(dirs);
  }

  /** Compares these runs (a full snapshot follows). */
  setRuns(dirs: string[]): void {
    this.dirs = dirs.map((d) => path.resolve(d));
    this.panel.title = `Results (${this.dirs.length} run${this.dirs.length === 1 ? '' : 's'})`;
    this.sendSnapshot();
  }

  private table() {
    const runs = this.model.runs.filter((r) => r.state !== 'empty' && this.dirs.includes(r.dir));
    const reference = referenceRows(paperResults as unknown as PaperResults, runs, { all: this.allReference });
    const { rows, paramKeys } = resultRows(runs, reference.rows);
    return { rows: sortRows(rows, this.sort), paramKeys, reference: reference.rows, referenceTotal: reference.total };
  }

  protected sendSnapshot(): void {
    this.post({ type: ToResults.Snapshot, ...this.table(), allReference: this.allReference, sort: this.sort });
  }

  protected onMessage(m: ResultsWebviewMessage): void {
    switch (m.type) {
      case FromResults.Sort:
        this.sort = m.sort;
        this.sendSnapshot();
        break;
      case FromResults.ShowAllReference:
        this.allReference = m.all;
        this.sendSnapshot();
        break;
      case FromResults.ChooseRuns:
        void this.chooseRuns(this.dirs).then((dirs) => dirs && this.setRuns(dirs));
        break;
      case FromResults.Export:
        void this.export(m.format);
        break;
    }
  }

  private async export(format: keyof typeof EXT): Promise<void> {
    const t = this.table();
    const target = await saveDialog(path.join(this.workspace, `results.${EXT[format]}`), { [format]: [EXT[format]] });
    if (!target) return;
    fs.writeFileSync(target, exportTable(tableCells(t.rows, t.paramKeys, t.reference), format));
    void Toast.info(`Results written to ${vscode.workspace.asRelativePath(target)}.`);
  }
}
