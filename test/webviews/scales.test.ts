/**
 * What the Curves webview can draw and its y range (webviews/curves/scales.ts), and the run palette's
 * contrast on light, dark and high-contrast backgrounds (extension/curves/series.ts).
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { PALETTE } from '../../extension/curves/series';
import { OUTLIER_SPREADS, drawableYs, outlierDomain } from '../../webviews/curves/scales';

test('drawable values: NaN, Inf (null as JSON carries them) and values <= 0 on a log axis are gaps, counted', () => {
  const ys = [1, NaN, Infinity, -Infinity, null as unknown as number, 0, -2, 3];
  assert.deepEqual(drawableYs(ys, false), { ys: [1, NaN, NaN, NaN, NaN, 0, -2, 3], nonFinite: 4, nonPositive: 0 });
  assert.deepEqual(drawableYs(ys, true), { ys: [1, NaN, NaN, NaN, NaN, NaN, NaN, 3], nonFinite: 4, nonPositive: 2 });
});

test('ignore outliers: a 3.5e19 spike does not set the y axis; ordinary curves keep an automatic one', () => {
  const loss = Array.from({ length: 100 }, (_, i) => 2.3 * Math.exp(-i / 30) + 0.1);
  assert.deepEqual(outlierDomain(loss, false), { clipped: 0 }, 'a decaying loss, early values included');
  const spiked = [...loss.slice(0, 50), 3.5e19, ...loss.slice(50)];
  const d = outlierDomain(spiked, false);
  assert.equal(d.clipped, 1);
  const [lo, hi] = [Math.min(...loss), Math.max(...loss)];
  const pad = (hi - lo) * 0.05;
  assert.ok(Math.abs((d.min as number) - (lo - pad)) < 1e-12 && Math.abs((d.max as number) - (hi + pad)) < 1e-12, JSON.stringify(d));
  // A constant learning rate after a warm-up from 0: the warm-up is not an outlier.
  const lr = [0, 0.02, 0.04, 0.06, 0.08, ...Array(95).fill(0.1)];
  assert.deepEqual(outlierDomain(lr, false), { clipped: 0 });
  // On a log axis, in decades: 1e-4 among values near 0.1 is kept (3 decades < 10 spreads of 1 decade), 1e-30 is not.
  assert.equal(OUTLIER_SPREADS, 10);
  assert.deepEqual(outlierDomain([...lr.slice(1), 1e-4], true), { clipped: 0 });
  assert.equal(outlierDomain([...lr.slice(1), 1e-30], true).clipped, 1);
  // Too few values to tell: automatic.
  assert.deepEqual(outlierDomain([1, 1e30, 2], false), { clipped: 0 });
});

/** WCAG 2 relative luminance and contrast ratio of #rrggbb colours. */
const luminance = (hex: string): number => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: string, b: string): number => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

test('run palette: theme chart colours first, every fallback at least 3:1 on white, #1e1e1e and black', () => {
  assert.equal(PALETTE.length, 10);
  assert.deepEqual(PALETTE.slice(0, 6).map((c) => /^var\(--vscode-charts-(\w+), #[0-9a-f]{6}\)$/.exec(c)?.[1]), ['blue', 'orange', 'green', 'red', 'purple', 'yellow']);
  const hexes = PALETTE.map((c) => /#[0-9a-f]{6}/.exec(c)?.[0] as string);
  for (const bg of ['#ffffff', '#1e1e1e', '#000000']) {
    for (const c of hexes) assert.ok(contrast(c, bg) >= 3, `${c} on ${bg}: ${contrast(c, bg).toFixed(2)}`);
  }
  // The old palette's grey (#bab0ac) read at 2.1:1 on the light theme.
  assert.ok(contrast('#bab0ac', '#ffffff') < 3);
});
