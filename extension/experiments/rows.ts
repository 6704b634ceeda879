/**
 * The Experiments table's data (pure): one row per run with its figures (status, epochs, best/last
 * validation error, test error of the last evaluation, params, MACs, training time, images/s,
 * backend) and every config key that differs across the runs, grouped by section; the config keys
 * all runs share; and the config diff of two runs.
 */
import type { RunEvent, RunStartEvent } from '../../runtime/protocol/events';
import type { ColumnDef, ConfigDiffLine, ExperimentRow } from '../../webviews/experiments/contract';
import { differingKeys, flatten } from '../results/table';
import { runStatus, type RunSummary } from '../runs/collect';

/** The run's own columns, before the config keys. */
export const RUN_COLUMNS: readonly ColumnDef[] = [
  { id: 'name', label: 'run', group: 'run', format: 'text' },
  { id: 'status', label: 'status', group: 'run', format: 'text' },
  { id: 'model', label: 'model', group: 'run', format: 'text' },
  { id: 'dataset', label: 'dataset', group: 'run', format: 'text' },
  { id: 'epoch', label: 'epoch', group: 'run', format: 'int' },
  { id: 'epochs', label: 'epochs', group: 'run', format: 'int' },
  { id: 'best_error', label: 'best err %', group: 'run', format: 'percent' },
  { id: 'last_error', label: 'last err %', group: 'run', format: 'percent' },
  { id: 'test_error', label: 'test err %', group: 'run', format: 'percent' },
  { id: 'params', label: 'params', group: 'run', format: 'count' },
  { id: 'macs', label: 'MACs', group: 'run', format: 'count' },
  { id: 'time_s', label: 'time', group: 'run', format: 'duration' },
  { id: 'images_per_s', label: 'images/s', group: 'run', format: 'rate' },
  { id: 'backend', label: 'backend', group: 'run', format: 'text' },
];

/** A run as the table reads it: its summary and its (cached) events. */
export interface RunInput {
  summary: RunSummary;
  events: readonly RunEvent[];
}

/** The median of the step events' images/s (robust to the first, slower steps); null without steps. */
export function medianImagesPerSec(events: readonly RunEvent[]): number | null {
  const all = new Float64Array(events.length);
  let n = 0;
  for (const e of events) if (e.type === 'step' && e.images_per_sec > 0) all[n++] = e.images_per_sec;
  if (!n) return null;
  const v = all.subarray(0, n).sort();
  const mid = v.length >> 1;
  return Math.round(v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2);
}

const lastStart = (events: readonly RunEvent[]): RunStartEvent | undefined => {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].type === 'run_start') return events[i] as RunStartEvent;
  return undefined;
};

const num = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) ? null : v);

/** The run's own cells. */
function runValues(r: RunSummary, events: readonly RunEvent[]): ExperimentRow['values'] {
  return {
    name: r.name,
    status: runStatus(r),
    model: r.model ? `${r.model}${r.depth ? `-${r.depth}` : ''}` : null,
    dataset: r.dataset ?? null,
    epoch: r.epoch,
    epochs: num(r.epochs),
    best_error: num(r.bestError),
    last_error: num(r.lastError),
    test_error: num(r.testError),
    params: num(r.params),
    macs: num(lastStart(events)?.macs),
    time_s: r.trainSeconds,
    images_per_s: medianImagesPerSec(events),
    backend: r.backend ?? null,
  };
}

/**
 * The table of `runs`: the columns (run figures, then the config keys whose values differ across the
 * runs, grouped by section), one row each (its values: the columns' and every config key not shared
 * by all runs), and the config keys every run shares with their value.
 * @param starred run folders the user starred
 */
export function experimentTable(runs: readonly RunInput[], starred: ReadonlySet<string>): { columns: ColumnDef[]; rows: ExperimentRow[]; common: Record<string, string> } {
  const flats = runs.map((r) => flatten(r.summary.config ?? {}));
  const keys = differingKeys(runs.flatMap((r) => (r.summary.config ? [r.summary.config] : [])));
  const columns = [...RUN_COLUMNS, ...keys.map((k): ColumnDef => ({ id: k, label: k, group: k.split('.')[0], format: 'text' }))];
  const common = sharedConfig(flats.filter((_, i) => runs[i].summary.config));
  const rows = runs.map((r, i): ExperimentRow => {
    const values = runValues(r.summary, r.events);
    // Config keys not shared by every run are values too (a filter may name them), the columns' among them.
    for (const [k, v] of Object.entries(flats[i])) if (!Object.hasOwn(common, k) && !Object.hasOwn(values, k)) values[k] = v;
    for (const k of keys) values[k] ??= null;
    return { id: r.summary.dir, name: r.summary.name, state: r.summary.state, starred: starred.has(r.summary.dir), evaluated: r.summary.testError !== undefined, values };
  });
  return { columns, rows, common };
}

/** The config keys with one value in every flattened config (none without configs). */
export function sharedConfig(flats: ReadonlyArray<Record<string, string>>): Record<string, string> {
  if (!flats.length) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(flats[0])) if (flats.every((f) => f[k] === v)) out[k] = v;
  return out;
}

/** Every config key whose value differs between two runs' configs (a key one lacks shows as empty), sorted. */
export function configDiff(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): ConfigDiffLine[] {
  const fa = flatten(a ?? {});
  const fb = flatten(b ?? {});
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  return keys.filter((k) => fa[k] !== fb[k]).map((k) => ({ key: k, a: fa[k] ?? '', b: fb[k] ?? '' }));
}
