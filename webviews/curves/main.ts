/**
 * The Curves webview: chart.js line charts of loss, top-1 error, learning rate and images/s for the
 * selected runs. Train loss and images/s are TensorBoard-smoothed with the raw line faint behind;
 * per-epoch series (validation, train error) are drawn as measured, with markers and their last value;
 * NaN/Inf (and values ≤ 0 on a log axis) are gaps, named in the chart's note; outliers can be kept off
 * the y axis and a y range set per chart; the tooltip shows every run at the hovered x; live appends; x
 * by step, epoch or wall time; export PNG (titles and axis titles are drawn on the canvases) and CSV.
 * Controls are @vscode-elements/elements.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { Chart, Legend, LineController, LineElement, LinearScale, LogarithmicScale, PointElement, SubTitle, Title, Tooltip } from 'chart.js';
import { h, onThemeChange, themeColor, vscodeApi } from '../shared/vscode';
import { legendLabels, lastValueLabels, toggleSeries, tooltipLabel } from './chart_parts';
import { resolveColor, withAlpha } from './colors';
import { CHARTS, DEFAULT_CURVES_OPTIONS, FromCurves, Metric, ToCurves, type CurvesHostMessage, type CurvesOptions, type CurvesWebviewMessage, type Point, type RunSeries, type YRange } from './contract';
import { outlierDomain } from './scales';
import { appendPoints, chartNote, makeTrace, resmooth, type Trace, type XY } from './traces';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip, Title, SubTitle);

const METRIC_LABEL: Record<Metric, string> = {
  [Metric.TrainLoss]: 'train',
  [Metric.ValLoss]: 'val',
  [Metric.TrainError]: 'train',
  [Metric.ValError]: 'val',
  [Metric.Lr]: 'lr',
  [Metric.ImagesPerSec]: 'images/s',
};
const DASHED = new Set([Metric.ValLoss, Metric.ValError]);
const X_TITLE = { step: 'step', epoch: 'epoch', time: 'wall time (s)' };

type Spec = (typeof CHARTS)[number];
interface Plot {
  spec: Spec;
  chart: Chart<'line', XY[]>;
  traces: Trace[];
}

const send = (m: CurvesWebviewMessage): void => vscodeApi().postMessage(m);
let options: CurvesOptions = { ...DEFAULT_CURVES_OPTIONS };
let runs: RunSeries[] = [];
const plots = new Map<string, Plot>();

function chartOptions(spec: Spec): object {
  const fg = themeColor('--vscode-foreground', '#616161');
  const grid = themeColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  const axis = (text: string) => ({ display: true, text, color: fg });
  return {
    animation: false,
    parsing: false,
    normalized: true,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'eachRun', intersect: false },
    elements: { line: { tension: 0 } },
    scales: {
      x: { type: 'linear', title: axis(X_TITLE[options.xAxis]), ticks: { color: fg }, grid: { color: grid } },
      y: { type: options.logY ? 'logarithmic' : 'linear', title: axis(`${spec.yTitle}${options.logY ? ' (log)' : ''}`), ticks: { color: fg }, grid: { color: grid } },
    },
    plugins: {
      title: { display: true, text: spec.title, color: fg, font: { size: 13, weight: 'bold' }, padding: { top: 2, bottom: 2 } },
      subtitle: { display: false, text: '', color: themeColor('--vscode-editorWarning-foreground', '#bf8803'), padding: { bottom: 4 } },
      legend: {
        labels: { color: fg, boxWidth: 24, usePointStyle: true, generateLabels: legendLabels },
        onClick: (_e: unknown, item: { datasetIndex: number }, legend: { chart: Chart<'line'> }) => {
          toggleSeries(legend.chart, item.datasetIndex, options);
          const plot = plots.get(spec.id);
          if (plot) rescale(plot);
          legend.chart.update('none');
        },
      },
      tooltip: { mode: 'eachRun', intersect: false, callbacks: { label: (item: never) => tooltipLabel(item, options) } },
    },
  };
}

/** The y axis: the user's range, else outliers ignored (when on), else automatic; the note says what is not drawn. */
function rescale(plot: Plot): void {
  const visible = plot.traces.filter((t) => plot.chart.isDatasetVisible(plot.chart.data.datasets.indexOf(t.main)));
  const domain = options.ignoreOutliers ? outlierDomain(visible.flatMap((t) => t.ys), options.logY) : { clipped: 0 };
  const user: YRange = options.yRange?.[plot.spec.id] ?? {};
  const y = plot.chart.options.scales?.y as { min?: number; max?: number };
  y.min = user.min ?? domain.min;
  y.max = user.max ?? domain.max;
  const note = chartNote(plot.traces, user.min === undefined && user.max === undefined ? domain.clipped : 0);
  const sub = plot.chart.options.plugins?.subtitle as { display: boolean; text: string };
  sub.display = note !== '';
  sub.text = note;
  plot.chart.canvas.closest('[data-chart]')?.setAttribute('data-note', note);
}

/** The y min / max inputs of a chart (empty: automatic). */
function rangeInputs(spec: Spec): HTMLElement {
  const r = options.yRange?.[spec.id] ?? {};
  const input = (bound: 'min' | 'max') => {
    const el = h('input', { type: 'number', step: 'any', class: 'y-range', 'data-bound': bound, placeholder: `y ${bound}`, 'aria-label': `${spec.title}: y ${bound}` }) as HTMLInputElement;
    if (r[bound] !== undefined) el.value = String(r[bound]);
    el.addEventListener('change', () => setYRange(spec, bound, el.value.trim() === '' ? undefined : Number(el.value)));
    return el;
  };
  return h('div', { class: 'y-range-row' }, 'y range ', input('min'), ' – ', input('max'));
}

function setYRange(spec: Spec, bound: 'min' | 'max', value: number | undefined): void {
  const cur = { ...(options.yRange?.[spec.id] ?? {}) };
  if (value === undefined || !Number.isFinite(value)) delete cur[bound];
  else cur[bound] = value;
  options = { ...options, yRange: { ...options.yRange, [spec.id]: cur } };
  send({ type: FromCurves.SetOptions, options });
  const plot = plots.get(spec.id);
  if (!plot) return;
  rescale(plot);
  plot.chart.update('none');
}

function buildPlot(spec: Spec, root: HTMLElement): void {
  const canvas = h('canvas', { id: `chart-${spec.id}` }) as HTMLCanvasElement;
  root.append(h('section', { class: 'card', 'data-chart': spec.id }, rangeInputs(spec), h('div', { class: 'plot' }, canvas)));
  const traces: Trace[] = [];
  for (const run of runs) {
    const color = resolveColor(run.color);
    for (const m of spec.metrics) {
      const pts = run.series[m];
      if (!pts?.length && !['running', 'unknown'].includes(run.state)) continue;
      const label = spec.metrics.length > 1 ? `${run.name} ${METRIC_LABEL[m]}` : run.name;
      const t = makeTrace(run, m, label, color, withAlpha(color, 0.3), DASHED.has(m), options);
      appendPoints(t, pts ?? [], options);
      traces.push(t);
    }
  }
  const datasets = traces.flatMap((t) => (t.raw ? [t.main, t.raw] : [t.main]));
  const chart = new Chart<'line', XY[]>(canvas, { type: 'line', data: { datasets }, options: chartOptions(spec) as never, plugins: [lastValueLabels as never] });
  const plot = { spec, chart, traces };
  plots.set(spec.id, plot);
  rescale(plot);
  chart.update('none');
}

function buildCharts(): void {
  const root = document.getElementById('charts') as HTMLElement;
  plots.forEach((p) => p.chart.destroy());
  plots.clear();
  root.replaceChildren();
  for (const spec of CHARTS) buildPlot(spec, root);
  markCounts();
}

/** Point counts per chart on the DOM (what browser tests read). */
function markCounts(): void {
  for (const [id, plot] of plots) {
    const n = plot.traces.reduce((s, t) => s + t.points.length, 0);
    document.querySelector(`[data-chart="${id}"]`)?.setAttribute('data-points', String(n));
  }
  document.body.setAttribute('data-runs', String(runs.length));
}

function onAppend(runId: string, state: string, points: RunSeries['series']): void {
  const run = runs.find((r) => r.id === runId);
  if (!run) return;
  run.state = state;
  let rebuild = false;
  for (const [m, pts] of Object.entries(points) as Array<[Metric, Point[]]>) {
    (run.series[m] ??= []).push(...pts);
    const t = [...plots.values()].flatMap((p) => p.traces).find((x) => x.run === run && x.metric === m);
    if (t) appendPoints(t, pts, options);
    else rebuild = true;
  }
  if (rebuild) return buildCharts();
  for (const plot of plots.values()) {
    rescale(plot);
    plot.chart.update('none');
  }
  markCounts();
}

/** A new smoothing: the smoothed lines recomputed in place and the raw lines shown or hidden; no chart rebuilt. */
function applySmoothing(smoothing: number): void {
  options = { ...options, smoothing };
  for (const plot of plots.values()) {
    if (!plot.traces.some((t) => t.raw)) continue; // nothing smoothed in this chart
    for (const t of plot.traces) {
      resmooth(t, options);
      if (!t.raw) continue;
      const mainShown = plot.chart.isDatasetVisible(plot.chart.data.datasets.indexOf(t.main));
      plot.chart.setDatasetVisibility(plot.chart.data.datasets.indexOf(t.raw), mainShown && smoothing > 0);
    }
    plot.chart.update('none');
  }
}

function setOptions(next: Partial<CurvesOptions>): void {
  options = { ...options, ...next };
  send({ type: FromCurves.SetOptions, options });
  buildCharts();
}

function exportPng(): void {
  const canvases = Array.from(document.querySelectorAll('canvas'));
  const width = Math.max(...canvases.map((c) => c.width));
  const height = canvases.reduce((s, c) => s + c.height, 0);
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d') as CanvasRenderingContext2D;
  ctx.fillStyle = themeColor('--vscode-editor-background', '#ffffff');
  ctx.fillRect(0, 0, width, height);
  let y = 0;
  for (const c of canvases) {
    ctx.drawImage(c, 0, y);
    y += c.height;
  }
  send({ type: FromCurves.ExportPng, dataUrl: out.toDataURL('image/png') });
}

function toolbar(): HTMLElement {
  const runsBtn = h('vscode-button', { secondary: '' }, 'Runs…');
  runsBtn.addEventListener('click', () => send({ type: FromCurves.ChooseRuns }));
  const xSel = h('vscode-single-select', { id: 'x-axis' }, ...(['step', 'epoch', 'time'] as const).map((x) => h('vscode-option', { value: x }, `x: ${X_TITLE[x]}`)));
  xSel.addEventListener('change', () => setOptions({ xAxis: (xSel as unknown as { value: CurvesOptions['xAxis'] }).value }));
  const log = h('vscode-checkbox', { id: 'log-y', label: 'log-scale y' });
  log.addEventListener('change', () => setOptions({ logY: (log as unknown as { checked: boolean }).checked }));
  const outliers = h('vscode-checkbox', { id: 'ignore-outliers', label: 'ignore outliers' });
  outliers.addEventListener('change', () => setOptions({ ignoreOutliers: (outliers as unknown as { checked: boolean }).checked }));
  const slider = h('input', { id: 'smoothing', type: 'range', min: '0', max: '0.99', step: '0.01', title: 'TensorBoard smoothing of train loss and images/s (per-epoch series are never smoothed)' }) as HTMLInputElement;
  const sval = h('span', { id: 'smoothing-value' });
  slider.addEventListener('input', () => {
    sval.textContent = slider.value;
    applySmoothing(Number(slider.value));
  });
  slider.addEventListener('change', () => send({ type: FromCurves.SetOptions, options }));
  const png = h('vscode-button', { id: 'export-png', secondary: '' }, 'Export PNG');
  png.addEventListener('click', exportPng);
  const csv = h('vscode-button', { id: 'export-csv', secondary: '' }, 'Export CSV');
  csv.addEventListener('click', () => send({ type: FromCurves.ExportCsv }));
  return h('div', { class: 'toolbar' }, runsBtn, xSel, log, outliers, h('label', { class: 'smoothing' }, 'smoothing ', slider, sval), png, csv);
}

function syncControls(): void {
  (document.getElementById('x-axis') as unknown as { value: string }).value = options.xAxis;
  (document.getElementById('log-y') as unknown as { checked: boolean }).checked = options.logY;
  (document.getElementById('ignore-outliers') as unknown as { checked: boolean }).checked = !!options.ignoreOutliers;
  (document.getElementById('smoothing') as HTMLInputElement).value = String(options.smoothing);
  (document.getElementById('smoothing-value') as HTMLElement).textContent = String(options.smoothing);
}

function main(): void {
  const app = document.getElementById('app') as HTMLElement;
  app.append(toolbar(), h('div', { id: 'empty', class: 'empty' }, 'No run selected: pick runs with "Runs…" or from the Runs view.'), h('div', { id: 'charts', class: 'grid' }));
  window.addEventListener('message', (ev: MessageEvent<CurvesHostMessage>) => {
    const m = ev.data;
    if (m.type === ToCurves.Snapshot) {
      runs = m.runs;
      options = { ...DEFAULT_CURVES_OPTIONS, ...m.options };
      syncControls();
      (document.getElementById('empty') as HTMLElement).hidden = runs.length > 0;
      buildCharts();
    } else if (m.type === ToCurves.Append) onAppend(m.runId, m.state, m.points);
  });
  onThemeChange(() => buildCharts());
  send({ type: FromCurves.Ready });
}

main();
