/**
 * The tables of the Results webview, built with {@link h}: every cell (run names, config values,
 * paper text) is a text node and attributes are set with setAttribute, so no value is ever parsed
 * as HTML (docs/security.md). Browser code.
 */
import { h } from '../shared/vscode';
import type { ReferenceRow, ResultRow, SortKey, SortState } from './contract';

const fmt = (n: number | null | undefined, d = 2): string => (n === undefined || n === null ? '' : n.toFixed(d));
const dur = (s: number): string => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${Math.round(s)} s`);

/**
 * The runs table; a click on a sortable header calls `onSort` with the new sort. Run names, config
 * values and every other cell are set as text (never as HTML).
 */
export function runsTable(rows: ResultRow[], paramKeys: string[], reference: ReferenceRow[], sort: SortState, onSort: (sort: SortState) => void): HTMLElement {
  // The run and its difference first (both sticky, results.css): the difference stays in sight however wide the table.
  const cols: Array<{ label: string; key?: SortKey; cell: (r: ResultRow) => string; num?: boolean; title?: (r: ResultRow) => string }> = [
    { label: 'run', key: 'name', cell: (r) => r.name },
    { label: 'diff', key: 'refDiff', cell: diffCell, num: true, title: (r) => r.caveats.join('; ') },
    { label: 'model', key: 'model', cell: (r) => r.model },
    { label: 'dataset', key: 'dataset', cell: (r) => r.dataset },
    ...paramKeys.map((k) => ({ label: k, cell: (r: ResultRow) => r.params[k] ?? '' })),
    { label: 'params', key: 'nParams', cell: (r) => (r.nParams === undefined ? '' : r.nParams.toLocaleString('en-US')), num: true },
    { label: 'epochs', key: 'epoch', cell: (r) => `${r.epoch}${r.epochs !== undefined ? `/${r.epochs}` : ''}`, num: true },
    { label: 'best err %', key: 'bestError', cell: (r) => fmt(r.bestError), num: true },
    { label: 'last err %', key: 'lastError', cell: (r) => fmt(r.lastError), num: true },
    { label: 'validated on', cell: (r) => r.valSet },
    { label: 'time', key: 'trainSeconds', cell: (r) => dur(r.trainSeconds), num: true },
    { label: 'backend', cell: (r) => r.backend ?? '' },
    { label: 'reference', cell: (r) => (r.refIndex !== undefined ? reference[r.refIndex].model : '') },
    { label: 'ref err %', cell: (r) => (r.refIndex !== undefined ? fmt(reference[r.refIndex].projectError ?? reference[r.refIndex].paperError) : ''), num: true },
  ];
  const head = h('tr', {}, ...cols.map((c) => {
    const th = h('th', { class: c.key ? 'sortable' : '' }, c.label + (c.key === sort.key ? (sort.descending ? ' ▼' : ' ▲') : ''));
    if (c.key) th.addEventListener('click', () => onSort({ key: c.key as SortKey, descending: c.key === sort.key ? !sort.descending : false }));
    return th;
  }));
  const body = rows.map((r) => h('tr', { 'data-run': r.name, class: `state-${r.state}` }, ...cols.map((c) => h('td', { class: c.num ? 'num' : '', ...(c.title?.(r) ? { title: c.title(r) } : {}) }, c.cell(r)))));
  return h('table', { id: 'runs' }, h('thead', {}, head), h('tbody', {}, ...body));
}

/** The difference to the reference row: `+1.23`, with † (held-out validation) and ‡ (not like for like) marks, or why there is none. */
function diffCell(r: ResultRow): string {
  if (r.refDiff === undefined) return r.noDiff ? `— (${r.noDiff})` : '';
  return `${r.refDiff > 0 ? '+' : ''}${r.refDiff.toFixed(2)}${r.offTest ? ' †' : ''}${r.caveats.length ? ' ‡' : ''}`;
}

/** Under the runs table when a run's comparison is not like for like: each such run with the reasons in words (none otherwise). */
export function caveatsNote(rows: ResultRow[]): HTMLElement[] {
  const flagged = rows.filter((r) => r.caveats.length);
  if (!flagged.length) return [];
  return [h('div', { class: 'note', id: 'caveats-note' }, ...flagged.map((r) => h('p', { 'data-run': r.name }, `‡ ${r.name}: not like for like with its reference row: ${r.caveats.join('; ')}.`)))];
}

/** Under the runs table when a run was validated off the test split: its errors are not test errors (none otherwise). */
export function offTestNote(rows: ResultRow[]): HTMLElement[] {
  const off = rows.filter((r) => r.offTest);
  if (!off.length) return [];
  return [h('p', { class: 'note', id: 'off-test-note' },
    `† ${off.map((r) => r.name).join(', ')}: validated on images held out from the training files (train.use_test_as_val False), not the test split; the errors and the differences to the references' test errors compare a validation figure with test figures. Evaluate a checkpoint on the test split (npm run evaluate) for a test error.`)];
}

/** The reference rows of the papers and the original framework (cells as text). */
export function referenceTable(reference: ReferenceRow[]): HTMLElement {
  const head = h('tr', {}, ...['dataset', 'model', 'original framework err %', 'stat', 'paper err %', 'epochs', 'settings', 'closest to'].map((c) => h('th', {}, c)));
  const body = reference.map((r) => h('tr', { class: r.matchedBy.length ? 'matched' : '', 'data-table': r.table },
    h('td', {}, r.dataset), h('td', {}, r.model), h('td', { class: 'num' }, fmt(r.projectError)), h('td', {}, r.stat ?? ''), h('td', {}, r.paper),
    h('td', { class: 'num' }, r.epochs === null ? '' : String(r.epochs)),
    h('td', { class: 'settings' }, Object.entries(r.overrides).map(([k, v]) => `${k} ${v}`).join(', ')),
    h('td', {}, String(r.matchedBy.length || ''))));
  return h('table', { id: 'reference' }, h('thead', {}, head), h('tbody', {}, ...body));
}

