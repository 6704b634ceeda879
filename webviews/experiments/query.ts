/**
 * The Experiments table's queries, pure (no DOM; the webview and the tests import it): the filter
 * language, sorting, brushes and the column order.
 *
 * Filter: clauses separated by `,`, `&&` or `and`, each `COLUMN OP VALUE` with OP one of `=` (`==`),
 * `!=`, `<`, `<=`, `>`, `>=`, `~` (contains), e.g. `model.name = wrn, error < 5`. COLUMN is a column id
 * (a dotted config key such as `model.name`, or `last_error`), a column's label, an alias (`error` =
 * last_error, `best` = best_error, `test` = test_error), any config key of the runs, or the end of
 * exactly one such key (`depth` for `model.wrn.depth`). Numbers compare as numbers (errors in percent),
 * text without letter case. A clause without an operator matches run names that contain it.
 */
import type { Brush, CellValue, ColumnDef, ExperimentRow, TableState } from './contract';

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~';

/** One parsed clause: `column` undefined for a run-name search. */
export interface FilterClause {
  column?: string;
  op: FilterOp;
  value: string;
}

const ALIASES: Record<string, string> = { error: 'last_error', best: 'best_error', test: 'test_error', run: 'name', time: 'time_s', speed: 'images_per_s' };

/**
 * The column a filter names (see the module comment), or undefined.
 * @param keys the config keys of the runs that are not columns (shared ones and those of some runs only)
 */
export function resolveColumn(name: string, columns: readonly ColumnDef[], keys: ReadonlySet<string>): string | undefined {
  const lower = name.toLowerCase();
  const byId = columns.find((c) => c.id.toLowerCase() === lower) ?? columns.find((c) => c.label.toLowerCase() === lower);
  if (byId) return byId.id;
  if (ALIASES[lower] && columns.some((c) => c.id === ALIASES[lower])) return ALIASES[lower];
  if (keys.has(name)) return name;
  const tails = [...new Set([...columns.map((c) => c.id), ...keys])].filter((id) => id.toLowerCase().endsWith(`.${lower}`));
  return tails.length === 1 ? tails[0] : undefined;
}

/** Every key a filter may name besides the columns: the shared config keys and the rows' other values. */
export function filterKeys(rows: readonly ExperimentRow[], common: Readonly<Record<string, string>>): Set<string> {
  const keys = new Set(Object.keys(common));
  for (const r of rows) for (const k of Object.keys(r.values)) keys.add(k);
  return keys;
}

const CLAUSE = /^([\w.\-/]+)\s*(<=|>=|!=|==|=|<|>|~)\s*(.*)$/;

/**
 * Parses a filter.
 * @returns the clauses, and `error` naming the first clause that names no column (that clause is left out)
 */
export function parseFilter(text: string, columns: readonly ColumnDef[], keys: ReadonlySet<string>): { clauses: FilterClause[]; error?: string } {
  const clauses: FilterClause[] = [];
  let error: string | undefined;
  for (const part of text.split(/,|&&|\band\b/i).map((p) => p.trim()).filter(Boolean)) {
    const m = CLAUSE.exec(part);
    if (!m) {
      clauses.push({ op: '~', value: part });
      continue;
    }
    const column = resolveColumn(m[1], columns, keys);
    if (!column) {
      error ??= `${m[1]}: no such column (a column id such as model.name or last_error, a label, or error, best, test)`;
      continue;
    }
    clauses.push({ column, op: m[2] === '==' ? '=' : (m[2] as FilterOp), value: m[3].trim().replace(/^(["'])(.*)\1$/, '$2') });
  }
  return error ? { clauses, error } : { clauses };
}

const asNumber = (v: CellValue | string): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** Whether a value passes one comparison (null passes only `!=`). */
export function compare(v: CellValue, op: FilterOp, want: string): boolean {
  if (v === null || v === undefined) return op === '!=';
  const text = String(v).toLowerCase();
  const w = want.toLowerCase();
  if (op === '~') return text.includes(w);
  const a = asNumber(v);
  const b = asNumber(want);
  const numeric = a !== undefined && b !== undefined;
  if (op === '=') return numeric ? a === b : text === w;
  if (op === '!=') return numeric ? a !== b : text !== w;
  if (!numeric) return false;
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}

/** A row's value of a column, or of a config key every run shares. */
export const cellOf = (row: ExperimentRow, column: string, common: Readonly<Record<string, string>>): CellValue =>
  Object.hasOwn(row.values, column) ? row.values[column] : Object.hasOwn(common, column) ? common[column] : null;

/** Whether a row passes every clause. */
export function matchesFilter(row: ExperimentRow, clauses: readonly FilterClause[], common: Readonly<Record<string, string>>): boolean {
  return clauses.every((c) => (c.column === undefined ? row.name.toLowerCase().includes(c.value.toLowerCase()) : compare(cellOf(row, c.column, common), c.op, c.value)));
}

/** Whether a row is inside a brush. */
export function inBrush(v: CellValue, b: Brush): boolean {
  if ('values' in b) return v !== null && b.values.includes(String(v));
  const n = asNumber(v);
  return n !== undefined && n >= Math.min(b.lo, b.hi) && n <= Math.max(b.lo, b.hi);
}

/** Rows sorted by a column: numbers as numbers, text naturally (`exp2` before `exp10`), empty cells last either way. */
export function sortRows(rows: readonly ExperimentRow[], sort: TableState['sort']): ExperimentRow[] {
  if (!sort) return [...rows];
  const dir = sort.descending ? -1 : 1;
  return [...rows].sort((r, s) => {
    const x = r.values[sort.column] ?? null;
    const y = s.values[sort.column] ?? null;
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
    return String(x).localeCompare(String(y), undefined, { numeric: true }) * dir;
  });
}

/**
 * The rows shown: filtered (text, stars, brushes) and sorted.
 * @returns the rows and the filter's error, if any
 */
export function visibleRows(rows: readonly ExperimentRow[], columns: readonly ColumnDef[], common: Readonly<Record<string, string>>, state: TableState): { rows: ExperimentRow[]; error?: string } {
  const { clauses, error } = parseFilter(state.filter, columns, filterKeys(rows, common));
  const brushes = Object.entries(state.brushes);
  const kept = rows.filter((r) => (!state.starredOnly || r.starred) && matchesFilter(r, clauses, common) && brushes.every(([c, b]) => inBrush(cellOf(r, c, common), b)));
  return { rows: sortRows(kept, state.sort), ...(error ? { error } : {}) };
}

/** The visible columns in the user's order: those in `order` first (as ordered), then the rest in natural order; hidden ones left out. */
export function orderedColumns(columns: readonly ColumnDef[], state: Pick<TableState, 'hidden' | 'order'>): ColumnDef[] {
  const rank = new Map(state.order.map((id, i) => [id, i]));
  const shown = columns.filter((c) => !state.hidden.includes(c.id));
  return shown
    .map((c, i) => ({ c, key: rank.has(c.id) ? rank.get(c.id)! : state.order.length + i }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.c);
}

/** The order after moving column `id` before column `before` (of the visible columns). */
export function moveColumn(visible: readonly ColumnDef[], id: string, before: string): string[] {
  const ids = visible.map((c) => c.id).filter((c) => c !== id);
  const at = ids.indexOf(before);
  ids.splice(at < 0 ? ids.length : at, 0, id);
  return ids;
}
