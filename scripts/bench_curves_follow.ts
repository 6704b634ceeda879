/**
 * `node --import tsx scripts/bench_curves_follow.ts [--steps 80000] [--seconds 10]`
 *
 * The extension host's cost of following a long completed run (issue 15), measured in this process on
 * the data path the extension runs (no VS Code): an events.jsonl of `--steps` step events (80,000 by
 * default, about 17 MB) is written to a temp folder, then
 * - panel closed: the Runs model's shared follower (runs/follower.ts) reads it once, then the model's
 *   5-second rescan polls it;
 * - panel open: the Curves panel's feed (curves/feed.ts) on the same follower as well, its snapshot
 *   built and serialised as postMessage would;
 * - before: the former Curves panel's data path, which re-read the whole file every second;
 * each for `--seconds` of idle time, printing the CPU time used (user + system, % of one core), and
 * the host's work on re-show (none: the panel is kept while hidden) beside what a snapshot costs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readEvents } from '../runtime/protocol/reader';
import { CurvesFeed } from '../extension/curves/feed';
import { RunFollowers } from '../extension/runs/follower';
import { DEFAULT_CURVES_OPTIONS, type CurvesHostMessage } from '../webviews/curves/contract';

const STEPS_PER_EPOCH = 400;
/** The Runs model's rescan period (extension/runs/model.ts). */
const RESCAN_MS = 5000;

/**
 * Writes `<dir>/events.jsonl` like a completed run's: run_start, `STEPS` step events, an epoch event every
 * STEPS_PER_EPOCH steps, run_end. Returns its size in bytes. (Also used by test/webviews/bench_reshow.cjs.)
 */
export function writeRun(dir: string, STEPS: number): number {
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  const time = (s: number): string => new Date(t0 + s * 250).toISOString();
  const epochs = Math.ceil(STEPS / STEPS_PER_EPOCH);
  const lines = [JSON.stringify({ type: 'run_start', time: time(0), protocol: 1, config: { model: { name: 'resnet_preact' } }, backend: 'libtorch', threads: 8, output_dir: dir, params: 272474, steps_per_epoch: STEPS_PER_EPOCH, epochs, world_size: 1, pid: 1, host: 'bench' })];
  for (let g = 1; g <= STEPS; g++) {
    const epoch = Math.floor((g - 1) / STEPS_PER_EPOCH) + 1;
    const loss = 2.3 * Math.exp(-g / 20000) + 0.05 * Math.sin(g);
    lines.push(JSON.stringify({ type: 'step', time: time(g), epoch, step: ((g - 1) % STEPS_PER_EPOCH) + 1, global_step: g, loss, accuracy: 1 - loss / 2.5, lr: 0.1 * 0.5 * (1 + Math.cos((Math.PI * g) / STEPS)), running: { loss, accuracy: 1 - loss / 2.5 }, images_per_sec: 1234.5 + (g % 17) }));
    if (g % STEPS_PER_EPOCH === 0) lines.push(JSON.stringify({ type: 'epoch', time: time(g), epoch, train: { loss, accuracy: 0.9 }, val: { loss, accuracy: 0.9, accuracy5: 0.99 }, lr: 0.01, elapsed_s: 100 }));
  }
  lines.push(JSON.stringify({ type: 'run_end', time: time(STEPS + 1), status: 'completed', epoch: epochs }));
  const text = `${lines.join('\n')}\n`;
  fs.writeFileSync(path.join(dir, 'events.jsonl'), text);
  return Buffer.byteLength(text);
}

/** CPU time (user + system) of this process over `seconds` of idle waiting (after a second to settle: GC of what came before), in % of one core. */
async function idleCpu(seconds: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 1000));
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c = process.cpuUsage(c0);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  return ((c.user + c.system) / wallUs) * 100;
}

/** Wall and CPU time since `t0` (from {@link now}). */
const ms = (t0: { wall: bigint; cpu: NodeJS.CpuUsage }): string => {
  const c = process.cpuUsage(t0.cpu);
  return `${(Number(process.hrtime.bigint() - t0.wall) / 1e6).toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms CPU`;
};
const now = (): { wall: bigint; cpu: NodeJS.CpuUsage } => ({ wall: process.hrtime.bigint(), cpu: process.cpuUsage() });
const pct = (v: number): string => `${v.toFixed(2)}% of a core`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { steps: { type: 'string', default: '80000' }, seconds: { type: 'string', default: '10' } } });
  const STEPS = Number(values.steps);
  const SECONDS = Number(values.seconds);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-bench-follow-'));
  const bytes = writeRun(dir, STEPS);
  console.log(`events.jsonl: ${STEPS.toLocaleString('en-US')} steps, ${(bytes / 1e6).toFixed(1)} MB; idle measured over ${SECONDS} s each; node ${process.version}, ${os.cpus()[0]?.model.trim()}`);
  const followers = new RunFollowers();
  console.log(`baseline, nothing followed: ${pct(await idleCpu(SECONDS))}`);

  // Panel closed: the Runs model's follower, polled at each rescan.
  let t = now();
  const model = followers.acquire(dir);
  console.log(`first read by the shared follower: ${ms(t)} (${model.follower.events.length.toLocaleString('en-US')} events; following after run_end: ${model.follower.isFollowing})`);
  const rescan = setInterval(() => model.follower.poll(), RESCAN_MS);
  console.log(`panel closed, completed run: ${pct(await idleCpu(SECONDS))}`);

  // Panel open: the Curves feed on the same follower; its snapshot serialised as postMessage would.
  const sent: CurvesHostMessage[] = [];
  const feed = new CurvesFeed(followers, (m) => sent.push(m), { stateOf: () => 'completed', root: () => path.dirname(dir), options: () => DEFAULT_CURVES_OPTIONS });
  t = now();
  feed.setRuns([dir]);
  const snapshot = JSON.stringify(feed.snapshotMessage());
  console.log(`panel opened: points and snapshot built and serialised in ${ms(t)} (${(snapshot.length / 1e6).toFixed(1)} MB, downsampled for drawing: extension/curves/downsample.ts)`);
  console.log(`panel open, completed run: ${pct(await idleCpu(SECONDS))} (messages posted while idle: ${sent.length})`);
  console.log('re-show (host side): nothing sent, 0 ms: the webview is kept while hidden (retainContextWhenHidden), so its state and charts stay');
  t = now();
  JSON.stringify(feed.snapshotMessage());
  console.log(`  (a rebuilt webview would need the snapshot again: ${ms(t)} to serialise here, before the webview parses and draws it: test/webviews/bench_reshow.cjs times that)`);
  feed.dispose();
  clearInterval(rescan);
  model.dispose();

  // Before: the former panel re-read the file every second (readEvents reads the whole file from byte 0).
  let offset = 0;
  const before = setInterval(() => {
    const r = readEvents(path.join(dir, 'events.jsonl'), offset);
    offset = r.consumed;
  }, 1000);
  console.log(`before (former panel, one whole-file read a second), completed run: ${pct(await idleCpu(SECONDS))}`);
  clearInterval(before);
  followers.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[1] && path.basename(process.argv[1]).startsWith('bench_curves_follow')) void main();
