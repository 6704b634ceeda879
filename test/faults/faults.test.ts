/**
 * The fault-injection tier (docs/reliability.md): every write, rename and fsync of a tiny run is
 * failed (EIO), and every write and rename killed (a torn write, then nothing more reaches the disk), at start-up,
 * at the checkpoints, at the step checkpoint of a run stopped by SIGINT, and in `evaluate`. After
 * each fault the command must end at once with an error naming the file, the run folder must be
 * absent or resumable, `--resume` must continue from the newest complete checkpoint, and no temp
 * file may survive the next successful run. A few points are repeated in a real process (SIGKILL,
 * and a one-line error on exit).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { tempDir, writeSyntheticMnist } from '../cli/fixtures';
import { CONFIG, evaluate, folderState, leftovers, newestComplete, recover, startCliWithFaults, tinyArgs, train, underFaults } from './helpers';
import type { FaultPlan, FaultPoint } from './shim';

const work = tempDir('icl-faults-');
const data = path.join(work, 'data');

interface Scenario {
  name: string;
  /** Runs the command under `plan` in folder `out`. */
  run: (out: string, plan: FaultPlan) => Promise<unknown>;
  /** Whether a point is worth injecting at: per file and call, the first and last occurrence. */
  points: FaultPoint[];
}

/** Indices of the distinct points: per (phase, call, file), the first and the last occurrence. */
function distinct(points: FaultPoint[], phase: (p: FaultPoint, i: number) => string): Array<{ index: number; label: string }> {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  points.forEach((p, i) => {
    const key = `${phase(p, i)} ${p.op} ${p.file}`;
    if (!first.has(key)) first.set(key, i);
    last.set(key, i);
  });
  const out = new Map<number, string>();
  for (const [key, i] of first) out.set(i, `${key} (first)`);
  for (const [key, i] of last) if (!out.has(i)) out.set(i, `${key} (last)`);
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([index, label]) => ({ index, label }));
}

/** The phase of a point of a whole run: start-up until the first checkpoint file, then checkpoint or run. */
function runPhase(points: FaultPoint[]): (p: FaultPoint, i: number) => string {
  const firstCkpt = points.findIndex((p) => /checkpoint/.test(p.file));
  return (p, i) => (firstCkpt < 0 || i < firstCkpt ? 'start-up' : /checkpoint/.test(p.file) ? `checkpoint ${/_(\d+)/.exec(p.file)?.[1] ?? 'tag'}` : 'training');
}

describe('fault-injection tier', () => {
  let n = 0;
  const folder = () => path.join(work, `run${++n}`);

  before(() => writeSyntheticMnist(data, 32, 20));

  it('survives a failed or killed write, rename and fsync at every point of start-up, checkpoints, a SIGINT stop and evaluate', async (t) => {
    // Record the points of each command once.
    const recordRun = await underFaults({ root: work, mode: 'record' }, () => train(data, path.join(work, 'record-run')));
    assert.equal(recordRun.error, undefined);
    const prepared = path.join(work, 'record-run');
    const recordStop = await underFaults({ root: work, mode: 'record', sigintOnStep: true }, () => train(data, path.join(work, 'record-stop')));
    assert.equal(recordStop.error, undefined);
    const ckpt = path.join(prepared, 'checkpoint_00002.ckpt');
    const evalDir = (out: string) => path.join(out, 'eval');
    const recordEval = await underFaults({ root: work, mode: 'record' }, async () => {
      fs.mkdirSync(path.join(work, 'record-eval'));
      return evaluate(prepared, ckpt, evalDir(path.join(work, 'record-eval')));
    });
    assert.equal(recordEval.error, undefined);

    const scenarios: Array<Scenario & { phase: (p: FaultPoint, i: number) => string }> = [
      { name: 'train', run: (out, plan) => underFaults(plan, () => train(data, out)), points: recordRun.points, phase: runPhase(recordRun.points) },
      {
        name: 'SIGINT stop',
        run: (out, plan) => underFaults({ ...plan, sigintOnStep: true }, () => train(data, out)),
        points: recordStop.points,
        phase: (p) => (/checkpoint/.test(p.file) ? 'step checkpoint' : 'stopping'),
      },
      {
        name: 'evaluate',
        run: async (out, plan) => {
          fs.mkdirSync(out);
          // a previous evaluation's files, which a failed one must leave old or new, never torn
          await evaluate(prepared, ckpt, evalDir(out));
          return underFaults(plan, () => evaluate(prepared, ckpt, evalDir(out)));
        },
        points: recordEval.points,
        phase: () => 'evaluate',
      },
    ];
    let injected = 0;
    const failures: string[] = [];
    const labels = new Set<string>();
    for (const s of scenarios) {
      const picks = distinct(s.points, s.phase);
      for (const { index, label } of picks) {
        // A kill at an fsync leaves what a kill at the rename before or after it leaves: failed only.
        for (const mode of s.points[index].op === 'fsync' ? (['fail'] as const) : (['fail', 'kill'] as const)) {
          const out = folder();
          const where = `${s.name}: ${mode} at ${label} (point ${index})`;
          const o = (await s.run(out, { root: work, mode, at: index, killWith: 'freeze' })) as Awaited<ReturnType<typeof underFaults>>;
          injected++;
          labels.add(`${mode} ${s.name} ${label}`);
          const problems: string[] = [];
          if (!o.struck) problems.push('the fault did not strike (the command took another path than when recorded)');
          // A hang detector, not a speed target: 60 s leaves room for a loaded machine (17 s were seen under load).
          if (o.ms > 60_000) problems.push(`took ${o.ms} ms`);
          if (mode === 'fail' && o.error) {
            const file = path.basename(s.points[index].file).replace(/\.tmp$/, '');
            const named = file === '' || o.error.message.includes(file) || o.error.message.includes(path.basename(out));
            if (!named) problems.push(`error does not name ${file}: ${o.error.message}`);
          }
          if (s.name === 'evaluate') {
            problems.push(...evalFilesWhole(evalDir(out)));
            const again = await underFaults(undefined, () => evaluate(prepared, ckpt, evalDir(out)));
            if (again.error) problems.push(`evaluate again: ${again.error.message}`);
            const left = leftovers(out);
            if (left.length) problems.push(`temp files left: ${left.join(', ')}`);
          } else {
            problems.push(...(await recover(data, out)));
          }
          if (problems.length) failures.push(`${where}: ${problems.join('; ')}`);
        }
      }
    }
    t.diagnostic(`fault tier: ${injected} faults injected at ${labels.size} distinct points (${recordRun.points.length} + ${recordStop.points.length} + ${recordEval.points.length} recorded calls), ${injected - failures.length} survived`);
    assert.deepEqual(failures, []);
    assert.ok(labels.size >= 40, `${labels.size} distinct fault points`);
  });

  it('in a real process: a failed or SIGKILLed write exits at once with one line naming the file, and the run resumes', async () => {
    const rec = path.join(work, 'cli-record.json');
    const recOut = folder();
    const r0 = await startCliWithFaults('train', ['--config', CONFIG, ...tinyArgs(data, recOut)], { root: work, mode: 'record' }, rec).done;
    assert.equal(r0.code, 0, r0.stderr);
    const points = JSON.parse(fs.readFileSync(rec, 'utf8')) as FaultPoint[];
    const pick = (re: RegExp, op: FaultPoint['op']) => points.findIndex((p) => p.op === op && re.test(p.file));
    const cases: Array<{ at: number; mode: 'fail' | 'kill'; file: RegExp }> = [
      { at: pick(/config\.yaml\.tmp$/, 'write'), mode: 'fail', file: /config\.yaml/ },
      { at: pick(/checkpoint_00002\.ckpt\.tmp$/, 'fsync'), mode: 'fail', file: /checkpoint_00002\.ckpt/ },
      { at: pick(/config\.yaml$/, 'rename'), mode: 'kill', file: /./ },
      { at: pick(/checkpoint_00002\.ckpt$/, 'rename'), mode: 'kill', file: /./ },
    ];
    for (const c of cases) {
      assert.ok(c.at >= 0, 'point found');
      const out = folder();
      const r = await startCliWithFaults('train', ['--config', CONFIG, ...tinyArgs(data, out)], { root: work, mode: c.mode, at: c.at, killWith: 'sigkill' }).done;
      if (c.mode === 'kill') {
        assert.equal(r.signal, 'SIGKILL', r.stderr);
      } else {
        assert.equal(r.code, 1, r.stderr);
        const lines = r.stderr.trim().split('\n');
        assert.match(lines[lines.length - 1], /^error: cannot write .*/);
        assert.match(lines[lines.length - 1], c.file);
        assert.equal(lines.filter((l) => l.startsWith('error')).length, 1, r.stderr);
      }
      assert.deepEqual(folderState(out).problems, []);
      const expected = newestComplete(out);
      assert.deepEqual(await recover(data, out), [], `after ${c.mode} at ${points[c.at].op} ${points[c.at].file}; expected resume from ${expected}`);
    }
  });
});

/** Problems with the evaluation files in `dir`: each must be absent or whole. */
function evalFilesWhole(dir: string): string[] {
  const problems: string[] = [];
  if (!fs.existsSync(dir)) return problems;
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (name.endsWith('.npy')) {
      const buf = fs.readFileSync(file);
      const headerLen = buf.length >= 10 ? buf.readUInt16LE(8) : -1;
      const shape = /'shape': \(([^)]*)\)/.exec(buf.subarray(10, 10 + Math.max(headerLen, 0)).toString('latin1'))?.[1];
      const count = shape?.split(',').filter((s) => s.trim() !== '').reduce((a, s) => a * Number(s), 1);
      if (headerLen < 0 || count === undefined || buf.length !== 10 + headerLen + 4 * count) problems.push(`${name} is torn (${buf.length} bytes)`);
    } else if (name === 'metrics.json') {
      try {
        JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        problems.push('metrics.json is torn');
      }
    }
  }
  return problems;
}
