/**
 * On a machine without CIFAR-10 (empty home, cache and working folder), `npm run train --
 * --config configs/cifar/resnet_preact.yaml …` downloads it (here from a loopback server named by
 * ICL_DATASET_MIRROR, serving a small archive in the real format) and trains; `--no-download`
 * keeps the not-found error.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ensureDataset } from '../../runtime/data/download';
import { DATASET_SOURCES } from '../../runtime/data/sources';
import { serveFiles, type TestServer } from '../data/http_server';
import { writeCifarPython } from '../data/fixtures';
import { ROOT, tempDir, type CliResult } from './fixtures';

const work = tempDir('icl-cli-download-');

/** `npm run train -- args` in `cwd` with `env`, with the fixture MD5s preloaded. */
function startTrain(args: string[], cwd: string, env: Record<string, string>): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [
    '--import', pathToFileURL(require.resolve('tsx')).href, '--import', path.join(ROOT, 'test/cli/fixture_md5s.ts'),
    path.join(ROOT, 'runtime/cli/train.ts'), ...args,
  ], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => {
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    resolve({ code, signal, stdout, stderr, json });
  }));
  return { child, done };
}

function train(args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  return startTrain(args, cwd, env).done;
}

describe('npm run train on a machine without CIFAR-10', () => {
  let server: TestServer;
  let md5s: Record<string, string>;
  const home = path.join(work, 'home');
  const cwd = path.join(work, 'cwd');
  before(async () => {
    const folder = writeCifarPython(path.join(work, 'src'), 'CIFAR10', 16, 16);
    const archive = path.join(work, 'cifar-10-python.tar.gz');
    const tar = await new Promise<number | null>((resolve) => spawn('tar', ['-czf', archive, '-C', path.dirname(folder), path.basename(folder)]).on('close', resolve));
    assert.equal(tar, 0);
    const bytes = fs.readFileSync(archive);
    md5s = { 'cifar-10-python.tar.gz': createHash('md5').update(bytes).digest('hex') };
    server = await serveFiles({ 'cifar-10-python.tar.gz': bytes });
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(cwd, { recursive: true });
  });
  after(() => server.close());

  const env = (): Record<string, string> => ({ HOME: home, ICL_DATASET_MIRROR: server.url, ICL_TEST_DATASET_MD5: JSON.stringify(md5s) });
  const args = (out: string): string[] => [
    '--config', path.join(ROOT, 'configs/cifar/resnet_preact.yaml'),
    'model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '4',
    'train.batch_size', '16', 'validation.batch_size', '16', 'scheduler.epochs', '1',
    'train.output_dir', out, 'num_threads', '1', 'device', 'wasm',
  ];

  it('--no-download: the not-found error, nothing fetched', async () => {
    const r = await train(['--no-download', ...args(path.join(work, 'off'))], cwd, env());
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: CIFAR10 train split not found/m);
    assert.match(r.stderr, /Downloading is off/);
    assert.equal(fs.existsSync(path.join(home, '.cache')), false);
  });

  it('downloads CIFAR-10 into ~/.cache/image-classification-lab, logs it, and trains', async () => {
    const out = path.join(work, 'run');
    const r = await train(args(out), cwd, env());
    assert.equal(r.code, 0, r.stderr);
    const cache = path.join(home, '.cache', 'image-classification-lab');
    assert.match(r.stderr, new RegExp(`INFO: downloading ${server.url}cifar-10-python\\.tar\\.gz to ${cache}/cifar-10-python\\.tar\\.gz`));
    assert.match(r.stderr, /INFO: download cifar-10-python\.tar\.gz: 100% \(/);
    assert.match(r.stderr, /INFO: downloaded cifar-10-python\.tar\.gz \(0\.\d MB; MD5 [0-9a-f]{32} checked\)/);
    assert.match(r.stderr, new RegExp(`INFO: CIFAR10: 80 train images \\(${cache}/cifar-10-batches-py/data_batch_1\\), validation on the 16 test images`));
    assert.equal(r.json?.status, 'completed');
    assert.deepEqual(fs.readdirSync(cache), ['cifar-10-batches-py']);
    const log = fs.readFileSync(path.join(out, 'log.txt'), 'utf8');
    assert.match(log, /downloaded cifar-10-python\.tar\.gz/, 'the run log keeps what was downloaded');
    assert.equal(server.requests.length, 1);
  });

  it('a download killed with SIGKILL leaves no folder that looks complete; the next run resumes it', async () => {
    const home2 = path.join(work, 'home2');
    fs.mkdirSync(home2);
    const cache = path.join(home2, '.cache', 'image-classification-lab');
    const part = path.join(cache, 'cifar-10-python.tar.gz.part');
    server.faults.set('cifar-10-python.tar.gz', [{ stall: 4096 }]);
    const { child, done } = startTrain(args(path.join(work, 'killed')), cwd, { ...env(), HOME: home2 });
    const t0 = Date.now();
    while (!(fs.existsSync(part) && fs.statSync(part).size === 4096)) {
      assert.ok(Date.now() - t0 < 60_000, 'the download did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await done;
    assert.deepEqual(fs.readdirSync(cache).sort(), ['.CIFAR10.download.lock', 'cifar-10-python.tar.gz.part']);
    assert.equal(fs.existsSync(path.join(work, 'killed')), false, 'no run folder either');

    // The next run (here in-process, with the fixture's MD5) takes the dead process's lock over and resumes.
    const file = DATASET_SOURCES.CIFAR10.files[0] as { md5: string };
    const real = file.md5;
    file.md5 = md5s['cifar-10-python.tar.gz'];
    server.requests.length = 0;
    try {
      const r = await ensureDataset({ name: 'CIFAR10', download: true, home: home2, cwd, systemDir: path.join(work, 'no-system'), env: { ICL_DATASET_MIRROR: server.url } });
      assert.equal(r.train.dir, path.join(cache, 'cifar-10-batches-py'));
    } finally {
      file.md5 = real;
    }
    assert.deepEqual(server.requests.map((q) => q.range), ['bytes=4096-']);
    assert.deepEqual(fs.readdirSync(cache), ['cifar-10-batches-py']);
  });
});
