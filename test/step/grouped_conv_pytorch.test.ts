/**
 * The grouped convolution of ResNeXt (runtime/models/ops/grouped_conv2d.ts, composed from conv2d) against PyTorch's
 * grouped `conv2d` (issue 20): the output and both gradients, ∂/∂x and ∂/∂w, on wasm and libtorch, for every merge
 * width b (groups per conv call), stride 1 and 2. Skipped, with the reason, without python3-torch.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Device } from '../../runtime/backend';
import { loadAddon } from '../../runtime/backend/libtorch';
import { groupedConv2d } from '../../runtime/models/ops/grouped_conv2d';
import { maxAbs, maxAbsDiff, randomValues } from '../backend/helpers';
import { TORCH_PYTHON, torchUnavailable } from './harness';

const [N, H, CIN, COUT, G, K] = [4, 8, 16, 16, 4, 3];
const devices: Device[] = loadAddon().ok ? ['wasm', 'libtorch'] : ['wasm'];

/** PyTorch: y = conv2d(x, w, groups=G, padding 1), and the gradients of Σ y·dy; all in tfjs layouts (NHWC, HWIO). */
function pytorch(stride: number, x: Float32Array, w: Float32Array, dy: Float32Array): Float32Array[] {
  const script = `
import sys, torch, numpy as np
N, H, CIN, COUT, G, K, S = ${N}, ${H}, ${CIN}, ${COUT}, ${G}, ${K}, ${stride}
raw = np.frombuffer(sys.stdin.buffer.read(), dtype=np.float32)
nx, nw = N * H * H * CIN, K * K * (CIN // G) * COUT
x = torch.from_numpy(raw[:nx].copy()).reshape(N, H, H, CIN).permute(0, 3, 1, 2).contiguous().requires_grad_()
w = torch.from_numpy(raw[nx:nx + nw].copy()).reshape(K, K, CIN // G, COUT).permute(3, 2, 0, 1).contiguous().requires_grad_()
y = torch.nn.functional.conv2d(x, w, None, S, 1, 1, G)
dy = torch.from_numpy(raw[nx + nw:].copy()).reshape(y.permute(0, 2, 3, 1).shape).permute(0, 3, 1, 2)
(y * dy).sum().backward()
sys.stdout.buffer.write(b''.join(t.detach().contiguous().numpy().tobytes() for t in [y.permute(0, 2, 3, 1), x.grad.permute(0, 2, 3, 1), w.grad.permute(2, 3, 1, 0)]))
`;
  const r = spawnSync(TORCH_PYTHON, ['-c', script], { input: Buffer.concat([x, w, dy].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))) });
  assert.equal(r.status, 0, String(r.stderr));
  const out = new Float32Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.byteLength));
  return [out.subarray(0, dy.length), out.subarray(dy.length, dy.length + x.length), out.subarray(dy.length + x.length)];
}

describe('grouped conv2d equals PyTorch\'s conv2d(groups=G), forward and both gradients', { skip: torchUnavailable() ?? false }, () => {
  for (const stride of [1, 2]) {
    test(`stride ${stride}`, async () => {
      const oh = Math.floor((H + 2 - K) / stride) + 1;
      const x = randomValues(N * H * H * CIN, 1);
      const w = randomValues(K * K * (CIN / G) * COUT, 2);
      const dy = randomValues(N * oh * oh * COUT, 3);
      const ref = pytorch(stride, x, w, dy);
      for (const device of devices) {
        await initBackend(device, 1);
        for (const b of [1, 2, 4]) {
          const got = tf.tidy(() => {
            const f = (a: tf.Tensor, f4: tf.Tensor) => groupedConv2d(a as tf.Tensor4D, f4 as tf.Tensor4D, G, stride, [[0, 0], [1, 1], [1, 1], [0, 0]], b);
            const xs = tf.tensor4d(x, [N, H, H, CIN]);
            const ws = tf.tensor4d(w, [K, K, CIN / G, COUT]);
            return [f(xs, ws), ...tf.grads((a, f4) => tf.sum(tf.mul(f(a, f4), tf.tensor4d(dy, [N, oh, oh, COUT]))))([xs, ws])];
          }).map((t) => {
            const v = Float32Array.from(t.dataSync());
            t.dispose();
            return v;
          });
          ['y', 'dx', 'dw'].forEach((name, i) => {
            const rel = maxAbsDiff(got[i], ref[i]) / maxAbs(ref[i]);
            assert.ok(rel < 2e-6, `${device}, ${b} groups per call: ${name} differs from PyTorch by ${rel.toExponential(2)} (relative)`);
          });
        }
      }
    });
  }
});
