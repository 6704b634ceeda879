/** String ids of the extension: commands, views, settings, context keys. Never written as literals elsewhere. */

export enum CommandId {
  RunExperiment = 'imageClassificationLab.runExperiment',
  RunOnGpus = 'imageClassificationLab.runOnGpus',
  StopRun = 'imageClassificationLab.stopRun',
  ResumeRun = 'imageClassificationLab.resumeRun',
  EvaluateRun = 'imageClassificationLab.evaluateRun',
  OpenCurves = 'imageClassificationLab.openCurves',
  OpenResults = 'imageClassificationLab.openResults',
  OpenEvaluation = 'imageClassificationLab.openEvaluation',
  OpenExperiments = 'imageClassificationLab.openExperiments',
  ExportConfigSchema = 'imageClassificationLab.exportConfigSchema',
  RefreshRuns = 'imageClassificationLab.refreshRuns',
  RevealRunFolder = 'imageClassificationLab.revealRunFolder',
  ShowOutput = 'imageClassificationLab.showOutput',
}

export enum ViewId {
  Runs = 'imageClassificationLab.runs',
  Container = 'imageClassificationLab',
}

export enum PanelId {
  Curves = 'imageClassificationLab.curves',
  Results = 'imageClassificationLab.results',
  Evaluation = 'imageClassificationLab.evaluation',
  Experiments = 'imageClassificationLab.experiments',
}

/** Keys of the extension's workspaceState (per workspace). */
export enum StateKey {
  /** The experiments table's columns, order, sort, filter, stars (extension/experiments). */
  Experiments = 'imageClassificationLab.experiments',
}

/** Keys under the `imageClassificationLab` settings section. */
export enum Setting {
  Section = 'imageClassificationLab',
  ConfigGlobs = 'configFiles',
  NodePath = 'nodePath',
  Runtime = 'runtime',
  ExperimentsFolder = 'experimentsFolder',
}

export enum ContextKey {
  HasRunning = 'imageClassificationLab.hasRunningRun',
}

/** `contextValue` of Runs tree items (menus select on them). */
export enum RunItemContext {
  Running = 'run.running',
  Finished = 'run.finished',
}

export const DIAGNOSTIC_SOURCE = 'Image Classification Lab';
export const OUTPUT_CHANNEL = 'Image Classification Lab';
