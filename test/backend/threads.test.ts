import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { describeBackend, initBackend, resolveThreads } from '../../runtime/backend';
import { maxAbs, maxAbsDiff, onBackend, rand } from './helpers';

describe('wasm threads (4.22.0 workaround)', () => {
  test('threads = auto resolves to os.cpus().length and the wasm backend runs that many', async () => {
    const want = resolveThreads(0);
    assert.equal(want, Math.max(1, os.cpus().length));
    const info = await initBackend('wasm', 0);
    console.log(describeBackend(info));
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(info.threadsNote, undefined, info.threadsNote);
    assert.equal(info.threads, want);
    assert.equal(wasmBackend.getThreadsCount(), want);
    // The patches are undone once the backend is up.
    assert.equal(os.cpus().length, want);
  });

  test('conv gradients on multi-threaded wasm equal the cpu backend', async () => {
    const f = (): tf.Tensor[] => {
      const x = rand([4, 16, 16, 8], 1) as tf.Tensor4D;
      const w = rand([3, 3, 8, 16], 2, 0.3) as tf.Tensor4D;
      const up = rand([4, 8, 8, 16], 3);
      const conv = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same');
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), up)))([x, w]);
      return [conv(x, w), dx, dw];
    };
    const ref = await onBackend('cpu', f);
    const got = await onBackend('wasm', f);
    ref.forEach((r, i) => {
      const d = maxAbsDiff(got[i], r);
      assert.ok(d <= 2e-6 * Math.max(1, maxAbs(r)), `output ${i}: max abs diff ${d} (max |ref| ${maxAbs(r)})`);
    });
  });

  test('a threaded process exits by itself and removes its temp folder', () => {
    const script = `
      const fs = require('fs'), os = require('os');
      require('./runtime/backend').initBackend('wasm', 2).then((info) => {
        const dirs = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('icl-wasm-threads-' + process.pid + '-'));
        console.log(JSON.stringify({ threads: info.threads, note: info.threadsNote, dirs }));
      });`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
      timeout: 30_000,
      encoding: 'utf8',
    });
    const res = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { threads: number; note?: string; dirs: string[] };
    assert.equal(res.threads, 2, res.note);
    assert.equal(res.dirs.length, 1);
    assert.equal(fs.existsSync(path.join(os.tmpdir(), res.dirs[0])), false);
  });

  test('a failed threaded start falls back to 1 thread with the reason', () => {
    // Simulate a failure inside the hack (writing the main-script file), after the threaded init has begun.
    const script = `
      const fs = require('fs');
      const write = fs.writeFileSync;
      fs.writeFileSync = (p, ...rest) => {
        if (String(p).endsWith('.main.js')) throw new Error('simulated write failure');
        return write(p, ...rest);
      };
      const tf = require('@tensorflow/tfjs-core');
      require('./runtime/backend').initBackend('wasm', 2).then((info) => {
        const s = tf.sum(tf.conv2d(tf.ones([1, 5, 5, 2]), tf.ones([3, 3, 2, 2]), 1, 'same')).dataSync()[0];
        console.log(JSON.stringify({ threads: info.threads, note: info.threadsNote, s }));
      });`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
      timeout: 30_000,
      encoding: 'utf8',
    });
    const res = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { threads: number; note?: string; s: number };
    assert.equal(res.threads, 1);
    assert.match(res.note ?? '', /^1 thread: the threaded start failed \(.*simulated write failure\)$/);
    assert.equal(res.s, 676);
  });
});
