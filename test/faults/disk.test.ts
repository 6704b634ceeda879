/**
 * The disk tier (docs/reliability.md): a disk that fills up or turns read-only at start-up, in the
 * middle of the run and at a checkpoint. In-process through the fs shim (every write or creation
 * fails from that point on with ENOSPC / EROFS), and, where this user may mount (root, as in CI),
 * on a real tmpfs that is too small for the second checkpoint and then remounted read-only.
 * After each: an error naming the file, the folder absent or resumable, and once there is space
 * again, --resume continues from the newest complete checkpoint.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { tempDir, writeSyntheticMnist } from '../cli/fixtures';
import { CONFIG, folderState, newestComplete, recover, startCliWithFaults, tinyArgs, train, underFaults } from './helpers';
import type { FaultPoint } from './shim';

const work = tempDir('icl-disk-');
const data = path.join(work, 'data');

describe('disk tier', () => {
  let points: FaultPoint[] = [];
  before(async () => {
    writeSyntheticMnist(data, 32, 20);
    points = (await underFaults({ root: work, mode: 'record' }, () => train(data, path.join(work, 'record')))).points;
  });

  it('a full or read-only disk at start-up, mid-run and at a checkpoint: one error naming the file, nothing lost', async (t) => {
    const at = {
      'start-up': points.findIndex((p) => p.file.endsWith('config.yaml.tmp')),
      'mid-run': points.findIndex((p, i) => i > points.findIndex((q) => q.file.endsWith('checkpoint_00001.ckpt')) && p.file.endsWith('events.jsonl')),
      checkpoint: points.findIndex((p) => p.file.endsWith('checkpoint_00002.ckpt.tmp')),
    };
    let survived = 0;
    let n = 0;
    for (const [phase, index] of Object.entries(at)) {
      assert.ok(index >= 0, phase);
      for (const mode of ['full', 'readonly'] as const) {
        const out = path.join(work, `run${++n}`);
        const o = await underFaults({ root: work, mode, at: index }, () => train(data, out));
        const where = `${mode} at ${phase} (${points[index].file})`;
        assert.ok(o.struck, where);
        assert.match(o.error?.message ?? '', mode === 'full' ? /ENOSPC/ : /EROFS/, where);
        const file = path.basename(points[index].file).replace(/\.tmp$/, '');
        assert.ok(o.error!.message.includes(file), `${where}: ${o.error!.message}`);
        assert.deepEqual(folderState(out).problems, [], where);
        assert.deepEqual(await recover(data, out), [], where);
        survived++;
      }
    }
    t.diagnostic(`disk tier (fs shim): 6 full/read-only disks injected, ${survived} survived`);
  });

  const probe = fs.mkdtempSync(path.join(work, 'probe-'));
  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0 && spawnSync('umount', [probe]).status === 0;
  it('a real tmpfs: full at the second checkpoint, then read-only at start-up', { skip: canMount ? false : 'mounting a tmpfs needs root (CI runs as root)' }, async (t) => {
    const mnt = fs.mkdtempSync(path.join(work, 'tmpfs-'));
    // room for the run's files and one checkpoint (~170 kB) but not for the second next to it
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', mnt]).status, 0);
    try {
      const out = path.join(mnt, 'run');
      const r = await startCliWithFaults('train', ['--config', CONFIG, ...tinyArgs(data, out, ['train.checkpoint_period', '1'])]).done;
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.match(lines[lines.length - 1], /^error: cannot write .*checkpoint_00002\.ckpt: ENOSPC/);
      assert.equal(newestComplete(out), path.join(out, 'checkpoint_00001.ckpt'));
      assert.equal(spawnSync('mount', ['-o', 'remount,size=4m', mnt]).status, 0);
      assert.deepEqual(await recover(data, out), []);
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
      const ro = await startCliWithFaults('train', ['--config', CONFIG, ...tinyArgs(data, path.join(mnt, 'run2'))]).done;
      assert.equal(ro.code, 2, ro.stderr);
      assert.match(ro.stderr, /^error: cannot create run folder .*run2: .* is not writable \(EROFS/m);
      assert.equal(ro.stderr.trim().split('\n').filter((l) => l.startsWith('error')).length, 1);
      t.diagnostic('disk tier (tmpfs): 2 full/read-only disks, 2 survived');
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
