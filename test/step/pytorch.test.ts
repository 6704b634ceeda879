/**
 * The step-equivalence tier against PyTorch itself (scripts/step_pytorch.py builds the original's network, loads
 * the same checkpoint and takes torch.optim's step): ResNet-preact and ResNet with SGD (momentum 0.9, Nesterov,
 * weight decay 1e-4) on libtorch and wasm; Adam and AMSGrad (torch.optim) and AdaBound, AdaBoundW and LARS (their
 * papers' update rules, written out in the script) on ResNet-preact. Every parameter, BN buffer and optimizer state
 * tensor must score below 1 (test/step/harness.ts). Skipped, with the reason, without python3-torch; the libtorch
 * cases without the addon.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Device } from '../../runtime/backend';
import { loadAddon } from '../../runtime/backend/libtorch';
import { FAMILIES, scoreAll, stepOn, stepOnPytorch, torchUnavailable, type Family, type StepResult, type StepSetup } from './harness';

const noTorch = torchUnavailable();
const lt = loadAddon();
const devices: Device[] = lt.ok ? ['libtorch', 'wasm'] : ['wasm'];
const family = (name: string): Family => FAMILIES.find((f) => f.name === name)!;

function assertScores(label: string, ours: StepResult, ref: StepResult): void {
  const all = scoreAll(ours, ref);
  assert.ok(all.length >= ours.tensors.size, label);
  const bad = all.filter((s) => !(s.score < 1)).map((s) => `${s.key} ${s.score.toFixed(2)}`);
  assert.deepEqual(bad, [], `${label}: tensors scoring 1 or more`);
  assert.ok(Math.abs(ours.loss - ref.loss) < 1e-5 * Math.max(1, ref.loss), `${label}: loss ${ours.loss} vs PyTorch ${ref.loss}`);
}

describe('one training step equals PyTorch\'s', { skip: noTorch ?? false }, () => {
  for (const name of ['resnet_preact', 'resnet']) {
    for (const device of devices) {
      test(`${name}, SGD, on ${device}`, async () => {
        const ours = await stepOn(device, family(name));
        assertScores(`${name} on ${device}`, ours, stepOnPytorch(family(name), {}, ours));
      });
    }
  }

  for (const optimizer of ['adam', 'amsgrad', 'adabound', 'adaboundw', 'lars']) {
    test(`resnet_preact, ${optimizer}, on ${devices[0]}`, async () => {
      const setup: StepSetup = { train: ['train.optimizer', optimizer] };
      const ours = await stepOn(devices[0], family('resnet_preact'), setup);
      assert.ok([...ours.tensors.keys()].some((k) => k.startsWith('optimizer/')), 'the optimizer has state');
      assertScores(`${optimizer} on ${devices[0]}`, ours, stepOnPytorch(family('resnet_preact'), setup, ours));
    });
  }

  // At the size (64 images of 28×28, 16 channels) PyTorch's own float32 step moves ReLU masks at BN outputs
  // within rounding of 0 (its x·α + β' cancels when |mean·α| ≫ |y|) and scores 20-100 against the exact step, so
  // both sides are compared with PyTorch's step in float64 (docs/libtorch.md, "Same step as PyTorch").
  test(`ResNet-preact-8 at Fashion-MNIST size on ${devices[0]} equals PyTorch's exact (float64) step`, async () => {
    const f: Family = { name: 'resnet_preact', file: 'cifar/resnet_preact.yaml', overrides: ['model.resnet_preact.depth', '8', 'dataset.name', 'FashionMNIST'] };
    const ours = await stepOn(devices[0], f, { images: 64 });
    assertScores(`ResNet-preact-8 on ${devices[0]}`, ours, stepOnPytorch(f, {}, ours, true));
  });
});
