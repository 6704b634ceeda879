import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { RunEvent } from '../../runtime/protocol/events';
import { CurvesFeed } from '../../extension/curves/feed';
import { eventsToPoints, seriesStart } from '../../extension/curves/series';
import { RunFollowers } from '../../extension/runs/follower';
import { needsStartOver } from '../../extension/runs/launch';
import { DEFAULT_CURVES_OPTIONS, Metric, ToCurves, type CurvesHostMessage } from '../../webviews/curves/contract';

const T = '2026-12-07T19:00:00.000Z';
const start = (extra: Record<string, unknown> = {}) => ({ type: 'run_start', time: T, steps_per_epoch: 4, epochs: 2, ...extra });
const step = (g: number) => ({ type: 'step', time: T, epoch: Math.floor((g - 1) / 4) + 1, step: ((g - 1) % 4) + 1, global_step: g, loss: 1 / g, lr: 0.1, images_per_sec: 0 });
const jsonl = (events: object[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join('');

test('series: a run that started over (steps going back) gets a new segment; a resume that continues does not', () => {
  const events = [start(), step(1), step(2), step(3), start({ resumed_from: { epoch: 0, checkpoint: 'c' } }), step(4), step(5), start(), step(1), step(2)] as unknown as RunEvent[];
  const pts = eventsToPoints(seriesStart(), events)[Metric.TrainLoss] ?? [];
  assert.deepEqual(pts.map((p) => [p.step, p.segment ?? 0]), [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [1, 1], [2, 1]]);
  // Appended in pieces, the same.
  const st = seriesStart();
  const a = eventsToPoints(st, events.slice(0, 7))[Metric.TrainLoss] ?? [];
  const b = eventsToPoints(st, events.slice(7))[Metric.TrainLoss] ?? [];
  assert.deepEqual([...a, ...b], pts);
});

test('CurvesFeed: a snapshot from the shared follower, appended points as the run grows, a new snapshot after a truncation, nothing when nothing changes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-feed-'));
  const file = path.join(dir, 'events.jsonl');
  fs.writeFileSync(file, jsonl([start(), step(1), step(2)]));
  const followers = new RunFollowers({ watch: false, pollMs: 60_000 });
  const sent: CurvesHostMessage[] = [];
  const feed = new CurvesFeed(followers, (m) => sent.push(m), { stateOf: () => 'running', root: () => path.dirname(dir), options: () => DEFAULT_CURVES_OPTIONS });
  feed.setRuns([dir]);
  assert.equal(sent.length, 0, 'the caller sends the first snapshot');
  const snap = feed.snapshotMessage();
  assert.equal(snap.type, ToCurves.Snapshot);
  assert.deepEqual(snap.type === ToCurves.Snapshot && snap.runs[0].series[Metric.TrainLoss]?.map((p) => p.step), [1, 2]);
  assert.equal(snap.type === ToCurves.Snapshot && snap.runs[0].name, path.basename(dir));
  const f = followers.get(dir)!;
  f.poll();
  assert.equal(sent.length, 0);
  fs.appendFileSync(file, jsonl([step(3), { type: 'run_end', time: T, status: 'completed', epoch: 2 }]));
  f.poll();
  assert.equal(sent.length, 1);
  const m = sent[0];
  assert.ok(m.type === ToCurves.Append);
  assert.deepEqual(m.points[Metric.TrainLoss]?.map((p) => p.step), [3]);
  assert.equal(m.state, 'completed');
  assert.equal(f.isFollowing, false, 'a completed run is not followed any more');
  fs.writeFileSync(file, jsonl([start(), step(1)]));
  f.poll();
  assert.equal(sent.length, 2);
  assert.ok(sent[1].type === ToCurves.Snapshot);
  assert.deepEqual(sent[1].runs[0].series[Metric.TrainLoss]?.map((p) => p.step), [1]);
  feed.setRuns([]);
  assert.equal(followers.size, 0, 'the follower is released with the last user');
  feed.dispose();
});

test('needsStartOver: a trained run without a checkpoint file; not one with a checkpoint or one that never trained', () => {
  const trained = [start(), step(1)] as unknown as RunEvent[];
  assert.equal(needsStartOver(['config.yaml', 'events.jsonl'], trained), true);
  assert.equal(needsStartOver(['config.yaml', 'checkpoint_00000_step00001.ckpt'], trained), false);
  assert.equal(needsStartOver(['config.yaml'], [start()] as unknown as RunEvent[]), false);
});
