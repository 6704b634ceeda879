/**
 * Run discovery and summaries: run folders (any folder with events.jsonl) under experiments/, and
 * what their event logs say (status, best and last top-1 error, model, time). Pure apart from reading
 * the folders it is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENTS_FILE, type EpochEvent, type RunEvent, type RunStartEvent, type ValSplitInfo } from '../../runtime/protocol/events';
import { SLURM_DIR, SLURM_JOBS } from '../../runtime/protocol/run_folder';
import { describeSlurm, type SlurmInfo } from './slurm';

/** What the Runs view shows for a run. `interrupted`: no run_end and not growing (killed). */
export type RunState = 'running' | 'completed' | 'failed' | 'stopped' | 'interrupted' | 'empty';

/** A summary of one run folder. */
export interface RunSummary {
  /** Absolute folder. */
  readonly dir: string;
  /** Folder relative to the experiments root, `/`-separated. */
  readonly name: string;
  readonly state: RunState;
  readonly model?: string;
  readonly depth?: number;
  readonly dataset?: string;
  readonly backend?: string;
  readonly params?: number;
  /** Epochs of the schedule. */
  readonly epochs?: number;
  /** Last completed epoch. */
  readonly epoch: number;
  /** Best and last validation top-1 error, percent (measured on {@link valSplit}). */
  readonly bestError?: number;
  readonly lastError?: number;
  /** What validation used (run_start's `val_split`); absent in logs of older runtimes, which validated on the test split. */
  readonly valSplit?: ValSplitInfo;
  readonly startTime?: string;
  readonly endTime?: string;
  /** Seconds of training (sum of the epochs' elapsed_s). */
  readonly trainSeconds: number;
  /** The merged config of the (last) run_start. */
  readonly config?: Record<string, unknown>;
  readonly error?: string;
  /** Last checkpoint written. */
  readonly checkpoint?: string;
  /** Process id and host of the (last) run_start's training process, when the runtime recorded them. */
  readonly pid?: number;
  readonly host?: string;
  /** The newest Slurm job of a run folder submitted with `npm run submit -- --slurm`. */
  readonly slurm?: SlurmInfo;
  /** The last evaluation (eval/metrics.json): test top-1 error in percent, test images, checkpoint file name. */
  readonly testError?: number;
  readonly testImages?: number;
  readonly evalCheckpoint?: string;
}

/**
 * Folders under `root` (itself included) that hold an events.jsonl, or a `slurm/jobs.json` (a run
 * submitted to Slurm, maybe still pending without events), sorted by path.
 */
export function findRunDirs(root: string, maxDepth = 6): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const slurm = entries.some((e) => e.isDirectory() && e.name === SLURM_DIR) && fs.existsSync(path.join(dir, SLURM_DIR, SLURM_JOBS));
    if (slurm || entries.some((e) => e.isFile() && e.name === EVENTS_FILE)) out.push(dir);
    if (depth >= maxDepth) return;
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1);
  };
  walk(root, 0);
  return out.sort();
}

/** The last run_start when no run_end follows it (the run has not ended, or was killed). */
export function openRunStart(events: readonly RunEvent[]): RunStartEvent | undefined {
  let start: RunStartEvent | undefined;
  for (const e of events) {
    if (e.type === 'run_start') start = e;
    else if (e.type === 'run_end') start = undefined;
  }
  return start;
}

/** run_start's `val_split` when it is well-formed (a reader must not trust a log's shape). */
export function parseValSplit(v: unknown): ValSplitInfo | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if ((o.source !== 'test' && o.source !== 'held_out' && o.source !== 'none') || typeof o.n !== 'number') return undefined;
  return {
    source: o.source,
    n: o.n,
    ...(typeof o.ratio === 'number' ? { ratio: o.ratio } : {}),
    ...(typeof o.seed === 'number' ? { seed: o.seed } : {}),
  };
}

/** True when a run's validation figures are not test-split figures (held out from the training files, or no validation set). */
export const validatesOffTest = (r: Pick<RunSummary, 'valSplit'>): boolean => r.valSplit !== undefined && r.valSplit.source !== 'test';

/** What a run validated on, in words: `the test split (10,000 images)`, `200 images held out from the training files (val_ratio 0.2)`. */
export function describeValSplit(v: ValSplitInfo | undefined): string {
  if (!v) return 'the test split';
  if (v.source === 'test') return `the test split (${v.n.toLocaleString('en-US')} images)`;
  if (v.source === 'none') return 'nothing (no validation set)';
  return `${v.n.toLocaleString('en-US')} images held out from the training files${v.ratio !== undefined ? ` (val_ratio ${v.ratio})` : ''}, not the test split`;
}

/** Top-1 error in percent of an accuracy fraction. */
export const topError = (accuracy: number): number => Math.round((1 - accuracy) * 1e6) / 1e4;

const modelOf = (config: Record<string, unknown> | undefined): { model?: string; depth?: number; dataset?: string } => {
  const model = config?.model as Record<string, unknown> | undefined;
  const name = typeof model?.name === 'string' ? model.name : undefined;
  const section = name ? (model?.[name] as Record<string, unknown> | undefined) : undefined;
  const depth = typeof section?.depth === 'number' && model?.type !== 'imagenet' ? section.depth : undefined;
  const dataset = (config?.dataset as Record<string, unknown> | undefined)?.name;
  return { model: name, depth, dataset: typeof dataset === 'string' ? dataset : undefined };
};

/**
 * Summarises the events of a run. `live`: the training process is known to be alive (or, where
 * that cannot be checked, the file grew recently); a run without a run_end after its last run_start is then `running`, else `interrupted`.
 */
export function summarizeRun(dir: string, name: string, events: readonly RunEvent[], live: boolean): RunSummary {
  let start: RunStartEvent | undefined;
  let end: Extract<RunEvent, { type: 'run_end' }> | undefined;
  const epochs = new Map<number, EpochEvent>();
  let checkpoint: string | undefined;
  let lastTime: string | undefined;
  for (const e of events) {
    lastTime = e.time;
    if (e.type === 'run_start') {
      start = e;
      end = undefined;
    } else if (e.type === 'run_end') end = e;
    else if (e.type === 'epoch') epochs.set(e.epoch, e);
    else if (e.type === 'checkpoint') checkpoint = e.path;
  }
  const ordered = [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
  // The validation before training (epoch 0) is not a result: a run that never trained has no best or last error.
  const errors = ordered.filter((e) => e.val && e.epoch > 0).map((e) => topError((e.val as { accuracy: number }).accuracy));
  const state: RunState = !start && !events.length ? 'empty' : end ? end.status : live ? 'running' : 'interrupted';
  const lastEpoch = end?.epoch ?? ordered.filter((e) => e.epoch > 0).pop()?.epoch ?? 0;
  const valSplit = parseValSplit(start?.val_split);
  return {
    dir,
    name,
    state,
    ...modelOf(start?.config),
    backend: start?.backend,
    params: start?.params,
    epochs: start?.epochs,
    epoch: lastEpoch,
    bestError: errors.length ? Math.min(...errors) : undefined,
    lastError: errors.length ? errors[errors.length - 1] : undefined,
    startTime: events.find((e) => e.type === 'run_start')?.time,
    endTime: end ? end.time : lastTime,
    trainSeconds: ordered.reduce((s, e) => s + (e.elapsed_s ?? 0), 0),
    config: start?.config,
    ...(valSplit ? { valSplit } : {}),
    error: end?.error?.message,
    checkpoint,
    pid: start?.pid,
    host: start?.host,
  };
}

/** One line for the tree item's description: `12/200 · best 5.12% · last 5.40% · test 5.31%` (test: the last evaluation). */
export function describeRun(r: RunSummary): string {
  const parts: string[] = [];
  if (r.epochs !== undefined) parts.push(`${r.epoch}/${r.epochs}`);
  if (r.bestError !== undefined) parts.push(`best ${r.bestError.toFixed(2)}%`);
  if (r.lastError !== undefined) parts.push(`last ${r.lastError.toFixed(2)}%`);
  if ((r.bestError !== undefined || r.lastError !== undefined) && validatesOffTest(r)) parts.push('held-out val');
  if (r.testError !== undefined) parts.push(`test ${r.testError.toFixed(2)}%`);
  return parts.join(' · ');
}

/**
 * The tree item's status: the event-derived state, then the Slurm job beside it
 * (`running · Slurm 42 RUNNING`; a job without events yet: `no events yet · Slurm 42 PENDING (Priority)`).
 */
export function runStatus(r: RunSummary): string {
  const state = r.state === 'empty' && r.slurm ? 'no events yet' : r.state;
  return r.slurm ? `${state} · ${describeSlurm(r.slurm)}` : state;
}

/** Duration as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
