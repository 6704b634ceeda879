import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { checkpointFileName } from '../../runtime/protocol/run_folder';
import { CheckpointPolicy } from '../../runtime/train/checkpoint_policy';
import { StopSignal } from '../../runtime/train/stop_signal';
import { ThroughputMeter } from '../../runtime/train/throughput';

test('checkpoint policy: period 3 of 7 epochs keeps 3, 6 and 7; the epoch in between is the resume point until the next', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-policy-'));
  const policy = new CheckpointPolicy(3, 7);
  for (let e = 1; e <= 7; e++) {
    const file = path.join(dir, checkpointFileName(e));
    fs.writeFileSync(file, '');
    policy.saved(e, file, false);
    if (e === 5) assert.deepEqual(fs.readdirSync(dir).sort(), [checkpointFileName(3), checkpointFileName(5)]);
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), [3, 6, 7].map((e) => checkpointFileName(e)));
  // Resumed from epoch 4 (a resume point): it goes once epoch 5 is saved; a stopping run keeps its checkpoint.
  const resumed = new CheckpointPolicy(3, 7, { checkpoint: path.join(dir, checkpointFileName(4)) });
  fs.writeFileSync(path.join(dir, checkpointFileName(4)), '');
  fs.writeFileSync(path.join(dir, checkpointFileName(5)), '');
  resumed.saved(5, path.join(dir, checkpointFileName(5)), true);
  assert.deepEqual(fs.readdirSync(dir).sort(), [3, 5, 6, 7].map((e) => checkpointFileName(e)));
  // The final checkpoint of a completed schedule is kept when the run is extended.
  const extended = new CheckpointPolicy(3, 9, { checkpoint: path.join(dir, checkpointFileName(7)), final: true });
  fs.writeFileSync(path.join(dir, checkpointFileName(8)), '');
  extended.saved(8, path.join(dir, checkpointFileName(8)), false);
  assert.ok(fs.existsSync(path.join(dir, checkpointFileName(7))));
  assert.equal(new CheckpointPolicy(3, 9).periodic(checkpointFileName(4, 10)), true, 'a mid-epoch checkpoint is never rolled');
});

test('throughput meter: images per second over the window, all-reduce and sync-BN ms per step since its start', async () => {
  let comm = 100;
  let bn = 10;
  const meter = new ThroughputMeter({ commMs: () => comm, bnMs: () => bn });
  meter.add(32);
  meter.add(32);
  comm += 8;
  bn += 3;
  await new Promise((r) => setTimeout(r, 50));
  const f = meter.figures();
  assert.equal(f.allreduceMsPerStep, 4);
  assert.equal(f.syncBnMsPerStep, 1.5);
  assert.ok(f.imagesPerSec > 64 / 2 && f.imagesPerSec < 64 / 0.045, String(f.imagesPerSec));
  meter.reset();
  assert.deepEqual({ ...meter.figures(), imagesPerSec: 0 }, { imagesPerSec: 0, allreduceMsPerStep: 0, syncBnMsPerStep: 0 });
  assert.deepEqual(Object.keys(new ThroughputMeter().figures()), ['imagesPerSec']);
});

test('stop signal: SIGINT asks the run to stop once and is logged; dispose removes the handlers', () => {
  const warnings: string[] = [];
  const before = process.listeners('SIGINT');
  const stop = new StopSignal({ warn: (m) => warnings.push(m) });
  assert.equal(stop.requested(), false);
  process.emit('SIGINT', 'SIGINT');
  assert.equal(stop.requested(), true);
  assert.equal(stop.local, true);
  assert.deepEqual(warnings, ['SIGINT received: stopping after this step and writing a checkpoint (send again to stop at once)']);
  stop.dispose();
  // Left: only the second-signal handler (exit 130), as before the split; removed here.
  const added = process.listeners('SIGINT').filter((l) => !before.includes(l));
  assert.equal(added.length, 1);
  process.removeListener('SIGINT', added[0] as () => void);
  assert.equal(process.listenerCount('SIGTERM'), 0);
});
