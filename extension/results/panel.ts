/** The Results panel (host side): the table of runs beside the reference rows; sort and export. */
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

  constructor(extensionUri: vscode.Uri, private readonly model: RunsModel, private readonly workspace: string) {
    super(extensionUri, PanelId.Results, 'Results', 'results');
    this.disposer.track(model.onDidChangeRuns(() => this.sendSnapshot()));
  }

  private table() {
    const runs = this.model.runs.filter((r) => r.state !== 'empty');
    const reference = referenceRows(paperResults as unknown as PaperResults, runs);
    const { rows, paramKeys } = resultRows(runs, reference);
    return { rows: sortRows(rows, this.sort), paramKeys, reference };
  }

  protected sendSnapshot(): void {
    this.post({ type: ToResults.Snapshot, ...this.table(), sort: this.sort });
  }

  protected onMessage(m: ResultsWebviewMessage): void {
    if (m.type === FromResults.Sort) {
      this.sort = m.sort;
      this.sendSnapshot();
    } else if (m.type === FromResults.Export) void this.export(m.format);
  }

  private async export(format: keyof typeof EXT): Promise<void> {
    const t = this.table();
    const target = await saveDialog(path.join(this.workspace, `results.${EXT[format]}`), { [format]: [EXT[format]] });
    if (!target) return;
    fs.writeFileSync(target, exportTable(tableCells(t.rows, t.paramKeys, t.reference), format));
    void Toast.info(`Results written to ${vscode.workspace.asRelativePath(target)}.`);
  }
}
