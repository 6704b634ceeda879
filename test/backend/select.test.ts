import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  busyCores,
  contentionWarning,
  describeBackend,
  initBackend,
  packageWasmDir,
  summariseLoadError,
  WASM_BINARY_NAMES,
  WASM_DIR_ENV,
  wasmBinaryDir,
} from '../../runtime/backend';

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const noNode = !installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu');
const root = path.join(__dirname, '..', '..');
const builtAddon = path.join(root, 'runtime', 'backend', 'libtorch', 'native', 'build', 'Release', 'icl_libtorch.node');
// In this process the libtorch addon is absent (the addon is loaded lazily, at the first initBackend), so the
// fallbacks below wasm are what a machine without libtorch gets; the libtorch preference is checked in a child.
const missingAddon = path.join(root, 'no-such-dir', 'icl_libtorch.node');
process.env.ICL_LIBTORCH_ADDON = missingAddon;
const addonReason = `ICL_LIBTORCH_ADDON names ${missingAddon}, which does not exist`;

describe('backend selection', () => {
  test('summariseLoadError gives one-line reasons', () => {
    const notFound = Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack:\n- /x.js"), {
      code: 'MODULE_NOT_FOUND',
    });
    assert.equal(summariseLoadError('@tensorflow/tfjs-node', notFound), 'not installed');
    const dep = Object.assign(new Error("Cannot find module '@mapbox/node-pre-gyp'\nRequire stack:"), { code: 'MODULE_NOT_FOUND' });
    assert.equal(summariseLoadError('@tensorflow/tfjs-node', dep), 'its dependency @mapbox/node-pre-gyp is not installed');
    const so = new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
    assert.equal(summariseLoadError('@tensorflow/tfjs-node', so), 'libtensorflow.so.2 not found');
    const cuda = new Error('libcudnn.so.8: cannot open shared object file: No such file or directory');
    assert.equal(summariseLoadError('@tensorflow/tfjs-node-gpu', cuda), 'libcudnn.so.8 not found');
    const binding = new Error("Cannot find module '/n/lib/napi-v8/tfjs_binding.node'");
    assert.match(summariseLoadError('@tensorflow/tfjs-node', binding), /tfjs_binding\.node/);
    assert.equal(summariseLoadError('p', new Error('boom\n    at x (y.js:1:1)')), 'boom');
  });

  test('the .wasm binaries are found (package, or $ICL_WASM_DIR as a bundle would use)', () => {
    const pkgDir = packageWasmDir();
    assert.ok(pkgDir != null);
    assert.equal(wasmBinaryDir(), pkgDir);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-wasm-dir-'));
    try {
      for (const name of WASM_BINARY_NAMES) fs.copyFileSync(path.join(pkgDir, name), path.join(tmp, name));
      process.env[WASM_DIR_ENV] = tmp;
      assert.equal(wasmBinaryDir(), tmp);
      process.env[WASM_DIR_ENV] = path.join(tmp, 'missing');
      assert.equal(wasmBinaryDir(), pkgDir);
    } finally {
      delete process.env[WASM_DIR_ENV];
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('auto falls back to wasm and says why', { skip: !noNode && 'tfjs-node is installed here' }, async () => {
    const info = await initBackend('auto', 1);
    assert.equal(info.backend, 'wasm');
    assert.equal(info.engine, 'wasm');
    assert.equal(info.threads, 1);
    assert.equal(info.tfjsVersion, tf.version_core);
    assert.deepEqual(info.skipped, [
      { engine: 'tfjs-node-gpu', reason: 'not installed' },
      { engine: 'libtorch', reason: addonReason },
      { engine: 'tfjs-node', reason: 'not installed' },
    ]);
    assert.equal(
      describeBackend(info),
      `backend wasm (${info.simd ? 'SIMD' : 'no SIMD'}, 1 thread); skipped tfjs-node-gpu: not installed, libtorch: ${addonReason}, tfjs-node: not installed`,
    );
  });

  /** Runs `lines` in a child process (from the repository root, through tsx) that loads the built addon. */
  const withBuiltAddon = (lines: string[]) => {
    const env = { ...process.env };
    delete env.ICL_LIBTORCH_ADDON;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', lines.join('\n')], { cwd: root, encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    return r;
  };
  const builtSkip = (!fs.existsSync(builtAddon) && 'the libtorch addon is not built') || (!noNode && 'tfjs-node is installed here');

  test('auto and cpu prefer libtorch when its addon is built', { skip: builtSkip }, () => {
    const r = withBuiltAddon([
      "const { initBackend, describeBackend } = require('./runtime/backend');",
      "(async () => { for (const d of ['auto', 'cpu']) console.log(describeBackend(await initBackend(d, 1))); })();",
    ]);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'backend libtorch (libtorch 1.13.0, 1 thread); skipped tfjs-node-gpu: not installed',
      'backend libtorch (libtorch 1.13.0, 1 thread)',
    ].map((l) => l.replace('1.13.0', r.stdout.match(/libtorch (\d+\.\d+\.\d+)/)?.[1] ?? '?')));
  });

  test('device cuda on a CPU-only libtorch build says so in one line, naming LIBTORCH', { skip: builtSkip }, () => {
    const r = withBuiltAddon([
      "const { initBackend, loadLibtorchAddon } = require('./runtime/backend');",
      "if (loadLibtorchAddon().addon.cudaBuilt()) { console.log('CUDA build'); process.exit(0); }",
      "initBackend('cuda', 1).then(() => process.exit(3), (e) => { console.log(e.message); process.exit(0); });",
    ]);
    if (r.stdout.trim() === 'CUDA build') return;
    assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
    assert.match(r.stdout, /libtorch on CUDA is unavailable \(the addon is built against a CPU-only libtorch \d+\.\d+/);
    assert.match(r.stdout, /LIBTORCH=\/path\/to\/libtorch npm run build:libtorch/);
  });

  test('cuda/gpu fail with a clear one-paragraph error', { skip: !noNode && 'tfjs-node is installed here' }, async () => {
    for (const device of ['cuda', 'gpu'] as const) {
      await assert.rejects(initBackend(device, 1), (e: Error) => {
        assert.match(e.message, /tfjs-node-gpu did not load \(not installed\)/);
        assert.match(e.message, /npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
        assert.match(e.message, /'device auto' would use wasm/);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      });
    }
  });

  test('cpu uses wasm when tfjs-node is missing; js is the pure-JS backend', { skip: !noNode && 'tfjs-node is installed here' }, async () => {
    const cpu = await initBackend('cpu', 1);
    assert.equal(cpu.engine, 'wasm');
    assert.deepEqual(cpu.skipped, [{ engine: 'libtorch', reason: addonReason }, { engine: 'tfjs-node', reason: 'not installed' }]);
    const js = await initBackend('js', 0);
    assert.equal(js.backend, 'cpu');
    assert.equal(js.engine, 'js');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(describeBackend(js), 'backend cpu (pure JS, very slow, 1 thread)');
    const wasm = await initBackend('wasm', 1);
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(wasm.skipped, []);
  });

  test('describeBackend for tfjs-node-gpu', () => {
    const line = describeBackend({
      backend: 'tensorflow',
      engine: 'tfjs-node-gpu',
      threads: 8,
      tfjsVersion: '4.22.0',
      gpu: 'NVIDIA H200',
      skipped: [],
    });
    assert.equal(line, 'backend tensorflow (tfjs-node-gpu, GPU NVIDIA H200, 8 threads)');
  });
});

test('contentionWarning: only when busy cores leave the compute threads fewer cores than they need', () => {
  assert.equal(contentionWarning(1, 2, 2), undefined);
  assert.equal(contentionWarning(2, 0.3, 2), undefined);
  assert.equal(contentionWarning(2, 0.5, 2), undefined);
  assert.match(contentionWarning(2, 1.2, 2) ?? '', /^1\.2 of 2 cores are busy with other processes: with 2 compute threads .* num_threads 1 may be faster$/);
  assert.equal(contentionWarning(8, 6, 16), undefined);
  assert.match(contentionWarning(16, 6, 16) ?? '', /num_threads 10 may be faster$/);
});

test('busyCores counts other processes: a spinning child shows as a busy core', async () => {
  const spin = spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 3000);']);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const busy = await busyCores(600);
    // The spinning child alone keeps at least half a core busy even on a machine shared with others.
    assert.ok(busy >= 0.5 && busy <= os.cpus().length + 0.01, `busy ${busy} while one core spins`);
  } finally {
    spin.kill();
  }
});
