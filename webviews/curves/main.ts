/**
 * The Curves webview: chart.js line charts of loss, top-1 error, learning rate and images/s for the
 * selected runs; raw series faint behind TensorBoard-smoothed ones; live appends; x by step, epoch or
 * wall time; log-scale y; export PNG and CSV. Controls are @vscode-elements/elements.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { Chart, Legend, LineController, LineElement, LinearScale, LogarithmicScale, PointElement, Tooltip, type ChartDataset } from 'chart.js';
import { h, onThemeChange, themeColor, vscodeApi } from '../shared/vscode';
import { CHARTS, FromCurves, Metric, ToCurves, type CurvesHostMessage, type CurvesOptions, type CurvesWebviewMessage, type Point, type RunSeries } from './contract';
import { emaAppend, emaStart, type EmaState } from './smoothing';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

const METRIC_LABEL: Record<Metric, string> = {
  [Metric.TrainLoss]: 'train',
  [Metric.ValLoss]: 'val',
  [Metric.TrainError]: 'train',
  [Metric.ValError]: 'val',
  [Metric.Lr]: 'lr',
  [Metric.ImagesPerSec]: 'images/s',
};
const DASHED = new Set([Metric.ValLoss, Metric.ValError]);

type XY = { x: number; y: number };
interface Trace {
  points: Point[];
  raw: ChartDataset<'line', XY[]>;
  smooth: ChartDataset<'line', XY[]>;
  ema: EmaState;
}

const send = (m: CurvesWebviewMessage): void => vscodeApi().postMessage(m);
let options: CurvesOptions = { xAxis: 'step', logY: false, smoothing: 0.6 };
let runs: RunSeries[] = [];
const charts = new Map<string, Chart<'line', XY[]>>();
const traces = new Map<string, Trace>();

const faint = (color: string): string => `${color}40`;
const xOf = (p: Point): number => (options.xAxis === 'step' ? p.step : options.xAxis === 'epoch' ? p.epoch : p.time);
const X_TITLE = { step: 'step', epoch: 'epoch', time: 'wall time (s)' };

function chartOptions(): object {
  const fg = themeColor('--vscode-foreground', '#cccccc');
  const grid = themeColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
  return {
    animation: false,
    parsing: false,
    normalized: true,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'nearest', intersect: false },
    elements: { point: { radius: 0 }, line: { borderWidth: 1.5, tension: 0 } },
    scales: {
      x: { type: 'linear', title: { display: true, text: X_TITLE[options.xAxis], color: fg }, ticks: { color: fg }, grid: { color: grid } },
      y: { type: options.logY ? 'logarithmic' : 'linear', ticks: { color: fg }, grid: { color: grid } },
    },
    plugins: {
      legend: { labels: { color: fg, boxWidth: 12, filter: (item: { text: string }) => !item.text.endsWith(' (raw)') } },
      tooltip: { enabled: true },
    },
  };
}

/** Adds points; a restarted history (a new `segment`) begins a new line and a new average, not joined to the old one. */
function addPoints(t: Trace, pts: readonly Point[]): void {
  let from = 0;
  for (let i = 0; i < pts.length; i++) {
    const prev = i > 0 ? pts[i - 1] : t.points[t.points.length - 1];
    if (!prev || (prev.segment ?? 0) === (pts[i].segment ?? 0)) continue;
    addSegmentPoints(t, pts.slice(from, i));
    from = i;
    t.ema = emaStart();
    t.raw.data.push({ x: xOf(pts[i]), y: NaN });
    t.smooth.data.push({ x: xOf(pts[i]), y: NaN });
  }
  addSegmentPoints(t, from ? pts.slice(from) : pts);
}

function addSegmentPoints(t: Trace, pts: readonly Point[]): void {
  t.points.push(...pts);
  const w = options.smoothing;
  const ys = pts.map((p) => (options.logY && p.y <= 0 ? NaN : p.y));
  const smoothed = w > 0 ? emaAppend(t.ema, w, ys) : ys;
  pts.forEach((p, i) => {
    t.raw.data.push({ x: xOf(p), y: ys[i] });
    t.smooth.data.push({ x: xOf(p), y: smoothed[i] });
  });
}

function buildCharts(): void {
  const root = document.getElementById('charts') as HTMLElement;
  charts.forEach((c) => c.destroy());
  charts.clear();
  traces.clear();
  root.replaceChildren();
  for (const spec of CHARTS) {
    const canvas = h('canvas', { id: `chart-${spec.id}` }) as HTMLCanvasElement;
    const box = h('section', { class: 'card', 'data-chart': spec.id }, h('h3', {}, spec.title), h('div', { class: 'plot' }, canvas));
    root.append(box);
    const datasets: Array<ChartDataset<'line', XY[]>> = [];
    for (const run of runs) {
      for (const m of spec.metrics) {
        const pts = run.series[m];
        if (!pts?.length && !['running', 'unknown'].includes(run.state)) continue;
        const label = spec.metrics.length > 1 ? `${run.name} ${METRIC_LABEL[m]}` : run.name;
        const dash = DASHED.has(m) ? [6, 3] : [];
        const raw: ChartDataset<'line', XY[]> = { label: `${label} (raw)`, data: [], borderColor: options.smoothing > 0 ? faint(run.color) : run.color, borderDash: dash, borderWidth: 1, order: 2 };
        const smooth: ChartDataset<'line', XY[]> = { label, data: [], borderColor: run.color, backgroundColor: run.color, borderDash: dash, order: 1, hidden: options.smoothing === 0 };
        const t: Trace = { points: [], raw, smooth, ema: emaStart() };
        addPoints(t, pts ?? []);
        traces.set(`${run.id}|${m}`, t);
        datasets.push(smooth, raw);
      }
    }
    charts.set(spec.id, new Chart<'line', XY[]>(canvas, { type: 'line', data: { datasets }, options: chartOptions() as never }));
  }
  markCounts();
}

/** Point counts per chart on the DOM (what browser tests read). */
function markCounts(): void {
  for (const spec of CHARTS) {
    let n = 0;
    for (const run of runs) for (const m of spec.metrics) n += traces.get(`${run.id}|${m}`)?.points.length ?? 0;
    document.querySelector(`[data-chart="${spec.id}"]`)?.setAttribute('data-points', String(n));
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
    const t = traces.get(`${runId}|${m}`);
    if (t) addPoints(t, pts);
    else rebuild = true;
  }
  if (rebuild) buildCharts();
  else {
    charts.forEach((c) => c.update('none'));
    markCounts();
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
  ctx.fillStyle = themeColor('--vscode-editor-background', '#1e1e1e');
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
  const slider = h('input', { id: 'smoothing', type: 'range', min: '0', max: '0.99', step: '0.01' }) as HTMLInputElement;
  const sval = h('span', { id: 'smoothing-value' });
  slider.addEventListener('input', () => (sval.textContent = slider.value));
  slider.addEventListener('change', () => setOptions({ smoothing: Number(slider.value) }));
  const png = h('vscode-button', { id: 'export-png', secondary: '' }, 'Export PNG');
  png.addEventListener('click', exportPng);
  const csv = h('vscode-button', { id: 'export-csv', secondary: '' }, 'Export CSV');
  csv.addEventListener('click', () => send({ type: FromCurves.ExportCsv }));
  return h('div', { class: 'toolbar' }, runsBtn, xSel, log, h('label', { class: 'smoothing' }, 'smoothing ', slider, sval), png, csv);
}

function syncControls(): void {
  (document.getElementById('x-axis') as unknown as { value: string }).value = options.xAxis;
  (document.getElementById('log-y') as unknown as { checked: boolean }).checked = options.logY;
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
      options = m.options;
      syncControls();
      (document.getElementById('empty') as HTMLElement).hidden = runs.length > 0;
      buildCharts();
    } else if (m.type === ToCurves.Append) onAppend(m.runId, m.state, m.points);
  });
  onThemeChange(() => buildCharts());
  send({ type: FromCurves.Ready });
}

main();
