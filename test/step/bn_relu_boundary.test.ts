/**
 * The fused BN+ReLU of the libtorch backend (native/bn_relu.cc, the op `batchNormReluTrain` there) against PyTorch's own kernels at the ReLU boundary
 * (issue 20): a batch where whole groups of elements (a constant "background", as in Fashion-MNIST) have a BN output
 * within float rounding of 0. Which side of 0 they land on decides whether their whole dy reaches dβ, so the
 * forward must round as PyTorch's CPU batch norm does. Before the fix (statistics summed in float blocks, x·α + β'
 * in two roundings) the masks disagreed on such groups and dβ differed by the group's Σdy.
 * Skipped when the addon is not built or PyTorch (python3-torch) is missing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon } from '../../runtime/backend/libtorch';
import { batchNormReluTrain } from '../../runtime/models/ops/batch_norm_relu';
import { initBackend } from '../../runtime/backend';
import { maxAbs, maxAbsDiff, randomValues } from '../backend/helpers';
import { TORCH_PYTHON, torchUnavailable } from './harness';

const loaded = loadAddon();
const skip = !loaded.ok ? `libtorch backend unavailable: ${loaded.reason}` : (torchUnavailable() ?? false);

const [N, H, W, C] = [16, 8, 8, 8];
const EPS = 1e-5;

/** PyTorch: relu(native_batch_norm(x)) on the NCHW tensor, and the gradients of Σ relu(bn(x))·dy. */
const PYTORCH = `
import sys, torch, numpy as np
N, H, W, C = ${N}, ${H}, ${W}, ${C}
raw = np.frombuffer(sys.stdin.buffer.read(), dtype=np.float32)
x, dy = [torch.from_numpy(raw[i * N * H * W * C:(i + 1) * N * H * W * C].copy()).reshape(N, H, W, C).permute(0, 3, 1, 2).contiguous() for i in range(2)]
g = torch.from_numpy(raw[2 * N * H * W * C:][:C].copy()).requires_grad_()
b = torch.from_numpy(raw[2 * N * H * W * C + C:].copy()).requires_grad_()
x.requires_grad_()
torch.set_num_threads(1)
y = torch.relu(torch.nn.functional.batch_norm(x, None, None, g, b, True, 0.1, ${EPS}))
(y * dy).sum().backward()
out = [y.permute(0, 2, 3, 1), x.grad.permute(0, 2, 3, 1), g.grad, b.grad]
sys.stdout.buffer.write(b''.join(t.detach().contiguous().numpy().astype(np.float32).tobytes() for t in out))
`;

/** The batch: per-channel means far from 0 (|mean·α| ≫ 1, where x·α + β' cancels), a quarter of each channel at one
 * background value v_k, and β chosen so that the exact BN output of the background is 0. */
function boundaryBatch(): { x: Float32Array; dy: Float32Array; gamma: Float32Array; beta: Float32Array } {
  const m = N * H * W;
  const x = randomValues(m * C, 11);
  const gamma = Float32Array.from(randomValues(C, 12), (u) => 1 + 0.3 * u);
  for (let i = 0; i < x.length; i++) {
    const k = i % C;
    x[i] = 20 + 7 * k + 0.5 * x[i];
    if (Math.floor(i / C) % 4 === 0) x[i] = 20 + 7 * k + 0.1; // background
  }
  const beta = new Float32Array(C);
  for (let k = 0; k < C; k++) {
    let mean = 0;
    for (let r = 0; r < m; r++) mean += x[r * C + k] / m;
    let v = 0;
    for (let r = 0; r < m; r++) v += (x[r * C + k] - mean) ** 2 / m;
    beta[k] = -(20 + 7 * k + 0.1 - mean) * gamma[k] / Math.sqrt(v + EPS);
  }
  const dy = randomValues(m * C, 13);
  return { x, dy, gamma, beta };
}

describe('fused BN+ReLU at the ReLU boundary, against PyTorch (issue 20)', { skip }, () => {
  test('the same outputs to the bit, so the same mask; dβ, dγ and dx within float noise', async () => {
    const { x, dy, gamma, beta } = boundaryBatch();
    const input = Buffer.concat([x, dy, gamma, beta].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
    const r = spawnSync(TORCH_PYTHON, ['-c', PYTORCH], { input, maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, String(r.stderr));
    const out = new Float32Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.byteLength));
    const size = N * H * W * C;
    const [yRef, dxRef, dgRef, dbRef] = [out.subarray(0, size), out.subarray(size, 2 * size), out.subarray(2 * size, 2 * size + C), out.subarray(2 * size + C)];

    await initBackend('libtorch', 1);
    const [y, dx, dg, db] = tf.tidy(() => {
      const xs = tf.tensor4d(x, [N, H, W, C]);
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormReluTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, EPS).y;
      const grads = tf.grads((a, g, b) => tf.sum(tf.mul(f(a, g, b), tf.tensor4d(dy, [N, H, W, C]))))([xs, tf.tensor1d(gamma), tf.tensor1d(beta)]);
      return [f(xs, tf.tensor1d(gamma), tf.tensor1d(beta)), ...grads];
    }).map((t) => {
      const v = Float32Array.from(t.dataSync());
      t.dispose();
      return v;
    });
    let boundary = 0;
    let disagree = 0;
    for (let i = 0; i < size; i++) {
      if (Math.abs(yRef[i]) < 1e-4 && Math.floor(i / C) % 4 === 0) boundary++;
      if ((y[i] > 0) !== (yRef[i] > 0)) disagree++;
    }
    assert.ok(boundary > size / 16, `the batch has ${boundary} background elements at the boundary`);
    assert.equal(disagree, 0, `${disagree} elements on the other side of the ReLU than in PyTorch`);
    assert.equal(maxAbsDiff(y, yRef), 0, 'relu(BN(x)) differs from PyTorch');
    // Sums over 1,024 rows in another order: float noise only.
    assert.ok(maxAbsDiff(db, dbRef) <= 1e-5 * maxAbs(dbRef) + 1e-5, `dβ ${db} vs PyTorch ${dbRef}`);
    assert.ok(maxAbsDiff(dg, dgRef) <= 1e-5 * maxAbs(dgRef) + 1e-5, `dγ ${dg} vs PyTorch ${dgRef}`);
    assert.ok(maxAbsDiff(dx, dxRef) <= 1e-5 * maxAbs(dxRef), `dx differs by ${maxAbsDiff(dx, dxRef)}`);
  });
});
