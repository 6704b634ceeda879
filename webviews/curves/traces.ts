/**
 * One drawn series of the Curves webview (a run's metric) and the chart.js datasets that draw it: the
 * main line (smoothed for the {@link SMOOTHED} series when smoothing is on, else as measured) and, for
 * the smoothed series, the raw line faint behind it. Values that cannot be drawn are gaps (scales.ts).
 * Appends and smoothing changes update the datasets in place: no chart is rebuilt. Browser code.
 */
import type { ChartDataset, ScriptableContext } from 'chart.js';
import { PER_STEP, SMOOTHED, type Metric, type Point, type RunSeries, type XAxis } from './contract';
import { drawableYs } from './scales';
import { emaAppend, emaStart, type EmaState } from './smoothing';

export type XY = { x: number; y: number };
/** A dataset of a trace: its main line or the raw line behind it. */
export type CurveDataset = ChartDataset<'line', XY[]> & { trace: Trace; role: 'main' | 'raw' };

/** What a trace's drawing depends on. */
export interface TraceView {
  xAxis: XAxis;
  logY: boolean;
  smoothing: number;
}

export interface Trace {
  run: RunSeries;
  metric: Metric;
  /** Legend label: the run name, and the metric when the chart has several. */
  label: string;
  /** The points as received (exact values, for the tooltip). */
  points: Point[];
  /** Drawable y values (NaN: a gap). */
  ys: number[];
  nonFinite: number;
  nonPositive: number;
  ema: EmaState;
  main: CurveDataset;
  raw?: CurveDataset;
}

const xOf = (p: Point, axis: XAxis): number => (axis === 'step' ? p.step : axis === 'epoch' ? p.epoch : p.time);

/** The trace is drawn smoothed (a {@link SMOOTHED} series at a smoothing above 0). */
export const isSmoothed = (t: Trace, view: TraceView): boolean => SMOOTHED.has(t.metric) && view.smoothing > 0;

/** Its last value is written beside its last point: per-epoch series (few points) and one-point series. */
export const labelsLast = (t: Trace): boolean => !PER_STEP.has(t.metric) || t.points.length === 1;

/** Index of the last drawable value, -1 when none. */
export function lastDrawable(t: Trace): number {
  for (let i = t.ys.length - 1; i >= 0; i--) if (!Number.isNaN(t.ys[i])) return i;
  return -1;
}

/**
 * The main line's markers: on per-epoch series and one-point series, a cross on a failed run's last
 * point. Plain numbers where they are the same for every point (scriptable options are resolved per
 * point, which costs on long series).
 */
function styleMarkers(t: Trace): void {
  const radius = !PER_STEP.has(t.metric) || t.points.length === 1 ? 3 : 0;
  if (t.run.state !== 'failed') {
    Object.assign(t.main, { pointRadius: radius, pointStyle: 'circle', pointBorderWidth: 1 });
    return;
  }
  const last = (ctx: ScriptableContext<'line'>): boolean => ctx.dataIndex === t.points.length - 1;
  Object.assign(t.main, {
    pointRadius: (ctx: ScriptableContext<'line'>) => (last(ctx) ? 6 : radius),
    pointStyle: (ctx: ScriptableContext<'line'>) => (last(ctx) ? 'crossRot' : 'circle'),
    pointBorderWidth: (ctx: ScriptableContext<'line'>) => (last(ctx) ? 2.5 : 1),
  });
}

/** A trace with its datasets (empty), coloured `color`, validation dashed. */
export function makeTrace(run: RunSeries, metric: Metric, label: string, color: string, faint: string, dashed: boolean, view: TraceView): Trace {
  const dash = dashed ? [6, 3] : [];
  const t = { run, metric, label, points: [], ys: [], nonFinite: 0, nonPositive: 0, ema: emaStart() } as unknown as Trace;
  t.main = {
    label, data: [], trace: t, role: 'main', borderColor: color, backgroundColor: color, borderDash: dash, borderWidth: 1.5, order: 1, pointHoverRadius: 4,
  };
  styleMarkers(t);
  if (SMOOTHED.has(metric)) {
    t.raw = { label: `${label} (raw)`, data: [], trace: t, role: 'raw', borderColor: faint, borderDash: dash, borderWidth: 1, order: 2, pointRadius: 0, pointHoverRadius: 0, hidden: !isSmoothed(t, view) };
  }
  return t;
}

/** The history a point belongs to: a run restarted from scratch begins a new one (extension/curves/series.ts). */
const segmentOf = (p: Point): number => p.segment ?? 0;

/**
 * Appends points to a trace's datasets (the smoothing continues from where it was). A point of a new
 * history (`segment`) begins a new line and a new average after a gap, not joined to the old line.
 */
export function appendPoints(t: Trace, pts: readonly Point[], view: TraceView): void {
  let from = 0;
  for (let i = 0; i < pts.length; i++) {
    const prev = i > 0 ? pts[i - 1] : t.points[t.points.length - 1];
    if (!prev || segmentOf(prev) === segmentOf(pts[i])) continue;
    appendSegment(t, pts.slice(from, i), view);
    from = i;
    t.ema = emaStart();
    const x = xOf(pts[i], view.xAxis);
    t.points.push({ ...pts[i], y: NaN });
    t.ys.push(NaN);
    t.main.data.push({ x, y: NaN });
    t.raw?.data.push({ x, y: NaN });
  }
  appendSegment(t, from ? pts.slice(from) : pts, view);
  styleMarkers(t);
}

function appendSegment(t: Trace, pts: readonly Point[], view: TraceView): void {
  const d = drawableYs(pts.map((p) => p.y), view.logY);
  t.nonFinite += d.nonFinite;
  t.nonPositive += d.nonPositive;
  const drawn = isSmoothed(t, view) ? emaAppend(t.ema, view.smoothing, d.ys) : d.ys;
  pts.forEach((p, i) => {
    const x = xOf(p, view.xAxis);
    t.points.push(p);
    t.ys.push(d.ys[i]);
    t.main.data.push({ x, y: drawn[i] });
    t.raw?.data.push({ x, y: d.ys[i] });
  });
}

/** Recomputes the main line at a new smoothing, in place (linear in the drawn points); each history is averaged alone. */
export function resmooth(t: Trace, view: TraceView): void {
  if (!SMOOTHED.has(t.metric)) return;
  const smoothed = isSmoothed(t, view);
  const drawn: number[] = [];
  let start = 0;
  for (let i = 1; i <= t.ys.length; i++) {
    if (i < t.ys.length && segmentOf(t.points[i]) === segmentOf(t.points[i - 1])) continue;
    t.ema = emaStart();
    const chunk = t.ys.slice(start, i);
    drawn.push(...(smoothed ? emaAppend(t.ema, view.smoothing, chunk) : chunk));
    start = i;
  }
  t.main.data.forEach((p, i) => (p.y = drawn[i]));
}

/** The chart's note on what is not drawn: gaps for NaN/Inf, values ≤ 0 on a log axis, outliers outside the y range. */
export function chartNote(traces: readonly Trace[], clipped: number): string {
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  const nf = traces.filter((t) => t.nonFinite);
  if (nf.length) parts.push(`Gaps: ${nf.map((t) => `${plural(t.nonFinite, 'NaN/Inf value')} in ${t.label}`).join(', ')}`);
  const np = traces.filter((t) => t.nonPositive);
  if (np.length) parts.push(`not drawn on the log axis: ${np.map((t) => `${plural(t.nonPositive, 'value')} ≤ 0 in ${t.label}`).join(', ')}`);
  if (clipped) parts.push(`${plural(clipped, 'outlier')} outside the y range (ignore outliers is on)`);
  return parts.join('; ');
}
