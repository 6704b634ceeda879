/** The Runs view: one item per run folder, with status icon, epochs and best/last top-1 error. */
import * as vscode from 'vscode';
import { CommandId, RunItemContext } from '../ids';
import { DisposableObject } from '../util/disposable';
import { describeRun, describeValSplit, formatDuration, runStatus, type RunState, type RunSummary } from './collect';
import type { RunsModel } from './model';
import { isActiveSlurmJob } from './slurm';

const ICON: Record<RunState, [string, string | undefined]> = {
  running: ['sync~spin', 'charts.blue'],
  completed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  stopped: ['debug-stop', 'charts.yellow'],
  interrupted: ['warning', 'charts.orange'],
  empty: ['circle-outline', undefined],
};

/** A tree item that carries its run (commands receive it). */
export class RunItem extends vscode.TreeItem {
  constructor(readonly run: RunSummary) {
    super(run.name, vscode.TreeItemCollapsibleState.None);
    this.id = run.dir;
    this.description = [runStatus(run), describeRun(run)].filter(Boolean).join(' · ');
    const [icon, color] = run.state === 'empty' && run.slurm ? ['clock', 'charts.blue'] : ICON[run.state];
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    // A pending or running Slurm job can be stopped (scancel) even before its run writes events.
    this.contextValue = run.state === 'running' || isActiveSlurmJob(run.slurm) ? RunItemContext.Running : RunItemContext.Finished;
    this.resourceUri = vscode.Uri.file(run.dir);
    const md = new vscode.MarkdownString();
    // Run names and values are text: appendText escapes Markdown (and the string allows no HTML).
    md.appendMarkdown('**').appendText(run.name).appendMarkdown('** — ').appendText(runStatus(run)).appendMarkdown('\n\n');
    const rows: Array<[string, string | undefined]> = [
      ['model', run.model && `${run.model}${run.depth ? `-${run.depth}` : ''}`],
      ['dataset', run.dataset],
      ['epochs', run.epochs !== undefined ? `${run.epoch}/${run.epochs}` : undefined],
      ['best top-1 error', run.bestError?.toFixed(2) + '%'],
      ['last top-1 error', run.lastError?.toFixed(2) + '%'],
      ['validated on', run.bestError !== undefined ? describeValSplit(run.valSplit) : undefined],
      ['test top-1 error', run.testError !== undefined ? `${run.testError.toFixed(2)}% on ${run.testImages} test images (${run.evalCheckpoint}, last evaluation)` : undefined],
      ['params', run.params?.toLocaleString('en-US')],
      ['backend', run.backend],
      ['training time', formatDuration(run.trainSeconds)],
      ['error', run.error],
      ['Slurm job', run.slurm && `${run.slurm.jobId}: ${run.slurm.state}${run.slurm.reason ? ` (${run.slurm.reason})` : ''}${run.slurm.elapsed ? `, elapsed ${run.slurm.elapsed}` : ''}`],
      ['process', run.pid !== undefined && (run.state === 'running' || run.state === 'interrupted') ? `${run.pid}${run.host ? ` on ${run.host}` : ''}` : undefined],
    ];
    for (const [k, v] of rows) if (v && !v.startsWith('undefined')) md.appendMarkdown(`- ${k}: `).appendText(v.replace(/\s+/g, ' ')).appendMarkdown('\n');
    this.tooltip = md;
    this.command = { command: CommandId.OpenCurves, title: 'Open Curves', arguments: [this] };
  }
}

export class RunsTree extends DisposableObject implements vscode.TreeDataProvider<RunItem> {
  private readonly changed = this.disposer.track(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly model: RunsModel) {
    super();
    this.disposer.track(model.onDidChangeRuns(() => this.changed.fire()));
  }

  getTreeItem(item: RunItem): vscode.TreeItem {
    return item;
  }

  getChildren(item?: RunItem): RunItem[] {
    return item ? [] : this.model.runs.map((r) => new RunItem(r));
  }
}
