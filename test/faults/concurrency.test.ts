/**
 * Two commands on one run folder at once (docs/reliability.md): two new runs into one
 * train.output_dir, and a --resume of a folder whose run is still going. Exactly one trains; the
 * other exits 2 at once with one line naming the holder, and leaves no file of its own.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { tempDir, waitForEvent, writeSyntheticMnist } from '../cli/fixtures';
import { CONFIG, events, leftovers, startCliWithFaults, tinyArgs } from './helpers';

const work = tempDir('icl-concurrency-');
const data = path.join(work, 'data');

describe('concurrency', () => {
  before(() => writeSyntheticMnist(data, 32, 20));

  it('two runs started at once into one folder: one trains, the other exits 2 at once leaving nothing', async () => {
    const out = path.join(work, 'both');
    const a = startCliWithFaults('train', ['--config', CONFIG, ...tinyArgs(data, out)]);
    const b = startCliWithFaults('train', ['--config', CONFIG, ...tinyArgs(data, out)]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const [won, lost] = ra.code === 0 ? [ra, rb] : [rb, ra];
    assert.equal(won.code, 0, `${ra.stderr}\n${rb.stderr}`);
    assert.equal(lost.code, 2, lost.stderr);
    const errors = lost.stderr.split('\n').filter((l) => l.startsWith('error: '));
    assert.equal(errors.length, 1, lost.stderr);
    assert.match(errors[0], /is in use by process \d+ on |already exists; resume it/);
    assert.ok(lost.ms < won.ms, 'the refused run ends before the one that trains');
    assert.equal(events(out).filter((e) => e.type === 'run_start').length, 1, 'one run in the folder');
    assert.deepEqual([...leftovers(out), ...leftovers(work)], [], 'no staging folder or temp file left');
  });

  it('--resume of a folder whose run is going is refused at once; the lock goes with the run', async () => {
    const out = path.join(work, 'busy');
    const a = startCliWithFaults('train', ['--config', CONFIG, ...tinyArgs(data, out, ['scheduler.epochs', '30'])]);
    await waitForEvent(out, (e) => e.type === 'run_start');
    const r = await startCliWithFaults('train', ['--resume', out]).done;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: run folder ${out} is in use by process ${a.pid} on .*lock file ${path.join(out, 'run.lock')}`, 'm'));
    assert.ok(fs.existsSync(path.join(out, 'run.lock')), 'the refused command left the lock alone');
    process.kill(a.pid, 'SIGINT');
    const ra = await a.done;
    assert.equal(ra.code, 130, ra.stderr);
    assert.equal(fs.existsSync(path.join(out, 'run.lock')), false, 'released when the run stopped');
  });
});
