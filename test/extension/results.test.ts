import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readEvents } from '../../runtime/protocol/reader';
import { summarizeRun, type RunSummary } from '../../extension/runs/collect';
import { differingKeys, exportTable, flatten, matchScore, normDataset, referenceRows, resultRows, sortRows, tableCells, type PaperResults } from '../../extension/results/table';

const ROOT = path.resolve('test/extension/fixtures/runs');
const PAPER = JSON.parse(fs.readFileSync('extension/results/paper_results.json', 'utf8')) as PaperResults;
const run = (rel: string): RunSummary => summarizeRun(path.join(ROOT, rel), rel, readEvents(path.join(ROOT, rel)).events, false);
const wrn = ['wrn_16/exp00', 'wrn_16/exp01'].map(run);

test('flatten and the keys that differ between runs', () => {
  assert.deepEqual(flatten({ a: { b: 1, c: [1, 2] }, d: 'x' }), { 'a.b': '1', 'a.c': '[1, 2]', d: 'x' });
  // exp01 differs in base_lr (0.1 vs 0.2); output_dir differs too but is not a hyper-parameter.
  assert.deepEqual(differingKeys(wrn.map((r) => r.config)), ['train.base_lr']);
  // Another model's section is not compared with the wrn's.
  assert.deepEqual(differingKeys([...wrn, run('resnet_preact_20/exp00')].map((r) => r.config)), ['model.name', 'train.base_lr']);
});

test('reference rows: the papers\' WRN rows on CIFAR-10 beside the runs', () => {
  assert.equal(normDataset('CIFAR-10'), 'CIFAR10');
  assert.equal(normDataset('Kuzushiji-MNIST'), 'KMNIST');
  const ref = referenceRows(PAPER, wrn);
  assert.ok(ref.length > 0);
  assert.ok(ref.every((r) => r.dataset === 'CIFAR-10' && (r.overrides['model.name'] ?? 'wrn') === 'wrn'));
  assert.ok(ref.some((r) => r.model === 'WRN-28-10' && r.projectError === 4.03 && r.paper.startsWith('4.00 (median of 5 runs)')));
  assert.deepEqual(referenceRows(PAPER, [run('killed/exp00')]).length, ref.length);
  assert.equal(referenceRows(PAPER, [{ ...wrn[0], dataset: 'ImageNet' }]).length, 0);
});

test('result rows: differing params, closest reference and the difference', () => {
  const reference = referenceRows(PAPER, wrn);
  const { rows, paramKeys } = resultRows(wrn, reference);
  assert.deepEqual(paramKeys, ['train.base_lr']);
  assert.deepEqual(rows.map((r) => [r.name, r.model, r.params['train.base_lr'], r.lastError]), [['wrn_16/exp00', 'wrn-16', '0.1', 50], ['wrn_16/exp01', 'wrn-16', '0.2', 45]]);
  const r0 = rows[0];
  assert.ok(r0.refIndex !== undefined);
  const ref = reference[r0.refIndex];
  const refErr = ref.projectError ?? ref.paperError;
  assert.equal(r0.refDiff, Math.round((50 - (refErr as number)) * 100) / 100);
  assert.ok(ref.matchedBy.includes(r0.id));
  // The chosen row is the best-scoring one.
  assert.ok(reference.every((x) => (x.projectError === null && x.paperError === null) || matchScore(x, wrn[0]) <= matchScore(ref, wrn[0])));
});

test('sorting: by a column either way, missing values last', () => {
  const { rows } = resultRows([...wrn, run('killed/exp00')], []);
  assert.deepEqual(sortRows(rows, { key: 'lastError', descending: false }).map((r) => r.lastError), [45, 50, 60]);
  assert.deepEqual(sortRows(rows, { key: 'lastError', descending: true }).map((r) => r.lastError), [60, 50, 45]);
  const withMissing = [...rows, { ...rows[0], id: 'x', lastError: undefined }];
  assert.equal(sortRows(withMissing, { key: 'lastError', descending: true }).pop()?.id, 'x');
});

test('export: CSV, Markdown and LaTeX', () => {
  const cells = [['run', 'err %'], ['a_b', '5.00'], ['x,y', '4&']];
  assert.equal(exportTable(cells, 'csv'), 'run,err %\na_b,5.00\n"x,y",4&\n');
  assert.equal(exportTable(cells, 'markdown'), '| run | err % |\n|---|---|\n| a_b | 5.00 |\n| x,y | 4& |\n');
  assert.equal(exportTable(cells, 'latex'), '\\begin{tabular}{ll}\n\\hline\nrun & err \\% \\\\\n\\hline\na\\_b & 5.00 \\\\\nx,y & 4\\& \\\\\n\\hline\n\\end{tabular}\n');
  const { rows, paramKeys } = resultRows(wrn, []);
  const t = tableCells(rows, paramKeys, []);
  assert.deepEqual(t[0].slice(0, 4), ['run', 'model', 'dataset', 'train.base_lr']);
  assert.equal(t.length, 3);
});
