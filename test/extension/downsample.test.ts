/** Host-side downsampling of the Curves series for drawing (extension/curves/downsample.ts). */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_DRAWN_POINTS, downsampleSeries, lttb, runsForDrawing } from '../../extension/curves/downsample';
import { Metric, type Point, type RunSeries } from '../../webviews/curves/contract';

/** An 80,000-step loss: decaying, with deterministic noise. */
const steps = (n: number, y: (i: number) => number): Point[] => Array.from({ length: n }, (_, i) => ({ step: i + 1, epoch: (i + 1) / 400, time: i * 0.05, y: y(i) }));
const loss = (i: number): number => 2.3 * Math.exp(-i / 20000) + 0.1 * Math.sin(i * 12.9898) ** 2;

test('LTTB: the threshold\'s number of recorded points, first and last kept, a lone spike kept', () => {
  const pts = steps(80000, (i) => (i === 41234 ? 50 : loss(i)));
  const out = lttb(pts, 2000);
  assert.equal(out.length, 2000);
  assert.equal(out[0], pts[0]);
  assert.equal(out[1999], pts[79999]);
  // Every point is a recorded one (the tooltip's exact values), in order.
  const index = new Map(pts.map((p, i) => [p, i]));
  const at = out.map((p) => index.get(p) as number);
  assert.ok(at.every((i, k) => i !== undefined && (k === 0 || i > at[k - 1])));
  assert.ok(out.some((p) => p.y === 50), 'the spike a user must see');
  // Short series, or a threshold under 3: unchanged.
  assert.equal(lttb(pts.slice(0, 10), 2000).length, 10);
  assert.equal(lttb(pts, 2).length, 80000);
});

test('LTTB keeps the envelope: the extremes of the noisy loss stay within the drawn range', () => {
  const pts = steps(80000, loss);
  const out = lttb(pts, 2000);
  const ys = pts.map((p) => p.y);
  const drawn = out.map((p) => p.y);
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  assert.ok(Math.max(...drawn) > hi - 0.01 * (hi - lo) && Math.min(...drawn) < lo + 0.01 * (hi - lo));
});

test('downsampling for drawing: gaps stay where they were, at most about the budget, the runs unchanged', () => {
  const pts = steps(80000, (i) => (i === 100 || i === 60000 ? NaN : i === 70000 ? (null as unknown as number) : loss(i)));
  const out = downsampleSeries(pts);
  assert.ok(out.length <= MAX_DRAWN_POINTS + 6 && out.length >= MAX_DRAWN_POINTS - 6, String(out.length));
  const gaps = out.filter((p) => !Number.isFinite(p.y)).map((p) => p.step);
  assert.deepEqual(gaps, [101, 60001, 70001]);
  assert.ok(out.every((p, k) => k === 0 || p.step > out[k - 1].step));
  const run: RunSeries = { id: '/r', name: 'r', color: '#000000', state: 'completed', series: { [Metric.TrainLoss]: pts, [Metric.ValLoss]: pts.slice(0, 200) } };
  const [drawn] = runsForDrawing([run]);
  assert.equal(run.series[Metric.TrainLoss]?.length, 80000, 'the followed series (and the CSV export) stay full');
  assert.equal(drawn.series[Metric.TrainLoss]?.length, out.length);
  assert.equal(drawn.series[Metric.ValLoss], run.series[Metric.ValLoss], 'short series are sent as they are');
});
