/**
 * Entry point: a tree of tracked objects. The config IntelliSense works in any window; the Runs view,
 * the commands and the panels need a workspace folder (the repository, or any folder with configs/ and
 * experiments/).
 */
import * as vscode from 'vscode';
import { CurvesPanel } from './curves/panel';
import { CommandId, OUTPUT_CHANNEL, ViewId } from './ids';
import { ResultsPanel } from './results/panel';
import { RunCommands } from './runs/commands';
import { RunsModel } from './runs/model';
import { RuntimeProcesses } from './runs/processes';
import { Trainings } from './runs/training';
import { RunItem, RunsTree } from './runs/tree';
import { DisposableObject } from './util/disposable';
import { Toast, quickPickValues } from './vscode/ui';
import { ConfigIntelliSense } from './yaml/register';

class Extension extends DisposableObject {
  private curves: CurvesPanel | undefined;
  private results: ResultsPanel | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    super();
    this.disposer.track(new ConfigIntelliSense());
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      for (const id of Object.values(CommandId)) {
        this.disposer.track(vscode.commands.registerCommand(id, () => Toast.warn('Open the project folder first: runs live in its experiments/ folder.')));
      }
      return;
    }
    const workspace = folder.uri.fsPath;
    const output = this.disposer.track(vscode.window.createOutputChannel(OUTPUT_CHANNEL));
    const processes = this.disposer.track(new RuntimeProcesses(output));
    const model = this.disposer.track(new RunsModel(workspace, processes));
    const trainings = this.disposer.track(new Trainings(processes));
    const tree = this.disposer.track(new RunsTree(model));
    this.disposer.track(vscode.window.createTreeView(ViewId.Runs, { treeDataProvider: tree, canSelectMany: true, showCollapseAll: false }));
    const pickRuns = async (): Promise<string[] | undefined> =>
      quickPickValues(model.runs.map((r) => ({ label: r.name, description: r.state, value: r.dir })), 'Runs to plot');
    const openCurves = (dirs: string[]): void => {
      if (this.curves) {
        this.curves.setRuns(dirs);
        this.curves.reveal();
        return;
      }
      const panel = new CurvesPanel(context.extensionUri, model, workspace, dirs, pickRuns);
      this.curves = this.disposer.track(panel);
      panel.onDidDispose(() => {
        this.disposer.untrack(panel);
        this.curves = undefined;
      });
    };
    this.disposer.track(new RunCommands({ workspace, extensionDir: context.extensionUri.fsPath, model, processes, trainings, output, openCurves }));
    this.disposer.track(vscode.commands.registerCommand(CommandId.OpenCurves, async (item?: unknown, items?: unknown[]) => {
      const selected = (items?.length ? items : item ? [item] : []).filter((i): i is RunItem => i instanceof RunItem).map((i) => i.run.dir);
      if (typeof item === 'string') selected.push(item);
      const dirs = selected.length ? selected : await pickRuns();
      if (dirs) openCurves(dirs);
    }));
    this.disposer.track(vscode.commands.registerCommand(CommandId.OpenResults, () => {
      if (this.results) {
        this.results.reveal();
        return;
      }
      const panel = new ResultsPanel(context.extensionUri, model, workspace);
      this.results = this.disposer.track(panel);
      panel.onDidDispose(() => {
        this.disposer.untrack(panel);
        this.results = undefined;
      });
    }));
  }
}

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(new Extension(context));
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
