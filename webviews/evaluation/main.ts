/**
 * The Evaluation webview: a run's last evaluation as the runtime wrote it (confusion matrix heat map,
 * per-class table, the most confident mistakes; a click on a cell shows its images) and another run's
 * beside it class by class. It only draws: every figure comes from the host.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, vscodeApi } from '../shared/vscode';
import { FromEvaluation, ToEvaluation, type EvaluationHostMessage, type EvaluationWebviewMessage } from './contract';
import { comparisonTable, confusionTable, gallery, perClassTable, type Cell } from './tables';

const send = (m: EvaluationWebviewMessage): void => vscodeApi().postMessage(m);

function button(id: string, label: string, message: EvaluationWebviewMessage): HTMLElement {
  const b = h('vscode-button', { secondary: '', id }, label);
  b.addEventListener('click', () => send(message));
  return b;
}

function summary(m: EvaluationHostMessage): HTMLElement {
  const v = m.view!;
  const parts = [`${v.name} · ${v.checkpoint}`, `top-1 error ${v.error.toFixed(2)}%`];
  if (v.error5 !== undefined) parts.push(`top-5 error ${v.error5.toFixed(2)}%`);
  parts.push(`loss ${v.loss.toFixed(4)}`, `${v.n.toLocaleString('en-US')} test images`);
  if (v.time) parts.push(new Date(v.time).toLocaleString());
  return h('p', { id: 'summary' }, parts.join(' · '));
}

function main(): void {
  const app = document.getElementById('app') as HTMLElement;
  const content = h('div', { id: 'content' });
  app.append(h('div', { class: 'toolbar' },
    button('choose-run', 'Run…', { type: FromEvaluation.ChooseRun }),
    button('compare', 'Compare with…', { type: FromEvaluation.ChooseOther }),
    button('clear-compare', 'Clear comparison', { type: FromEvaluation.ClearOther })), content);
  let last: EvaluationHostMessage | undefined;
  let cell = (vscodeApi().getState() as { cell?: Cell } | undefined)?.cell;
  const draw = (): void => {
    const m = last;
    if (!m) return;
    const v = m.view;
    document.body.setAttribute('data-run', v?.name ?? '');
    if (!v) {
      content.replaceChildren(h('p', { class: 'empty', id: 'problem' }, m.problem ?? 'No evaluation.'));
      return;
    }
    if (cell && !(cell.t < v.classes.length && cell.p < v.classes.length)) cell = undefined;
    const select = (c: Cell): void => {
      cell = cell && cell.t === c.t && cell.p === c.p ? undefined : c;
      vscodeApi().setState({ cell });
      draw();
    };
    const other = m.other && m.comparison
      ? [h('h3', {}, `${v.name} vs ${m.other.name}, class by class (Δ: ${m.other.name} − ${v.name}, points)`), comparisonTable(v, m.other, m.comparison)]
      : m.comparisonProblem ? [h('p', { class: 'note', id: 'comparison-problem' }, m.comparisonProblem)] : [];
    content.replaceChildren(
      summary(m),
      h('div', { class: 'columns' },
        h('div', {}, h('h3', {}, 'Confusion matrix (rows: true class, columns: predicted; shade: share of the row)'), confusionTable(v, cell, select)),
        h('div', {}, h('h3', {}, 'Per class'), perClassTable(v))),
      gallery(v, cell),
      ...other,
    );
    const total = v.confusion.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
    document.body.setAttribute('data-total', String(total));
  };
  window.addEventListener('message', (ev: MessageEvent<EvaluationHostMessage>) => {
    if (ev.data.type !== ToEvaluation.Snapshot) return;
    last = ev.data;
    draw();
  });
  send({ type: FromEvaluation.Ready });
}

main();
