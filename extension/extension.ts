/**
 * Entry point: a tree of tracked objects. The config IntelliSense works in any window; the Runs view,
 * the commands and the panels need a workspace folder (the repository, or any folder with configs/ and
 * experiments/).
 */
import * as vscode from 'vscode';
import { CurvesPanel } from './curves/panel';
import { LabPanels } from './experiments/open';
import { CommandId, OUTPUT_CHANNEL, ViewId } from './ids';
import { ResultsPanel } from './results/panel';
import { RunCommands } from './runs/commands';
import { RunsModel } from './runs/model';
import { RuntimeProcesses } from './runs/processes';
import { commandRunDirs, nextCurvesRuns } from './runs/selection';
import { LaunchRecords } from './runs/detached';
import { probeProcess } from './runs/liveness';
import { reattachLaunches, reattachTrainings } from './runs/reattach';
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
    const launches = new LaunchRecords(context.workspaceState);
    const processes = this.disposer.track(new RuntimeProcesses(output, launches));
    const model = this.disposer.track(new RunsModel(workspace, processes));
    const trainings = this.disposer.track(new Trainings(processes, model.followers));
    const tree = this.disposer.track(new RunsTree(model));
    const view = this.disposer.track(vscode.window.createTreeView(ViewId.Runs, { treeDataProvider: tree, canSelectMany: true, showCollapseAll: false }));
    const pickRuns = async (placeHolder: string, picked: readonly string[]): Promise<string[] | undefined> =>
      quickPickValues(model.runs.filter((r) => r.state !== 'empty').map((r) => ({ label: r.name, description: r.state, picked: picked.includes(r.dir), value: r.dir })), placeHolder);
    /**
     * The runs a command applies to: those it was given (a Runs view item, or with a multi-selection
     * every selected item), else the Runs view's selection when it holds several runs, else a pick.
     */
    const runsFor = async (item: unknown, items: unknown, placeHolder: string, preselectAll: boolean): Promise<string[] | undefined> => {
      const selected = view.selection.map((i) => i.run.dir);
      const given = commandRunDirs(item, items, selected, (i) => (i instanceof RunItem ? i.run.dir : typeof i === 'string' ? i : undefined));
      if (given) return given;
      return pickRuns(placeHolder, selected.length ? selected : preselectAll ? model.runs.map((r) => r.dir) : []);
    };
    /** Shows runs in the Curves panel: one run is added to those shown, several replace them (extension/runs/selection.ts). */
    const openCurves = (dirs: string[]): void => {
      if (this.curves) {
        const next = nextCurvesRuns(this.curves.runDirs, dirs);
        if (next.join('\n') !== this.curves.runDirs.join('\n')) this.curves.setRuns(next);
        this.curves.reveal();
        return;
      }
      const panel = new CurvesPanel(context.extensionUri, model, workspace, dirs, () => pickRuns('Runs to plot', this.curves?.runDirs ?? []));
      this.curves = this.disposer.track(panel);
      panel.onDidDispose(() => {
        this.disposer.untrack(panel);
        this.curves = undefined;
      });
    };
    const openResults = (dirs: string[]): void => {
      if (this.results) {
        this.results.setRuns(dirs);
        this.results.reveal();
        return;
      }
      const panel = new ResultsPanel(context.extensionUri, model, workspace, dirs, (current) => pickRuns('Runs to compare', current));
      this.results = this.disposer.track(panel);
      panel.onDidDispose(() => {
        this.disposer.untrack(panel);
        this.results = undefined;
      });
    };
    const lab = this.disposer.track(new LabPanels({ extensionUri: context.extensionUri, model, memento: context.workspaceState, openCurves, openResults }));
    const openEvaluation = (dir: string): void => lab.openEvaluation(dir);
    const commands = this.disposer.track(new RunCommands({ workspace, extensionDir: context.extensionUri.fsPath, model, processes, trainings, output, openCurves, openEvaluation }));
    // Processes started before a window reload are still running: follow them again (those recorded at their
    // spawn, trainings before their run_start included; then trainings known only from their run_start).
    reattachLaunches(launches, probeProcess, processes, {
      train: (r) => void trainings.attach(r.dir, r.label, r.pid, r.startedMs).then(() => model.refresh()),
      other: (r) => commands.reattach(r),
    });
    reattachTrainings(model, processes, trainings);
    this.disposer.track(vscode.commands.registerCommand(CommandId.OpenCurves, async (item?: unknown, items?: unknown) => {
      const dirs = await runsFor(item, items, 'Runs to plot', false);
      if (dirs?.length) openCurves(dirs);
    }));
    this.disposer.track(vscode.commands.registerCommand(CommandId.OpenResults, async (item?: unknown, items?: unknown) => {
      const dirs = await runsFor(item, items, 'Runs to compare', true);
      if (dirs?.length) openResults(dirs);
    }));
  }
}

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(new Extension(context));
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
