/**
 * The Experiments webview: every run as a row (see extension/experiments/rows.ts), filtered, sorted,
 * brushed in the parallel coordinates, with stars and a selection that opens Curves, the comparison
 * with the papers, the evaluation, or the config diff of two runs. The user's choices go back to the
 * host, which keeps them per workspace.
 */
import { h, vscodeApi } from '../shared/vscode';
import {
  DEFAULT_TABLE_STATE, FromExperiments, ToExperiments, type Brush, type ColumnDef, type ExperimentsHostMessage, type ExperimentsWebviewMessage, type TableState,
} from './contract';
import { parallelCoordinates } from './parallel';
import { moveColumn, orderedColumns, visibleRows } from './query';
import { diffTable, experimentsTable } from './table';

type Snapshot = Extract<ExperimentsHostMessage, { type: ToExperiments.Snapshot }>;
const send = (m: ExperimentsWebviewMessage): void => vscodeApi().postMessage(m);

/** The default axes: the differing config keys (at most 6), then the errors the runs have. */
function axesOf(snap: Snapshot, state: TableState): ColumnDef[] {
  const byId = new Map(snap.columns.map((c) => [c.id, c]));
  const chosen = state.axes.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
  if (chosen.length) return chosen;
  const has = (id: string): boolean => snap.rows.some((r) => r.values[id] !== null && r.values[id] !== undefined);
  const config = snap.columns.filter((c) => c.group !== 'run').slice(0, 6);
  return [...(config.length ? config : snap.columns.filter((c) => c.id === 'params')), ...['last_error', 'test_error'].filter(has).map((id) => byId.get(id)!)];
}

function button(id: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { id, class: 'tool' }, label) as HTMLButtonElement;
  b.addEventListener('click', onClick);
  return b;
}

class ExperimentsView {
  private snap: Snapshot | undefined;
  private state: TableState = { ...DEFAULT_TABLE_STATE };
  private readonly selected = new Set<string>((vscodeApi().getState() as { selected?: string[] } | undefined)?.selected ?? []);
  private readonly filter = h('input', { id: 'filter', type: 'text', placeholder: 'filter: model.name = wrn, error < 5, train.base_lr >= 0.1, name text', spellcheck: 'false' }) as HTMLInputElement;
  private readonly filterError = h('span', { id: 'filter-error', class: 'error' });
  private readonly starredOnly = h('input', { id: 'starred-only', type: 'checkbox' }) as HTMLInputElement;
  private readonly count = h('span', { id: 'count', class: 'count' });
  private readonly buttons = {
    curves: button('open-curves', 'Curves', () => send({ type: FromExperiments.OpenCurves, ids: this.selectedIds() })),
    results: button('open-results', 'Compare with papers', () => send({ type: FromExperiments.OpenResults, ids: this.selectedIds() })),
    evaluation: button('open-evaluation', 'Evaluation', () => send({ type: FromExperiments.OpenEvaluation, id: this.selectedIds()[0] })),
    diff: button('config-diff', 'Config diff', () => send({ type: FromExperiments.ConfigDiff, ids: this.selectedIds() as [string, string] })),
  };
  private readonly plot = h('div', { id: 'plot' });
  private readonly table = h('div', { id: 'table' });
  private readonly diff = h('div', { id: 'diff-section' });

  constructor(app: HTMLElement) {
    let timer: number | undefined;
    this.filter.addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => this.update({ filter: this.filter.value }), 150);
    });
    this.starredOnly.addEventListener('change', () => this.update({ starredOnly: this.starredOnly.checked }));
    app.append(
      h('div', { class: 'toolbar' }, this.filter, h('label', {}, this.starredOnly, ' starred only'),
        button('columns', 'Columns…', () => send({ type: FromExperiments.ChooseColumns })),
        button('axes', 'Axes…', () => send({ type: FromExperiments.ChooseAxes })),
        button('clear-brushes', 'Clear brushes', () => this.update({ brushes: {} }))),
      h('div', { class: 'toolbar' }, this.count, this.filterError, ...Object.values(this.buttons)),
      this.plot, this.table, this.diff,
    );
  }

  private selectedIds(): string[] {
    return (this.snap?.rows ?? []).filter((r) => this.selected.has(r.id)).map((r) => r.id);
  }

  /** Applies a change of the user's choices, tells the host (it keeps them), redraws. */
  private update(change: Partial<TableState>): void {
    this.state = { ...this.state, ...change };
    send({ type: FromExperiments.SetState, state: this.state });
    this.draw();
  }

  onSnapshot(m: Snapshot): void {
    this.snap = m;
    this.state = { ...DEFAULT_TABLE_STATE, ...m.state };
    if (document.activeElement !== this.filter) this.filter.value = this.state.filter;
    this.starredOnly.checked = this.state.starredOnly;
    for (const id of [...this.selected]) if (!m.rows.some((r) => r.id === id)) this.selected.delete(id);
    this.draw();
  }

  onDiff(m: Extract<ExperimentsHostMessage, { type: ToExperiments.ConfigDiff }>): void {
    this.diff.replaceChildren(h('h3', {}, `Config diff: ${m.a} vs ${m.b}`), diffTable(m.a, m.b, m.lines));
  }

  private brush(column: string, b: Brush | undefined): void {
    const brushes = { ...this.state.brushes };
    if (b) brushes[column] = b;
    else delete brushes[column];
    this.update({ brushes });
  }

  draw(): void {
    const snap = this.snap;
    if (!snap) return;
    const columns = orderedColumns(snap.columns, this.state);
    const shown = visibleRows(snap.rows, snap.columns, snap.common, this.state);
    const unbrushed = visibleRows(snap.rows, snap.columns, snap.common, { ...this.state, brushes: {} }).rows;
    this.count.textContent = `${shown.rows.length} of ${snap.rows.length} runs${this.selected.size ? ` · ${this.selected.size} selected` : ''}`;
    this.filterError.textContent = shown.error ?? '';
    const sel = this.selectedIds();
    const evaluated = sel.length === 1 && snap.rows.some((r) => r.id === sel[0] && r.evaluated);
    this.buttons.curves.disabled = !sel.length;
    this.buttons.results.disabled = !sel.length;
    this.buttons.evaluation.disabled = !evaluated;
    this.buttons.diff.disabled = sel.length !== 2;
    const axes = axesOf(snap, this.state);
    const width = Math.max(480, (this.plot.clientWidth || document.body.clientWidth || 960) - 8);
    this.plot.replaceChildren(...(axes.length ? [parallelCoordinates({ axes, rows: unbrushed, common: snap.common, brushes: this.state.brushes, width, onBrush: (c, b) => this.brush(c, b) })] : []));
    this.table.replaceChildren(experimentsTable(shown.rows, columns, this.state, this.selected, {
      sort: (c) => this.update({ sort: { column: c, descending: this.state.sort?.column === c ? !this.state.sort.descending : false } }),
      move: (id, before) => this.update({ order: moveColumn(columns, id, before) }),
      star: (r) => send({ type: FromExperiments.Star, id: r.id, starred: !r.starred }),
      select: (r, on) => {
        if (on) this.selected.add(r.id);
        else this.selected.delete(r.id);
        vscodeApi().setState({ selected: [...this.selected] });
        this.draw();
      },
    }));
    document.body.setAttribute('data-rows', String(shown.rows.length));
    document.body.setAttribute('data-total', String(snap.rows.length));
  }
}

function main(): void {
  const view = new ExperimentsView(document.getElementById('app') as HTMLElement);
  window.addEventListener('message', (ev: MessageEvent<ExperimentsHostMessage>) => {
    if (ev.data.type === ToExperiments.Snapshot) view.onSnapshot(ev.data);
    else if (ev.data.type === ToExperiments.ConfigDiff) view.onDiff(ev.data);
  });
  send({ type: FromExperiments.Ready });
}

main();
