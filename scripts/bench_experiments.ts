/**
 * `npm run bench:experiments [-- --runs N] [--keep]`: the Experiments table's open time on N synthetic
 * runs (default 300). Writes N run folders into a temp experiments/ folder: a full config each (the
 * defaults with five families, depths, learning rates, batch sizes and Cutout on or off), 10 to 200
 * epochs with 4 step events an epoch (a `train.log_period` of 100 at 391 steps an epoch), a third of
 * them evaluated (eval/metrics.json). Then times, as the extension does it:
 * - cold: finding the run folders, reading and parsing every events.jsonl, the summaries and the
 *   last evaluation (what the Runs model does once at start);
 * - open: the table's rows from the parsed runs (extension/experiments/rows.ts) and the snapshot
 *   serialised as postMessage does;
 * - draw: the webview bundle (dist/webviews/experiments.js, `npm run build`) in headless chromium
 *   from the snapshot message to the drawn table and parallel coordinates, when chromium and
 *   playwright-core (test/e2e/setup.sh) are there.
 * Prints one line per figure (wall times, and the CPU time of the host parts: on a busy machine the
 * wall times grow with the load average, printed too) and a final JSON line. The VS Code webview's
 * own start (its iframe) is not included.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { configToPlainObject, defaultConfig } from '../runtime/config/index';
import { readEvents } from '../runtime/protocol/reader';
import type { RunEventInput } from '../runtime/protocol/events';
import { evalSummary } from '../extension/evaluation/read';
import { experimentTable, type RunInput } from '../extension/experiments/rows';
import { findRunDirs, summarizeRun } from '../extension/runs/collect';
import { makeNonce, webviewHtml } from '../extension/webview/html';
import { DEFAULT_TABLE_STATE, ToExperiments, type ExperimentsHostMessage } from '../webviews/experiments/contract';

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const N = Number(arg('runs', '300'));
const ROOT = path.resolve(__dirname, '..');

/** A deterministic pseudo-random sequence (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAMILIES = [['resnet_preact', [20, 32, 56, 110]], ['wrn', [16, 28, 40]], ['resnet', [20, 56, 110]], ['densenet', [100, 190]], ['pyramidnet', [110, 272]]] as const;

/** Writes run `i`: its events (and, for every third, an evaluation). */
function writeRun(root: string, i: number, rand: () => number): void {
  const [family, depths] = FAMILIES[i % FAMILIES.length];
  const depth = depths[Math.floor(rand() * depths.length)];
  const dir = path.join(root, `${family}_${depth}`, `exp${String(i).padStart(3, '0')}`);
  fs.mkdirSync(dir, { recursive: true });
  const cfg = configToPlainObject(defaultConfig()) as Record<string, Record<string, unknown>>;
  cfg.model.name = family;
  (cfg.model[family] as Record<string, unknown>).depth = depth;
  cfg.train.base_lr = [0.05, 0.1, 0.2][Math.floor(rand() * 3)];
  cfg.train.batch_size = [64, 128, 256][Math.floor(rand() * 3)];
  cfg.augmentation.use_cutout = rand() < 0.5;
  cfg.train.output_dir = dir;
  const epochs = 10 + Math.floor(rand() * 191);
  const t = (s: number): string => new Date(Date.UTC(2026, 11, 1) + s * 1000).toISOString();
  const lines: Array<RunEventInput & { time: string }> = [{ type: 'run_start', time: t(0), protocol: 1, config: cfg, backend: 'libtorch', output_dir: dir, params: 1e6 + i, macs: 4e7 + i, steps_per_epoch: 391, epochs }];
  for (let e = 1; e <= epochs; e++) {
    for (const step of [100, 200, 300, 391]) {
      lines.push({ type: 'step', time: t(e * 60 + step / 10), epoch: e, step, global_step: (e - 1) * 391 + step, loss: 1 / e, accuracy: 1 - 1 / (e + 1), lr: 0.1, images_per_sec: 1500 + rand() * 100 });
    }
    lines.push({ type: 'epoch', time: t(e * 60 + 59), epoch: e, train: { loss: 1 / e, accuracy: 1 - 1 / (e + 1) }, val: { loss: 1.1 / e, accuracy: 1 - 1 / (e + 2) - rand() * 0.05 }, lr: 0.1, elapsed_s: 55 });
  }
  lines.push({ type: 'run_end', time: t(epochs * 60 + 60), status: 'completed', epoch: epochs });
  fs.writeFileSync(path.join(dir, 'events.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  if (i % 3 === 0) {
    fs.mkdirSync(path.join(dir, 'eval'));
    const accuracy = 0.9 + rand() * 0.05;
    fs.writeFileSync(path.join(dir, 'eval', 'metrics.json'), JSON.stringify({ loss: 0.3, accuracy, error: 1 - accuracy, n: 10000, checkpoint: path.join(dir, 'checkpoint_00010.ckpt'), id: `bench-${i}` }));
  }
}

/** The part of playwright-core used here (it is not a dependency of the project: test/e2e/setup.sh installs it). */
interface Route {
  request(): { url(): string };
  fulfill(r: { body?: string | Buffer; contentType?: string; status?: number }): Promise<void>;
}
interface Page {
  route(pattern: string, handler: (route: Route) => unknown): Promise<void>;
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: () => boolean): Promise<unknown>;
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}
interface Launcher {
  launch(o: { executablePath: string; args: string[] }): Promise<{ newPage(o: { viewport: { width: number; height: number } }): Promise<Page>; close(): Promise<void> }>;
}

/** The draw time in headless chromium (wall ms, the median of `rounds` snapshots), or a reason it was not measured. */
async function drawMs(message: ExperimentsHostMessage, rounds: number): Promise<number | string> {
  const e2e = process.env.E2E_HOME ?? '/tmp/vscode-e2e';
  const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
  const bundle = path.join(ROOT, 'dist/webviews/experiments.js');
  const driver = path.join(e2e, 'driver/node_modules/playwright-core');
  if (!fs.existsSync(chromium) || !fs.existsSync(driver)) return `not measured: no chromium or playwright-core (bash test/e2e/setup.sh installs them under ${e2e})`;
  if (!fs.existsSync(bundle)) return 'not measured: no dist/webviews/experiments.js (npm run build)';
  const { chromium: launcher } = createRequire(__filename)(driver) as { chromium: Launcher };
  const browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const pg = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const origin = 'http://bench.invalid';
    const html = webviewHtml({ title: 'bench', cspSource: origin, nonce: makeNonce(), scriptUri: `${origin}/experiments.js`, styleUri: `${origin}/experiments.css` });
    await pg.route(`${origin}/**`, (route) => {
      const name = new URL(route.request().url()).pathname.slice(1);
      if (name === 'index.html') return route.fulfill({ body: html, contentType: 'text/html' });
      const file = path.join(ROOT, 'dist/webviews', name);
      return fs.existsSync(file) ? route.fulfill({ body: fs.readFileSync(file), contentType: name.endsWith('.js') ? 'text/javascript' : 'text/css' }) : route.fulfill({ status: 404 });
    });
    await pg.goto(`${origin}/index.html`);
    await pg.waitForFunction(() => document.getElementById('filter') !== null);
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Each round a snapshot with one row fewer, so the page draws it anew (the first: the panel opening).
      const m = message.type === ToExperiments.Snapshot ? { ...message, rows: message.rows.slice(0, message.rows.length - i) } : message;
      times.push(await pg.evaluate((msg: ExperimentsHostMessage) => new Promise<number>((resolve) => {
        const t0 = performance.now();
        const want = String(msg.type === 'snapshot' ? msg.rows.length : -1);
        const obs = new MutationObserver(() => {
          if (document.body.dataset.total !== want) return;
          obs.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - t0));
        });
        obs.observe(document.body, { attributes: true });
        window.postMessage(msg, '*');
      }), m));
    }
    return times.sort((a, b) => a - b)[times.length >> 1];
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-bench-experiments-'));
  const root = path.join(work, 'experiments');
  try {
    const rand = rng(1);
    for (let i = 0; i < N; i++) writeRun(root, i, rand);
    const bytes = findRunDirs(root).reduce((a, d) => a + fs.statSync(path.join(d, 'events.jsonl')).size, 0);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const runs: RunInput[] = findRunDirs(root).map((dir) => {
      const events = readEvents(dir).events;
      return { summary: { ...summarizeRun(dir, path.relative(root, dir), events, false), ...evalSummary(dir) }, events };
    });
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const message: ExperimentsHostMessage = { type: ToExperiments.Snapshot, ...experimentTable(runs, new Set()), state: DEFAULT_TABLE_STATE };
    const json = JSON.stringify(message);
    const t2 = performance.now();
    const c2 = process.cpuUsage();
    const cpu = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage): number => (b.user - a.user + b.system - a.system) / 1000;
    const draw = await drawMs(message, 5);
    const cold = { wall: t1 - t0, cpu: cpu(c0, c1) };
    const open = { wall: t2 - t1, cpu: cpu(c1, c2) };
    const drawn = typeof draw === 'string' ? undefined : draw;
    const f = (ms: number): string => `${ms.toFixed(0)} ms`;
    console.log(`${runs.length} runs, ${(bytes / 1e6).toFixed(1)} MB of events, ${message.type === ToExperiments.Snapshot ? message.columns.length : 0} columns, snapshot ${(json.length / 1e6).toFixed(2)} MB; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
    console.log(`cold: find, read and parse every events.jsonl, summaries, evaluations: ${f(cold.wall)} (CPU ${f(cold.cpu)})`);
    console.log(`open: rows of the table from the parsed runs, snapshot serialised: ${f(open.wall)} (CPU ${f(open.cpu)})`);
    console.log(`draw: webview from the snapshot to the drawn table and parallel coordinates (median of 5): ${drawn !== undefined ? f(drawn) : draw}`);
    if (drawn !== undefined) console.log(`open time, the runs already read by the Runs view (open + draw): ${f(open.wall + drawn)}; from cold: ${f(cold.wall + open.wall + drawn)}`);
    const r = Math.round;
    console.log(JSON.stringify({
      runs: runs.length, events_mb: bytes / 1e6, load_average: os.loadavg()[0], cold_ms: r(cold.wall), cold_cpu_ms: r(cold.cpu), open_ms: r(open.wall), open_cpu_ms: r(open.cpu),
      draw_ms: drawn === undefined ? null : r(drawn), open_time_ms: drawn === undefined ? null : r(open.wall + drawn), cold_open_time_ms: drawn === undefined ? null : r(cold.wall + open.wall + drawn),
    }));
  } finally {
    if (!process.argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
    else console.error(`kept ${root}`);
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
