#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports -- a plain Node script run by Node 24 with NODE_PATH reaching playwright-core */
// Drives code-server (the extension installed from its .vsix) with playwright-core + Debian chromium:
// config completion, a diagnostic, the Runs view, the Curves webview on a fixture run, Run Experiment on
// a tiny config with live curves, and the Results panel. Usage: see test/e2e/run.sh.
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');
const { chromium } = require('playwright-core');

const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const URL_BASE = arg('url').replace(/\/$/, '');
const WS = arg('workspace');
const OUT = arg('out');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 90000);
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const results = [];
const check = (name, ok, detail) => { results.push({ name, ok: !!ok, detail }); log(ok ? 'PASS' : 'FAIL', name, detail === undefined ? '' : JSON.stringify(detail)); };
const QUICK = '.quick-input-widget .quick-input-box input';

async function palette(page, title) {
  await page.keyboard.press('F1');
  await page.locator(QUICK).waitFor({ state: 'visible' });
  await page.locator(QUICK).fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}
async function openFile(page, rel) {
  await page.keyboard.press('Control+P');
  await page.locator(QUICK).waitFor({ state: 'visible' });
  await page.locator(QUICK).fill(rel);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: path.basename(rel) }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: path.basename(rel) }).waitFor({ state: 'visible' });
}
const webview = (page) => page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
async function shot(page, name) { await page.mouse.move(0, 0); await page.waitForTimeout(300); await page.screenshot({ path: path.join(OUT, name) }); }
let page;
async function step(name, fn) {
  try { await fn(); } catch (e) {
    check(name, false, String(e.message || e).split('\n')[0]);
    await page.screenshot({ path: path.join(OUT, `fail-${name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
    await page.keyboard.press('Escape').catch(() => {});
  }
}

(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  ctx.setDefaultTimeout(TIMEOUT);
  const blocked = [];
  await ctx.route('**/*', (route) => { const u = new URL(route.request().url()); if (['127.0.0.1', 'localhost'].includes(u.hostname) || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue(); blocked.push(u.href); return route.abort(); });
  page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page.goto(`${URL_BASE}/?folder=${encodeURIComponent(WS)}`);
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'configs' }).first().waitFor({ state: 'visible' });
    check('workbench ready', true);

    await step('completion of a key', async () => {
      await openFile(page, 'configs/tiny.yaml');
      await page.waitForTimeout(1500);
      // Focus the editor (a chat or welcome view may have taken the focus).
      await page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'scheduler' }).first().click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('augm', { delay: 40 });
      await page.keyboard.press('Control+Space');
      await page.locator('.suggest-widget .monaco-list-row', { hasText: 'augmentation' }).first().waitFor({ state: 'visible', timeout: 30000 });
      check('completion of a key', true);
      await shot(page, '01-completion.png');
      await page.keyboard.press('Escape');
      for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    });
    await step('completion of a value', async () => {
      // Line 2 is `device: auto`: delete the value and ask for completions.
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('End');
      for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
      await page.keyboard.press('Control+Space');
      await page.locator('.suggest-widget .monaco-list-row', { hasText: 'wasm' }).first().waitFor({ state: 'visible', timeout: 30000 });
      const labels = await page.locator('.suggest-widget .monaco-list-row').allInnerTexts();
      check('completion of a value', labels.some((l) => l.includes('cpu')), labels.slice(0, 6));
      await page.keyboard.press('Escape');
      await page.keyboard.type('auto');
      await page.keyboard.press('Control+S');
    });
    await step('diagnostic: depth that does not fit', async () => {
      await openFile(page, 'configs/broken.yaml');
      await page.locator('.squiggly-error').first().waitFor({ state: 'attached', timeout: 30000 });
      await palette(page, 'View: Focus Problems');
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'does not fit wrn' }).first();
      await row.waitFor({ state: 'visible' });
      check('diagnostic: depth that does not fit', true, await row.innerText());
      await shot(page, '02-diagnostic.png');
    });
    await step('Runs view lists the fixture runs', async () => {
      await palette(page, 'Image Classification Lab: Focus on Runs View');
      const row = page.locator('.monaco-list-row', { hasText: 'wrn_16/exp00' }).first();
      await row.waitFor({ state: 'visible' });
      const all = await page.locator('[id="workbench.view.extension.imageClassificationLab"] .monaco-list-row').allInnerTexts().catch(() => []);
      check('Runs view lists the fixture runs', (await row.innerText()).includes('completed'), all);
      await row.click();
    });
    await step('Curves webview draws the fixture run', async () => {
      const chart = webview(page).locator('[data-chart="error"][data-points]');
      await chart.waitFor({ state: 'attached' });
      const n = Number(await chart.getAttribute('data-points'));
      check('Curves webview draws the fixture run', n === 7, { errorPoints: n });
      await shot(page, '03-curves-fixture.png');
    });
    await step('Run Experiment on a tiny config, curves grow live', async () => {
      // Focus the editor of tiny.yaml (the Curves webview has the focus now).
      await page.locator('.tabs-container .tab', { hasText: 'tiny.yaml' }).first().click();
      await page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'scheduler' }).first().click();
      await palette(page, 'Image Classification Lab: Run Experiment');
      await page.locator('.quick-input-widget', { hasText: 'Overrides for' }).waitFor({ state: 'visible' });
      await page.keyboard.press('Enter'); // no overrides
      await page.locator('.quick-input-widget', { hasText: 'Run folder' }).waitFor({ state: 'visible' });
      await page.waitForTimeout(300);
      const proposed = await page.locator(QUICK).inputValue();
      check('output folder proposed', proposed === 'experiments/resnet_preact_8/exp00', proposed);
      await page.keyboard.press('Enter');
      const events = path.join(WS, proposed, 'events.jsonl');
      const end = Date.now() + 240000;
      let text = '';
      while (Date.now() < end && !/"run_end"/.test(text)) { await page.waitForTimeout(1000); text = fs.existsSync(events) ? fs.readFileSync(events, 'utf8') : ''; }
      check('training completed', /"run_end"[^\n]*"completed"/.test(text), text.split('\n').filter(Boolean).length + ' events');
      const chart = webview(page).locator('[data-chart="loss"]');
      await page.waitForTimeout(2500);
      const n = Number(await chart.getAttribute('data-points'));
      check('Curves webview shows the new run', n > 0, { lossPoints: n });
      await shot(page, '04-curves-live.png');
    });
    await step('Results panel', async () => {
      await palette(page, 'Image Classification Lab: Open Results');
      const rows = webview(page).locator('#runs tbody tr');
      await rows.first().waitFor({ state: 'visible' });
      const n = await rows.count();
      const refs = await webview(page).locator('#reference tbody tr').count();
      check('Results panel: a row per run and reference rows', n >= 4 && refs > 0, { runs: n, reference: refs });
      await shot(page, '05-results.png');
    });
  } catch (e) {
    check('unexpected error', false, String(e.message || e).split('\n')[0]);
    await page.screenshot({ path: path.join(OUT, 'failure.png') }).catch(() => {});
  } finally {
    fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
    fs.writeFileSync(path.join(OUT, 'console-errors.txt'), errors.join('\n'));
    fs.writeFileSync(path.join(OUT, 'blocked-requests.txt'), blocked.join('\n'));
    await ctx.close();
    const failed = results.filter((r) => !r.ok).length;
    console.log(`${results.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }
})();
