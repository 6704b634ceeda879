#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a plain Node script (run under tsx for the typed fixtures), NODE_PATH reaching playwright-core */
// The Curves and Results webviews in a real browser: headless Debian chromium driven by playwright-core.
// Each page is served by harness.cjs (the panel's own HTML shell, a stub acquireVsCodeApi recording what
// the page posts). It is fed the recorded host messages of test/webviews/messages.ts, and what is drawn is
// asserted: the chart.js instances' datasets and drawn points, painted canvas pixels, table rows and cells,
// the messages posted back (`ready` first). Screenshots and results.json go to --out. Usage: see run.sh.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { serve } = require('./harness.cjs');
const { curvesSnapshot, curvesAppend, curvesEdgeCases, resultsSnapshot } = require('./messages.ts');
const { evaluationSnapshot, evaluationCompared, experimentsSnapshot } = require('./evaltable_messages.ts');

const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const OUT = path.resolve(arg('out', path.join(__dirname, 'out')));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.WEBVIEWS_TIMEOUT_MS || 15000);
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(2)}s]`, ...a);
const results = [];
const check = (name, ok, detail) => { results.push({ name, ok: !!ok, detail }); log(ok ? 'PASS' : 'FAIL', name, detail === undefined ? '' : JSON.stringify(detail)); };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Posts a host message to the page as VS Code does (a window `message` event). */
const feed = (pg, msg) => pg.evaluate((m) => window.postMessage(m, '*'), msg);
/** The page's charts: per canvas id, each dataset's label, data length, drawn elements and raw y values. */
const chartsOf = (pg) => pg.evaluate(() => window.__charts.filter((c) => c.canvas && c.canvas.isConnected).map((c) => ({
  id: c.canvas.id,
  datasets: c.data.datasets.map((d, i) => ({ label: d.label, n: d.data.length, drawn: c.getDatasetMeta(i).data.length, hidden: !c.isDatasetVisible(i), ys: d.data.map((p) => p.y) })),
  legend: (c.legend.legendItems || []).map((l) => ({ text: l.text, hidden: l.hidden })),
  y: { min: c.scales.y.min, max: c.scales.y.max },
  title: c.options.plugins.title.display ? c.options.plugins.title.text : null,
  subtitle: c.options.plugins.subtitle.display ? c.options.plugins.subtitle.text : null,
  axes: [c.options.scales.x.title.display && c.options.scales.x.title.text, c.options.scales.y.title.display && c.options.scales.y.title.text],
})));
/** How many pixels of a canvas are painted (alpha > 0). */
const painted = (pg, id) => pg.evaluate((id) => {
  const c = document.getElementById(id);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}, id);

const CHART_METRICS = { 'chart-loss': ['train_loss', 'val_loss'], 'chart-error': ['train_error', 'val_error'], 'chart-lr': ['lr'], 'chart-speed': ['images_per_sec'] };
/** Smoothed series (a raw line behind the main one): train loss and images/s; the others are drawn as measured. */
const SMOOTHED = new Set(['train_loss', 'images_per_sec']);
/** The expected dataset lengths of every chart, in the webview's order (run, metric; main, then raw for smoothed series). */
function expected(runs) {
  const out = {};
  for (const [id, metrics] of Object.entries(CHART_METRICS)) out[id] = runs.flatMap((r) => metrics.flatMap((m) => (SMOOTHED.has(m) ? [r.series[m].length, r.series[m].length] : [r.series[m].length])));
  return out;
}

async function testCurves(ctx, origin) {
  const pg = await ctx.newPage();
  const pageErrors = [];
  pg.on('pageerror', (e) => pageErrors.push(String(e)));
  pg.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${m.text()} ${m.location().url || ''}`); });
  pg.on('response', (r) => { if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()} ${r.url()}`); });
  await pg.goto(`${origin}/curves.html`);
  await pg.waitForFunction(() => window.__posted.length > 0, null, { timeout: TIMEOUT });
  let posted = await pg.evaluate(() => window.__posted);
  check('curves: posts `ready` first, once', same(posted, [{ type: 'ready' }]), posted);
  check('curves: no chart before the snapshot, the empty message shown', (await chartsOf(pg)).length === 0 && await pg.locator('#empty').isVisible());

  await feed(pg, curvesSnapshot);
  await pg.waitForFunction(() => document.body.getAttribute('data-runs') === '2', null, { timeout: TIMEOUT });
  let charts = await chartsOf(pg);
  let want = expected(curvesSnapshot.runs);
  check('curves: snapshot draws the 4 charts', same(charts.map((c) => c.id), Object.keys(CHART_METRICS)), charts.map((c) => c.id));
  for (const c of charts) {
    check(`curves: snapshot ${c.id}: datasets' point counts (main per run and metric, raw behind smoothed ones)`, same(c.datasets.map((d) => d.n), want[c.id]), { got: c.datasets.map((d) => d.n), want: want[c.id] });
    check(`curves: snapshot ${c.id}: every point drawn`, c.datasets.every((d) => d.drawn === d.n), c.datasets.map((d) => d.drawn));
  }
  const loss = charts.find((c) => c.id === 'chart-loss');
  check('curves: legend labels of the loss chart', same(loss.datasets.map((d) => d.label), ['wrn-28-10-a train', 'wrn-28-10-a train (raw)', 'wrn-28-10-a val', 'resnet-20-b train', 'resnet-20-b train (raw)', 'resnet-20-b val']), loss.datasets.map((d) => d.label));
  const rawYs = curvesSnapshot.runs[0].series.train_loss.map((p) => p.y);
  check('curves: raw dataset = the recorded y values; smoothed differs (smoothing 0.6)', same(loss.datasets[1].ys, rawYs) && !same(loss.datasets[0].ys, rawYs) && loss.datasets[0].ys[0] === rawYs[0]);
  // Validation series (one point an epoch) are drawn as measured at smoothing 0.6, and end at the real value.
  const valYs = curvesSnapshot.runs[0].series.val_loss.map((p) => p.y);
  const errYs = curvesSnapshot.runs[0].series.val_error.map((p) => p.y);
  const errChart = charts.find((c) => c.id === 'chart-error');
  const val = { loss: loss.datasets[2].ys, error: errChart.datasets.find((d) => d.label === 'wrn-28-10-a val').ys, legend: loss.legend.find((l) => l.text.startsWith('wrn-28-10-a val')).text };
  check('curves: the validation series is drawn unsmoothed and ends at the real value (legend too)', same(val.loss, valYs) && same(val.error, errYs) && val.loss.at(-1) === valYs.at(-1) && val.legend === `wrn-28-10-a val ${+valYs.at(-1).toPrecision(6)}`, val);
  check('curves: charts carry their titles and axis titles (drawn on the canvas, so in the PNG)', same(charts.map((c) => c.title), ['Loss (train, val)', 'Top-1 error % (train, val)', 'Learning rate', 'Images/s']) && same(loss.axes, ['step', 'cross-entropy loss']), charts.map((c) => [c.title, c.axes]));
  // The tooltip lists every run's series at the hovered x (their points are at different steps).
  const box = await pg.locator('#chart-loss').boundingBox();
  await pg.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6);
  const tip = await pg.evaluate(() => { const c = window.__charts.find((x) => x.canvas.id === 'chart-loss'); return (c.tooltip.dataPoints || []).map((d) => d.dataset.label); });
  const single = await pg.evaluate(() => {
    const c = window.__charts.find((x) => x.canvas && x.canvas.isConnected && x.canvas.id === 'chart-loss');
    const i = c.data.datasets.findIndex((d) => d.label === 'resnet-20-b val');
    const el = c.getDatasetMeta(i).data[0];
    const px = c.ctx.getImageData(Math.round(el.x * devicePixelRatio), Math.round(el.y * devicePixelRatio), 1, 1).data;
    return { n: c.data.datasets[i].data.length, radius: el.options.radius, inArea: c.isPointInArea(el), alpha: px[3] };
  });
  check('curves: a one-point series (the running run\'s first validation) is a visible marker', single.n === 1 && single.radius >= 3 && single.inArea && single.alpha > 0, single);
  check('curves: the tooltip shows every run at the hovered x', same([...tip].sort(), ['resnet-20-b train', 'resnet-20-b val', 'wrn-28-10-a train', 'wrn-28-10-a val']), tip);
  await pg.mouse.move(0, 0);
  const attrs = await pg.evaluate(() => Array.from(document.querySelectorAll('[data-chart]')).map((e) => Number(e.getAttribute('data-points'))));
  check('curves: data-points attributes = the runs\' points per chart', same(attrs, [40 + 4 + 12 + 1, 40 + 4 + 12 + 1, 52, 52]), attrs);
  const px = await painted(pg, 'chart-loss');
  check('curves: the loss chart canvas is painted', px > 2000, px);
  check('curves: controls follow the snapshot options', (await pg.locator('#smoothing-value').textContent()) === '0.6');

  await feed(pg, curvesAppend);
  await pg.waitForFunction(() => document.querySelector('[data-chart="loss"]').getAttribute('data-points') === String(57 + 6), null, { timeout: TIMEOUT });
  const before = charts.length;
  charts = await chartsOf(pg);
  const runs = JSON.parse(JSON.stringify(curvesSnapshot.runs));
  for (const [m, pts] of Object.entries(curvesAppend.points)) runs[1].series[m].push(...pts);
  want = expected(runs);
  check('curves: append updates the same 4 charts (no rebuild)', charts.length === 4 && before === 4 && (await pg.evaluate(() => window.__charts.length)) === 4);
  for (const c of charts) {
    check(`curves: after append ${c.id}: datasets' point counts`, same(c.datasets.map((d) => d.n), want[c.id]) && c.datasets.every((d) => d.drawn === d.n), { got: c.datasets.map((d) => d.n), want: want[c.id] });
  }
  const appended = charts.find((c) => c.id === 'chart-loss').datasets[4].ys.slice(-5);
  check('curves: the appended raw points are the recorded ones', same(appended, curvesAppend.points.train_loss.map((p) => p.y)), appended);
  await pg.screenshot({ path: path.join(OUT, 'curves.png'), fullPage: true });

  await pg.locator('#export-csv').click();
  await pg.waitForFunction(() => window.__posted.length >= 2, null, { timeout: TIMEOUT });
  posted = await pg.evaluate(() => window.__posted);
  check('curves: Export CSV posts exportCsv', same(posted.slice(1), [{ type: 'exportCsv' }]), posted);

  // Smoothing moved to 0 with the slider: the same charts (nothing rebuilt), the main lines are the raw values, no legend entry struck through.
  const built = await pg.evaluate(() => window.__charts.length);
  await pg.evaluate(() => { const s = document.getElementById('smoothing'); s.value = '0'; s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); });
  charts = await chartsOf(pg);
  const at0 = charts.find((c) => c.id === 'chart-loss');
  check('curves: smoothing 0 (slider): main line = raw values, raw lines hidden, legend not struck through, no rebuild', (await pg.evaluate(() => window.__charts.length)) === built && same(at0.datasets[0].ys, rawYs) && at0.datasets[1].hidden && charts.every((c) => c.legend.length > 0 && c.legend.every((l) => !l.hidden)), at0.legend);
  posted = await pg.evaluate(() => window.__posted);
  check('curves: the slider posts the new smoothing', posted.at(-1).type === 'setOptions' && posted.at(-1).options.smoothing === 0, posted.at(-1));
  await testCurvesEdgeCases(pg);
  const errs = [...pageErrors, ...await pg.evaluate(() => window.__errors)];
  check('curves: no page error, console error or CSP violation', errs.length === 0, errs);
  await pg.close();
}

/** A failed run: NaN, Inf and a 3.5e19 spike in its train loss, one-point validation series, lr 0 on a log axis. */
async function testCurvesEdgeCases(pg) {
  await feed(pg, curvesEdgeCases);
  await pg.waitForFunction(() => document.body.getAttribute('data-runs') === '1', null, { timeout: TIMEOUT });
  let charts = await chartsOf(pg);
  const legends = charts.map((c) => c.legend);
  check('curves: at smoothing 0 no legend entry is struck through, a failed run is marked in it', legends.every((l) => l.length && l.every((i) => !i.hidden && i.text.endsWith(' (failed)'))), legends);
  // A one-point series is a visible marker, labelled with its value.
  const one = await pg.evaluate(() => {
    const c = window.__charts.find((x) => x.canvas && x.canvas.isConnected && x.canvas.id === 'chart-error');
    const i = c.data.datasets.findIndex((d) => d.label === 'diverged val');
    const el = c.getDatasetMeta(i).data[0];
    const px = c.ctx.getImageData(Math.round(el.x * devicePixelRatio), Math.round(el.y * devicePixelRatio), 1, 1).data;
    return { n: c.data.datasets[i].data.length, radius: el.options.radius, inArea: c.isPointInArea(el), alpha: px[3], style: el.options.pointStyle };
  });
  check('curves: a one-point series is visible (a marker in the plot area, painted)', one.n === 1 && one.radius >= 6 && one.inArea && one.alpha > 0, one);
  const loss = charts.find((c) => c.id === 'chart-loss');
  const lossEls = await pg.evaluate(() => {
    const c = window.__charts.find((x) => x.canvas && x.canvas.isConnected && x.canvas.id === 'chart-loss');
    const ys = c.getDatasetMeta(0).data.filter((e) => !e.skip && c.isPointInArea(e)).map((e) => e.y);
    return { spread: (Math.max(...ys) - Math.min(...ys)) / c.chartArea.height, inArea: ys.length, skipped: c.getDatasetMeta(0).data.filter((e) => e.skip).length, lastStyle: c.getDatasetMeta(0).data.at(-1).options.pointStyle };
  });
  check('curves: an Inf spike (and NaN, and 3.5e19) does not flatten the chart: gaps, y axis from the other values, a note', loss.y.max < 10 && lossEls.spread > 0.5 && lossEls.inArea === 27 && lossEls.skipped === 2 && loss.subtitle === 'Gaps: 2 NaN/Inf values in diverged train; 1 outlier outside the y range (ignore outliers is on)', { y: loss.y, els: lossEls, note: loss.subtitle });
  check('curves: a failed run\'s last point is marked with a cross', lossEls.lastStyle === 'crossRot', lossEls.lastStyle);
  // Outliers counted in: the 3.5e19 spike sets the axis (TensorBoard's option off).
  await pg.evaluate(() => { const c = document.getElementById('ignore-outliers'); c.checked = false; c.dispatchEvent(new Event('change')); });
  charts = await chartsOf(pg);
  const off = charts.find((c) => c.id === 'chart-loss');
  check('curves: ignore outliers off: the spike sets the y axis', off.y.max >= 3.5e19 && off.subtitle === 'Gaps: 2 NaN/Inf values in diverged train', { y: off.y, note: off.subtitle });
  // A y range set by the user.
  await pg.locator('[data-chart="loss"] input[data-bound="max"]').fill('3');
  await pg.locator('[data-chart="loss"] input[data-bound="max"]').dispatchEvent('change');
  charts = await chartsOf(pg);
  const set = charts.find((c) => c.id === 'chart-loss');
  const posted = await pg.evaluate(() => window.__posted.at(-1));
  check('curves: a y range set by the user is the axis, and is posted with the options', set.y.max === 3 && posted.options.yRange.loss.max === 3 && posted.options.ignoreOutliers === false, { y: set.y, posted });
  // lr 0 on a log axis: a gap, named in the note.
  await pg.evaluate(() => { const c = document.getElementById('log-y'); c.checked = true; c.dispatchEvent(new Event('change')); });
  charts = await chartsOf(pg);
  const lr = charts.find((c) => c.id === 'chart-lr');
  check('curves: values <= 0 on the log axis are gaps, with a note', /^not drawn on the log axis: \d+ values? ≤ 0 in diverged$/.test(lr.subtitle) && Number.isNaN(lr.datasets[0].ys[0]), lr.subtitle);
  await pg.screenshot({ path: path.join(OUT, 'curves-edge-cases.png'), fullPage: true });
}

async function testResults(ctx, origin) {
  const pg = await ctx.newPage();
  const pageErrors = [];
  pg.on('pageerror', (e) => pageErrors.push(String(e)));
  pg.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${m.text()} ${m.location().url || ''}`); });
  pg.on('response', (r) => { if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()} ${r.url()}`); });
  pg.on('dialog', (d) => { pageErrors.push(`dialog: ${d.message()}`); void d.dismiss(); });
  await pg.goto(`${origin}/results.html`);
  await pg.waitForFunction(() => window.__posted.length > 0, null, { timeout: TIMEOUT });
  let posted = await pg.evaluate(() => window.__posted);
  check('results: posts `ready` first, once', same(posted, [{ type: 'ready' }]), posted);

  await feed(pg, resultsSnapshot);
  await pg.waitForFunction(() => document.body.getAttribute('data-rows') === '2', null, { timeout: TIMEOUT });
  const runRows = await pg.locator('#runs tbody tr').count();
  const refRows = await pg.locator('#reference tbody tr').count();
  check('results: 2 run rows, 3 reference rows', runRows === 2 && refRows === 3, { runRows, refRows });
  const heads = await pg.locator('#runs thead th').allTextContents();
  check('results: the header has the param column and the sort mark', heads.includes('train.base_lr') && heads.includes('last err % ▲'), heads);
  const col = (label) => { const i = heads.findIndex((t) => t === label || t.startsWith(`${label} `)); if (i < 0) throw new Error(`no column ${label}`); return i; };
  const cell = async (run, label) => pg.locator(`#runs tbody tr[data-run="${run}"] td`).nth(col(label)).textContent();
  const wrn = { lr: await cell('wrn-28-10-a', 'train.base_lr'), params: await cell('wrn-28-10-a', 'params'), epochs: await cell('wrn-28-10-a', 'epochs'), last: await cell('wrn-28-10-a', 'last err %'), time: await cell('wrn-28-10-a', 'time'), ref: await cell('wrn-28-10-a', 'reference'), refErr: await cell('wrn-28-10-a', 'ref err %'), diff: await cell('wrn-28-10-a', 'diff') };
  check('results: the wrn row\'s cells', same(wrn, { lr: '0.1', params: '36,479,194', epochs: '200/200', last: '4.12', time: '42.0 h', ref: 'WRN-28-10', refErr: '4.00', diff: '+0.12' }), wrn);
  check('results: the running row\'s time and state class', (await cell('resnet-20-b', 'time')) === '30.5 min' && (await pg.locator('#runs tbody tr[data-run="resnet-20-b"]').getAttribute('class')) === 'state-running');
  const held = { on: await cell('resnet-20-b', 'validated on'), diff: await cell('resnet-20-b', 'diff'), wrnOn: await cell('wrn-28-10-a', 'validated on'), note: await pg.locator('#off-test-note').textContent() };
  check('results: a run validated on a held-out split is marked (cell, † on its difference, the note naming it)', held.on === 'held-out 5000' && held.diff === '+2.55 † ‡' && held.wrnOn === 'test' && /^† resnet-20-b: validated on images held out from the training files .*not the test split/.test(held.note), held);
  const caveat = { title: await pg.locator('#runs tbody tr[data-run="resnet-20-b"] td').nth(col('diff')).getAttribute('title'), note: await pg.locator('#caveats-note p').allTextContents(), wrnTitle: await pg.locator('#runs tbody tr[data-run="wrn-28-10-a"] td').nth(col('diff')).getAttribute('title') };
  check('results: a short run on a subset is flagged with the reasons in words (‡, the cell\'s title, the note)', caveat.title === '37 epochs trained so far, the reference 160; trained on the first 1536 training images only (dataset.max_train_samples 1536)' && same(caveat.note, [`‡ resnet-20-b: not like for like with its reference row: ${caveat.title}.`]) && caveat.wrnTitle === null, caveat);
  // The difference stays in sight: the second column, sticky when the table is scrolled sideways in a narrow editor.
  await pg.setViewportSize({ width: 700, height: 900 });
  const scrolled = await pg.evaluate(() => {
    const box = document.querySelector('.scroll');
    box.scrollLeft = box.scrollWidth;
    const th = Array.from(document.querySelectorAll('#runs thead th')).find((e) => e.textContent.startsWith('diff'));
    const r = th.getBoundingClientRect();
    return { scrollLeft: box.scrollLeft, left: r.left, right: r.right, width: window.innerWidth, index: Array.from(th.parentElement.children).indexOf(th) };
  });
  check('results: the diff column is second and stays in sight when the table scrolls sideways', scrolled.index === 1 && scrolled.scrollLeft > 100 && scrolled.left >= 0 && scrolled.right <= scrolled.width, scrolled);
  await pg.screenshot({ path: path.join(OUT, 'results-scrolled.png') });
  await pg.evaluate(() => { document.querySelector('.scroll').scrollLeft = 0; });
  await pg.setViewportSize({ width: 1200, height: 900 });
  const ref3 = await pg.locator('#reference tbody tr').nth(2).locator('td').allTextContents();
  check('results: a reference row without the framework\'s error', same(ref3, ['CIFAR10', 'ResNet-56', '', '', '6.97', '160', 'model.resnet.depth 56', '']), ref3);
  check('results: matched reference rows marked', (await pg.locator('#reference tbody tr.matched').count()) === 2);
  const toggle = (await pg.locator('#reference-toggle').textContent()).trim();
  check('results: "All 5 rows" toggle, "3 of 5"', toggle === 'All 5 rows' && (await pg.locator('.heading .count').textContent()) === '3 of 5', toggle);
  await pg.screenshot({ path: path.join(OUT, 'results.png'), fullPage: true });

  await pg.locator('#runs thead th', { hasText: 'last err %' }).click();
  await pg.locator('#reference-toggle').click();
  await pg.waitForFunction(() => window.__posted.length >= 3, null, { timeout: TIMEOUT });
  posted = await pg.evaluate(() => window.__posted);
  check('results: sorting and the toggle post sort and showAllReference', same(posted.slice(1), [{ type: 'sort', sort: { key: 'lastError', descending: true } }, { type: 'showAllReference', all: true }]), posted);

  // A run named like an HTML tag shows as text: no element is made of it (issue 18, docs/security.md).
  const HOSTILE = '<img src=x onerror=alert(1)>';
  await feed(pg, { ...resultsSnapshot, rows: [{ ...resultsSnapshot.rows[0], id: 'experiments/hostile', name: HOSTILE }] });
  await pg.waitForFunction(() => document.body.getAttribute('data-rows') === '1', null, { timeout: TIMEOUT });
  const hostile = { name: await pg.locator('#runs tbody tr td').first().textContent(), imgs: await pg.locator('img').count() };
  check('results: a run named <img src=x onerror=alert(1)> shows as text', same(hostile, { name: HOSTILE, imgs: 0 }), hostile);
  const errs = [...pageErrors, ...await pg.evaluate(() => window.__errors)];
  check('results: no page error, console error or CSP violation', errs.length === 0, errs);
  await pg.close();
}

/** A page of `panel` that collects page errors, console errors and failed requests into the returned list. */
async function openPanel(ctx, origin, panel) {
  const pg = await ctx.newPage();
  const pageErrors = [];
  pg.on('pageerror', (e) => pageErrors.push(String(e)));
  pg.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${m.text()} ${m.location().url || ''}`); });
  pg.on('response', (r) => { if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()} ${r.url()}`); });
  pg.on('dialog', (d) => { pageErrors.push(`dialog: ${d.message()}`); void d.dismiss(); });
  await pg.goto(`${origin}/${panel}.html`);
  await pg.waitForFunction(() => window.__posted.length > 0, null, { timeout: TIMEOUT });
  check(`${panel}: posts \`ready\` first, once`, same(await pg.evaluate(() => window.__posted), [{ type: 'ready' }]));
  return { pg, pageErrors };
}

async function testEvaluation(ctx, origin) {
  const { pg, pageErrors } = await openPanel(ctx, origin, 'evaluation');
  await feed(pg, evaluationSnapshot);
  await pg.waitForFunction(() => document.body.getAttribute('data-total') !== null, null, { timeout: TIMEOUT });
  const counts = await pg.locator('#confusion td.cell').evaluateAll((tds) => tds.map((td) => [Number(td.dataset.t), Number(td.dataset.p), Number(td.dataset.count)]));
  const matrix = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (const [t, p, c] of counts) matrix[t][p] = c;
  check('evaluation: the heat map has the 3×3 cells of the matrix, summing to the 12 images', counts.length === 9 && same(matrix, evaluationSnapshot.view.confusion) && (await pg.evaluate(() => document.body.dataset.total)) === '12', matrix);
  const shades = await pg.locator('#confusion td.cell').evaluateAll((tds) => tds.map((td) => [td.style.getPropertyValue('--share'), getComputedStyle(td).backgroundColor]));
  check('evaluation: cells shaded by their share of the row (3 of 4 images: 0.75, a painted background)', shades[0][0] === '0.75' && shades[0][1] !== 'rgba(0, 0, 0, 0)' && shades[2][0] === '0', shades.slice(0, 3));
  const rowNames = await pg.locator('#confusion th.row').allTextContents();
  check('evaluation: class names on the rows, a name like an HTML tag as text', same(rowNames, ['cat', 'dog', '<img src=x onerror=alert(1)>']), rowNames);
  const perClass = await pg.locator('#per-class tbody tr').nth(1).locator('td').allTextContents();
  // dog: 4 images, predicted 4 times (1 + 2 + 1), 2 right: accuracy 50 %, precision 50 %, F1 50 %
  check('evaluation: per-class row of dog', same(perClass, ['dog', '4', '4', '50.0', '50.0', '50.0']), perClass);
  const imgs = await pg.locator('#gallery img').evaluateAll((els) => els.map((e) => e.complete && e.naturalWidth));
  check('evaluation: the gallery shows the 4 mistakes, decoded (data: PNGs under the CSP)', imgs.length === 4 && imgs.every((w) => w === 4), imgs);
  await pg.locator('#confusion td.cell[data-t="1"][data-p="0"]').click();
  await pg.waitForFunction(() => document.querySelector('#gallery').dataset.images === '2', null, { timeout: TIMEOUT });
  const cellFigs = await pg.locator('#gallery figure').evaluateAll((fs) => fs.map((f) => `${f.dataset.t}${f.dataset.p}`));
  const title = await pg.locator('#gallery-title').textContent();
  check('evaluation: clicking the cell dog → cat shows its 2 images', same(cellFigs, ['10', '10']) && title === 'true dog → predicted cat: all 2 images', { cellFigs, title });
  await feed(pg, evaluationCompared);
  await pg.waitForFunction(() => document.querySelector('#comparison') !== null, null, { timeout: TIMEOUT });
  const cmp = await pg.locator('#comparison tbody tr').first().locator('td').allTextContents();
  // cat: A 3 of 4 right, precision 3 of 5 (F1 66.7); B all 4, precision 4 of 4
  check('evaluation: two runs class by class (cat: 75 % vs 100 %, +25)', same(cmp, ['cat', '75.0', '100.0', '+25.0', '66.7', '100.0', '+33.3']), cmp);
  check('evaluation: the selected cell survives a snapshot', (await pg.locator('#gallery').getAttribute('data-images')) === '2');
  await pg.screenshot({ path: path.join(OUT, 'evaluation.png'), fullPage: true });
  await pg.locator('#compare').click();
  await pg.waitForFunction(() => window.__posted.length >= 2, null, { timeout: TIMEOUT });
  check('evaluation: Compare with… posts chooseOther', same((await pg.evaluate(() => window.__posted)).slice(1), [{ type: 'chooseOther' }]));
  const errs = [...pageErrors, ...await pg.evaluate(() => window.__errors)];
  check('evaluation: no page error, console error or CSP violation; no element made of a class name', errs.length === 0 && (await pg.locator('img[src="x"]').count()) === 0, errs);
  await pg.close();
}

async function testExperiments(ctx, origin) {
  const { pg, pageErrors } = await openPanel(ctx, origin, 'experiments');
  await feed(pg, experimentsSnapshot);
  await pg.waitForFunction(() => document.body.dataset.rows === '4', null, { timeout: TIMEOUT });
  const order = () => pg.locator('#experiments tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.run));
  check('experiments: 4 runs sorted by last error (45, 50, 60, 60)', same(await order(), ['wrn_16/exp01', 'wrn_16/exp00', 'resnet_preact_20/exp00', 'killed/exp00']), await order());
  const sections = await pg.locator('#experiments thead tr.sections th.section').allTextContents();
  check('experiments: config columns grouped by section', same(sections.filter(Boolean), ['model', 'train']), sections);
  const wrnTest = await pg.locator('#experiments tbody tr[data-run="wrn_16/exp00"] td[data-column="test_error"]').textContent();
  check('experiments: the test error of the last evaluation', wrnTest === '41.50', wrnTest);
  await pg.locator('#experiments thead th[data-column="last_error"]').click();
  check('experiments: a click on the header sorts descending', same((await order()).slice(0, 2), ['resnet_preact_20/exp00', 'killed/exp00']), await order());
  await pg.locator('#filter').fill('model.name = wrn');
  await pg.waitForFunction(() => document.body.dataset.rows === '3', null, { timeout: TIMEOUT });
  check('experiments: the filter model.name = wrn keeps the 3 wrn runs (still by last error, descending)', same(await order(), ['killed/exp00', 'wrn_16/exp00', 'wrn_16/exp01']), await order());
  await pg.locator('#filter').fill('nope < 1');
  await pg.waitForFunction(() => document.querySelector('#filter-error').textContent !== '', null, { timeout: TIMEOUT });
  check('experiments: an unknown column is named', /^nope: no such column/.test(await pg.locator('#filter-error').textContent()));
  await pg.locator('#filter').fill('');
  // (the bad clause was left out, so all 4 rows showed already: wait for the redraw of the cleared filter)
  await pg.waitForFunction(() => document.querySelector('#filter-error').textContent === '' && document.body.dataset.rows === '4', null, { timeout: TIMEOUT });
  const lines = await pg.locator('#parallel polyline').count();
  const axes = await pg.locator('#parallel g.axis').evaluateAll((gs) => gs.map((g) => g.dataset.column));
  check('experiments: parallel coordinates, one line per run, axes of the differing keys and the errors', lines === 4 && same(axes, ['model.name', 'train.base_lr', 'last_error', 'test_error']), { lines, axes });
  // Brush the top half of the last_error axis (errors 52.5..60): the two runs at 60 stay.
  const area = pg.locator('#parallel rect.brush-area[data-column="last_error"]');
  await area.waitFor({ state: 'visible' });
  const box = await area.boundingBox();
  await pg.mouse.move(box.x + box.width / 2, box.y + 2);
  await pg.mouse.down();
  await pg.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
  await pg.mouse.up();
  await pg.waitForFunction(() => document.body.dataset.rows === '2', null, { timeout: TIMEOUT });
  check('experiments: brushing an axis filters the table', same((await order()).sort(), ['killed/exp00', 'resnet_preact_20/exp00']) && (await pg.locator('#parallel').getAttribute('data-kept')) === '2', await order());
  await pg.locator('#clear-brushes').click();
  await pg.waitForFunction(() => document.body.dataset.rows === '4', null, { timeout: TIMEOUT });
  await pg.locator('#experiments tbody tr[data-run="wrn_16/exp00"] input.select-run').check();
  await pg.locator('#experiments tbody tr[data-run="wrn_16/exp01"] input.select-run').check();
  const enabled = { diff: await pg.locator('#config-diff').isEnabled(), curves: await pg.locator('#open-curves').isEnabled(), evaluation: await pg.locator('#open-evaluation').isEnabled() };
  check('experiments: two selected runs enable Config diff and Curves (Evaluation needs one)', same(enabled, { diff: true, curves: true, evaluation: false }), enabled);
  await pg.locator('#config-diff').click();
  await pg.locator('#experiments tbody tr[data-run="wrn_16/exp01"] button.star').click();
  const posted = await pg.evaluate(() => window.__posted);
  const diffMsg = posted.find((m) => m.type === 'configDiff');
  const star = posted.find((m) => m.type === 'star');
  const states = posted.filter((m) => m.type === 'setState');
  check('experiments: posts the config diff of the two, the star, and every choice as setState', diffMsg && diffMsg.ids.length === 2 && star && star.starred === true && states.some((m) => m.state.filter === 'model.name = wrn') && states.some((m) => m.state.sort && m.state.sort.descending), { diffMsg, star, states: states.length });
  await feed(pg, { type: 'configDiff', a: 'wrn_16/exp00', b: 'wrn_16/exp01', lines: [{ key: 'train.base_lr', a: '0.1', b: '0.2' }] });
  await pg.waitForFunction(() => document.querySelector('#diff tbody tr') !== null, null, { timeout: TIMEOUT });
  check('experiments: the config diff is shown', same(await pg.locator('#diff tbody tr td').allTextContents(), ['train.base_lr', '0.1', '0.2']));
  await pg.screenshot({ path: path.join(OUT, 'experiments.png'), fullPage: true });
  const errs = [...pageErrors, ...await pg.evaluate(() => window.__errors)];
  check('experiments: no page error, console error or CSP violation', errs.length === 0, errs);
  await pg.close();
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-webviews-'));
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1200, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    ctx.setDefaultTimeout(TIMEOUT);
    log('chromium', ctx.browser() ? ctx.browser().version() : '', origin);
    for (const [name, fn] of [['curves', testCurves], ['results', testResults], ['evaluation', testEvaluation], ['experiments', testExperiments]]) {
      try { await fn(ctx, origin); } catch (e) { check(`${name}: ran to the end`, false, String(e && e.stack || e)); }
    }
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ seconds: (Date.now() - t0) / 1000, results }, null, 2));
  log(`${results.length - failed.length}/${results.length} checks passed; screenshots in ${OUT}`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
