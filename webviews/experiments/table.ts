/**
 * The Experiments table's DOM, built with {@link h} (every value a text node): a section row over
 * the column labels (config keys grouped by section), sortable and draggable headers, a select box
 * and a star per run. Browser code.
 */
import { h } from '../shared/vscode';
import type { CellValue, ColumnDef, ColumnFormat, ExperimentRow, TableState } from './contract';

/** A cell's text in its column's format. */
export function formatCell(v: CellValue, format: ColumnFormat): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'number') return v;
  switch (format) {
    case 'percent':
      return v.toFixed(2);
    case 'count':
      return v >= 1e9 ? `${(v / 1e9).toFixed(2)} G` : v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)} k` : String(v);
    case 'duration':
      return v >= 3600 ? `${(v / 3600).toFixed(1)} h` : v >= 60 ? `${(v / 60).toFixed(1)} min` : `${Math.round(v)} s`;
    case 'rate':
      return Math.round(v).toLocaleString('en-US');
    default:
      return String(v);
  }
}

/** What the table calls back. */
export interface TableEvents {
  sort(column: string): void;
  move(column: string, before: string): void;
  star(row: ExperimentRow): void;
  select(row: ExperimentRow, on: boolean): void;
}

/** The header: sections (consecutive columns of one group share a cell), then sortable, draggable labels. */
function header(columns: readonly ColumnDef[], state: TableState, on: TableEvents): HTMLElement {
  const groups: Array<{ group: string; span: number }> = [];
  for (const c of columns) {
    const last = groups[groups.length - 1];
    if (last && last.group === c.group) last.span++;
    else groups.push({ group: c.group, span: 1 });
  }
  const sections = h('tr', { class: 'sections' }, h('th', { colspan: '2' }, ''), ...groups.map((g) => h('th', { colspan: String(g.span), class: g.group === 'run' ? '' : 'section' }, g.group === 'run' ? '' : g.group)));
  const labels = h('tr', {}, h('th', { class: 'select' }, ''), h('th', { class: 'star' }, '★'), ...columns.map((c) => {
    const mark = state.sort?.column === c.id ? (state.sort.descending ? ' ▼' : ' ▲') : '';
    const th = h('th', { class: 'sortable', draggable: 'true', 'data-column': c.id, title: `${c.id}: click to sort, drag to move` }, c.label + mark);
    th.addEventListener('click', () => on.sort(c.id));
    th.addEventListener('dragstart', (e) => e.dataTransfer?.setData('text/plain', c.id));
    th.addEventListener('dragover', (e) => e.preventDefault());
    th.addEventListener('drop', (e) => {
      e.preventDefault();
      const id = e.dataTransfer?.getData('text/plain');
      if (id && id !== c.id) on.move(id, c.id);
    });
    return th;
  }));
  return h('thead', {}, sections, labels);
}

/** The table of `rows` with `columns`; `selected` holds the selected run folders. */
export function experimentsTable(rows: readonly ExperimentRow[], columns: readonly ColumnDef[], state: TableState, selected: ReadonlySet<string>, on: TableEvents): HTMLElement {
  const body = rows.map((r) => {
    const box = h('input', { type: 'checkbox', class: 'select-run', 'aria-label': `select ${r.name}` }) as HTMLInputElement;
    box.checked = selected.has(r.id);
    box.addEventListener('change', () => on.select(r, box.checked));
    const star = h('button', { class: `star${r.starred ? ' on' : ''}`, title: r.starred ? 'Unstar' : 'Star', 'aria-pressed': String(r.starred) }, r.starred ? '★' : '☆');
    star.addEventListener('click', () => on.star(r));
    const cells = columns.map((c) => h('td', { class: c.format === 'text' ? '' : 'num', 'data-column': c.id }, formatCell(r.values[c.id] ?? null, c.format)));
    return h('tr', { 'data-run': r.name, 'data-id': r.id, class: `state-${r.state}${selected.has(r.id) ? ' selected' : ''}` }, h('td', { class: 'select' }, box), h('td', { class: 'star' }, star), ...cells);
  });
  return h('table', { id: 'experiments' }, header(columns, state, on), h('tbody', {}, ...body));
}

/** The config diff of two runs: key, A's value, B's value. */
export function diffTable(a: string, b: string, lines: ReadonlyArray<{ key: string; a: string; b: string }>): HTMLElement {
  if (!lines.length) return h('p', { id: 'diff', class: 'empty' }, `${a} and ${b} have the same config.`);
  return h('table', { id: 'diff' },
    h('thead', {}, h('tr', {}, h('th', {}, 'key'), h('th', {}, a), h('th', {}, b))),
    h('tbody', {}, ...lines.map((l) => h('tr', {}, h('td', {}, l.key), h('td', { class: 'a' }, l.a), h('td', { class: 'b' }, l.b)))));
}
