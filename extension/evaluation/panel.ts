/**
 * The Evaluation panel (host side): a run's last evaluation (confusion matrix, per-class figures,
 * the most confident mistakes) and, optionally, another run's beside it class by class. Re-read when
 * the run's evaluation changes.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FromEvaluation, ToEvaluation, type EvalView, type EvaluationHostMessage, type EvaluationWebviewMessage } from '../../webviews/evaluation/contract';
import { PanelId } from '../ids';
import type { RunsModel } from '../runs/model';
import { TypedPanel } from '../webview/panel';
import { compareEvaluations, readEvalView } from './read';

/** Picks a run folder among those with an evaluation (undefined: cancelled). */
export type PickEvaluatedRun = (placeHolder: string) => Promise<string | undefined>;

export class EvaluationPanel extends TypedPanel<EvaluationHostMessage, EvaluationWebviewMessage> {
  private dir = '';
  private otherDir: string | undefined;
  private lastKey = '';

  constructor(extensionUri: vscode.Uri, private readonly model: RunsModel, dir: string, private readonly pick: PickEvaluatedRun) {
    super(extensionUri, PanelId.Evaluation, 'Evaluation', 'evaluation');
    // A new evaluation of a shown run (its metrics.json) comes with the model's rescan.
    this.disposer.track(model.onDidChangeRuns(() => {
      if (this.key() !== this.lastKey) this.sendSnapshot();
    }));
    this.show(dir);
  }

  /** The run shown. */
  get runDir(): string {
    return this.dir;
  }

  /** Shows this run's last evaluation (a full snapshot follows). */
  show(dir: string, other?: string): void {
    this.dir = path.resolve(dir);
    if (other !== undefined) this.otherDir = path.resolve(other);
    if (this.otherDir === this.dir) this.otherDir = undefined;
    this.panel.title = `Evaluation: ${this.name(this.dir)}${this.otherDir ? ` vs ${this.name(this.otherDir)}` : ''}`;
    this.sendSnapshot();
  }

  private name(dir: string): string {
    return this.model.run(dir)?.name ?? path.basename(dir);
  }

  private key(): string {
    return [this.dir, this.otherDir].map((d) => (d ? `${d}:${this.model.run(d)?.testError}:${this.model.run(d)?.evalCheckpoint}` : '')).join('|');
  }

  private message(): EvaluationHostMessage {
    const main = readEvalView(this.dir, this.name(this.dir));
    const other = this.otherDir ? readEvalView(this.otherDir, this.name(this.otherDir)) : undefined;
    const view: EvalView | null = 'view' in main ? main.view : null;
    const otherView: EvalView | null = other && 'view' in other ? other.view : null;
    const cmp = view && otherView ? compareEvaluations(view, otherView) : undefined;
    return {
      type: ToEvaluation.Snapshot,
      view,
      ...('problem' in main ? { problem: main.problem } : {}),
      other: otherView,
      comparison: cmp && 'rows' in cmp ? cmp.rows : null,
      ...(cmp && 'problem' in cmp ? { comparisonProblem: cmp.problem } : other && 'problem' in other ? { comparisonProblem: other.problem } : {}),
    };
  }

  protected sendSnapshot(): void {
    this.lastKey = this.key();
    this.post(this.message());
  }

  protected onMessage(m: EvaluationWebviewMessage): void {
    switch (m.type) {
      case FromEvaluation.ChooseRun:
        void this.pick('Run whose evaluation to show').then((d) => d && this.show(d));
        break;
      case FromEvaluation.ChooseOther:
        void this.pick(`Run to compare with ${this.name(this.dir)} class by class`).then((d) => d && this.show(this.dir, d));
        break;
      case FromEvaluation.ClearOther:
        this.otherDir = undefined;
        this.show(this.dir);
        break;
    }
  }
}
