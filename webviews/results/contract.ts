/** The message contract of the Results panel, imported by host and webview. */

/** One run of the table. */
export interface ResultRow {
  id: string;
  name: string;
  state: string;
  model: string;
  dataset: string;
  /** The differing hyper-parameters: dotted key -> value as text. */
  params: Record<string, string>;
  /** Trainable parameters. */
  nParams?: number;
  epoch: number;
  epochs?: number;
  bestError?: number;
  lastError?: number;
  /** What the errors were measured on: `test`, `held-out N` (images held out from the training files) or `none`. */
  valSet: string;
  /** The errors are not test-split errors (held out from the training files): any comparison with a reference row's test error says so. */
  offTest: boolean;
  trainSeconds: number;
  backend?: string;
  /** The closest reference row (index into `reference`) and last error minus its error. */
  refIndex?: number;
  refDiff?: number;
  /**
   * Why the run is not like for like with its reference row, in words (a subset of the training
   * images, far fewer epochs, another depth or width); empty when nothing is known to differ.
   */
  caveats: string[];
  /** Why there is no difference although a reference row was matched (`failed`, `never trained`). */
  noDiff?: string;
}

/** One row of the papers' and the original framework's tables. */
export interface ReferenceRow {
  table: string;
  dataset: string;
  model: string;
  /** The original framework's test error (percent), null when it gave none. */
  projectError: number | null;
  stat: string | null;
  /** The paper's numbers as printed, e.g. `4.00 (median of 5 runs)`. */
  paper: string;
  /** The paper's first value, for the difference. */
  paperError: number | null;
  epochs: number | null;
  overrides: Record<string, string>;
  /** Ids of the runs this row is the closest match of. */
  matchedBy: string[];
}

export type SortKey = 'name' | 'model' | 'dataset' | 'epoch' | 'bestError' | 'lastError' | 'trainSeconds' | 'nParams' | 'refDiff';
export interface SortState {
  key: SortKey;
  descending: boolean;
}

export type ExportFormat = 'csv' | 'markdown' | 'latex';

export enum ToResults {
  Snapshot = 'snapshot',
}
export enum FromResults {
  Ready = 'ready',
  Sort = 'sort',
  Export = 'export',
  ChooseRuns = 'chooseRuns',
  ShowAllReference = 'showAllReference',
}

export type ResultsHostMessage = {
  type: ToResults.Snapshot;
  rows: ResultRow[];
  paramKeys: string[];
  /** The reference rows shown, closest first. */
  reference: ReferenceRow[];
  /** How many reference rows the runs' datasets and model families have. */
  referenceTotal: number;
  /** All of them are shown (else the closest few per run). */
  allReference: boolean;
  sort: SortState;
};
export type ResultsWebviewMessage =
  | { type: FromResults.Ready }
  | { type: FromResults.Sort; sort: SortState }
  | { type: FromResults.Export; format: ExportFormat }
  | { type: FromResults.ChooseRuns }
  | { type: FromResults.ShowAllReference; all: boolean };
