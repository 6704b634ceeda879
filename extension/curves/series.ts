/**
 * Run events -> curve points (pure): step events give train loss, learning rate and images/s; epoch
 * events give validation loss and top-1 error and the train error. Incremental: a follower keeps a
 * state and passes appended events.
 */
import type { RunEvent } from '../../runtime/protocol/events';
import { Metric, type Point, type SeriesByMetric } from '../../webviews/curves/contract';
import { csvLine } from '../util/csv';

export interface SeriesState {
  stepsPerEpoch: number;
  /** ms of the first run_start. */
  t0?: number;
  /** The current history (segment) of the run, and the step of its last point. */
  segment: number;
  lastStep: number;
  /** A run_start came after the first one: the next point starts a new segment when its step goes back. */
  restarted: boolean;
}

export const seriesStart = (): SeriesState => ({ stepsPerEpoch: 0, segment: 0, lastStep: -Infinity, restarted: false });

/** Adds a point to `out`, tagged with its segment: a resumed run whose steps go back (it started over) begins a new one. */
const push = (state: SeriesState, out: SeriesByMetric, m: Metric, p: Point): void => {
  if (state.restarted) {
    state.restarted = false;
    if (p.step <= state.lastStep) state.segment++;
  }
  state.lastStep = p.step;
  (out[m] ??= []).push(state.segment ? { ...p, segment: state.segment } : p);
};

/** Points of `events`, continuing from `state` (updated in place). */
export function eventsToPoints(state: SeriesState, events: readonly RunEvent[]): SeriesByMetric {
  const out: SeriesByMetric = {};
  for (const e of events) {
    const ms = Date.parse(e.time);
    if (e.type === 'run_start') {
      state.stepsPerEpoch = e.steps_per_epoch;
      state.restarted = state.t0 !== undefined;
      state.t0 ??= ms;
      continue;
    }
    const time = state.t0 !== undefined && Number.isFinite(ms) ? (ms - state.t0) / 1000 : 0;
    const spe = Math.max(1, state.stepsPerEpoch);
    if (e.type === 'step') {
      const at = { step: e.global_step, epoch: e.epoch - 1 + e.step / spe, time };
      push(state, out, Metric.TrainLoss, { ...at, y: e.loss });
      push(state, out, Metric.Lr, { ...at, y: e.lr });
      if (e.images_per_sec > 0) push(state, out, Metric.ImagesPerSec, { ...at, y: e.images_per_sec });
    } else if (e.type === 'epoch') {
      const at = { step: e.epoch * spe, epoch: e.epoch, time };
      if (e.val) {
        push(state, out, Metric.ValLoss, { ...at, y: e.val.loss });
        push(state, out, Metric.ValError, { ...at, y: (1 - e.val.accuracy) * 100 });
      }
      if (e.train) push(state, out, Metric.TrainError, { ...at, y: (1 - e.train.accuracy) * 100 });
    }
  }
  return out;
}

/** Appends `more` to `into` (in place). */
export function mergePoints(into: SeriesByMetric, more: SeriesByMetric): void {
  for (const [m, pts] of Object.entries(more) as Array<[Metric, Point[]]>) (into[m] ??= []).push(...pts);
}

/** CSV of the runs' points: run, metric, step, epoch, time_s, value (text cells neutralised, extension/util/csv.ts). */
export function curvesCsv(runs: ReadonlyArray<{ name: string; series: SeriesByMetric }>): string {
  const lines = ['run,metric,step,epoch,time_s,value'];
  for (const r of runs) {
    for (const m of Object.values(Metric)) {
      for (const p of r.series[m] ?? []) lines.push(csvLine([r.name, m, p.step, +p.epoch.toFixed(4), +p.time.toFixed(3), p.y]));
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A colour per run name, stable across sessions (a hash into this palette). The first six are the
 * theme's chart colours (VS Code's light, dark and high-contrast themes each set them to read on their
 * background), resolved in the webview; the fallbacks and the last four have a contrast of at least
 * 3:1 on white, on #1e1e1e and on black (WCAG's figure for graphics).
 */
export const PALETTE = [
  'var(--vscode-charts-blue, #3a7fd5)',
  'var(--vscode-charts-orange, #d87400)',
  'var(--vscode-charts-green, #2e9e44)',
  'var(--vscode-charts-red, #d64550)',
  'var(--vscode-charts-purple, #9b5fc0)',
  'var(--vscode-charts-yellow, #b8860b)',
  '#1f9e9e',
  '#c75d9a',
  '#7f7f3f',
  '#5f7fbf',
];
export function runColor(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return PALETTE[h % PALETTE.length];
}
