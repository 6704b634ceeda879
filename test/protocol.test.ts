import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseEvents, readEvents } from '../runtime/protocol';
import { EventWriter } from '../runtime/protocol/writer';

describe('event protocol', () => {
  it('writes one stamped JSON object per line and reads it back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-events-'));
    const w = new EventWriter(dir);
    w.write({ type: 'checkpoint', epoch: 2, path: '/x/checkpoint_00002.ckpt' });
    w.write({ type: 'run_end', status: 'completed', epoch: 2 });
    w.close();
    const lines = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.match(lines[0], /^\{"type":"checkpoint","time":"\d{4}-\d\d-\d\dT[\d:.]+Z","epoch":2,/);
    const { events, badLines } = readEvents(dir);
    assert.deepEqual(badLines, []);
    assert.deepEqual(events.map((e) => e.type), ['checkpoint', 'run_end']);
  });

  it('leaves a torn last line for later and follows a growing file by offset', () => {
    const a = '{"type":"step","time":"t","epoch":1}\n{"type":"ste';
    const first = parseEvents(a);
    assert.equal(first.events.length, 1);
    assert.equal(first.consumed, a.indexOf('\n') + 1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-events-'));
    const file = path.join(dir, 'events.jsonl');
    fs.writeFileSync(file, a);
    const r1 = readEvents(dir);
    fs.appendFileSync(file, 'p","time":"u","epoch":1}\n');
    const r2 = readEvents(dir, r1.consumed);
    assert.deepEqual(r2.events.map((e) => e.time), ['u']);
    assert.equal(r2.consumed, fs.statSync(file).size);
  });

  it('reports complete lines that are not events, and a missing file as empty', () => {
    const r = parseEvents('not json\n{"type":"x"}\n{"type":"x","time":"t"}\n');
    assert.deepEqual(r.badLines, [1, 2]);
    assert.equal(r.events.length, 1);
    assert.deepEqual(readEvents('/nonexistent/run').events, []);
  });
});
