import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { FileTail } from '../../extension/runs/file_tail';
import { RunFollower, RunFollowers, type RunChange } from '../../extension/runs/follower';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'icl-follow-'));
const line = (type: string, extra: Record<string, unknown> = {}): string => `${JSON.stringify({ type, time: '2026-12-07T19:00:00.000Z', ...extra })}\n`;
const append = (dir: string, text: string | Buffer): void => fs.appendFileSync(path.join(dir, 'events.jsonl'), text);
/** The next change of `f`, or a rejection after `ms`. */
const nextChange = (f: RunFollower, ms = 3000): Promise<RunChange> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no change within ${ms} ms`));
    }, ms);
    const sub = f.onDidChange((c) => {
      clearTimeout(timer);
      sub.dispose();
      resolve(c);
    });
  });

test('a partial last line is held back until its newline arrives (also inside a multi-byte character)', () => {
  const dir = tmp();
  const f = new RunFollower(dir, { watch: false, pollMs: 60_000 });
  const changes: RunChange[] = [];
  f.onDidChange((c) => changes.push(c));
  const full = Buffer.from(line('step', { loss: 1.5, note: 'é€' }));
  append(dir, line('run_start', { pid: 1 }));
  // Cut inside the 3-byte '€'.
  const cut = full.indexOf(Buffer.from('€')) + 1;
  append(dir, full.subarray(0, cut));
  f.poll();
  assert.deepEqual(f.events.map((e) => e.type), ['run_start']);
  assert.equal(changes.length, 1);
  f.poll();
  assert.equal(changes.length, 1, 'nothing new: no change fired');
  append(dir, full.subarray(cut));
  f.poll();
  assert.equal(changes.length, 2);
  assert.deepEqual(changes[1].appended.map((e) => (e as unknown as { note: string }).note), ['é€']);
  assert.equal(changes[1].reset, false);
  assert.equal(f.events.length, 2);
  f.dispose();
});

test('a truncated or replaced file starts over (reset), with only the new events', () => {
  const dir = tmp();
  const file = path.join(dir, 'events.jsonl');
  append(dir, line('run_start') + line('step', { global_step: 1 }) + line('step', { global_step: 2 }));
  const f = new RunFollower(dir, { watch: false, pollMs: 60_000 });
  assert.equal(f.events.length, 3);
  const changes: RunChange[] = [];
  f.onDidChange((c) => changes.push(c));
  fs.writeFileSync(file, line('run_start', { pid: 7 }));
  f.poll();
  assert.equal(changes.length, 1);
  assert.equal(changes[0].reset, true);
  assert.deepEqual(changes[0].appended.map((e) => e.type), ['run_start']);
  assert.equal((f.events[0] as unknown as { pid: number }).pid, 7);
  // Replaced by another file (a new inode) of the same size: also a reset.
  fs.writeFileSync(`${file}.new`, line('run_start', { pid: 8 }));
  fs.renameSync(`${file}.new`, file);
  f.poll();
  assert.equal(changes.length, 2);
  assert.equal(changes[1].reset, true);
  assert.equal((f.events[0] as unknown as { pid: number }).pid, 8);
  // Removed: a reset with no events.
  fs.rmSync(file);
  f.poll();
  assert.equal(changes.length, 3);
  assert.equal(f.events.length, 0);
  f.dispose();
});

test('it stops following when the run ends and follows again when a resume appends', async () => {
  const dir = tmp();
  append(dir, line('run_start') + line('step'));
  const f = new RunFollower(dir, { pollMs: 20 });
  assert.equal(f.isFollowing, true);
  assert.equal(f.ended, false);
  const ended = nextChange(f);
  append(dir, line('run_end', { status: 'stopped' }));
  const c = await ended;
  assert.equal(c.ended, true);
  await new Promise((r) => setImmediate(r));
  assert.equal(f.isFollowing, false, 'no watch or timer once the run ended');
  assert.equal(f.ended, true);
  append(dir, line('run_start', { resumed_from: { epoch: 0 } }));
  f.poll();
  assert.equal(f.ended, false);
  assert.equal(f.isFollowing, true);
  assert.deepEqual(f.events.map((e) => e.type), ['run_start', 'step', 'run_end', 'run_start']);
  f.dispose();
  assert.equal(f.isFollowing, false);
});

test('fs.watch wakes it without a poll; without watching it polls; a file that does not exist yet is waited for', async () => {
  for (const watch of [true, false]) {
    const dir = tmp();
    // Watching: the file exists and no poll would come within the test; polling: the file comes later.
    if (watch) append(dir, '');
    const f = new RunFollower(dir, { watch, pollMs: watch ? 60_000 : 30, settleMs: 10 });
    assert.equal(f.events.length, 0);
    let c = nextChange(f);
    append(dir, line('run_start'));
    assert.deepEqual((await c).appended.map((e) => e.type), ['run_start'], `watch ${watch}`);
    c = nextChange(f);
    append(dir, line('step') + line('step'));
    assert.equal((await c).appended.length, 2, `watch ${watch}`);
    f.dispose();
  }
});

test('FileTail hands on whole lines from the byte offset, and reads nothing when nothing was appended', () => {
  const dir = tmp();
  const file = path.join(dir, 'log');
  const got: string[] = [];
  const t = new FileTail(file, (text, reset) => got.push(`${reset ? 'R:' : ''}${text}`), { watch: false });
  assert.equal(t.read(), false);
  fs.writeFileSync(file, 'a\nb');
  assert.equal(t.read(), true);
  assert.equal(t.read(), false);
  fs.appendFileSync(file, '\nc\n');
  t.read();
  assert.deepEqual(got, ['a\n', 'b\nc\n']);
  assert.equal(t.bytesRead, 6);
  t.stop();
  // Stopped: a read continues at the offset (same file), not from the start.
  fs.appendFileSync(file, 'd\n');
  t.read();
  assert.deepEqual(got, ['a\n', 'b\nc\n', 'd\n']);
  t.dispose();
});

test('RunFollowers shares one follower per folder until the last user releases it', () => {
  const dir = tmp();
  append(dir, line('run_start'));
  const all = new RunFollowers({ watch: false, pollMs: 60_000 });
  const a = all.acquire(dir);
  const b = all.acquire(path.join(dir, '.'));
  assert.equal(a.follower, b.follower);
  assert.equal(all.size, 1);
  a.dispose();
  a.dispose();
  assert.equal(all.get(dir), b.follower);
  b.dispose();
  assert.equal(all.size, 0);
  assert.equal(b.follower.isFollowing, false);
  all.dispose();
});
