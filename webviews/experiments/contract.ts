/** The message contract of the Experiments table, imported by host and webview. */

/** A cell's value: numbers sort and compare as numbers; null is empty (sorted last). */
export type CellValue = string | number | null;

/** How the webview prints a column's numbers. */
export type ColumnFormat = 'text' | 'int' | 'percent' | 'duration' | 'count' | 'rate';

/** A column of the table. */
export interface ColumnDef {
  /** `name`, `status`, … for the run's figures; the dotted key (`model.name`) for a config column. */
  id: string;
  label: string;
  /** `run` (the run's figures) or a config section (`model`, `train`, `augmentation`, …). */
  group: string;
  format: ColumnFormat;
}

/** One run of the table. */
export interface ExperimentRow {
  /** Absolute run folder. */
  id: string;
  /** Run name (relative to experiments/). */
  name: string;
  /** `running`, `completed`, … (the Runs view's state). */
  state: string;
  starred: boolean;
  /** Whether it has an evaluation (eval/metrics.json). */
  evaluated: boolean;
  /** Column id → value, for every column of the snapshot. */
  values: Record<string, CellValue>;
}

/** A brush on a parallel-coordinates axis: a numeric range, or the categories kept. */
export type Brush = { lo: number; hi: number } | { values: string[] };

/** What the user chose, kept per workspace (workspaceState). */
export interface TableState {
  /** Columns hidden (new columns show up). */
  hidden: string[];
  /** Column order chosen by dragging; columns not listed follow in their natural order. */
  order: string[];
  sort: { column: string; descending: boolean } | null;
  /** The filter text, e.g. `model.name = wrn, error < 5`. */
  filter: string;
  /** Only starred runs. */
  starredOnly: boolean;
  /** Parallel-coordinates axes (column ids; empty = the default ones). */
  axes: string[];
  brushes: Record<string, Brush>;
}

export const DEFAULT_TABLE_STATE: TableState = { hidden: [], order: [], sort: { column: 'last_error', descending: false }, filter: '', starredOnly: false, axes: [], brushes: {} };

/** One line of a two-run config diff. */
export interface ConfigDiffLine {
  key: string;
  a: string;
  b: string;
}

export enum ToExperiments {
  Snapshot = 'snapshot',
  ConfigDiff = 'configDiff',
}

export enum FromExperiments {
  Ready = 'ready',
  SetState = 'setState',
  Star = 'star',
  OpenCurves = 'openCurves',
  OpenResults = 'openResults',
  OpenEvaluation = 'openEvaluation',
  ConfigDiff = 'configDiff',
  ChooseColumns = 'chooseColumns',
  ChooseAxes = 'chooseAxes',
}

export type ExperimentsHostMessage =
  | {
    type: ToExperiments.Snapshot;
    /** Every column, natural order (run figures, then config keys that differ across the runs, by section). */
    columns: ColumnDef[];
    rows: ExperimentRow[];
    /** Config keys whose value every run shares (dotted key → value), so a filter may name them too. */
    common: Record<string, string>;
    state: TableState;
  }
  | { type: ToExperiments.ConfigDiff; a: string; b: string; lines: ConfigDiffLine[] };

export type ExperimentsWebviewMessage =
  | { type: FromExperiments.Ready }
  | { type: FromExperiments.SetState; state: TableState }
  | { type: FromExperiments.Star; id: string; starred: boolean }
  | { type: FromExperiments.OpenCurves; ids: string[] }
  | { type: FromExperiments.OpenResults; ids: string[] }
  | { type: FromExperiments.OpenEvaluation; id: string }
  | { type: FromExperiments.ConfigDiff; ids: [string, string] }
  | { type: FromExperiments.ChooseColumns }
  | { type: FromExperiments.ChooseAxes };
