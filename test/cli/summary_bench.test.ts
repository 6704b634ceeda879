import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadAddon } from '../../runtime/backend/libtorch';
import { runCli, tempDir } from './fixtures';

/** What `device auto` picks here: libtorch when its addon is built (as .ci/run does), else wasm. */
const AUTO_BACKEND = loadAddon().ok ? 'libtorch' : 'wasm';

describe('npm run summary / bench', () => {
  it('summary prints the layer table and the parameter count of ResNet-preact-20 on 28x28x1', async () => {
    const r = await runCli('summary', ['--config', 'configs/cifar/resnet_preact.yaml', 'model.resnet_preact.depth', '20', 'dataset.name', 'FashionMNIST']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json, { model: 'resnet_preact', params: 271_994, macs: r.json!.macs, output_shape: [1, 10] });
    assert.match(r.stdout, /^stage3\.block3\.conv2\s+Conv2d\s+\[1, 7, 7, 64\]\s+36,864\s+1,806,336$/m);
    // conv + linear MACs for one 28x28 image, by hand: stem 28·28·16·9 = 112,896; stage 1: 6 convs
    // 28·28·16·16·9; stage 2: 16→32 s2 conv 903,168 + 1x1 shortcut 100,352 + 5 convs 14·14·32·32·9;
    // stage 3: the same at 7x7 with 64 channels; fc 64·10.
    const perConv = 1_806_336;
    assert.equal(r.json!.macs, 112_896 + 6 * perConv + 2 * (903_168 + 100_352 + 5 * perConv) + 640);
  });

  it('bench times training and evaluation and prints its JSON line', async () => {
    const r = await runCli('bench', ['model.resnet_preact.depth', '8', 'dataset.name', 'FashionMNIST', 'train.batch_size', '16', '--steps', '2', '--eval-steps', '2', '--warmup', '1']);
    assert.equal(r.code, 0, r.stderr);
    const j = r.json!;
    // peak_libtorch_mb: the allocator's own peak in one training step, on libtorch only.
    const keys = ['model', 'depth', 'dataset', 'backend', 'threads', 'batch_size', 'rounds', 'train_images_per_sec', 'eval_images_per_sec', 'peak_rss_mb'];
    assert.deepEqual(Object.keys(j), AUTO_BACKEND === 'libtorch' ? [...keys, 'peak_libtorch_mb'] : keys);
    if (AUTO_BACKEND === 'libtorch') assert.ok((j.peak_libtorch_mb as number) > 0 && (j.peak_libtorch_mb as number) < 100, JSON.stringify(j));
    assert.equal(j.model, 'resnet_preact');
    assert.equal(j.batch_size, 16);
    assert.equal(j.rounds, 1);
    assert.equal(j.backend, AUTO_BACKEND);
    assert.ok((j.train_images_per_sec as number) > 0 && (j.eval_images_per_sec as number) > (j.train_images_per_sec as number));
    assert.ok((j.peak_rss_mb as number) > 50);
  });

  it('bench --pytorch alternates rounds with the PyTorch process and reports medians and the median per-round ratio', async () => {
    // A stand-in for `python3 scripts/bench_pytorch.py --serve` (PyTorch is not needed for this check): it answers
    // the protocol with fixed figures and logs the requests it got.
    const dir = tempDir('icl-fake-pytorch-');
    const log = path.join(dir, 'requests.log');
    const fake = path.join(dir, 'python');
    fs.writeFileSync(fake, [
      '#!/usr/bin/env node',
      `const fs = require('fs');`,
      `if (!process.argv.includes('--serve')) process.exit(3);`,
      `console.log(JSON.stringify({ engine: 'pytorch fake', ready: true }));`,
      `const memory = { peak_bytes: 7 * 2 ** 20, peak_rss_mb: 7 };`,
      `require('readline').createInterface({ input: process.stdin }).on('line', (l) => {`,
      `  fs.appendFileSync(${JSON.stringify(log)}, l + '\\n');`,
      `  if (l === 'quit') process.exit(0);`,
      `  console.log(JSON.stringify(l === 'memory' ? memory : { images_per_sec: l.startsWith('train') ? 10 : 40, peak_rss_mb: 7 }));`,
      `});`,
    ].join('\n'), { mode: 0o755 });
    process.env.ICL_PYTHON = fake;
    try {
      const r = await runCli('bench', ['model.resnet_preact.depth', '8', 'dataset.name', 'FashionMNIST', 'train.batch_size', '8', '--steps', '1', '--eval-steps', '1', '--warmup', '1', '--rounds', '2', '--pytorch']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), ['train 1', 'eval 1', 'train 1', 'eval 1', 'memory', 'quit']);
      assert.equal((r.stderr.match(/^round \d\/2: /gm) ?? []).length, 2, r.stderr);
      const j = r.json!;
      assert.equal(j.rounds, 2);
      assert.equal(j.pytorch, 'pytorch fake');
      assert.equal(j.pytorch_train_images_per_sec, 10);
      assert.equal(j.pytorch_eval_images_per_sec, 40);
      assert.equal(j.pytorch_peak_rss_mb, 7);
      assert.equal(j.pytorch_peak_mb, 7);
      // With two rounds the median of the per-round ratios (ours/10) is the mean of ours over 10, which is the median of ours.
      assert.ok(Math.abs((j.train_ratio as number) - (j.train_images_per_sec as number) / 10) <= 0.01, JSON.stringify(j));
      assert.ok(Math.abs((j.eval_ratio as number) - (j.eval_images_per_sec as number) / 40) <= 0.01, JSON.stringify(j));
    } finally {
      delete process.env.ICL_PYTHON;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bench --allreduce adds the per-step cost of averaging the gradients across N processes', async () => {
    const r = await runCli('bench', ['model.resnet_preact.depth', '8', 'dataset.name', 'FashionMNIST', 'train.batch_size', '8', '--steps', '1', '--eval-steps', '1', '--warmup', '1', '--allreduce', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.allreduce_world_size, 2);
    assert.ok((r.json!.allreduce_ms as number) > 0 && (r.json!.allreduce_ms as number) < 5_000);
    assert.ok(Number.isFinite(r.json!.ddp_allreduce_ms), JSON.stringify(r.json));
    assert.match(r.stderr, /gradient exchange of 77,562 floats in 25 tensors over 2 processes \(c10d Gloo, 25 MB buckets\): [\d.]+ ms per step; PyTorch DDP \(Gloo\) on the same gradients: [\d.]+ ms/);
  });
});
