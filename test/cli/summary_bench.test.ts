import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from './fixtures';

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
    assert.deepEqual(Object.keys(j), ['model', 'depth', 'dataset', 'backend', 'threads', 'batch_size', 'train_images_per_sec', 'eval_images_per_sec', 'peak_rss_mb']);
    assert.equal(j.model, 'resnet_preact');
    assert.equal(j.batch_size, 16);
    assert.equal(j.backend, 'wasm');
    assert.ok((j.train_images_per_sec as number) > 0 && (j.eval_images_per_sec as number) > (j.train_images_per_sec as number));
    assert.ok((j.peak_rss_mb as number) > 50);
  });

  it('bench --allreduce adds the per-step cost of averaging the gradients across N processes', async () => {
    const r = await runCli('bench', ['model.resnet_preact.depth', '8', 'dataset.name', 'FashionMNIST', 'train.batch_size', '8', '--steps', '1', '--eval-steps', '1', '--warmup', '1', '--allreduce', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json!.allreduce_world_size, 2);
    assert.ok((r.json!.allreduce_ms as number) > 0 && (r.json!.allreduce_ms as number) < 5_000);
    assert.match(r.stderr, /all-reduce of 77,562 floats over 2 processes: [\d.]+ ms per step/);
  });
});
