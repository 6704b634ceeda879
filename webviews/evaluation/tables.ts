/**
 * The Evaluation webview's pieces, built with {@link h} (every name and number a text node): the
 * confusion matrix heat map, the per-class table, the gallery and the class-by-class comparison.
 * Colours come from CSS (a custom property per cell set through the CSSOM, allowed by the CSP).
 * Browser code.
 */
import { h } from '../shared/vscode';
import type { ClassComparisonRow, EvalView } from './contract';

/** A confusion cell: true class `t`, predicted class `p`. */
export interface Cell {
  t: number;
  p: number;
}

/** Up to this many classes the matrix prints its counts and the column names. */
const LABELLED = 20;

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : (v * 100).toFixed(1));
const signed = (v: number | null): string => (v === null ? '–' : `${v > 0 ? '+' : ''}${v.toFixed(1)}`);

/**
 * The confusion matrix as a table: rows true classes, columns predicted; each cell's shade is its
 * share of the row (the true class's images), blue on the diagonal, red off it. `onCell` is called
 * with the clicked cell.
 */
export function confusionTable(v: EvalView, selected: Cell | undefined, onCell: (c: Cell) => void): HTMLElement {
  const k = v.classes.length;
  const small = k <= LABELLED;
  const corner = h('th', { class: 'corner' }, 'true \\ predicted');
  const head = h('tr', {}, corner, ...v.classes.map((name, p) => h('th', { class: 'col', title: name, 'data-p': String(p) }, small ? name : String(p))));
  const rows = v.confusion.map((row, t) => {
    const support = v.perClass[t].support;
    const cells = row.map((count, p) => {
      const td = h('td', {
        class: `cell ${t === p ? 'diag' : 'off'}${selected && selected.t === t && selected.p === p ? ' selected' : ''}`,
        'data-t': String(t), 'data-p': String(p), 'data-count': String(count),
        title: `${v.classes[t]} → ${v.classes[p]}: ${count} of ${support} images`,
      }, small && count ? String(count) : '');
      td.style.setProperty('--share', String(support ? count / support : 0));
      td.addEventListener('click', () => onCell({ t, p }));
      return td;
    });
    return h('tr', {}, h('th', { class: 'row', title: v.classes[t] }, small ? v.classes[t] : `${t} ${v.classes[t]}`), ...cells);
  });
  return h('table', { id: 'confusion', class: small ? 'labelled' : 'dense', 'data-classes': String(k) }, h('thead', {}, head), h('tbody', {}, ...rows));
}

/** Each class's images, accuracy (= recall), precision and F1 in percent, the macro means last. */
export function perClassTable(v: EvalView): HTMLElement {
  const head = h('tr', {}, ...['class', 'images', 'predicted', 'accuracy (recall) %', 'precision %', 'F1 %'].map((c) => h('th', {}, c)));
  const rows = v.perClass.map((c, i) => h('tr', { 'data-class': String(i) },
    h('td', {}, v.classes[i]), h('td', { class: 'num' }, String(c.support)), h('td', { class: 'num' }, String(c.predicted)),
    h('td', { class: 'num' }, pct(c.accuracy)), h('td', { class: 'num' }, pct(c.precision)), h('td', { class: 'num' }, pct(c.f1))));
  const macro = h('tr', { class: 'macro' }, h('td', {}, 'macro mean'), h('td', { class: 'num' }, String(v.n)), h('td', {}, ''),
    h('td', { class: 'num' }, pct(v.macro.accuracy)), h('td', { class: 'num' }, pct(v.macro.precision)), h('td', { class: 'num' }, pct(v.macro.f1)));
  return h('table', { id: 'per-class' }, h('thead', {}, head), h('tbody', {}, ...rows, macro));
}

/** The heading of the gallery for a selection (none: the most confident mistakes overall). */
function galleryTitle(v: EvalView, cell: Cell | undefined, shown: number): string {
  const g = v.gallery;
  if (!g) return 'No gallery: this evaluation has no gallery.json (evaluate the checkpoint again).';
  if (!cell) return `The ${shown} most confident mistakes of ${g.wrong} (click a cell of the matrix for its images)`;
  const count = v.confusion[cell.t][cell.p];
  const what = `true ${v.classes[cell.t]} → predicted ${v.classes[cell.p]}`;
  if (cell.t === cell.p) return `${what}: ${count} images classified right (the gallery keeps mistakes only)`;
  return `${what}: ${shown === count ? `all ${count}` : `the ${shown} most confident of ${count}`} image${count === 1 ? '' : 's'}`;
}

/** The gallery: the selected cell's kept images, or the most confident mistakes overall. */
export function gallery(v: EvalView, cell: Cell | undefined): HTMLElement {
  const g = v.gallery;
  const images = !g ? [] : cell ? g.images.filter((im) => im.true === cell.t && im.predicted === cell.p) : g.images.slice(0, g.top);
  const figures = images.map((im) => {
    const img = h('img', { src: `data:image/png;base64,${im.png}`, alt: `test image ${im.index}`, width: String(g!.width), height: String(g!.height) });
    return h('figure', { 'data-index': String(im.index), 'data-t': String(im.true), 'data-p': String(im.predicted) }, img,
      h('figcaption', {}, h('span', { class: 'true' }, v.classes[im.true]), ' → ', h('span', { class: 'pred' }, v.classes[im.predicted]),
        h('br'), `p ${im.probability.toFixed(3)} (true ${im.true_probability.toFixed(3)}) #${im.index}`));
  });
  return h('div', { id: 'gallery-section' }, h('h3', { id: 'gallery-title' }, galleryTitle(v, cell, images.length)), h('div', { id: 'gallery', 'data-images': String(images.length) }, ...figures));
}

/** Two evaluations class by class: accuracy and F1 of A and B and B − A in points. */
export function comparisonTable(a: EvalView, b: EvalView, rows: ClassComparisonRow[]): HTMLElement {
  const head = h('tr', {}, h('th', {}, 'class'), h('th', {}, `${a.name} acc %`), h('th', {}, `${b.name} acc %`), h('th', {}, 'Δ acc'),
    h('th', {}, `${a.name} F1 %`), h('th', {}, `${b.name} F1 %`), h('th', {}, 'Δ F1'));
  const tone = (d: number | null): string => (d === null || d === 0 ? 'num' : d > 0 ? 'num better' : 'num worse');
  const body = rows.map((r) => h('tr', {}, h('td', {}, r.name),
    h('td', { class: 'num' }, pct(r.a.accuracy)), h('td', { class: 'num' }, pct(r.b.accuracy)), h('td', { class: tone(r.accuracyDiff) }, signed(r.accuracyDiff)),
    h('td', { class: 'num' }, pct(r.a.f1)), h('td', { class: 'num' }, pct(r.b.f1)), h('td', { class: tone(r.f1Diff) }, signed(r.f1Diff))));
  const total = h('tr', { class: 'macro' }, h('td', {}, 'top-1 error %'), h('td', { class: 'num' }, a.error.toFixed(2)), h('td', { class: 'num' }, b.error.toFixed(2)),
    h('td', { class: tone(a.error - b.error) }, signed(Math.round((a.error - b.error) * 100) / 100)), h('td', {}, ''), h('td', {}, ''), h('td', {}, ''));
  return h('table', { id: 'comparison' }, h('thead', {}, head), h('tbody', {}, ...body, total));
}
