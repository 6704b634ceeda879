/**
 * The step-equivalence tier, between our backends: for every model family (the nine CIFAR types and the ImageNet-type
 * ResNet-18, at a few channels), one full-batch SGD step (momentum 0.9, Nesterov, weight decay 1e-4, constant lr)
 * from a fixed checkpoint on libtorch and on wasm, against the `js` reference backend (tfjs's pure-JS `cpu`). Every
 * parameter, BN buffer and momentum buffer must score below 1 (test/step/harness.ts: max|ours − ref| /
 * (1e-6 + 1e-4·max|ref|)). libtorch is skipped, with the reason, when its addon is not built.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAddon } from '../../runtime/backend/libtorch';
import { FAMILIES, scoreAll, stepOn, type StepResult } from './harness';

const lt = loadAddon();

/**
 * Tensors whose exact gradient is 0, so that only float noise remains and the relative score does not apply: the
 * biases of VGG's convolutions, each followed by BN in training mode (BN removes any per-channel shift, so
 * ∂loss/∂bias = Σ dx_BN = 0 up to rounding). Their momentum buffers are compared with an absolute bound instead.
 */
const ZERO_GRADIENT = /^optimizer\/stage\d+\.conv\d+\.bias$/;
const NOISE_BOUND = 1e-5;

function assertEquivalent(family: string, device: string, ours: StepResult, ref: StepResult): void {
  const bad: string[] = [];
  for (const { key, score } of scoreAll(ours, ref)) {
    if (family === 'vgg' && ZERO_GRADIENT.test(key)) {
      const a = ours.tensors.get(key)!.data;
      const b = ref.tensors.get(key)!.data;
      const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      if (!(diff < NOISE_BOUND)) bad.push(`${key} differs by ${diff} (zero-gradient tensor, bound ${NOISE_BOUND})`);
    } else if (!(score < 1)) {
      bad.push(`${key} scores ${score.toFixed(2)}`);
    }
  }
  assert.deepEqual(bad, [], `${family} on ${device} vs js`);
  assert.ok(Math.abs(ours.loss - ref.loss) < 1e-5 * Math.max(1, ref.loss), `${family} on ${device}: loss ${ours.loss} vs ${ref.loss}`);
}

describe('one SGD step on libtorch and wasm equals the js reference backend\'s', () => {
  for (const family of FAMILIES) {
    test(family.name, async (t) => {
      const ref = await stepOn('js', family);
      assert.ok(ref.tensors.size > 0);
      const wasm = await stepOn('wasm', family);
      assertEquivalent(family.name, 'wasm', wasm, ref);
      if (!lt.ok) {
        t.diagnostic(`libtorch skipped: ${lt.reason}`);
        return;
      }
      assertEquivalent(family.name, 'libtorch', await stepOn('libtorch', family), ref);
    });
  }
});
