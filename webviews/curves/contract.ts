/**
 * The message contract of the Curves panel, imported by the host (extension/curves) and the webview
 * (webviews/curves) so the compiler checks both ends. The host owns the state: the webview sends
 * `ready`, gets a full snapshot, then appended points.
 */

/** The plotted quantities. */
export enum Metric {
  TrainLoss = 'train_loss',
  ValLoss = 'val_loss',
  TrainError = 'train_error',
  ValError = 'val_error',
  Lr = 'lr',
  ImagesPerSec = 'images_per_sec',
}

/** One point, with all three x coordinates so the x axis can change without asking the host. */
export interface Point {
  /** Optimizer steps since the start of training. */
  step: number;
  /** Epochs (fractional within an epoch). */
  epoch: number;
  /** Seconds since the run started. */
  time: number;
  y: number;
  /**
   * Which history of the run the point belongs to (absent: 0): it goes up where a run started over
   * (a resume from an older checkpoint, or from none), so the steps go back; a new line begins there.
   */
  segment?: number;
}

export type SeriesByMetric = Partial<Record<Metric, Point[]>>;

/**
 * Series with one point per optimizer step (the others have one per epoch). Smoothing applies to the
 * noisy ones of these only, train loss and images/s: the learning rate is a schedule, not a
 * measurement, and per-epoch series (validation, train error) are drawn as measured, with markers.
 */
export const PER_STEP: ReadonlySet<Metric> = new Set([Metric.TrainLoss, Metric.Lr, Metric.ImagesPerSec]);
export const SMOOTHED: ReadonlySet<Metric> = new Set([Metric.TrainLoss, Metric.ImagesPerSec]);

/** One run's curves. */
export interface RunSeries {
  /** Stable id (the run folder). */
  id: string;
  name: string;
  /**
   * Colour, stable per run name: a CSS colour, or `var(--vscode-charts-blue, #3794ff)` (the theme's
   * chart colour, resolved in the webview, the hex where the theme has none).
   */
  color: string;
  state: string;
  series: SeriesByMetric;
}

export type XAxis = 'step' | 'epoch' | 'time';

/** A y range set by the user; an absent bound is automatic. */
export interface YRange {
  min?: number;
  max?: number;
}

/** View options (host-authoritative, restored with the snapshot). */
export interface CurvesOptions {
  xAxis: XAxis;
  logY: boolean;
  /** TensorBoard smoothing weight, 0 (none) .. 0.99, of the {@link SMOOTHED} series. */
  smoothing: number;
  /** TensorBoard's "Ignore outliers in chart scaling": far-off values do not stretch the y axis (they are clipped, and counted in the chart's note). */
  ignoreOutliers?: boolean;
  /** Per chart id (see {@link CHARTS}), a y range set by the user. */
  yRange?: Record<string, YRange>;
}

export enum ToCurves {
  Snapshot = 'snapshot',
  Append = 'append',
}

export enum FromCurves {
  Ready = 'ready',
  SetOptions = 'setOptions',
  ExportPng = 'exportPng',
  ExportCsv = 'exportCsv',
  ChooseRuns = 'chooseRuns',
}

export type CurvesHostMessage =
  | { type: ToCurves.Snapshot; runs: RunSeries[]; options: CurvesOptions }
  | { type: ToCurves.Append; runId: string; state: string; points: SeriesByMetric };

export type CurvesWebviewMessage =
  | { type: FromCurves.Ready }
  | { type: FromCurves.SetOptions; options: CurvesOptions }
  | { type: FromCurves.ExportPng; dataUrl: string }
  | { type: FromCurves.ExportCsv }
  | { type: FromCurves.ChooseRuns };

export const DEFAULT_CURVES_OPTIONS: CurvesOptions = { xAxis: 'step', logY: false, smoothing: 0.6, ignoreOutliers: true, yRange: {} };

/** The charts, their y axis titles and the metrics each shows (train solid, validation dashed). */
export const CHARTS: ReadonlyArray<{ id: string; title: string; yTitle: string; metrics: readonly Metric[] }> = [
  { id: 'loss', title: 'Loss (train, val)', yTitle: 'cross-entropy loss', metrics: [Metric.TrainLoss, Metric.ValLoss] },
  { id: 'error', title: 'Top-1 error % (train, val)', yTitle: 'top-1 error %', metrics: [Metric.TrainError, Metric.ValError] },
  { id: 'lr', title: 'Learning rate', yTitle: 'learning rate', metrics: [Metric.Lr] },
  { id: 'speed', title: 'Images/s', yTitle: 'training images/s', metrics: [Metric.ImagesPerSec] },
];
