/**
 * Parallel coordinates in SVG (no library: none in the project fits the webview's CSP and bundle):
 * one vertical axis per chosen column, one polyline per run; dragging along an axis brushes a range
 * (numbers) or a set of values (text), and the brushes filter the table. A click on an axis without
 * dragging clears its brush. Browser code, apart from the pure {@link axisScale}.
 */
import type { Brush, CellValue, ColumnDef, ExperimentRow } from './contract';
import { cellOf, inBrush } from './query';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 240;
const TOP = 28;
const BOTTOM = 34;
const PAD_X = 60;

/** An axis's mapping of values to 0 (bottom) .. 1 (top); null values go to -0.08 (below the axis). */
export interface AxisScale {
  kind: 'number' | 'category';
  /** Numbers: [min, max]. */
  domain: [number, number];
  /** Categories, bottom to top. */
  categories: string[];
  at(v: CellValue): number;
  /** The brush covering positions lo..hi (0..1). */
  brush(lo: number, hi: number): Brush;
}

const NULL_AT = -0.08;

/** The scale of a column over the rows: numeric when every value is a number (or numeric text), else categorical. */
export function axisScale(values: readonly CellValue[]): AxisScale {
  const present = values.filter((v): v is string | number => v !== null && v !== undefined);
  const nums = present.map((v) => (typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v)));
  if (present.length && nums.every(Number.isFinite)) {
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const span = hi - lo || 1;
    return {
      kind: 'number', domain: [lo, hi], categories: [],
      at: (v) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? NULL_AT : hi === lo ? 0.5 : (Number(v) - lo) / span),
      brush: (a, b) => ({ lo: lo + Math.max(0, Math.min(a, b)) * span, hi: lo + Math.min(1, Math.max(a, b)) * span }),
    };
  }
  const categories = [...new Set(present.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const pos = (i: number): number => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  return {
    kind: 'category', domain: [0, 0], categories,
    at: (v) => (v === null || v === undefined ? NULL_AT : pos(categories.indexOf(String(v)))),
    brush: (a, b) => ({ values: categories.filter((_, i) => pos(i) >= Math.min(a, b) - 1e-9 && pos(i) <= Math.max(a, b) + 1e-9) }),
  };
}

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const fmt = (v: number): string => (Math.abs(v) >= 1e4 ? v.toExponential(1) : Number(v.toPrecision(4)).toString());

/** What {@link parallelCoordinates} draws and calls back. */
export interface ParallelInput {
  axes: readonly ColumnDef[];
  /** Runs passing the text filter (the brushes apply on top). */
  rows: readonly ExperimentRow[];
  common: Readonly<Record<string, string>>;
  brushes: Readonly<Record<string, Brush>>;
  width: number;
  /** A brush drawn (or cleared: undefined) on an axis. */
  onBrush(column: string, brush: Brush | undefined): void;
}

/** The SVG: axes with ticks or categories, a polyline per run (outside a brush: faded), the brushes. */
export function parallelCoordinates(p: ParallelInput): SVGSVGElement {
  const svg = el('svg', { id: 'parallel', width: p.width, height: HEIGHT, viewBox: `0 0 ${p.width} ${HEIGHT}`, 'data-axes': p.axes.length }) as SVGSVGElement;
  const n = p.axes.length;
  const x = (i: number): number => (n === 1 ? p.width / 2 : PAD_X + (i * (p.width - 2 * PAD_X)) / (n - 1));
  const plotH = HEIGHT - TOP - BOTTOM;
  const y = (t: number): number => TOP + (1 - t) * plotH;
  const scales = p.axes.map((a) => axisScale(p.rows.map((r) => cellOf(r, a.id, p.common))));
  const lines = el('g', { class: 'lines' });
  let kept = 0;
  for (const r of p.rows) {
    const inside = p.axes.every((a) => !p.brushes[a.id] || inBrush(cellOf(r, a.id, p.common), p.brushes[a.id]));
    if (inside) kept++;
    const pts = p.axes.map((a, i) => `${x(i).toFixed(1)},${y(scales[i].at(cellOf(r, a.id, p.common))).toFixed(1)}`).join(' ');
    const line = el('polyline', { points: pts, class: inside ? 'line kept' : 'line faded', 'data-run': r.name });
    line.appendChild(el('title', {}, r.name));
    lines.appendChild(line);
  }
  svg.setAttribute('data-kept', String(kept));
  svg.appendChild(lines);
  p.axes.forEach((a, i) => svg.appendChild(axis(a, scales[i], x(i), y, plotH, p)));
  return svg;
}

/** One axis: its line, label, ticks, brush and the drag area. */
function axis(a: ColumnDef, s: AxisScale, x: number, y: (t: number) => number, plotH: number, p: ParallelInput): SVGElement {
  const g = el('g', { class: 'axis', 'data-column': a.id });
  g.appendChild(el('line', { x1: x, x2: x, y1: y(0), y2: y(1), class: 'axis-line' }));
  g.appendChild(el('text', { x, y: TOP - 12, class: 'axis-label', 'text-anchor': 'middle' }, a.label));
  const ticks: Array<[number, string]> = s.kind === 'number'
    ? (s.domain[0] === s.domain[1] ? [[0.5, fmt(s.domain[0])]] : [[0, fmt(s.domain[0])], [0.5, fmt((s.domain[0] + s.domain[1]) / 2)], [1, fmt(s.domain[1])]])
    : s.categories.map((c) => [s.at(c), c.length > 14 ? `${c.slice(0, 13)}…` : c]);
  for (const [t, label] of ticks) g.appendChild(el('text', { x: x + 6, y: y(t) + 4, class: 'tick' }, label));
  const b = p.brushes[a.id];
  if (b) {
    const pos = 'values' in b ? b.values.map((v) => s.at(v)) : [s.at(b.lo), s.at(b.hi)];
    if (pos.length) g.appendChild(el('rect', { x: x - 7, width: 14, y: y(Math.max(...pos)) - 4, height: Math.max(8, y(Math.min(...pos)) - y(Math.max(...pos)) + 8), class: 'brush' }));
  }
  const area = el('rect', { x: x - 14, width: 28, y: TOP - 6, height: plotH + 12, class: 'brush-area', 'data-column': a.id });
  const toT = (ev: MouseEvent): number => {
    const box = (area.ownerSVGElement as SVGSVGElement).getBoundingClientRect();
    return Math.min(1, Math.max(0, 1 - (ev.clientY - box.top - TOP) / plotH));
  };
  area.addEventListener('mousedown', (down) => {
    down.preventDefault();
    const t0 = toT(down as MouseEvent);
    const up = (ev: MouseEvent): void => {
      window.removeEventListener('mouseup', up);
      const t1 = toT(ev);
      p.onBrush(a.id, Math.abs(t1 - t0) < 0.02 ? undefined : s.brush(t0, t1));
    };
    window.addEventListener('mouseup', up);
  });
  g.appendChild(area);
  return g;
}
