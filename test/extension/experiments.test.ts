/** The Experiments table's rows and queries, the parallel-coordinates scales, and the evaluation files as the extension reads them. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readEvents } from '../../runtime/protocol/reader';
import { writeClassFiles } from '../../runtime/train/evaluate_report';
import { describeRun, summarizeRun, type RunSummary } from '../../extension/runs/collect';
import { compareEvaluations, EvalSummaries, evalSummary, readEvalView } from '../../extension/evaluation/read';
import { configDiff, experimentTable, medianImagesPerSec, type RunInput } from '../../extension/experiments/rows';
import { DEFAULT_TABLE_STATE, type ExperimentRow, type TableState } from '../../webviews/experiments/contract';
import { axisScale } from '../../webviews/experiments/parallel';
import { compare, moveColumn, orderedColumns, parseFilter, sortRows, visibleRows } from '../../webviews/experiments/query';

const ROOT = path.resolve('test/extension/fixtures/runs');
const input = (rel: string, extra: Partial<RunSummary> = {}): RunInput => {
  const events = readEvents(path.join(ROOT, rel)).events;
  return { summary: { ...summarizeRun(path.join(ROOT, rel), rel, events, false), ...extra }, events };
};
const RUNS = [input('wrn_16/exp00', { testError: 41.5 }), input('wrn_16/exp01'), input('resnet_preact_20/exp00'), input('killed/exp00')];
const table = experimentTable(RUNS, new Set([path.join(ROOT, 'wrn_16/exp01')]));
const state = (s: Partial<TableState>): TableState => ({ ...DEFAULT_TABLE_STATE, ...s });
const names = (rows: ExperimentRow[]): string[] => rows.map((r) => r.name);

describe('experiments table rows', () => {
  it('has the run figures, then the config keys that differ, grouped by section', () => {
    const ids = table.columns.map((c) => c.id);
    assert.deepEqual(ids.slice(0, 4), ['name', 'status', 'model', 'dataset']);
    assert.deepEqual(ids.slice(14), ['model.name', 'train.base_lr']);
    assert.deepEqual(table.columns.slice(14).map((c) => c.group), ['model', 'train']);
    const wrn = table.rows[0].values;
    // wrn_16/exp00: 3 epochs, val accuracies 0.4, 0.55, 0.5 -> best 45 %, last 50 %; steps at 101..103 images/s
    assert.deepEqual([wrn.status, wrn.model, wrn.epoch, wrn.epochs, wrn.best_error, wrn.last_error, wrn.test_error, wrn.params, wrn.time_s, wrn.images_per_s, wrn.backend],
      ['completed', 'wrn-16', 3, 3, 45, 50, 41.5, 693498, 24, 102, 'wasm']);
    assert.equal(wrn['train.base_lr'], '0.1');
    assert.equal(table.rows[1].starred, true);
    assert.equal(table.rows[0].evaluated, true);
    // Keys every run shares, for filters on columns that are not shown.
    assert.equal(table.common['dataset.name'], 'CIFAR10');
    assert.equal(table.common['train.batch_size'], '64');
  });

  it('takes the median images/s and the config diff of two runs', () => {
    assert.equal(medianImagesPerSec([]), null);
    assert.equal(medianImagesPerSec(RUNS[0].events), 102);
    assert.deepEqual(configDiff(RUNS[0].summary.config, RUNS[1].summary.config), [
      { key: 'scheduler.epochs', a: '3', b: '3' },
      { key: 'train.base_lr', a: '0.1', b: '0.2' },
      { key: 'train.output_dir', a: 'experiments/wrn_16/exp00', b: 'experiments/wrn_16/exp01' },
    ].filter((l) => l.a !== l.b));
  });
});

describe('experiments table queries', () => {
  it('sorts by error, empty cells last either way', () => {
    // last errors: exp00 50, exp01 45, resnet_preact 60, killed 60 (ties keep the folder order)
    assert.deepEqual(names(sortRows(table.rows, { column: 'last_error', descending: false })), ['wrn_16/exp01', 'wrn_16/exp00', 'resnet_preact_20/exp00', 'killed/exp00']);
    assert.deepEqual(names(sortRows(table.rows, { column: 'last_error', descending: true })), ['resnet_preact_20/exp00', 'killed/exp00', 'wrn_16/exp00', 'wrn_16/exp01']);
    assert.deepEqual(names(sortRows(table.rows, { column: 'test_error', descending: true })), ['wrn_16/exp00', 'wrn_16/exp01', 'resnet_preact_20/exp00', 'killed/exp00']);
  });

  it('filters by any column, a shared config key, aliases and run-name text', () => {
    const show = (filter: string) => names(visibleRows(table.rows, table.columns, table.common, state({ filter, sort: null })).rows);
    assert.deepEqual(show('model.name = wrn'), ['wrn_16/exp00', 'wrn_16/exp01', 'killed/exp00']);
    assert.deepEqual(show('model.name = WRN, error < 50'), ['wrn_16/exp01']);
    // a key of some runs only: the others have no value, so they fail `=`
    assert.deepEqual(show('model.wrn.depth = 16, epoch >= 2'), ['wrn_16/exp00', 'wrn_16/exp01']);
    assert.deepEqual(show('error >= 50 and best < 50'), ['wrn_16/exp00']);
    assert.deepEqual(show('base_lr == 0.2'), ['wrn_16/exp01']);
    assert.deepEqual(show('dataset.name = cifar10 && status ~ compl'), ['wrn_16/exp00']);
    assert.deepEqual(show('test != 41.5'), ['wrn_16/exp01', 'resnet_preact_20/exp00', 'killed/exp00']);
    assert.deepEqual(show('exp01'), ['wrn_16/exp01']);
    assert.deepEqual(show('model = "resnet_preact-20"'), ['resnet_preact_20/exp00']);
    const bad = visibleRows(table.rows, table.columns, table.common, state({ filter: 'nope < 3, model.name = wrn' }));
    assert.match(bad.error ?? '', /^nope: no such column/);
    assert.equal(bad.rows.length, 3, 'the other clauses still apply');
    assert.deepEqual(names(visibleRows(table.rows, table.columns, table.common, state({ starredOnly: true })).rows), ['wrn_16/exp01']);
  });

  it('compares numbers as numbers and text without case', () => {
    assert.equal(compare(5, '<', '10'), true);
    assert.equal(compare('5', '<', '10'), true);
    assert.equal(compare('abc', '<', '10'), false);
    assert.equal(compare('True', '=', 'true'), true);
    assert.equal(compare(null, '!=', 'x'), true);
    assert.equal(compare(null, '=', 'x'), false);
    // `depth` ends two keys (model.wrn.depth, model.resnet_preact.depth): ambiguous
    const keys = new Set([...Object.keys(table.common), ...table.rows.flatMap((r) => Object.keys(r.values))]);
    assert.match(parseFilter('depth = 16', table.columns, keys).error ?? '', /^depth: no such column/);
    assert.equal(parseFilter('batch_size = 64', table.columns, keys).error, undefined);
  });

  it('keeps the rows inside every brush', () => {
    const brushed = (brushes: TableState['brushes']) => names(visibleRows(table.rows, table.columns, table.common, state({ brushes, sort: null })).rows);
    assert.deepEqual(brushed({ last_error: { lo: 45, hi: 50 } }), ['wrn_16/exp00', 'wrn_16/exp01']);
    assert.deepEqual(brushed({ last_error: { lo: 45, hi: 50 }, 'train.base_lr': { values: ['0.2'] } }), ['wrn_16/exp01']);
  });

  it('orders the columns as the user dragged them, hidden ones left out, new ones at the end', () => {
    const cols = orderedColumns(table.columns, { hidden: ['dataset', 'macs'], order: ['last_error', 'name'] });
    assert.deepEqual(cols.slice(0, 4).map((c) => c.id), ['last_error', 'name', 'status', 'model']);
    assert.ok(!cols.some((c) => c.id === 'dataset' || c.id === 'macs'));
    assert.deepEqual(moveColumn(cols.slice(0, 3), 'status', 'last_error'), ['status', 'last_error', 'name']);
    assert.deepEqual(moveColumn(cols.slice(0, 3), 'last_error', 'missing'), ['name', 'status', 'last_error']);
  });

  it('scales parallel-coordinates axes: numbers by range, text by category, brushes back to values', () => {
    const num = axisScale([10, 20, null, '30']);
    assert.equal(num.kind, 'number');
    assert.deepEqual([num.at(10), num.at(20), num.at(30), num.at(null) < 0], [0, 0.5, 1, true]);
    assert.deepEqual(num.brush(0.5, 0), { lo: 10, hi: 20 });
    const cat = axisScale(['wrn', 'resnet', 'wrn']);
    assert.deepEqual(cat.categories, ['resnet', 'wrn']);
    assert.deepEqual(cat.brush(0.9, 1), { values: ['wrn'] });
  });
});

describe('evaluation files in the extension', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-evalview-'));
  const write = (run: string, logits: number[], labels: number[], classes = ['cat', 'dog']): string => {
    const runDir = path.join(dir, run);
    const out = path.join(runDir, 'eval');
    fs.mkdirSync(out, { recursive: true });
    const l = new Float32Array(logits);
    const predictions = labels.map((_, i) => (l[2 * i] >= l[2 * i + 1] ? 0 : 1));
    const id = `id-${run}`;
    writeClassFiles(out, { id, checkpoint: `${runDir}/checkpoint_00002.ckpt`, dataset: 'x', classes, logits: l, labels, images: new Uint8Array(labels.length * 4), height: 2, width: 2, channels: 1 }, predictions);
    const correct = predictions.filter((p, i) => p === labels[i]).length;
    fs.writeFileSync(path.join(out, 'metrics.json'), JSON.stringify({ loss: 0.5, accuracy: correct / labels.length, error: 1 - correct / labels.length, n: labels.length, checkpoint: `${runDir}/checkpoint_00002.ckpt`, id }));
    return runDir;
  };

  it('reads a run\'s evaluation for the panel and compares two class by class', () => {
    const a = write('a', [2, 0, 2, 0, 0, 2, 2, 0], [0, 0, 1, 1]); // cat: 2/2, dog: 1/2 (one dog called cat)
    const b = write('b', [2, 0, 0, 2, 0, 2, 0, 2], [0, 0, 1, 1]); // cat: 1/2, dog: 2/2
    const va = readEvalView(a, 'a');
    const vb = readEvalView(b, 'b');
    assert.ok('view' in va && 'view' in vb);
    assert.deepEqual(va.view.confusion, [[2, 0], [1, 1]]);
    assert.equal(va.view.error, 25);
    assert.equal(va.view.checkpoint, 'checkpoint_00002.ckpt');
    assert.equal(va.view.gallery?.images.length, 1);
    assert.deepEqual([va.view.gallery?.images[0].true, va.view.gallery?.images[0].predicted], [1, 0]);
    const cmp = compareEvaluations(va.view, vb.view);
    assert.ok('rows' in cmp);
    assert.deepEqual(cmp.rows.map((r) => [r.name, r.accuracyDiff]), [['cat', -50], ['dog', 50]]);
    assert.deepEqual(evalSummary(a), { testError: 25, testImages: 4, evalCheckpoint: 'checkpoint_00002.ckpt' });
    const cache = new EvalSummaries();
    assert.equal(cache.of(a)?.testError, 25);
    assert.equal(cache.of(path.join(dir, 'none')), undefined);
    assert.equal(describeRun({ ...input('wrn_16/exp00').summary, testError: 25 }), '3/3 · best 45.00% · last 50.00% · test 25.00%');
  });

  it('says why an evaluation cannot be shown or compared', () => {
    const c = write('c', [2, 0, 0, 2, 1, 0], [0, 1, 0], ['a', 'b']);
    const d = write('d', [2, 0, 0, 2], [0, 1], ['x', 'y']);
    const vc = readEvalView(c, 'c');
    const vd = readEvalView(d, 'd');
    assert.ok('view' in vc && 'view' in vd);
    const cmp = compareEvaluations(vc.view, vd.view);
    assert.ok('problem' in cmp && /different classes/.test(cmp.problem));
    assert.match((readEvalView(path.join(dir, 'none'), 'none') as { problem: string }).problem, /has no evaluation yet/);
    // metrics.json of a newer evaluation than classes.json (one interrupted between the two renames)
    const m = JSON.parse(fs.readFileSync(path.join(c, 'eval', 'metrics.json'), 'utf8'));
    fs.writeFileSync(path.join(c, 'eval', 'metrics.json'), JSON.stringify({ ...m, id: 'other' }));
    assert.match((readEvalView(c, 'c') as { problem: string }).problem, /of two evaluations/);
    fs.rmSync(path.join(c, 'eval', 'classes.json'));
    assert.match((readEvalView(c, 'c') as { problem: string }).problem, /no per-class figures/);
  });
});
