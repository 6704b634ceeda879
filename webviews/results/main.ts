/** The Results webview: the runs table (sortable) and the reference rows of the papers and the original framework. */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, vscodeApi } from '../shared/vscode';
import { FromResults, ToResults, type ExportFormat, type ReferenceRow, type ResultRow, type ResultsHostMessage, type ResultsWebviewMessage, type SortKey, type SortState } from './contract';

const send = (m: ResultsWebviewMessage): void => vscodeApi().postMessage(m);
const fmt = (n: number | null | undefined, d = 2): string => (n === undefined || n === null ? '' : n.toFixed(d));
const dur = (s: number): string => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${Math.round(s)} s`);

function runsTable(rows: ResultRow[], paramKeys: string[], reference: ReferenceRow[], sort: SortState): HTMLElement {
  const cols: Array<{ label: string; key?: SortKey; cell: (r: ResultRow) => string; num?: boolean }> = [
    { label: 'run', key: 'name', cell: (r) => r.name },
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
    { label: 'diff', key: 'refDiff', cell: (r) => (r.refDiff === undefined ? '' : `${r.refDiff > 0 ? '+' : ''}${r.refDiff.toFixed(2)}${r.offTest ? ' †' : ''}`), num: true },
  ];
  const head = h('tr', {}, ...cols.map((c) => {
    const th = h('th', { class: c.key ? 'sortable' : '' }, c.label + (c.key === sort.key ? (sort.descending ? ' ▼' : ' ▲') : ''));
    if (c.key) th.addEventListener('click', () => send({ type: FromResults.Sort, sort: { key: c.key as SortKey, descending: c.key === sort.key ? !sort.descending : false } }));
    return th;
  }));
  const body = rows.map((r) => h('tr', { 'data-run': r.name, class: `state-${r.state}` }, ...cols.map((c) => h('td', { class: c.num ? 'num' : '' }, c.cell(r)))));
  return h('table', { id: 'runs' }, h('thead', {}, head), h('tbody', {}, ...body));
}

/** Under the runs table when a run was validated off the test split: its errors are not test errors. */
function offTestNote(rows: ResultRow[]): HTMLElement[] {
  const off = rows.filter((r) => r.offTest);
  if (!off.length) return [];
  return [h('p', { class: 'note', id: 'off-test-note' },
    `† ${off.map((r) => r.name).join(', ')}: validated on images held out from the training files (train.use_test_as_val False), not the test split; the errors and the differences to the references' test errors compare a validation figure with test figures. Evaluate a checkpoint on the test split (npm run evaluate) for a test error.`)];
}

function referenceTable(reference: ReferenceRow[]): HTMLElement {
  const head = h('tr', {}, ...['dataset', 'model', 'original framework err %', 'stat', 'paper err %', 'epochs', 'settings', 'closest to'].map((c) => h('th', {}, c)));
  const body = reference.map((r) => h('tr', { class: r.matchedBy.length ? 'matched' : '', 'data-table': r.table },
    h('td', {}, r.dataset), h('td', {}, r.model), h('td', { class: 'num' }, fmt(r.projectError)), h('td', {}, r.stat ?? ''), h('td', {}, r.paper),
    h('td', { class: 'num' }, r.epochs === null ? '' : String(r.epochs)),
    h('td', { class: 'settings' }, Object.entries(r.overrides).map(([k, v]) => `${k} ${v}`).join(', ')),
    h('td', {}, String(r.matchedBy.length || ''))));
  return h('table', { id: 'reference' }, h('thead', {}, head), h('tbody', {}, ...body));
}

/** The line above the reference table, with the button that shows all rows or the closest only. */
function referenceHeading(m: Extract<ResultsHostMessage, { type: ToResults.Snapshot }>): HTMLElement {
  const title = h('h3', {}, 'Papers and the original framework (hysts/pytorch_image_classification README): same models and datasets, closest settings first');
  if (m.referenceTotal <= m.reference.length && !m.allReference) return title;
  const toggle = h('vscode-button', { secondary: '', id: 'reference-toggle' }, m.allReference ? 'Closest rows only' : `All ${m.referenceTotal} rows`);
  toggle.addEventListener('click', () => send({ type: FromResults.ShowAllReference, all: !m.allReference }));
  return h('div', { class: 'heading' }, title, h('span', { class: 'count' }, `${m.reference.length} of ${m.referenceTotal}`), toggle);
}

function main(): void {
  const app = document.getElementById('app') as HTMLElement;
  const runsBtn = h('vscode-button', { secondary: '', id: 'choose-runs' }, 'Runs…');
  runsBtn.addEventListener('click', () => send({ type: FromResults.ChooseRuns }));
  const buttons = (['csv', 'markdown', 'latex'] as ExportFormat[]).map((f) => {
    const b = h('vscode-button', { secondary: '', id: `export-${f}` }, `Export ${f === 'csv' ? 'CSV' : f === 'markdown' ? 'Markdown' : 'LaTeX'}`);
    b.addEventListener('click', () => send({ type: FromResults.Export, format: f }));
    return b;
  });
  const content = h('div', { id: 'content' });
  app.append(h('div', { class: 'toolbar' }, runsBtn, ...buttons), content);
  window.addEventListener('message', (ev: MessageEvent<ResultsHostMessage>) => {
    const m = ev.data;
    if (m.type !== ToResults.Snapshot) return;
    content.replaceChildren(
      h('h3', {}, `Runs (${m.rows.length})`),
      m.rows.length ? runsTable(m.rows, m.paramKeys, m.reference, m.sort) : h('p', { class: 'empty' }, 'No run chosen: select runs in the Runs view, or press "Runs…".'),
      ...offTestNote(m.rows),
      referenceHeading(m),
      m.reference.length ? referenceTable(m.reference) : h('p', { class: 'empty' }, 'No reference row for these models and datasets.'),
    );
    document.body.setAttribute('data-rows', String(m.rows.length));
    document.body.setAttribute('data-reference', String(m.reference.length));
  });
  send({ type: FromResults.Ready });
}

main();
