/** The message contract of the Evaluation panel, imported by host and webview. */
import type { ClassFigures, GalleryImage } from '../../runtime/protocol/evaluation';

/** One run's last evaluation, as the panel draws it (everything computed by the runtime or the host). */
export interface EvalView {
  /** Absolute run folder. */
  id: string;
  /** Run name (relative to experiments/). */
  name: string;
  /** File name of the checkpoint evaluated. */
  checkpoint: string;
  /** ISO time of the evaluation, when recorded. */
  time?: string;
  n: number;
  loss: number;
  /** Top-1 error, percent. */
  error: number;
  /** Top-5 error, percent. */
  error5?: number;
  classes: string[];
  /** Rows true, columns predicted; the cells sum to `n`. */
  confusion: number[][];
  perClass: ClassFigures[];
  macro: { accuracy: number | null; precision: number | null; f1: number | null };
  /** The most confident mistakes, most confident first; null when gallery.json is missing or unreadable. */
  gallery: { height: number; width: number; perCell: number; top: number; wrong: number; images: GalleryImage[] } | null;
}

/** Two evaluations class by class (A the panel's run, B the other). */
export interface ClassComparisonRow {
  name: string;
  a: ClassFigures;
  b: ClassFigures;
  /** B's accuracy minus A's, percentage points; null when either is undefined. */
  accuracyDiff: number | null;
  f1Diff: number | null;
}

export enum ToEvaluation {
  Snapshot = 'snapshot',
}

export enum FromEvaluation {
  Ready = 'ready',
  ChooseRun = 'chooseRun',
  ChooseOther = 'chooseOther',
  ClearOther = 'clearOther',
}

export type EvaluationHostMessage = {
  type: ToEvaluation.Snapshot;
  /** The run's evaluation, or null with `problem` saying why (no evaluation yet, unreadable files). */
  view: EvalView | null;
  problem?: string;
  /** The evaluation compared with, when one is chosen. */
  other: EvalView | null;
  /** The class-by-class comparison (null without `other`); `comparisonProblem` when the two cannot be compared. */
  comparison: ClassComparisonRow[] | null;
  comparisonProblem?: string;
};

export type EvaluationWebviewMessage =
  | { type: FromEvaluation.Ready }
  | { type: FromEvaluation.ChooseRun }
  | { type: FromEvaluation.ChooseOther }
  | { type: FromEvaluation.ClearOther };
