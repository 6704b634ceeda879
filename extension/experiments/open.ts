/**
 * The Experiments and Evaluation panels, one of each at a time, and their commands: Open
 * Experiments Table, Open Evaluation (a Runs view item, a run folder, or a pick among the runs that
 * have an evaluation).
 */
import * as vscode from 'vscode';
import { EvaluationPanel } from '../evaluation/panel';
import { CommandId } from '../ids';
import type { RunsModel } from '../runs/model';
import { DisposableObject } from '../util/disposable';
import { Toast, quickPickValue } from '../vscode/ui';
import { ExperimentsPanel } from './panel';

/** What the panels need from the rest of the extension. */
export interface LabPanelsDeps {
  extensionUri: vscode.Uri;
  model: RunsModel;
  memento: vscode.Memento;
  openCurves(dirs: string[]): void;
  openResults(dirs: string[]): void;
}

export class LabPanels extends DisposableObject {
  private evaluation: EvaluationPanel | undefined;
  private experiments: ExperimentsPanel | undefined;

  constructor(private readonly deps: LabPanelsDeps) {
    super();
    this.disposer.track(vscode.commands.registerCommand(CommandId.OpenExperiments, () => this.openExperiments()));
    this.disposer.track(vscode.commands.registerCommand(CommandId.OpenEvaluation, async (item?: unknown) => {
      const given = item && typeof item === 'object' && 'run' in item ? (item as { run: { dir: string } }).run.dir : typeof item === 'string' ? item : undefined;
      const dir = given ?? (await this.pickEvaluated('Run whose evaluation to show'));
      if (dir) this.openEvaluation(dir);
    }));
  }

  /** A pick among the runs with an evaluation; says so when there is none. */
  private async pickEvaluated(placeHolder: string): Promise<string | undefined> {
    const runs = this.deps.model.runs.filter((r) => r.testError !== undefined);
    if (!runs.length) {
      void Toast.info('No run has an evaluation yet: run Evaluate Checkpoint on one.');
      return undefined;
    }
    return quickPickValue(runs.map((r) => ({ label: r.name, description: `test error ${r.testError!.toFixed(2)}% (${r.evalCheckpoint})`, value: r.dir })), placeHolder);
  }

  /** Shows a run's last evaluation in the Evaluation panel. */
  openEvaluation(dir: string): void {
    if (this.evaluation) {
      this.evaluation.show(dir);
      this.evaluation.reveal();
      return;
    }
    const panel = new EvaluationPanel(this.deps.extensionUri, this.deps.model, dir, (p) => this.pickEvaluated(p));
    this.evaluation = this.disposer.track(panel);
    panel.onDidDispose(() => {
      this.disposer.untrack(panel);
      this.evaluation = undefined;
    });
  }

  /** Opens (or reveals) the Experiments table. */
  openExperiments(): void {
    if (this.experiments) {
      this.experiments.reveal();
      return;
    }
    const { model, memento, openCurves, openResults } = this.deps;
    const panel = new ExperimentsPanel(this.deps.extensionUri, model, memento, { openCurves, openResults, openEvaluation: (d) => this.openEvaluation(d) });
    this.experiments = this.disposer.track(panel);
    panel.onDidDispose(() => {
      this.disposer.untrack(panel);
      this.experiments = undefined;
    });
  }
}
