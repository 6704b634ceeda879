import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readEvents } from '../../runtime/protocol/reader';
import type { RunEvent } from '../../runtime/protocol/events';
import { openRunStart, summarizeRun } from '../../extension/runs/collect';
import { checkRunProcess, isRuntimeTrainCommand, probeProcess, stopExternal, type ProcessFacts } from '../../extension/runs/liveness';

const TIME = '2026-11-29T12:00:00.000Z';
const T = Date.parse(TIME);
const RUNTIME = 'node --import tsx /repo/runtime/cli/train.ts --config configs/cifar/wrn.yaml';
const probeOf = (facts: Record<number, ProcessFacts>) => (pid: number): ProcessFacts => facts[pid] ?? { alive: false };

test('liveness: the runtime train CLI is recognised in its command lines', () => {
  for (const c of [RUNTIME, 'node /ext/dist/cli/train.js --resume experiments/x', '/usr/bin/node /usr/lib/node_modules/image-classification-lab/node_modules/.bin/icl-train --config a.yaml', 'node C:\\repo\\runtime\\cli\\train.ts']) {
    assert.ok(isRuntimeTrainCommand(c), c);
  }
  for (const c of ['node /repo/runtime/cli/evaluate.ts', 'vim runtime/cli/train.ts.orig', 'bash', 'python train.py']) assert.ok(!isRuntimeTrainCommand(c), c);
});

test('liveness: a recorded process is running only when alive here, the runtime, and older than its run_start', () => {
  const host = 'box';
  const probe = probeOf({
    10: { alive: true, command: RUNTIME, startMs: T - 5000 },
    11: { alive: true, command: 'bash', startMs: T - 5000 },
    12: { alive: true, command: RUNTIME, startMs: T + 60_000 },
    13: { alive: true },
    14: { alive: true, command: RUNTIME, startMs: T + 1000 },
  });
  const check = (pid: number | undefined, h: string | undefined = host) => checkRunProcess({ pid, host: h, time: TIME }, host, probe);
  assert.deepEqual(check(10), { kind: 'running', pid: 10 });
  assert.equal(check(14).kind, 'running', 'start times are rounded to seconds');
  assert.deepEqual(check(10, 'gpu-node-3'), { kind: 'elsewhere', pid: 10, host: 'gpu-node-3' });
  assert.equal(check(10, undefined).kind, 'running', 'no host recorded: taken as this one');
  assert.equal(check(undefined).kind, 'unknown');
  assert.equal(check(13).kind, 'unknown', 'command line unreadable');
  const gone = [check(99), check(11), check(12)];
  assert.deepEqual(gone.map((g) => g.kind), ['gone', 'gone', 'gone']);
  assert.match((gone[1] as { reason: string }).reason, /not the runtime/);
  assert.match((gone[2] as { reason: string }).reason, /reused/);
});

test('liveness: stopExternal sends SIGINT only to a verified process', () => {
  const killed: number[] = [];
  const kill = (pid: number) => killed.push(pid);
  assert.match(stopExternal('a', { kind: 'running', pid: 42 }, kill), /Stopping a \(process 42\)/);
  assert.match(stopExternal('a', { kind: 'elsewhere', pid: 7, host: 'gpu-node-3' }, kill), /runs on gpu-node-3/);
  assert.match(stopExternal('a', { kind: 'gone', pid: 7, reason: 'process 7 is not running' }, kill), /not running any more/);
  assert.match(stopExternal('a', { kind: 'unknown', reason: 'no pid' }, kill), /Ctrl\+C/);
  assert.match(stopExternal('a', undefined, kill), /has ended/);
  assert.deepEqual(killed, [42]);
  assert.match(stopExternal('a', { kind: 'running', pid: 42 }, () => {
    throw new Error('EPERM');
  }), /Could not stop/);
});

test('liveness: the open run_start, and pid/host in the summary', () => {
  const dir = path.resolve('test/extension/fixtures/runs/wrn_16/exp01');
  const events = readEvents(dir).events;
  assert.equal(openRunStart(events), undefined, 'the run ended');
  const start = { ...events[0], time: TIME, pid: 4242, host: 'box', resumed_from: { epoch: 2, checkpoint: 'c' } } as RunEvent;
  assert.equal(openRunStart([...events, start]), start);
  const s = summarizeRun(dir, 'r', [...events, start], false);
  assert.deepEqual([s.state, s.pid, s.host], ['interrupted', 4242, 'box']);
});

test('liveness: probing a real process, then stopping it with SIGINT', async () => {
  const self = probeProcess(process.pid);
  assert.ok(self.alive);
  if (process.platform === 'win32') return;
  assert.ok(self.command && !isRuntimeTrainCommand(self.command));
  // A stand-in whose command line names the train CLI; it exits on SIGINT like the runtime does.
  const child = spawn(process.execPath, ['-e', 'process.on("SIGINT", () => process.exit(130)); console.log("ready"); setInterval(() => {}, 1000)', '/repo/runtime/cli/train.ts'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await once(child.stdout, 'data');
  const pid = child.pid as number;
  const facts = probeProcess(pid);
  assert.ok(facts.alive && facts.command && isRuntimeTrainCommand(facts.command), JSON.stringify(facts));
  assert.ok(facts.startMs !== undefined && Math.abs(facts.startMs - Date.now()) < 5000, `start ${facts.startMs}`);
  const check = checkRunProcess({ pid, host: os.hostname(), time: new Date().toISOString() }, os.hostname(), probeProcess);
  assert.deepEqual(check, { kind: 'running', pid });
  const exited = once(child, 'exit');
  stopExternal('stand-in', check, (p) => process.kill(p, 'SIGINT'));
  const [code] = await exited;
  assert.equal(code, 130);
  assert.equal(probeProcess(pid).alive, false);
  assert.equal(checkRunProcess({ pid, host: os.hostname(), time: TIME }, os.hostname(), probeProcess).kind, 'gone');
});
