/**
 * Memory regression (issue 14): the peak bytes that libtorch's allocator hands out during one training step of
 * ResNet-preact-20 at batch 64 on CIFAR shape stay under PyTorch's own peak for the same step.
 *
 * PYTORCH_PEAK_BYTES is PyTorch's figure, not ours: Debian's python3-torch 1.13.1 (reports 1.13.0a0), the original's
 * own model class (scripts/pytorch_image_classification/models/cifar/resnet_preact.py), torch.optim.SGD (momentum
 * 0.9, Nesterov, weight decay 1e-4), measured by scripts/bench_pytorch.py's `peak_step_bytes` (profile_memory=True:
 * the bytes live before the step, parameters, gradients, momentum buffers and the batch, plus the highest running
 * sum of the step's allocations), printed as `pytorch_peak_mb` / "PyTorch 98 MB" by
 *   npm run bench -- --config configs/cifar/resnet_preact.yaml model.resnet_preact.depth 20 train.batch_size 64 --pytorch
 * and exactly, in bytes, by
 *   /usr/bin/python3 scripts/bench_pytorch.py --config '<the JSON that bench passes>' --batch-size 64 --steps 1 --eval-steps 1
 * on 2026-12-07: 102,778,584 bytes (ours then: 102,620,492; 245 MiB before runtime/train/backprop.ts).
 */
process.env.ICL_LIBTORCH_ALLOC_STATS = '1';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { initBackend } from '../../runtime/backend';
import { loadAddon } from '../../runtime/backend/libtorch';
import { loadConfig } from '../../runtime/config';
import { createModel } from '../../runtime/models';
import { createOptimizer, SGD } from '../../runtime/train/optim';
import { trainStep, type TrainBatch } from '../../runtime/train/step';

const PYTORCH_PEAK_BYTES = 102_778_584;

const loaded = loadAddon();
const skip = loaded.ok ? false : `libtorch backend unavailable: ${loaded.reason}`;

describe('libtorch peak memory', { skip }, () => {
  test('one training step of ResNet-preact-20 at batch 64 peaks under PyTorch\'s 102,778,584 bytes', async () => {
    await initBackend('libtorch', 1);
    const addon = loaded.ok ? loaded.addon : undefined;
    const cfg = loadConfig({ configFile: 'configs/cifar/resnet_preact.yaml', overrides: ['model.resnet_preact.depth', '20', 'train.batch_size', '64', 'device', 'libtorch'] });
    const n = 64;
    const batch: TrainBatch = { x: Float32Array.from({ length: n * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37)), y: Int32Array.from({ length: n }, (_, i) => i % 10), n };
    const opts = { imageShape: [32, 32, 3] as [number, number, number], nClasses: 10, gradientClip: 0 };
    const model = createModel(cfg);
    const optimizer = createOptimizer(cfg.train, model.params);
    trainStep(model, optimizer, batch, 0.1, opts); // momentum buffers exist from here on, as in PyTorch's measurement
    const start = addon!.allocatorStats(true);
    trainStep(model, optimizer, batch, 0.1, opts);
    const { peakBytes, bytes } = addon!.allocatorStats(true);
    optimizer.dispose();
    model.dispose();
    assert.ok(start.bytes > 2e6, `the parameters, buffers and momentum are counted (${start.bytes} bytes)`);
    assert.equal(bytes, start.bytes, 'the step leaves the bytes in use as it found them');
    assert.ok(peakBytes < PYTORCH_PEAK_BYTES, `peak ${peakBytes.toLocaleString('en-US')} bytes, PyTorch ${PYTORCH_PEAK_BYTES.toLocaleString('en-US')}`);
  });

  test('an SGD step updates the parameters and momentum buffers in place: its temporaries stay within one 16 MiB chunk', async () => {
    // 4 parameters of 8 MiB (as VGG-15's 512×512×3×3 convolutions, 9 MiB each). Before the in-place update a step held
    // d = g + wd·p, the new buffers, the Nesterov step and the new parameters at once: 4 × 32 MiB above the live bytes.
    await initBackend('libtorch', 1);
    const addon = loaded.ok ? loaded.addon : undefined;
    const size = 2 * 2 ** 20;
    const params = [0, 1, 2, 3].map((i) => {
      const init = tf.fill([size], 0.5 + i);
      const variable = tf.variable(init, true, `memory_sgd_${i}`);
      init.dispose();
      return { name: `w${i}`, kind: 'conv_weight' as const, variable };
    });
    const sgd = new SGD(params, { momentum: 0.9, nesterov: true }, () => 5e-4);
    const step = () => {
      const grads = Object.fromEntries(params.map((p) => [p.name, tf.fill([size], 0.25)]));
      sgd.step(grads, 0.1);
      tf.dispose(Object.values(grads));
    };
    step(); // creates the momentum buffers
    const grads = Object.fromEntries(params.map((p) => [p.name, tf.fill([size], 0.25)]));
    const start = addon!.allocatorStats(true);
    sgd.step(grads, 0.1);
    const { peakBytes } = addon!.allocatorStats(true);
    tf.dispose(Object.values(grads));
    const w = params[0].variable.dataSync()[0];
    sgd.dispose();
    params.forEach((p) => p.variable.dispose());
    const chunk = 16 * 2 ** 20;
    assert.ok(peakBytes - start.bytes <= 2 * chunk + 4096, `the step allocated ${(peakBytes - start.bytes).toLocaleString('en-US')} bytes above the ${start.bytes.toLocaleString('en-US')} live`);
    assert.ok(Math.abs(w - 0.5) > 0.01, `the weight moved (${w})`);
  });
});
