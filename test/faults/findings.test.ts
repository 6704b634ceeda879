/**
 * Issue 12's findings on resume and checkpoints, in-process on a tiny run: a failed resume leaves
 * config.yaml as it was (finding 2); extending a finished run keeps the checkpoint its result names
 * (finding 3); which checkpoints a run keeps; a stale lock is replaced, a live one refused.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { LOCK_FILE } from '../../runtime/protocol/run_folder';
import { tempDir, writeSyntheticMnist } from '../cli/fixtures';
import { CONFIG, events, leftovers, resume, startCliWithFaults, tinyArgs, train, underFaults } from './helpers';

const work = tempDir('icl-findings-');
const data = path.join(work, 'data');

const checkpoints = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort();

describe('resume, checkpoints kept, locks', () => {
  before(() => writeSyntheticMnist(data, 32, 20));

  it('a run folder below a file: exit 2 at once with one line (it hung, issue 12 finding 1)', async () => {
    const file = path.join(work, 'afile');
    fs.writeFileSync(file, '');
    const r = await startCliWithFaults('train', ['--config', CONFIG, ...tinyArgs(data, path.join(file, 'run'))]).done;
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), `error: cannot create run folder ${path.join(file, 'run')}: ${file} is a file, not a folder`);
  });

  it('an existing empty folder (a mount point cannot be renamed over) is written in place; a start killed there leaves it usable', async () => {
    const rec = path.join(work, 'empty-record');
    fs.mkdirSync(rec);
    const recorded = await underFaults({ root: rec, mode: 'record' }, () => train(data, rec, ['scheduler.epochs', '1']));
    assert.equal(recorded.error, undefined);
    const at = recorded.points.findIndex((p) => p.file === 'config.yaml.tmp' && p.op === 'write');
    assert.ok(at > 0, 'the lock comes before config.yaml');
    const out = path.join(work, 'empty');
    fs.mkdirSync(out);
    const killed = await underFaults({ root: out, mode: 'kill', at, killWith: 'freeze' }, () => train(data, out, ['scheduler.epochs', '1']));
    assert.equal(killed.struck, true);
    assert.ok(fs.existsSync(path.join(out, LOCK_FILE)), 'a stale lock is left');
    const r = await train(data, out, ['scheduler.epochs', '1']);
    assert.equal(r.epoch, 1);
    assert.deepEqual(leftovers(out), []);
    assert.equal(fs.existsSync(path.join(out, LOCK_FILE)), false);
  });

  it('a resume that fails (checkpoint of another model) leaves config.yaml as it was; one that starts rewrites it', async () => {
    const out = path.join(work, 'depth');
    await train(data, out);
    const before = fs.readFileSync(path.join(out, 'config.yaml'), 'utf8');
    const failed = await underFaults(undefined, () => resume(out, ['model.resnet_preact.depth', '14']));
    assert.match(failed.error?.message ?? '', /^checkpoint holds model cifar\/resnet_preact \(depth 8\), does not match model/);
    assert.equal(fs.readFileSync(path.join(out, 'config.yaml'), 'utf8'), before, 'config.yaml unchanged');
    assert.equal(fs.existsSync(path.join(out, LOCK_FILE)), false, 'lock released');
    // a plain resume still works, and one with overrides that starts writes them
    const r = await resume(out, ['scheduler.epochs', '3']);
    assert.equal(r.epoch, 3);
    assert.match(fs.readFileSync(path.join(out, 'config.yaml'), 'utf8'), /\n  epochs: 3\n/);
  });

  it('keeps every checkpoint_period-th checkpoint and the final one; extending a finished run keeps its final checkpoint', async () => {
    const out = path.join(work, 'extend');
    // checkpoint_period 2, 1 epoch: the final checkpoint (1) is not a periodic one
    const first = await train(data, out, ['scheduler.epochs', '1']);
    assert.equal(path.basename(first.lastCheckpoint!), 'checkpoint_00001.ckpt');
    assert.deepEqual(checkpoints(out), ['checkpoint_00001.ckpt']);
    const r = await resume(out, ['scheduler.epochs', '4']);
    assert.equal(r.epoch, 4);
    // 1: the first schedule's result (its result line and checkpoint event name it); 2, 4: periodic
    // and final; 3: the resume point between them, removed once 4 was complete
    assert.deepEqual(checkpoints(out), ['checkpoint_00001.ckpt', 'checkpoint_00002.ckpt', 'checkpoint_00004.ckpt']);
    const named = events(out).filter((e) => e.type === 'checkpoint').map((e) => path.basename((e as { path: string }).path));
    assert.ok(named.includes('checkpoint_00001.ckpt'));
    // an odd period: 3 epochs with checkpoint_period 2 keep 2 and 3 (the final one)
    const odd = path.join(work, 'odd');
    await train(data, odd, ['scheduler.epochs', '3']);
    assert.deepEqual(checkpoints(odd), ['checkpoint_00002.ckpt', 'checkpoint_00003.ckpt']);
  });

  it('replaces a stale lock (its process is gone) and refuses a live one, naming pid and host', async () => {
    const out = path.join(work, 'locked');
    await train(data, out);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: deadPid, host: os.hostname(), started: '2026-01-01T00:00:00Z' }));
    fs.writeFileSync(path.join(out, 'config.yaml.tmp-999999-abcd'), 'a leftover');
    const r = await resume(out, ['scheduler.epochs', '3']);
    assert.equal(r.epoch, 3);
    assert.equal(fs.existsSync(path.join(out, LOCK_FILE)), false);
    assert.deepEqual(leftovers(out), []);
    // a live holder (this test's parent process, on this host)
    fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: os.hostname(), started: '2026-01-01T00:00:00Z' }));
    const refused = await underFaults(undefined, () => resume(out, ['scheduler.epochs', '4']));
    assert.equal(refused.error?.name, 'RunDirError');
    assert.equal(refused.error?.message, `run folder ${out} is in use by process ${process.ppid} on ${os.hostname()} (since 2026-01-01T00:00:00Z; lock file ${path.join(out, LOCK_FILE)}): wait for that run to end, or delete the lock file if that process is gone`);
    // a lock from another host is never taken for stale
    fs.writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: deadPid, host: 'elsewhere.example', started: '2026-01-01T00:00:00Z' }));
    assert.match((await underFaults(undefined, () => resume(out, ['scheduler.epochs', '4']))).error?.message ?? '', /in use by process \d+ on elsewhere\.example/);
    fs.rmSync(path.join(out, LOCK_FILE));
  });
});
