import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { readEvents } from '../../runtime/protocol/reader';
import { curvesCsv, eventsToPoints, mergePoints, PALETTE, runColor, seriesStart } from '../../extension/curves/series';
import { webviewHtml } from '../../extension/webview/html';
import { CHARTS, FromCurves, Metric, ToCurves, type CurvesHostMessage, type CurvesWebviewMessage, type SeriesByMetric } from '../../webviews/curves/contract';
import { ema, emaAppend, emaStart } from '../../webviews/curves/smoothing';

const RUN = path.resolve('test/extension/fixtures/runs/wrn_16/exp00');

test('EMA smoothing: TensorBoard debiased values', () => {
  // w = 0.5: last = 0.5*1 = 0.5 / (1-0.5) = 1; then 0.25+0.5*3 = 1.75 / 0.75 = 2.3333; then 0.875+0.5*2=1.875/0.875
  const s = ema([1, 3, 2], 0.5);
  assert.deepEqual(s.map((v) => +v.toFixed(6)), [1, 2.333333, 2.142857]);
  // A constant series stays constant (the debiasing removes the pull towards 0).
  assert.deepEqual(ema([5, 5, 5, 5], 0.9).map((v) => +v.toFixed(9)), [5, 5, 5, 5]);
  // Weight 0 is the raw series; non-finite values pass through without updating.
  assert.deepEqual(ema([1, 2, 3], 0), [1, 2, 3]);
  const n = ema([1, NaN, 3], 0.5);
  assert.ok(Number.isNaN(n[1]));
  assert.equal(+n[2].toFixed(6), 2.333333);
});

test('EMA smoothing: appending continues the same curve', () => {
  const st = emaStart();
  const a = emaAppend(st, 0.6, [1, 4]);
  const b = emaAppend(st, 0.6, [2, 8, 3]);
  assert.deepEqual([...a, ...b], ema([1, 4, 2, 8, 3], 0.6));
});

test('series: points from the fixture run at step, epoch and wall time', () => {
  const pts = eventsToPoints(seriesStart(), readEvents(RUN).events);
  assert.equal(pts[Metric.TrainLoss]?.length, 6); // 2 step events per epoch, 3 epochs
  assert.deepEqual(pts[Metric.TrainLoss]?.[0], { step: 2, epoch: 0.5, time: 12, y: 2 / 3 });
  assert.deepEqual(pts[Metric.ValError]?.map((p) => +p.y.toFixed(6)), [90, 60, 45, 50]);
  assert.deepEqual(pts[Metric.ValError]?.map((p) => [p.step, p.epoch]), [[0, 0], [4, 1], [8, 2], [12, 3]]);
  assert.equal(pts[Metric.TrainError]?.length, 3);
  assert.equal(pts[Metric.Lr]?.[0].y, 0.1 * (1 - 2 / 12));
  assert.equal(pts[Metric.ImagesPerSec]?.[0].y, 101);
});

test('series: following a growing file by byte offsets gives the same points', () => {
  const all = readEvents(RUN);
  const whole = eventsToPoints(seriesStart(), all.events);
  const st = seriesStart();
  const got: SeriesByMetric = {};
  const half = readEvents(RUN, 0);
  const firstPart = half.events.slice(0, 5);
  mergePoints(got, eventsToPoints(st, firstPart));
  mergePoints(got, eventsToPoints(st, half.events.slice(5)));
  assert.deepEqual(got, whole);
  // From the end offset nothing new is read.
  assert.deepEqual(readEvents(RUN, all.consumed).events, []);
});

test('series: CSV export and stable colours', () => {
  const csv = curvesCsv([{ name: 'wrn_16/exp00', series: { [Metric.ValLoss]: [{ step: 4, epoch: 1, time: 19, y: 1.6 }] } }]);
  assert.equal(csv, 'run,metric,step,epoch,time_s,value\nwrn_16/exp00,val_loss,4,1,19,1.6\n');
  assert.equal(curvesCsv([{ name: 'a,b', series: { [Metric.Lr]: [{ step: 1, epoch: 0.25, time: 1, y: 0.1 }] } }]).split('\n')[1], '"a,b",lr,1,0.25,1,0.1');
  assert.equal(runColor('wrn_16/exp00'), runColor('wrn_16/exp00'));
  assert.ok(PALETTE.includes(runColor('x')));
  assert.notEqual(runColor('wrn_16/exp00'), runColor('wrn_16/exp01'));
});

test('contract: messages round-trip through JSON (what postMessage carries)', () => {
  const snapshot: CurvesHostMessage = { type: ToCurves.Snapshot, runs: [{ id: RUN, name: 'wrn_16/exp00', color: '#4e79a7', state: 'completed', series: eventsToPoints(seriesStart(), readEvents(RUN).events) }], options: { xAxis: 'epoch', logY: true, smoothing: 0.6 } };
  assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot);
  const msgs: CurvesWebviewMessage[] = [{ type: FromCurves.Ready }, { type: FromCurves.SetOptions, options: { xAxis: 'time', logY: false, smoothing: 0 } }, { type: FromCurves.ExportCsv }];
  assert.deepEqual(msgs.map((m) => m.type), ['ready', 'setOptions', 'exportCsv']);
  // Every metric is drawn by exactly one chart.
  assert.deepEqual(CHARTS.flatMap((c) => c.metrics).sort(), Object.values(Metric).sort());
});

test('webview HTML: strict CSP with a nonce, no unsafe-inline or unsafe-eval', () => {
  const html = webviewHtml({ title: 'Curves', cspSource: 'vscode-resource:', nonce: 'abc123', scriptUri: 'x/curves.js', styleUri: 'x/curves.css' });
  const csp = /content="([^"]+)"/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'/);
  assert.doesNotMatch(csp, /unsafe/);
  assert.match(html, /<script nonce="abc123" src="x\/curves\.js"><\/script>/);
});
