import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readEvents } from '../../runtime/protocol/reader';
import { summarizeRun, type RunSummary } from '../../extension/runs/collect';
import { FAR_FEWER_EPOCHS, REFERENCE_PER_RUN, candidateReferenceRows, comparisonCaveats, differingKeys, exportTable, flatten, matchScore, noDiffReason, normDataset, referenceRows, resultRows, sortRows, tableCells, type PaperResults } from '../../extension/results/table';
import { FromResults, ToResults, type ReferenceRow, type ResultsHostMessage, type ResultsWebviewMessage } from '../../webviews/results/contract';

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

const ref = (overrides: Record<string, string>, extra: Partial<ReferenceRow> = {}): ReferenceRow => ({
  table: 't', dataset: 'CIFAR-10', model: 'x', projectError: 5, stat: null, paper: '', paperError: null, epochs: null, overrides, matchedBy: [], ...extra,
});

test('reference rows: only the runs\' datasets and model families, with a number to compare', () => {
  assert.equal(normDataset('CIFAR-10'), 'CIFAR10');
  assert.equal(normDataset('Kuzushiji-MNIST'), 'KMNIST');
  const all = candidateReferenceRows(PAPER, wrn);
  assert.equal(all.length, 14);
  assert.ok(all.every((r) => r.dataset === 'CIFAR-10' && r.overrides['model.name'] === 'wrn' && (r.projectError !== null || r.paperError !== null)));
  assert.ok(all.some((r) => r.model === 'WRN-28-10' && r.projectError === 4.03 && r.paper.startsWith('4.00 (median of 5 runs)')));
  assert.equal(candidateReferenceRows(PAPER, [{ ...wrn[0], dataset: 'ImageNet' }]).length, 0);
  assert.equal(referenceRows(PAPER, []).rows.length, 0);
});

test('reference rows: the closest few per run, closest first, not the 280 rows of the family', () => {
  const preact = run('resnet_preact_20/exp00');
  const r = referenceRows(PAPER, [preact]);
  assert.equal(r.total, 280);
  assert.equal(r.rows.length, REFERENCE_PER_RUN);
  assert.ok(r.rows.every((x) => x.model.startsWith('ResNet-preact-20') && x.dataset === 'CIFAR-10'));
  const scores = r.rows.map((x) => matchScore(x, preact) as number);
  assert.deepEqual(scores, [...scores].sort((x, y) => y - x), 'ordered closest first');
  // The closest: the same depth, no augmentation switched on, the fixture's batch size and learning rate.
  assert.deepEqual(r.rows[0].overrides, { 'model.name': 'resnet_preact', 'model.resnet_preact.depth': '20', 'train.batch_size': '64', 'train.base_lr': '0.1', 'scheduler.type': 'cosine', 'scheduler.epochs': '200' });
  assert.ok(r.rows.every((x) => !Object.entries(x.overrides).some(([k, v]) => /^augmentation\.use_/.test(k) && v === 'true')));
  // Every row of the family can be asked for, still closest first.
  const every = referenceRows(PAPER, [preact], { all: true });
  assert.equal(every.rows.length, 280);
  assert.deepEqual(every.rows.slice(0, REFERENCE_PER_RUN), r.rows);
  // Two runs of two families: each run's closest rows, at most perRun each.
  const two = referenceRows(PAPER, [wrn[0], preact], { perRun: 3 });
  assert.equal(two.total, 294);
  assert.equal(two.rows.length, 6);
  assert.equal(two.rows.filter((x) => x.overrides['model.name'] === 'wrn').length, 3);
  assert.equal(two.rows.find((x) => x.overrides['model.name'] === 'wrn')?.model, 'WRN-28-10');
});

test('matchScore: same dataset and family only; depth counts most; a method the run lacks counts against', () => {
  const r = wrn[0]; // wrn-16, widening 2, CIFAR10, 3 epochs, no augmentation switched on
  assert.equal(matchScore(ref({ 'model.name': 'wrn' }, { dataset: 'CIFAR-100' }), r), undefined);
  assert.equal(matchScore(ref({ 'model.name': 'resnet' }), r), undefined);
  assert.equal(matchScore(ref({ 'model.name': 'wrn' }), r), 0);
  assert.equal(matchScore(ref({ 'model.name': 'wrn', 'model.wrn.depth': '16' }), r), 4);
  // Another depth costs 2 to 4 by how far it is: 28 is nearer 16 than 40 is; a factor of 4 or more costs 4.
  const depth = (d: number) => matchScore(ref({ 'model.name': 'wrn', 'model.wrn.depth': String(d) }), r) as number;
  assert.ok(depth(28) < 0 && depth(28) > depth(40) && depth(40) > depth(64));
  assert.equal(+depth(28).toFixed(4), -(2 + 2 * Math.log(28 / 16) / Math.log(4)).toFixed(4) * 1);
  assert.equal(depth(64), -4);
  assert.equal(depth(1001), -4);
  assert.equal(matchScore(ref({ 'model.name': 'wrn', 'model.wrn.widening_factor': '2.0' }), r), 1, 'numbers compare as numbers');
  assert.equal(matchScore(ref({ 'model.name': 'wrn' }, { epochs: 3 }), r), 1);
  // use_mixup true against the default false: -2; its alpha says nothing when mixup is off.
  assert.equal(matchScore(ref({ 'model.name': 'wrn', 'augmentation.use_mixup': 'true', 'augmentation.mixup.alpha': '1' }), r), -2);
  const withMixup = { ...r, config: { ...r.config, augmentation: { use_mixup: true, mixup: { alpha: 1 } } } };
  assert.equal(matchScore(ref({ 'model.name': 'wrn', 'augmentation.use_mixup': 'true', 'augmentation.mixup.alpha': '1' }), withMixup), 3);
  // Cutout settings count for dual cutout too.
  const dual = { ...r, config: { ...r.config, augmentation: { use_dual_cutout: true, cutout: { mask_size: 16 } } } };
  assert.equal(matchScore(ref({ 'model.name': 'wrn', 'augmentation.cutout.mask_size': '16' }), dual), 1);
  assert.equal(matchScore(ref({ 'model.name': 'wrn', 'augmentation.cutout.mask_size': '16' }), r), 0);
});

test('result rows: differing params, closest reference and the difference', () => {
  const reference = referenceRows(PAPER, wrn).rows;
  const { rows, paramKeys } = resultRows(wrn, reference);
  assert.deepEqual(paramKeys, ['train.base_lr']);
  assert.deepEqual(rows.map((r) => [r.name, r.model, r.params['train.base_lr'], r.lastError]), [['wrn_16/exp00', 'wrn-16', '0.1', 50], ['wrn_16/exp01', 'wrn-16', '0.2', 45]]);
  const r0 = rows[0];
  assert.equal(r0.refIndex, 0);
  const best = reference[0];
  assert.equal(best.model, 'WRN-28-10');
  assert.equal(r0.refDiff, Math.round((50 - 4.03) * 100) / 100);
  assert.deepEqual(best.matchedBy, wrn.map((w) => w.dir));
  // The chosen row is the best-scoring one.
  assert.ok(reference.every((x) => (matchScore(x, wrn[0]) as number) <= (matchScore(best, wrn[0]) as number)));
  // A row with only the paper's number: the difference is taken to it.
  const paperOnly = [ref({ 'model.name': 'wrn' }, { projectError: null, paperError: 4.5 })];
  assert.equal(resultRows([wrn[0]], paperOnly).rows[0].refDiff, 45.5);
  assert.equal(resultRows([wrn[0]], []).rows[0].refIndex, undefined);
});

test('sorting: by a column either way, missing values last', () => {
  const { rows } = resultRows([...wrn, run('killed/exp00')], []);
  assert.deepEqual(sortRows(rows, { key: 'lastError', descending: false }).map((r) => r.lastError), [45, 50, 60]);
  assert.deepEqual(sortRows(rows, { key: 'lastError', descending: true }).map((r) => r.lastError), [60, 50, 45]);
  const withMissing = [...rows, { ...rows[0], id: 'x', lastError: undefined }];
  assert.equal(sortRows(withMissing, { key: 'lastError', descending: true }).pop()?.id, 'x');
});

test('export: CSV, Markdown and LaTeX text', () => {
  const cells = [['run', 'err %'], ['a_b', '5.00'], ['x,y', '4&']];
  assert.equal(exportTable(cells, 'csv'), 'run,err %\na_b,5.00\n"x,y",4&\n');
  assert.equal(exportTable(cells, 'markdown'), '| run | err % |\n|---|---|\n| a_b | 5.00 |\n| x,y | 4& |\n');
  assert.equal(exportTable(cells, 'latex'), '\\begin{tabular}{ll}\n\\hline\nrun & err \\% \\\\\n\\hline\na\\_b & 5.00 \\\\\nx,y & 4\\& \\\\\n\\hline\n\\end{tabular}\n');
});

test('export: quoting and escaping of awkward cells', () => {
  const cells = [['name', 'note'], ['say "hi"', 'two\nlines'], ['a|b', '~x^2 {y} $5 #1 \\ 50%']];
  assert.equal(exportTable(cells, 'csv'), 'name,note\n"say ""hi""","two\nlines"\n"a|b",~x^2 {y} $5 #1 \\ 50%\n'.replace('"a|b"', 'a|b'));
  assert.deepEqual(exportTable(cells, 'markdown').split('\n').slice(2, 4), ['| say "hi" | two<br>lines |', '| a\\|b | ~x^2 {y} $5 #1 \\ 50% |']);
  const tex = exportTable(cells, 'latex').split('\n');
  assert.equal(tex[4], 'say "hi" & two lines \\\\');
  assert.equal(tex[5], 'a|b & \\textasciitilde{}x\\textasciicircum{}2 \\{y\\} \\$5 \\#1 \\textbackslash{} 50\\% \\\\');
  // Empty tables still have a header line.
  assert.equal(exportTable([['run']], 'csv'), 'run\n');
  assert.equal(exportTable([['run']], 'markdown'), '| run |\n|---|\n');
});

test('export: the table cells of the runs and their references', () => {
  const reference = referenceRows(PAPER, wrn).rows;
  const { rows, paramKeys } = resultRows(wrn, reference);
  const t = tableCells(rows, paramKeys, reference);
  assert.deepEqual(t[0], ['run', 'model', 'dataset', 'train.base_lr', 'params', 'epochs', 'best error %', 'last error %', 'validated on', 'time s', 'backend', 'reference', 'reference error %', 'diff', 'not like for like']);
  const short = '3 epochs trained, the reference 200; depth 16, the reference 28 (model.wrn.depth); widening_factor 2, the reference 10 (model.wrn.widening_factor)';
  assert.deepEqual(t[1], ['wrn_16/exp00', 'wrn-16', 'CIFAR10', '0.1', '693498', '3/3', '45.00', '50.00', 'test', '24', 'wasm', 'WRN-28-10', '4.03', '+45.97', short]);
  assert.deepEqual(t[2].slice(-4), ['WRN-28-10', '4.03', '+40.97', short.replace('3 epochs', '2 epochs')]);
  // A negative difference, a run without reference, a stopped run's epochs.
  const better = resultRows([{ ...wrn[0], lastError: 3.5 }], reference).rows;
  assert.equal(tableCells(better, [], reference)[1].at(-2), '-0.53');
  const none = tableCells(resultRows([wrn[1]], []).rows, [], []);
  assert.deepEqual(none[1].slice(-4), ['', '', '', '']);
  assert.equal(none[1][4], '2/3');
  const csv = exportTable(t, 'csv').split('\n');
  assert.equal(csv[1], `wrn_16/exp00,wrn-16,CIFAR10,0.1,693498,3/3,45.00,50.00,test,24,wasm,WRN-28-10,4.03,+45.97,"${short}"`);
});

test('a run validated on images held out from the training files says so beside every comparison with a test error', () => {
  const reference = referenceRows(PAPER, wrn).rows;
  const held: RunSummary = { ...wrn[0], valSplit: { source: 'held_out', n: 5000, ratio: 0.1, seed: 0 } };
  const [row] = resultRows([held], reference).rows;
  assert.deepEqual([row.valSet, row.offTest, row.refDiff], ['held-out 5000', true, 45.97]);
  const cells = tableCells([row], [], reference);
  assert.deepEqual(cells[1].slice(-8, -1), ['50.00', 'held-out 5000', '24', 'wasm', 'WRN-28-10', '4.03', '+45.97 (held-out val vs test)']);
  // Older logs (no val_split) and use_test_as_val True are test figures, unmarked.
  const [old] = resultRows([wrn[0]], reference).rows;
  const [onTest] = resultRows([{ ...wrn[0], valSplit: { source: 'test', n: 10000 } }], reference).rows;
  assert.deepEqual([old.valSet, old.offTest, onTest.valSet, onTest.offTest], ['test', false, 'test', false]);
  assert.equal(resultRows([{ ...wrn[0], valSplit: { source: 'none', n: 0 } }], reference).rows[0].valSet, 'none');
});

test('contract: the Results snapshot and the webview messages round-trip through JSON', () => {
  const reference = referenceRows(PAPER, wrn);
  const { rows, paramKeys } = resultRows(wrn, reference.rows);
  const snapshot: ResultsHostMessage = { type: ToResults.Snapshot, rows, paramKeys, reference: reference.rows, referenceTotal: reference.total, allReference: false, sort: { key: 'lastError', descending: false } };
  assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
  const sent: ResultsWebviewMessage[] = [{ type: FromResults.Ready }, { type: FromResults.ChooseRuns }, { type: FromResults.ShowAllReference, all: true }, { type: FromResults.Export, format: 'latex' }, { type: FromResults.Sort, sort: { key: 'refDiff', descending: true } }];
  assert.deepEqual(JSON.parse(JSON.stringify(sent)), sent);
  assert.equal(new Set(Object.values(FromResults)).size, Object.values(FromResults).length);
});

test('honest comparison: a subset run and a short run are flagged in words, a failed run gets no difference', () => {
  const reference = referenceRows(PAPER, wrn).rows;
  const wrn28 = reference.findIndex((r) => r.model === 'WRN-28-10');
  const like = { ...wrn[0], epoch: 200, epochs: 200, config: { ...wrn[0].config, model: { name: 'wrn', wrn: { depth: 28, widening_factor: 10 } } } } as RunSummary;
  // Like for like: the row's depth, width and epochs, all training images: no caveat, a difference.
  assert.deepEqual(comparisonCaveats(like, reference[wrn28]), []);
  // A subset: 1,536 training images (and 500 test images) for 200 epochs.
  const subset = { ...like, name: 'subset', config: { ...like.config, dataset: { name: 'CIFAR10', max_train_samples: 1536, max_test_samples: 500 } } } as RunSummary;
  // A short run: 3 of the row's 200 epochs (the fixture's own length).
  const short = { ...like, name: 'short', epoch: 3, epochs: 3 } as RunSummary;
  // A failed run (the fixture, out of memory in epoch 1) and one that never trained (only the validation before training).
  const failed = run('resnet_preact_20/exp00');
  const start = readEvents(path.join(ROOT, 'wrn_16/exp00')).events.filter((e) => e.type === 'run_start' || (e.type === 'epoch' && e.epoch === 0));
  const untrained = summarizeRun('/x/untrained', 'untrained', [...start, { type: 'run_end', time: start[0].time, status: 'stopped', epoch: 0 }], false);
  assert.deepEqual([untrained.bestError, untrained.lastError, untrained.epoch], [undefined, undefined, 0], 'the validation before training is not a result');
  const all = [like, subset, short, failed, untrained];
  const refs = referenceRows(PAPER, all).rows;
  const rows = resultRows(all, refs).rows;
  const by = (name: string) => rows.find((r) => r.name === name) as (typeof rows)[0];
  assert.equal(refs[by('subset').refIndex as number].model, 'WRN-28-10');
  assert.deepEqual(by('subset').caveats, ['trained on the first 1536 training images only (dataset.max_train_samples 1536)', 'error measured on the first 500 test images only (dataset.max_test_samples 500)']);
  assert.equal(by('subset').refDiff, 45.97, 'a flagged run keeps its difference, marked');
  assert.deepEqual(by('short').caveats, ['3 epochs trained, the reference 200']);
  assert.deepEqual(by(like.name).caveats, []);
  // 100 of 200 epochs is far fewer; 101 is not.
  assert.equal(FAR_FEWER_EPOCHS, 2);
  assert.deepEqual([comparisonCaveats({ ...like, epoch: 100 }, reference[wrn28]).length, comparisonCaveats({ ...like, epoch: 101 }, reference[wrn28]).length], [1, 0]);
  // The failed run (last error 60%) and the untrained one: matched to a row, but no difference, and why.
  assert.equal(failed.lastError, 60);
  assert.deepEqual([by(failed.name).refDiff, by(failed.name).noDiff, by(failed.name).caveats], [undefined, 'failed', []]);
  assert.ok(by(failed.name).refIndex !== undefined);
  assert.deepEqual([by('untrained').refDiff, by('untrained').noDiff, by('untrained').bestError], [undefined, 'never trained', undefined]);
  assert.deepEqual(rows.filter((r) => r.refDiff !== undefined).map((r) => r.name).sort(), [like.name, 'short', 'subset'].sort());
  assert.equal(noDiffReason({ state: 'running', lastError: undefined }), 'no epoch yet');
  const cells = tableCells([by(failed.name), by('short')], [], refs);
  assert.deepEqual(cells.slice(1).map((c) => c.slice(-2)), [['none (failed)', ''], ['+45.97', '3 epochs trained, the reference 200']]);
});
