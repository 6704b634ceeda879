/**
 * Hostile values in the extension (issue 18): the Run overrides, Run folder and Resume boxes refuse a
 * control character with the runtime's message naming the key; CSV exports (Results, Curves) open a
 * run named `=cmd|' /C calc'!A0` as text (OWASP: a leading `'`) while numbers stay numbers; Markdown
 * cells hold no HTML tag.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { curvesCsv } from '../../extension/curves/series';
import { exportTable } from '../../extension/results/table';
import { overridesProblem, resumeOverridesProblem, runFolderProblem } from '../../extension/runs/launch';
import { csvCell } from '../../extension/util/csv';
import { dumpConfig, loadConfig } from '../../runtime/config';
import { Metric } from '../../webviews/curves/contract';
import { tempDir } from '../cli/fixtures';

const work = tempDir('icl-hostile-');
const WRN = fs.readFileSync('configs/cifar/wrn.yaml', 'utf8');

test('the Run overrides box refuses a newline in a path, as the runtime does', () => {
  assert.match(overridesProblem(WRN, 'wrn.yaml', [], "train.output_dir 'runs/a\ntouch x'") ?? '', /^command line: train\.output_dir: holds a newline \(U\+000A\) at character 7/);
  assert.match(overridesProblem(WRN, 'wrn.yaml', ['device', 'cuda'], 'dataset.dataset_dir data\x1b[2J') ?? '', /dataset\.dataset_dir: holds an escape \(U\+001B\)/);
  assert.equal(overridesProblem(WRN, 'wrn.yaml', [], `train.output_dir "runs/it's $(x) \`y\`"`), undefined);
  assert.equal(overridesProblem(WRN, 'wrn.yaml', [], 'scheduler.epochs 2'), undefined);
});

test('the Run folder and Resume boxes refuse a control character', () => {
  assert.match(runFolderProblem(work, 'runs/a\rb') ?? '', /^train\.output_dir: holds a carriage return \(U\+000D\)/);
  assert.equal(runFolderProblem(work, ''), 'a folder is needed');
  assert.equal(runFolderProblem(work, "runs/it's a $(x)"), undefined);
  const run = path.join(work, 'run');
  fs.mkdirSync(run);
  fs.writeFileSync(path.join(run, 'config.yaml'), dumpConfig(loadConfig({ overrides: ['train.output_dir', run] })));
  fs.writeFileSync(path.join(run, 'events.jsonl'), '');
  assert.equal(runFolderProblem(work, 'run'), 'run already holds a run (use Resume)');
  assert.match(resumeOverridesProblem(run, "test.output_dir 'a\u0085b'") ?? '', /test\.output_dir: holds a next line \(U\+0085\)/);
  assert.equal(resumeOverridesProblem(run, 'scheduler.epochs 20'), undefined);
});

/** RFC 4180 cells of one CSV line (quoted cells may hold commas and doubled quotes). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(?:,|$)/gy;
  for (let m = re.exec(line); m && m.index < line.length; m = re.exec(line)) cells.push(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1]);
  return cells;
}

test('CSV exports open a run named =cmd|\' /C calc\'!A0 as text', () => {
  const name = "=cmd|' /C calc'!A0";
  const results = exportTable([['run', 'diff', 'note'], [name, '-0.25', '@SUM(A1)'], ['+x', '+1.5', '\tTAB']], 'csv').split('\n');
  assert.deepEqual(csvCells(results[1]), [`'${name}`, '-0.25', "'@SUM(A1)"]);
  assert.deepEqual(csvCells(results[2]), ["'+x", '+1.5', "'\tTAB"]);
  const curves = curvesCsv([{ name: '-2+3', series: { [Metric.TrainLoss]: [{ step: 1, epoch: 0.5, time: 1.25, y: -0.5 }] } }]).split('\n');
  assert.deepEqual(csvCells(curves[1]), ["'-2+3", Metric.TrainLoss, '1', '0.5', '1.25', '-0.5']);
  assert.equal(csvCell('=1+1'), "'=1+1");
  assert.equal(csvCell('-1e-3'), '-1e-3');
  assert.equal(csvCell('=a,"b"'), `"'=a,""b"""`);
  assert.equal(csvCell('plain'), 'plain');
});

test('Markdown exports hold no HTML tag from a run name', () => {
  const md = exportTable([['run'], ['<img src=x onerror=alert(1)>'], ['a &amp; b & c']], 'markdown').split('\n');
  assert.equal(md[2], '| &lt;img src=x onerror=alert(1)&gt; |');
  assert.equal(md[3], '| a &amp;amp; b & c |');
});
