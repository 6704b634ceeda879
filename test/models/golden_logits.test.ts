/**
 * Golden logits (test/models/golden_logits.ts): every model family's evaluation-mode and training-mode logits, and
 * the logits after the running-statistics update and after one SGD step, equal the outputs recorded in
 * test/fixtures/golden_logits.json on libtorch and on wasm, to max|ours − ref| ≤ 1e-5·(1 + max|ref|) for the forward
 * passes and 1e-4·(1 + max|ref|) after the SGD step, which amplifies float noise (libtorch and wasm, two different
 * kernel libraries, agree to 2.1e-6 and 1.7e-5; another CPU's SIMD width gives less; a changed kernel, layout or
 * update rule moves the logits by 0.1 and more). libtorch is skipped, with the reason,
 * when its addon is not built. Regenerate only deliberately: `node --import tsx scripts/golden_logits.ts`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { loadAddon } from '../../runtime/backend/libtorch';
import { GOLDEN_DEVICES, GOLDEN_FAMILIES, GOLDEN_FIXTURE, goldenOutputs, goldenScore, type GoldenFixture, type GoldenOutputs } from './golden_logits';

const TOLERANCE: Record<keyof GoldenOutputs, number> = { eval: 1e-5, train: 1e-5, evalAfterTrainForward: 1e-5, evalAfterStep: 1e-4 };
const fixture = JSON.parse(fs.readFileSync(GOLDEN_FIXTURE, 'utf8')) as GoldenFixture;
const lt = loadAddon();

describe('golden logits of every model family', () => {
  test('the fixture covers every family on every backend', () => {
    for (const device of GOLDEN_DEVICES) assert.deepEqual(Object.keys(fixture[device] ?? {}).sort(), GOLDEN_FAMILIES.map((f) => f.name).sort(), device);
  });
  for (const device of GOLDEN_DEVICES) {
    for (const family of GOLDEN_FAMILIES) {
      test(`${family.name} on ${device}`, async (t) => {
        if (device === 'libtorch' && !lt.ok) {
          t.skip(`libtorch addon not built: ${lt.reason}`);
          return;
        }
        const ours = await goldenOutputs(device, family);
        const ref = fixture[device][family.name];
        const bad = (Object.keys(ref) as (keyof GoldenOutputs)[])
          .map((k) => ({ k, score: goldenScore(ours[k], ref[k]) }))
          .filter(({ k, score }) => !(score <= TOLERANCE[k]))
          .map(({ k, score }) => `${k}: ${score.toExponential(2)} (ours ${ours[k].slice(0, 3).join(', ')}…, recorded ${ref[k].slice(0, 3).join(', ')}…)`);
        assert.deepEqual(bad, []);
      });
    }
  }
});
