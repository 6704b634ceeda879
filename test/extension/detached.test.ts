import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { RunEvent } from '../../runtime/protocol/events';
import { attachFrom, consoleLogOf, LaunchRecords, launchAlive, queueEnd, readTail, spawnDetached, type LaunchRecord, type RecordStore } from '../../extension/runs/detached';
import { queueYaml } from '../../extension/runs/gpus';
import { probeProcess, type ProcessFacts } from '../../extension/runs/liveness';
import { reattachLaunches } from '../../extension/runs/reattach';

const ROOT = path.resolve(__dirname, '..', '..');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'icl-detached-'));
/** The workspace state: a store that outlives the window (a new LaunchRecords on it is the window after a reload). */
const memoryStore = (): RecordStore & { data: Map<string, unknown> } => {
  const data = new Map<string, unknown>();
  return { data, get: <T>(k: string) => data.get(k) as T | undefined, update: async (k: string, v: unknown) => void data.set(k, JSON.parse(JSON.stringify(v))) };
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const until = async (fn: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!fn() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return fn();
};
/** A stand-in for a runtime CLI at `<dir>/dist/cli/<cli>.js`: prints a line on stdout and on stderr, then ticks until killed. */
const fakeCli = (dir: string, cli: string): string => {
  const file = path.join(dir, 'dist', 'cli', `${cli}.js`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "console.log('on stdout'); console.error('on stderr'); setInterval(() => console.log('tick'), 100);\n");
  return file;
};

test('console logs: a training and a queue in their folder, an evaluation next to its files in eval/', () => {
  assert.equal(consoleLogOf('train', '/w/experiments/a'), path.join('/w/experiments/a', 'stdout.log'));
  assert.equal(consoleLogOf('queue', '/w/experiments/queue/q1'), path.join('/w/experiments/queue/q1', 'stdout.log'));
  assert.equal(consoleLogOf('evaluate', '/w/experiments/a'), path.join('/w/experiments/a', 'eval', 'stdout.log'));
});

test('a detached process outlives the process that spawned it (a window reload), in its own session, its console in the log', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const dir = tmp();
  const cli = fakeCli(dir, 'evaluate');
  const log = consoleLogOf('evaluate', path.join(dir, 'run'));
  // The "window": a Node process that spawns the CLI detached, prints its pid and exits at once.
  const windowScript = path.join(dir, 'window.ts');
  fs.writeFileSync(windowScript, `import { spawnDetached } from ${JSON.stringify(path.join(ROOT, 'extension/runs/detached.ts'))};
const c = spawnDetached({ command: process.execPath, args: [${JSON.stringify(cli)}], cwd: ${JSON.stringify(dir)} }, ${JSON.stringify(log)}, process.env, false);
console.log(c.pid);
process.exit(0);
`);
  const win = spawn(process.execPath, ['--import', 'tsx', windowScript], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  win.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const [code] = (await once(win, 'exit')) as [number];
  assert.equal(code, 0);
  const pid = Number(out.trim());
  assert.ok(Number.isInteger(pid) && pid > 0, out);
  try {
    assert.ok(alive(pid), 'alive after its parent exited');
    // Field 6 of /proc/<pid>/stat is the session id: setsid made the process its session's leader.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[5 - 3]), pid, 'its own process group');
    assert.equal(Number(fields[6 - 3]), pid, 'its own session');
    assert.ok(await until(() => (readTail(log).match(/tick/g) ?? []).length >= 3, 5000), 'still writing its log after the parent exited');
    const text = readTail(log);
    assert.match(text, /^on stdout\n/m);
    assert.match(text, /^on stderr\n/m);
    // The record a window keeps for it: verified as the evaluate CLI by what the OS says, by no other kind, and not when its pid is reused.
    const record: LaunchRecord = { kind: 'evaluate', dir: path.join(dir, 'run'), pid, startedMs: Date.now(), label: 'run', file: 'checkpoint_00001.ckpt' };
    assert.equal(launchAlive(record, probeProcess), true);
    assert.equal(launchAlive({ ...record, kind: 'queue' }, probeProcess), false);
    assert.equal(launchAlive({ ...record, startedMs: Date.now() - 60_000 }, probeProcess), false, 'a process that started after the record is another one');
  } finally {
    process.kill(pid, 'SIGKILL');
  }
  assert.ok(await until(() => !alive(pid) || /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')), 5000));
  assert.equal(launchAlive({ kind: 'evaluate', dir, pid, startedMs: Date.now(), label: 'run' }, probeProcess), false, 'ended');
});

test('a training reloaded before its run_start: its record is found by the next window and it is re-attached from its first event', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const dir = tmp();
  const run = path.join(dir, 'experiments', 'a');
  const cli = fakeCli(dir, 'train');
  const store = memoryStore();
  const child = spawnDetached({ command: process.execPath, args: [cli, '--config', 'x.yaml'], cwd: dir }, consoleLogOf('train', run), process.env, true);
  const pid = child.pid as number;
  try {
    new LaunchRecords(store).add({ kind: 'train', dir: run, pid, startedMs: Date.now(), label: 'experiments/a' });
    // The window reloads: a new LaunchRecords on the same workspace state. The run folder has no events.jsonl yet.
    assert.deepEqual(fs.readdirSync(run), ['stdout.log']);
    const records = new LaunchRecords(store);
    const trains: LaunchRecord[] = [];
    const attached = reattachLaunches(records, probeProcess, { has: () => false }, { train: (r) => trains.push(r), other: () => assert.fail('not a training') });
    assert.deepEqual(attached.map((r) => r.pid), [pid]);
    assert.deepEqual(trains.map((r) => [r.pid, r.dir, r.label]), [[pid, run, 'experiments/a']]);
    assert.equal(attachFrom([], trains[0].startedMs), 0, 'its progress counts from the first event it writes');
    // Once it has ended, the next window drops its record.
    child.ref();
    const exit = once(child, 'exit');
    process.kill(pid, 'SIGKILL');
    await exit;
    assert.deepEqual(reattachLaunches(records, probeProcess, { has: () => false }, { train: () => assert.fail('ended'), other: () => assert.fail('ended') }), []);
    assert.deepEqual(new LaunchRecords(store).all(), []);
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('a queue run detached (the real queue CLI, one tiny run): verified as the queue, its console log ends with the result line a re-attached window reads', async () => {
  const ws = tmp();
  const file = path.join(ws, 'experiments', 'queue', 'q1.yaml');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, queueYaml({ configs: [path.join(ROOT, 'test', 'e2e', 'tiny.yaml')], overrides: ['scheduler.epochs', '1', 'dataset.max_train_samples', '64'], outputDir: 'q1', device: 'wasm' }));
  const dir = path.join(ws, 'experiments', 'queue', 'q1');
  const log = consoleLogOf('queue', dir);
  const child = spawnDetached({ command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'runtime', 'cli', 'queue.ts'), file], cwd: ROOT }, log, process.env, false);
  child.ref();
  const exit = once(child, 'exit') as Promise<[number | null]>;
  const record: LaunchRecord = { kind: 'queue', dir, pid: child.pid as number, startedMs: Date.now(), label: 'q1', file: 'experiments/queue/q1.yaml' };
  if (process.platform === 'linux') {
    assert.ok(await until(() => launchAlive(record, probeProcess), 5000), 'verified as the queue CLI while it runs');
    assert.equal(launchAlive({ ...record, kind: 'train' }, probeProcess), false);
  }
  const [code] = await exit;
  assert.equal(code, 0, readTail(log));
  const tail = readTail(log);
  assert.equal(queueEnd(code, tail), 'completed');
  assert.equal(queueEnd(null, tail), 'completed', 'a window that re-attached (no exit code) reads the end from the log');
  assert.deepEqual(JSON.parse(tail.trim().split('\n').pop() as string).runs.map((r: { name: string; status: string }) => [r.name, r.status]), [['00_tiny', 'completed']]);
  assert.ok(fs.existsSync(path.join(dir, 'queue.json')), 'stdout.log shares the queue folder with queue.json');
});

test('re-attach: live records by kind, dead and reused pids dropped, processes already followed left alone', () => {
  const store = memoryStore();
  const records = new LaunchRecords(store);
  const T = Date.parse('2026-12-07T23:00:00.000Z');
  const rec = (pid: number, kind: LaunchRecord['kind'], dir: string): LaunchRecord => ({ kind, dir, pid, startedMs: T, label: path.basename(dir) });
  for (const r of [rec(10, 'train', '/w/a'), rec(11, 'evaluate', '/w/b'), rec(12, 'queue', '/w/q'), rec(13, 'train', '/w/dead'), rec(14, 'train', '/w/reused'), rec(15, 'train', '/w/known')]) records.add(r);
  store.data.set('imageClassificationLab.launches', [...(store.data.get('imageClassificationLab.launches') as unknown[]), { kind: 'train', pid: 'x' }, null]);
  const facts: Record<number, ProcessFacts> = {
    10: { alive: true, command: 'node /ext/dist/cli/train.js --config a.yaml', startMs: T - 500 },
    11: { alive: true, command: 'node --import tsx /w/runtime/cli/evaluate.ts --config b/config.yaml', startMs: T + 1000 },
    12: { alive: true, command: 'node /ext/dist/cli/queue.js /w/experiments/queue/q.yaml', startMs: T },
    14: { alive: true, command: 'node /ext/dist/cli/train.js --config c.yaml', startMs: T + 120_000 },
    15: { alive: true, command: 'node /ext/dist/cli/train.js', startMs: T },
  };
  const seen: string[] = [];
  const out = reattachLaunches(records, (pid) => facts[pid] ?? { alive: false }, { has: (kind, dir) => kind === 'train' && dir === '/w/known' }, {
    train: (r) => seen.push(`train ${r.dir}`),
    other: (r) => seen.push(`${r.kind} ${r.dir}`),
  });
  assert.deepEqual(seen, ['train /w/a', 'evaluate /w/b', 'queue /w/q']);
  assert.deepEqual(out.map((r) => r.pid), [10, 11, 12]);
  assert.deepEqual(records.all().map((r) => r.pid), [10, 11, 12, 15], 'malformed, dead and reused records dropped; the followed one kept');
  records.add({ ...rec(10, 'train', '/w/a2') });
  assert.deepEqual(records.all().map((r) => `${r.pid} ${r.dir}`), ['11 /w/b', '12 /w/q', '15 /w/known', '10 /w/a2'], 'a pid is recorded once');
  records.remove(99);
  records.remove(11);
  assert.deepEqual(records.all().map((r) => r.pid), [12, 15, 10]);
});

test('attachFrom: a re-attached training counts from its own run_start, not a resumed run\'s earlier one', () => {
  const ev = (type: string, time: string): RunEvent => ({ type, time } as unknown as RunEvent);
  const old = [ev('run_start', '2026-12-07T20:00:00.000Z'), ev('step', '2026-12-07T20:00:01.000Z'), ev('run_end', '2026-12-07T20:05:00.000Z')];
  const spawned = Date.parse('2026-12-07T23:00:00.000Z');
  assert.equal(attachFrom(old, spawned), 3, 'reloaded before its run_start: only what it writes next');
  const resumed = [...old, ev('run_start', '2026-12-07T23:00:04.000Z'), ev('step', '2026-12-07T23:00:05.000Z')];
  assert.equal(attachFrom(resumed, spawned), 3);
  assert.equal(attachFrom(resumed, -Infinity), 3, 'the pid came from the last run_start itself');
  assert.equal(attachFrom(old, -Infinity), 0);
  assert.equal(attachFrom([], -Infinity), 0);
});

test('queueEnd: from the exit code, else (re-attached) from the status of the result line ending the console log', () => {
  assert.equal(queueEnd(0, ''), 'completed');
  assert.equal(queueEnd(130, ''), 'stopped');
  assert.equal(queueEnd(1, '{"status":"completed"}'), 'failed');
  const line = (status: string): string => `[2026-12-07 23:00:00] INFO: queue q: 2 run(s)\n${JSON.stringify({ status, queue_dir: '/w/q', runs: [] })}\n`;
  assert.equal(queueEnd(null, line('completed')), 'completed');
  assert.equal(queueEnd(null, line('stopped')), 'stopped');
  assert.equal(queueEnd(null, line('failed')), 'failed');
  assert.equal(queueEnd(null, '[2026-12-07 23:00:00] INFO: training a\n'), 'failed', 'killed: no result line');
});

test('readTail: the end of a file, whole lines of a short one, empty when missing', () => {
  const dir = tmp();
  const f = path.join(dir, 'stdout.log');
  fs.writeFileSync(f, `${'x'.repeat(100)}\n{"loss":0.5}\n`);
  assert.equal(readTail(f), `${'x'.repeat(100)}\n{"loss":0.5}\n`);
  assert.equal(readTail(f, 13), '{"loss":0.5}\n');
  assert.equal(readTail(path.join(dir, 'none')), '');
});
