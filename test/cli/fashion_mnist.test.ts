/**
 * The acceptance recipe on the real Fashion-MNIST files (Debian's dataset-fashion-mnist,
 * installed by .ci/run): ResNet-preact-8, 6000 training images, 2 epochs, cosine, batch 64, lr 0.1.
 * PyTorch reaches 0.76-0.78 test accuracy on it; so must we. Skipped only outside CI when the data
 * is absent.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir } from './fixtures';

const DATA = '/usr/share/datasets/fashion-mnist';
const present = fs.existsSync(path.join(DATA, 'train-images-idx3-ubyte.gz'));

describe('real Fashion-MNIST', () => {
  it('trains ResNet-preact-8 to PyTorch accuracy and evaluates its checkpoint to the same number', { skip: !present && !process.env.CI && `${DATA} absent` }, async () => {
    const out = path.join(tempDir('icl-fmnist-'), 'run');
    const r = await runCli('train', [
      '--config', 'configs/cifar/resnet_preact.yaml',
      'dataset.name', 'FashionMNIST', 'model.resnet_preact.depth', '8',
      'dataset.max_train_samples', '6000', 'dataset.max_test_samples', '2000',
      'scheduler.epochs', '2', 'scheduler.type', 'cosine', 'train.batch_size', '64', 'train.base_lr', '0.1',
      'train.output_dir', out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const acc = r.json!.val_accuracy as number;
    assert.ok(acc >= 0.72 && acc <= 0.85, `test accuracy ${acc}, PyTorch: 0.76-0.78`);
    const e = await runCli('evaluate', ['--config', path.join(out, 'config.yaml'), 'test.checkpoint', r.json!.checkpoint as string]);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(e.json!.accuracy, acc);
    assert.equal(e.json!.n, 2000);
  });
});
