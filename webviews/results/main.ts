/** The Results webview: the runs table (sortable) and the reference rows of the papers and the original framework. */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, vscodeApi } from '../shared/vscode';
import { FromResults, ToResults, type ExportFormat, type ResultsHostMessage, type ResultsWebviewMessage } from './contract';
import { caveatsNote, offTestNote, referenceTable, runsTable } from './tables';

const send = (m: ResultsWebviewMessage): void => vscodeApi().postMessage(m);

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
      m.rows.length ? h('div', { class: 'scroll' }, runsTable(m.rows, m.paramKeys, m.reference, m.sort, (sort) => send({ type: FromResults.Sort, sort }))) : h('p', { class: 'empty' }, 'No run chosen: select runs in the Runs view, or press "Runs…".'),
      ...offTestNote(m.rows),
      ...caveatsNote(m.rows),
      referenceHeading(m),
      m.reference.length ? referenceTable(m.reference) : h('p', { class: 'empty' }, 'No reference row for these models and datasets.'),
    );
    // The sticky diff column sits right of the sticky run column.
    const runHead = content.querySelector<HTMLElement>('#runs th');
    if (runHead) content.style.setProperty('--run-col-width', `${runHead.offsetWidth}px`);
    document.body.setAttribute('data-rows', String(m.rows.length));
    document.body.setAttribute('data-reference', String(m.reference.length));
  });
  send({ type: FromResults.Ready });
}

main();
