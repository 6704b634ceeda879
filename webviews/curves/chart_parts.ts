/**
 * The chart.js pieces of the Curves webview: a hover mode that finds every run's nearest point at the
 * pointer's x (chart.js's own modes find one point, or points at the same index, which differ between
 * runs), the last value written beside per-epoch and one-point series, and the legend (one entry per
 * series, showing its last value and a failed run, toggling the raw line with it). Browser code.
 */
import { Chart, Interaction, type InteractionItem, type InteractionModeFunction, type LegendItem, type Plugin, type TooltipItem } from 'chart.js';
import type { XAxis } from './contract';
import { isSmoothed, labelsLast, lastDrawable, type CurveDataset, type TraceView } from './traces';

declare module 'chart.js' {
  interface InteractionModeMap {
    eachRun: InteractionModeFunction;
  }
}

/** Every visible main line's point nearest the pointer's x (in pixels), when the pointer is over the plot. */
const eachRun: InteractionModeFunction = (chart, e) => {
  const area = chart.chartArea;
  const px = e.x ?? NaN;
  if (!(px >= area.left && px <= area.right)) return [];
  const items: InteractionItem[] = [];
  chart.data.datasets.forEach((d, datasetIndex) => {
    if ((d as CurveDataset).role !== 'main' || !chart.isDatasetVisible(datasetIndex)) return;
    let best = -1;
    let dist = Infinity;
    chart.getDatasetMeta(datasetIndex).data.forEach((el, index) => {
      const p = el as unknown as { x: number; y: number; skip?: boolean };
      if (p.skip || Number.isNaN(p.y)) return;
      if (Math.abs(p.x - px) < dist) [best, dist] = [index, Math.abs(p.x - px)];
    });
    if (best >= 0) items.push({ element: chart.getDatasetMeta(datasetIndex).data[best], datasetIndex, index: best });
  });
  return items;
};
Interaction.modes.eachRun = eachRun;

/** A value as text: 6 significant digits, exponent form for very small or large magnitudes. */
export function fmtValue(y: number): string {
  if (!Number.isFinite(y)) return String(y);
  const a = Math.abs(y);
  return a !== 0 && (a < 1e-3 || a >= 1e7) ? y.toExponential(4) : String(+y.toPrecision(6));
}

const X_FMT: Record<XAxis, (x: number) => string> = {
  step: (x) => `step ${x}`,
  epoch: (x) => `epoch ${+x.toFixed(3)}`,
  time: (x) => `${+x.toFixed(1)} s`,
};

/** The tooltip line of one series: its exact recorded value (and the smoothed one), at its own x. */
export function tooltipLabel(item: TooltipItem<'line'>, view: TraceView): string {
  const t = (item.dataset as CurveDataset).trace;
  const p = t.points[item.dataIndex];
  const smoothed = isSmoothed(t, view) ? ` (smoothed ${fmtValue(item.parsed.y ?? NaN)})` : '';
  return `${t.label}: ${fmtValue(p.y)}${smoothed} at ${X_FMT[view.xAxis](item.parsed.x ?? NaN)}`;
}

/** Writes the last value beside the last point of per-epoch and one-point series. */
export const lastValueLabels: Plugin<'line'> = {
  id: 'lastValueLabels',
  afterDatasetsDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.font = '11px sans-serif';
    ctx.textBaseline = 'bottom';
    chart.data.datasets.forEach((d, i) => {
      const ds = d as CurveDataset;
      if (ds.role !== 'main' || !chart.isDatasetVisible(i) || !labelsLast(ds.trace)) return;
      const k = lastDrawable(ds.trace);
      const el = chart.getDatasetMeta(i).data[k] as unknown as { x: number; y: number } | undefined;
      if (k < 0 || !el || !chart.isPointInArea(el)) return;
      const text = fmtValue(ds.trace.ys[k]);
      const right = el.x + 6 + ctx.measureText(text).width > chart.chartArea.right;
      ctx.textAlign = right ? 'right' : 'left';
      ctx.fillStyle = String(ds.borderColor);
      ctx.fillText(text, el.x + (right ? -6 : 6), el.y - 3);
    });
    ctx.restore();
  },
};

/** Legend entries: main lines only, with the last value and `(failed)`. */
export function legendLabels(chart: Chart<'line'>): LegendItem[] {
  const items = Chart.defaults.plugins.legend.labels.generateLabels(chart as unknown as Chart);
  return items.flatMap((item) => {
    const ds = chart.data.datasets[item.datasetIndex as number] as CurveDataset;
    if (ds.role !== 'main') return [];
    const k = lastDrawable(ds.trace);
    item.pointStyle = 'line';
    item.text = `${ds.trace.label}${k >= 0 ? ` ${fmtValue(ds.trace.ys[k])}` : ''}${ds.trace.run.state === 'failed' ? ' (failed)' : ''}`;
    return [item];
  });
}

/** A legend click shows or hides a series: its main line and the raw line behind it. */
export function toggleSeries(chart: Chart<'line'>, datasetIndex: number, view: TraceView): void {
  const ds = chart.data.datasets[datasetIndex] as CurveDataset;
  const show = !chart.isDatasetVisible(datasetIndex);
  chart.setDatasetVisibility(datasetIndex, show);
  const raw = ds.trace.raw ? chart.data.datasets.indexOf(ds.trace.raw) : -1;
  if (raw >= 0) chart.setDatasetVisibility(raw, show && isSmoothed(ds.trace, view));
}
