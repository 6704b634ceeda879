#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a plain Node script run under tsx (for the extension's TS modules), playwright-core from the e2e tools */
// Benchmark (not a test): the Curves webview's paint time on re-show, with the snapshot of 80,000-step runs (issue 15:
// "re-show paints in under 0.5 s"). Headless Debian chromium (playwright-core of test/e2e/setup.sh), the panel's page
// and bundle as test/webviews serves them (harness.cjs), inside a same-origin host page as VS Code holds a webview
// in an iframe. The snapshot is the one the extension host posts: CurvesFeed (extension/curves/feed.ts, downsampled for
// drawing) on the events.jsonl that scripts/bench_curves_follow.ts writes. Measured in the page with
// performance.now(), until two animation frames have passed after the change (the frame is then painted) or, when
// the change made charts redraw, until the end of the last draw (painted in that frame):
// - re-show of the kept webview (retainContextWhenHidden: VS Code sets `visibility: hidden` on release and
//   `visible` again on claim, extension/webview/panel.ts), at the same size and at another width (an editor group
//   of another size: chart.js resizes and redraws every chart), with the number of chart draws during it;
// - first paint of a rebuilt webview: the page loaded until it posts `ready`, then the snapshot message handled
//   and drawn (what a re-show would cost without the kept context; the host's serialisation and VS Code's IPC are
//   not in it: scripts/bench_curves_follow.ts prints the host's side).
// Usage: `bash test/webviews/run.sh` once (builds dist/webviews), then
//   node --import tsx test/webviews/bench_reshow.cjs [--steps 80000] [--runs 1,2] [--repeat 5]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { serve } = require('./harness.cjs');
const { writeRun } = require('../../scripts/bench_curves_follow.ts');
const { CurvesFeed } = require('../../extension/curves/feed.ts');
const { RunFollowers } = require('../../extension/runs/follower.ts');
const { DEFAULT_CURVES_OPTIONS } = require('../../webviews/curves/contract.ts');

const E2E_HOME = process.env.E2E_HOME || '/tmp/vscode-e2e';
const { chromium } = (() => {
  try { return require('playwright-core'); } catch { return require(path.join(E2E_HOME, 'driver/node_modules/playwright-core')); }
})();
const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const STEPS = Number(arg('steps', '80000'));
const RUNS = arg('runs', '1,2').split(',').map(Number);
const REPEAT = Number(arg('repeat', '5'));

/** The snapshot message the extension host posts for `n` runs of STEPS steps each (and the full file's size). */
function snapshotFor(n) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-bench-reshow-'));
  const dirs = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const dir = path.join(root, `run${i}`);
    fs.mkdirSync(dir);
    bytes += writeRun(dir, STEPS);
    dirs.push(dir);
  }
  const followers = new RunFollowers();
  const feed = new CurvesFeed(followers, () => undefined, { stateOf: () => 'completed', root: () => root, options: () => DEFAULT_CURVES_OPTIONS });
  feed.setRuns(dirs);
  const message = JSON.parse(JSON.stringify(feed.snapshotMessage()));
  feed.dispose();
  followers.dispose();
  fs.rmSync(root, { recursive: true, force: true });
  return { message, bytes, json: JSON.stringify(message).length };
}

// In the host page: two animation frames after `change()` (the second starts once the first frame is painted).
const FRAMES = 'const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;

async function measure(ctx, origin, n) {
  const snap = snapshotFor(n);
  const pg = await ctx.newPage();
  await pg.route(`${origin}/host.html`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><html><body style="margin:0"><div id="box" style="width:1200px;height:900px"><iframe id="wv" src="/curves.html" style="width:100%;height:100%;border:0"></iframe></div></body></html>' }));
  const firstPaint = [];
  const ready = [];
  for (let i = 0; i < REPEAT; i++) {
    // A rebuilt webview: the page loads (its document, bundle and CSS) until it posts `ready`, then draws the snapshot.
    await pg.goto(`${origin}/host.html`);
    ready.push(await pg.evaluate(async () => {
      const w = document.getElementById('wv').contentWindow;
      while (!(w.__posted && w.__posted.length)) await new Promise((r) => setTimeout(r, 5));
      return performance.now();
    }));
    await pg.evaluate((m) => { document.getElementById('wv').contentWindow.__snapshot = m; }, snap.message);
    firstPaint.push(await pg.evaluate(async ([n, frames]) => {
      const w = document.getElementById('wv').contentWindow;
      const f = new Function(`${frames} return frames;`)();
      const t0 = performance.now();
      w.postMessage(w.__snapshot, '*');
      while (w.document.body.getAttribute('data-runs') !== String(n)) await new Promise((r) => setTimeout(r, 1));
      await f();
      return performance.now() - t0;
    }, [n, FRAMES]));
  }
  // The kept webview hidden and shown again, as VS Code does (visibility), and with display: none (relayout).
  // (Also counted: the charts' draws during the re-show.)
  const reshow = {};
  const draws = {};
  // Each chart draw is counted and its end time kept (on this page's clock): chart.js redraws a resized chart from
  // an animation frame after its ResizeObserver fires, i.e. a frame or two after the re-show.
  await pg.evaluate(() => {
    const w = document.getElementById('wv').contentWindow;
    w.__draws = 0;
    for (const c of w.__charts.filter((x) => x.canvas.isConnected)) {
      const draw = c.draw.bind(c);
      c.draw = (...a) => { const r = draw(...a); w.__draws++; w.__drawEnd = performance.now(); return r; };
    }
  });
  for (const resize of [false, true]) {
    const key = resize ? 'resized' : 'same';
    reshow[key] = [];
    draws[key] = [];
    for (let i = 0; i < REPEAT; i++) {
      const r = await pg.evaluate(async ([resize, frames]) => {
        const f = new Function(`${frames} return frames;`)();
        const box = document.getElementById('box');
        const w = document.getElementById('wv').contentWindow;
        box.style.visibility = 'hidden';
        await f();
        await new Promise((r) => setTimeout(r, 300));
        const before = w.__draws;
        const t0 = performance.now();
        // Shown in an editor group of another width (VS Code lays the webview out anew at claim).
        if (resize) box.style.width = box.style.width === '900px' ? '1200px' : '900px';
        box.style.visibility = 'visible';
        await f();
        const framed = performance.now();
        // Any redraw the re-show caused comes within a few frames: the time is then the end of the last draw (its frame is painted next).
        await new Promise((r) => setTimeout(r, 500));
        const draws = w.__draws - before;
        return { ms: (draws ? Math.max(framed, w.__drawEnd) : framed) - t0, draws };
      }, [resize, FRAMES]);
      reshow[key].push(r.ms);
      draws[key].push(r.draws);
    }
  }
  // What is on screen after the last re-show: the loss chart's painted pixels and its drawn points.
  const drawn = await pg.evaluate(() => {
    const w = document.getElementById('wv').contentWindow;
    const c = w.document.getElementById('chart-loss');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let px = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) px++;
    return { px, points: Number(w.document.querySelector('[data-chart="loss"]').getAttribute('data-points')) };
  });
  await pg.close();
  const points = snap.message.runs.reduce((s, r) => s + Object.values(r.series).reduce((a, p) => a + p.length, 0), 0);
  console.log(`${n} run(s) × ${STEPS.toLocaleString('en-US')} steps (events.jsonl ${(snap.bytes / 1e6).toFixed(1)} MB; snapshot as posted ${(snap.json / 1e6).toFixed(2)} MB, ${points.toLocaleString('en-US')} points after downsampling)`);
  for (const [key, what] of [['same', 'kept webview (visibility hidden -> visible, as VS Code), same size'], ['resized', 'kept webview shown at another width (1200 <-> 900 px: every chart resized)']]) {
    console.log(`  re-show, ${what}: ${fmt(reshow[key])}; chart draws during it ${draws[key].join(', ')}`);
  }
  console.log(`  rebuilt webview: page loaded to 'ready' ${fmt(ready)}; snapshot handled and painted ${fmt(firstPaint)}`);
  console.log(`  after the last re-show: loss chart ${drawn.px.toLocaleString('en-US')} pixels painted, ${drawn.points.toLocaleString('en-US')} points`);
}

async function main() {
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-bench-reshow-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, viewport: { width: 1200, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    console.log(`chromium ${ctx.browser() ? ctx.browser().version() : ''} headless, ${os.cpus()[0] && os.cpus()[0].model.trim()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${REPEAT} repeats`);
    for (const n of RUNS) await measure(ctx, origin, n);
  } finally {
    await ctx.close().catch(() => {});
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
