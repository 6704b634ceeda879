/** What a user sees for bad input: one line, the key or file, what was expected; never a stack trace. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir } from './fixtures';

const work = tempDir('icl-cli-errors-');

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

describe('CLI errors', () => {
  it('names an unknown key and suggests the closest one (exit 2)', async () => {
    const r = await runCli('train', ['train.batchsize', '64']);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, /^error: .*train\.batchsize.*train\.batch_size/);
  });

  it('names the YAML file and line of an unknown key', async () => {
    const file = path.join(work, 'bad.yaml');
    fs.writeFileSync(file, 'train:\n  batch_size: 64\n  base_lrr: 0.1\n');
    const r = await runCli('summary', ['--config', file]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, new RegExp(`^error: ${file.replace(/[.]/g, '\\.')}:3:3: .*train\\.base_lrr.*train\\.base_lr`));
  });

  it('says which depths fit the block type', async () => {
    const r = await runCli('summary', ['model.resnet_preact.depth', '21']);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, /depth.*21.*6n\+2.*20/);
  });

  it('lists where it looked for a dataset that is not there, and how to get it, when downloading is off', async () => {
    const empty = path.join(work, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const r = await runCli('train', ['--no-download', 'dataset.name', 'KMNIST', 'dataset.dataset_dir', empty, 'train.output_dir', path.join(work, 'run')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: KMNIST train split not found/m);
    assert.match(r.stderr, /^ {2}.*empty$/m);
    assert.match(r.stderr, /codh\.rois\.ac\.jp/);
    assert.match(r.stderr, /Downloading is off/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(fs.existsSync(path.join(work, 'run')), false, 'a run that cannot start leaves no folder behind');
  });

  it('refuses an explicit dataset_dir that does not exist (exit 2), without looking elsewhere', async () => {
    const missing = path.join(work, 'no-such-folder');
    const r = await runCli('train', ['dataset.name', 'FashionMNIST', 'dataset.dataset_dir', missing, 'train.output_dir', path.join(work, 'run2')]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, new RegExp(`^error: dataset\\.dataset_dir: ${missing.replace(/[.]/g, '\\.')} does not exist \\(when set, only this folder is searched\\)`));
    assert.equal(fs.existsSync(path.join(work, 'run2')), false);
  });
});
