/**
 * Every kernel of the `libtorch` backend against tfjs's `cpu` backend on small shapes: forward values, and gradients
 * through `tf.grads` for the differentiable ones. Skipped (with the reason) when the addon is not built.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { LIBTORCH_BACKEND_NAME, LIBTORCH_KERNEL_CONFIGS, registerLibtorchBackend } from '../../runtime/backend/libtorch';
import { batchNormInference, batchNormTrain, updateRunningStats } from '../../runtime/models/ops/batch_norm';
import { batchNormAddInference, batchNormAddTrain } from '../../runtime/models/ops/batch_norm_add';
import { batchNormReluInference, batchNormReluTrain } from '../../runtime/models/ops/batch_norm_relu';
import { squeezeExcitation } from '../../runtime/models/ops/squeeze_excitation';
import type { Param } from '../../runtime/models/types';
import { SGD } from '../../runtime/train/optim/sgd';
import { maxAbs, maxAbsDiff, rand } from './helpers';

// ICL_LIBTORCH_TEST_DEVICE=cuda runs the same checks on CUDA tensors (scripts/gpu/check.sh).
const registered = registerLibtorchBackend(process.env.ICL_LIBTORCH_TEST_DEVICE ?? 'cpu', 1);
const skip = registered.ok ? false : `libtorch backend unavailable: ${registered.reason}`;

/** Kernels that ran on libtorch during these tests. */
const exercised = new Set<string>();

async function run(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<{ values: Float32Array[]; dtypes: string[]; shapes: number[][] }> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to start`);
  if (backend === 'cpu') (tf.backend() as { firstUse?: boolean }).firstUse = false;
  const dtypes: string[] = [];
  const shapes: number[][] = [];
  let outs: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    const r = f();
    outs = Array.isArray(r) ? r : [r];
    return outs;
  });
  if (backend === LIBTORCH_BACKEND_NAME) for (const k of profile.kernels) exercised.add(k.name);
  const values = outs.map((t) => {
    dtypes.push(t.dtype);
    shapes.push(t.shape);
    const v = Float32Array.from(t.dataSync() as ArrayLike<number>);
    t.dispose();
    return v;
  });
  return { values, dtypes, shapes };
}

/**
 * Runs `f` on cpu and libtorch (or `onLibtorch` there, for kernels the cpu backend lacks); asserts equal dtypes,
 * shapes and values to `tol`·max(1, max|ref|).
 */
async function same(label: string, f: () => tf.Tensor | tf.Tensor[], tol = 1e-5, onLibtorch = f): Promise<void> {
  const ref = await run('cpu', f);
  const got = await run(LIBTORCH_BACKEND_NAME, onLibtorch);
  assert.equal(got.values.length, ref.values.length, `${label}: number of outputs`);
  ref.values.forEach((r, i) => {
    assert.deepEqual(got.shapes[i], ref.shapes[i], `${label} output ${i}: shape`);
    assert.equal(got.dtypes[i], ref.dtypes[i], `${label} output ${i}: dtype`);
    const d = maxAbsDiff(got.values[i], r);
    const bound = tol * Math.max(1, maxAbs(r));
    assert.ok(d <= bound, `${label} output ${i}: max abs diff ${d} > ${bound}`);
  });
}

/** Forward values and the gradients w.r.t. every input. */
async function sameWithGrads(label: string, f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[], tol = 1e-5): Promise<void> {
  await same(label, () => f(...inputs()), tol);
  await same(`${label} grads`, () => {
    const xs = inputs();
    // A non-uniform upstream gradient, so that every output position matters.
    const g = tf.grads((...a: tf.Tensor[]) => {
      const y = f(...a);
      return tf.sum(tf.mul(y, rand(y.shape, 99)));
    });
    return g(xs);
  }, tol);
}

const x34 = () => rand([3, 4], 1);
const pos = (shape: number[], seed: number) => tf.add(tf.abs(rand(shape, seed)), 0.1);

describe('libtorch kernels against the cpu backend', { skip }, () => {
  before(async () => {
    assert.ok(await tf.setBackend(LIBTORCH_BACKEND_NAME));
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  test('unary elementwise, forward and gradients', async () => {
    const general: Record<string, (x: tf.Tensor) => tf.Tensor> = {
      abs: tf.abs, atan: tf.atan, cos: tf.cos, cosh: tf.cosh, elu: tf.elu, erf: tf.erf, exp: tf.exp, expm1: tf.expm1,
      neg: tf.neg, relu: tf.relu, relu6: (x) => tf.relu6(tf.mul(x, 8)), selu: tf.selu, sigmoid: tf.sigmoid, sin: tf.sin,
      sinh: tf.sinh, softplus: tf.softplus, square: tf.square, tan: tf.tan, tanh: tf.tanh, asin: (x) => tf.asin(tf.mul(x, 0.9)),
      acos: (x) => tf.acos(tf.mul(x, 0.9)), asinh: tf.asinh, atanh: (x) => tf.atanh(tf.mul(x, 0.9)),
      leakyRelu: (x) => tf.leakyRelu(x, 0.1), clip: (x) => tf.clipByValue(x, -0.3, 0.4), step: (x) => tf.step(x, 0.25),
      prelu: (x) => tf.prelu(x, tf.tensor1d([0.1, 0.2, 0.3, 0.4])),
    };
    for (const [name, f] of Object.entries(general)) await sameWithGrads(name, f, () => [x34()]);
    const positive: Record<string, (x: tf.Tensor) => tf.Tensor> = {
      log: tf.log, log1p: tf.log1p, sqrt: tf.sqrt, rsqrt: tf.rsqrt, reciprocal: tf.reciprocal, acosh: (x) => tf.acosh(tf.add(x, 1)),
    };
    for (const [name, f] of Object.entries(positive)) await sameWithGrads(name, f, () => [pos([3, 4], 2)]);
    for (const [name, f] of Object.entries({ ceil: tf.ceil, floor: tf.floor, round: tf.round, sign: tf.sign })) {
      await same(name, () => f(tf.mul(x34(), 3)));
    }
    const special = () => tf.tensor1d([0, 1.5, NaN, Infinity, -Infinity, -2]);
    await same('isNaN/isInf/isFinite', () => [tf.isNaN(special()), tf.isInf(special()), tf.isFinite(special())]);
    await same('logicalNot', () => tf.logicalNot(tf.tensor1d([true, false, true], 'bool')));
    await same('cast', () => [tf.cast(tf.mul(x34(), 3), 'int32'), tf.cast(x34(), 'bool'), tf.cast(tf.tensor1d([1, 0, 3], 'int32'), 'float32')]);
    await same('identity/clone', () => tf.clone(x34()));
  });

  test('binary elementwise with broadcasting, forward and gradients', async () => {
    const shapes: [number[], number[]][] = [[[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [3, 1]], [[4], [2, 3, 4]], [[2, 3, 4], []]];
    const ops: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
      add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, atan2: tf.atan2,
    };
    for (const [sa, sb] of shapes) {
      for (const [name, f] of Object.entries(ops)) await sameWithGrads(`${name} ${sa}/${sb}`, f, () => [rand(sa, 3), rand(sb, 4)]);
      // tfjs-core's maximum/minimum gradients do not reduce broadcast dimensions: gradients on equal shapes only.
      for (const [name, f] of Object.entries({ maximum: tf.maximum, minimum: tf.minimum, squaredDifference: tf.squaredDifference })) {
        if (sa.length === sb.length) await sameWithGrads(`${name} ${sa}/${sb}`, f, () => [rand(sa, 3), rand(sb, 4)]);
        else await same(`${name} ${sa}/${sb}`, () => f(rand(sa, 3), rand(sb, 4)));
      }
      await sameWithGrads(`pow ${sa}/${sb}`, tf.pow, () => [pos(sa, 5), rand(sb, 6)]);
      await same(`mod ${sa}/${sb}`, () => tf.mod(tf.mul(rand(sa, 7), 5), tf.add(pos(sb, 8), 0.5)));
      await same(`floorDiv ${sa}/${sb}`, () => tf.floorDiv(tf.mul(rand(sa, 7), 5), tf.add(pos(sb, 8), 0.5)));
      await same(`comparisons ${sa}/${sb}`, () => {
        const [a, b] = [tf.round(tf.mul(rand(sa, 9), 2)), tf.round(tf.mul(rand(sb, 10), 2))];
        return [tf.equal(a, b), tf.notEqual(a, b), tf.greater(a, b), tf.greaterEqual(a, b), tf.less(a, b), tf.lessEqual(a, b)];
      });
    }
    await same('int32 arithmetic', () => {
      const a = tf.tensor1d([7, -7, 9, 4], 'int32');
      const b = tf.tensor1d([2, 2, -4, 3], 'int32');
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.floorDiv(a, b), tf.div(a, b), tf.mod(a, b), tf.maximum(a, b)];
    });
    await same('logical', () => {
      const a = tf.tensor1d([true, true, false, false], 'bool');
      const b = tf.tensor1d([true, false, true, false], 'bool');
      return [tf.logicalAnd(a, b), tf.logicalOr(a, b), tf.logicalXor(a, b)];
    });
    await sameWithGrads('addN', (a, b, c) => tf.addN([a, b, c]), () => [rand([2, 3], 1), rand([2, 3], 2), rand([2, 3], 3)]);
    await sameWithGrads('where', (a, b) => tf.where(tf.greater(rand([2, 3], 11), 0), a, b), () => [rand([2, 3], 1), rand([2, 3], 2)]);
  });

  test('reductions, softmax and top-k', async () => {
    const x = () => rand([2, 3, 4], 12);
    for (const axis of [undefined, 0, 1, -1, [0, 2]] as (number | number[] | undefined)[]) {
      for (const keep of [false, true]) {
        const tag = `axis ${String(axis)} keepDims ${keep}`;
        await sameWithGrads(`sum ${tag}`, (t) => tf.sum(t, axis, keep), () => [x()]);
        await sameWithGrads(`mean ${tag}`, (t) => tf.mean(t, axis, keep), () => [x()]);
        await sameWithGrads(`max ${tag}`, (t) => tf.max(t, axis, keep), () => [x()]);
        await sameWithGrads(`min ${tag}`, (t) => tf.min(t, axis, keep), () => [x()]);
        // tfjs-core's prod gradient needs the chained-op API (not registered here): forward only.
        await same(`prod ${tag}`, () => tf.prod(x(), axis, keep));
        await same(`all/any ${tag}`, () => {
          const b = tf.greater(x(), -0.5);
          return [tf.all(b, axis, keep), tf.any(tf.greater(x(), 0.8), axis, keep)];
        });
      }
    }
    await same('int32 and bool sums', () => [tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 1), tf.sum(tf.tensor1d([true, false, true], 'bool'))]);
    await same('argMax/argMin', () => [tf.argMax(x(), 1), tf.argMin(x(), -1), tf.argMax(x())]);
    for (const [exclusive, reverse] of [[false, false], [true, false], [false, true], [true, true]]) {
      // tfjs-core's cumsum gradient is wrong for an inner axis of a 3-D tensor: gradients on the last axis.
      await sameWithGrads(`cumsum exclusive ${exclusive} reverse ${reverse}`, (t) => tf.cumsum(t, 1, exclusive, reverse), () => [rand([3, 4], 1)]);
      await same(`cumsum 3-D exclusive ${exclusive} reverse ${reverse}`, () => tf.cumsum(x(), 1, exclusive, reverse));
    }
    await sameWithGrads('softmax', (t) => tf.softmax(t), () => [x()]);
    await sameWithGrads('logSoftmax', (t) => tf.logSoftmax(t), () => [x()]);
    // tf.logSoftmax is composed in tfjs-core; the LogSoftmax kernel (absent on cpu) is called directly.
    await same('LogSoftmax kernel', () => tf.logSoftmax(x()), 1e-5, () => tf.engine().runKernel('LogSoftmax', { logits: x() }, { axis: -1 }) as tf.Tensor);
    await same('topk', () => {
      const r = tf.topk(x(), 2);
      return [r.values, r.indices];
    });
  });

  test('matmul (batched, transposed, fused with bias and activation)', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      await sameWithGrads(`matMul ${ta}/${tb}`, (a, b) => tf.matMul(a, b, ta, tb), () => [rand(ta ? [4, 3] : [3, 4], 1), rand(tb ? [5, 4] : [4, 5], 2)]);
    }
    await sameWithGrads('batched matMul', (a, b) => tf.matMul(a, b), () => [rand([2, 3, 4], 1), rand([2, 4, 5], 2)]);
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const) {
      await same(`fused matMul ${activation}`, () => tf.fused.matMul({ a: rand([3, 4], 1), b: rand([4, 5], 2), bias: rand([5], 3), activation, leakyreluAlpha: 0.2 }));
    }
    await same('fused matMul prelu', () =>
      tf.fused.matMul({ a: rand([3, 4], 1), b: rand([4, 5], 2), bias: rand([5], 3), activation: 'prelu', preluActivationWeights: rand([5], 4) }));
  });

  test('shapes and data movement', async () => {
    const x = () => rand([2, 3, 4], 13);
    await sameWithGrads('reshape', (t) => tf.reshape(t, [4, -1]), () => [x()]);
    await sameWithGrads('transpose', (t) => tf.transpose(t, [2, 0, 1]), () => [x()]);
    await sameWithGrads('transpose then reshape', (t) => tf.reshape(tf.transpose(t, [1, 0, 2]), [3, 8]), () => [x()]);
    await same('broadcastTo', () => tf.broadcastTo(rand([3, 1], 1), [2, 3, 4]));
    // tf.broadcastTo runs Tile; the BroadcastTo kernel itself is called directly.
    await same('BroadcastTo kernel', () => tf.broadcastTo(rand([1, 3, 1], 1), [2, 3, 4]), 1e-5,
      () => tf.engine().runKernel('BroadcastTo', { x: rand([1, 3, 1], 1) }, { shape: [2, 3, 4], inputShape: [1, 3, 1] }) as tf.Tensor);
    await sameWithGrads('concat', (a, b, c) => tf.concat([a, b, c], 1), () => [rand([2, 1, 4], 1), rand([2, 3, 4], 2), rand([2, 2, 4], 3)]);
    await sameWithGrads('concat axis -1', (a, b) => tf.concat([a, b], -1), () => [rand([2, 3], 1), rand([2, 2], 2)]);
    await sameWithGrads('split', (t) => tf.concat(tf.split(t, [1, 3], 2).map((p, i) => tf.mul(p, i + 1)), 2), () => [x()]);
    await same('split in equal parts', () => tf.split(x(), 2, 0));
    await sameWithGrads('stack', (a, b) => tf.stack([a, b], 1), () => [rand([2, 3], 1), rand([2, 3], 2)]);
    await same('unstack', () => tf.unstack(x(), 1));
    await sameWithGrads('slice', (t) => tf.slice(t, [0, 1, 1], [2, 2, -1]), () => [x()]);
    await same('stridedSlice', () => [
      tf.stridedSlice(x(), [0, 0, 0], [2, 3, 4], [1, 2, 2]),
      tf.stridedSlice(x(), [1, 2, 3], [0, 0, 0], [-1, -1, -2]),
      tf.stridedSlice(x(), [0, 1], [2, 2], [1, 1], 0, 0, 0, 0, 2),
    ]);
    await sameWithGrads('tile', (t) => tf.tile(t, [2, 1, 3]), () => [x()]);
    await sameWithGrads('pad', (t) => tf.pad(t, [[1, 0], [0, 2], [1, 1]], 0.5), () => [x()]);
    await sameWithGrads('reverse', (t) => tf.reverse(t, [0, 2]), () => [x()]);
    await same('fill/zerosLike/onesLike', () => [tf.fill([2, 3], 2.5), tf.fill([2], 3, 'int32'), tf.zerosLike(x()), tf.onesLike(x())]);
    await same('range', () => [tf.range(0, 5), tf.range(1, 2, 0.25), tf.range(5, 0, -2, 'int32'), tf.range(3, 3)]);
    await same('oneHot', () => [tf.oneHot(tf.tensor1d([0, 2, -1, 1], 'int32'), 3), tf.oneHot(tf.tensor1d([1, 0], 'int32'), 3, 0.9, 0.05, 'float32')]);
    await sameWithGrads('gather', (t) => tf.gather(t, tf.tensor1d([2, 0, 2], 'int32'), 1), () => [x()]);
    await same('gather 2-D indices', () => tf.gather(x(), tf.tensor2d([0, 1, 1, 0], [2, 2], 'int32'), 0));
    await same('unsortedSegmentSum', () => tf.unsortedSegmentSum(rand([4, 3], 1), tf.tensor1d([0, 2, 0, 1], 'int32'), 3));
  });

  test('batchNorm (FusedBatchNorm), forward and gradients', async () => {
    await sameWithGrads('batchNorm 4-D', (x, m, v, o, s) => tf.batchNorm(x, m, v, o, s, 1e-3),
      () => [rand([2, 3, 3, 4], 1), rand([4], 2), pos([4], 3), rand([4], 4), rand([4], 5)]);
    await same('batchNorm without offset and scale', () => tf.batchNorm(rand([2, 4], 1), rand([4], 2), pos([4], 3)));
  });

  // The fused ops run their libtorch kernels (runtime/kernels/kernel_names.ts) there and their composed defaults on cpu.
  test('batchNormTrain: the BatchNormTrain kernels (icl::bn_train) equal the composed op on cpu, with gradients', async () => {
    const inputs = () => [rand([4, 5, 3, 6], 21, 2), tf.add(rand([6], 22), 1), rand([6], 23)];
    const ref = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTrain(x as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
    const fused = ref; // the same op: the kernels on libtorch, the composed default on cpu
    const outputs = (f: typeof ref) => () => {
      const r = f(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor]));
      return [r.y, r.mean, r.variance];
    };
    await same('batchNormTrain forward', outputs(ref), 2e-5, outputs(fused));
    const grads = (f: typeof ref) => () =>
      tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const r = f(x, g, b);
        r.mean.dispose();
        r.variance.dispose();
        return tf.sum(tf.mul(r.y, rand(r.y.shape, 24)));
      })(inputs());
    await same('batchNormTrain gradients', grads(ref), 2e-5, grads(fused));
  });

  test('batchNormReluTrain: the BatchNormReluTrain kernels (icl::bn_train with relu) equal relu(batchNormTrain) on cpu, with gradients', async () => {
    // 1,024 and 66 rows (several parallel chunks and a short one), 6 and 70 channels; β shifts some outputs below 0.
    for (const [shape, seed] of [[[4, 16, 16, 6], 31], [[2, 3, 11, 70], 41]] as [number[], number][]) {
      const ch = shape[3];
      const inputs = () => [tf.add(rand(shape, seed, 2), 0.3), tf.add(rand([ch], seed + 1), 1), rand([ch], seed + 2)];
      const ref = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const r = batchNormTrain(x as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
        return { ...r, y: tf.relu(r.y) as tf.Tensor4D };
      };
      const fused = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormReluTrain(x as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
      const outputs = (f: typeof ref) => () => {
        const r = f(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor]));
        return [r.y, r.mean, r.variance];
      };
      await same(`bn+relu ${shape} forward`, outputs(ref), 2e-5, outputs(fused));
      const grads = (f: typeof ref) => () =>
        tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const r = f(x, g, b);
          r.mean.dispose();
          r.variance.dispose();
          return tf.sum(tf.mul(r.y, rand(r.y.shape, seed + 3)));
        })(inputs());
      await same(`bn+relu ${shape} gradients`, grads(ref), 5e-5, grads(fused));
    }
  });

  test('batchNormAddTrain: the BatchNormAddTrain kernels (icl::bn_train with a residual) equal [relu](batchNormTrain + r) on cpu, with gradients', async () => {
    // 1,024 and 66 rows, 6 and 70 channels; with and without the ReLU; β and the residual move some sums below 0.
    for (const [shape, seed, relu] of [[[4, 16, 16, 6], 81, true], [[2, 3, 11, 70], 91, true], [[4, 16, 16, 6], 101, false]] as [number[], number, boolean][]) {
      const ch = shape[3];
      const inputs = () => [tf.add(rand(shape, seed, 2), 0.3), rand(shape, seed + 4), tf.add(rand([ch], seed + 1), 1), rand([ch], seed + 2)];
      type Args = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const ref = (x: tf.Tensor, r: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const o = batchNormTrain(x as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
        const sum = tf.add(o.y, r) as tf.Tensor4D;
        return { ...o, y: relu ? tf.relu(sum) as tf.Tensor4D : sum };
      };
      const fused = (x: tf.Tensor, r: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        batchNormAddTrain(x as tf.Tensor4D, r as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, relu);
      const outputs = (f: typeof ref) => () => {
        const o = f(...(inputs() as Args));
        return [o.y, o.mean, o.variance];
      };
      const label = `bn+add${relu ? '+relu' : ''} ${shape}`;
      await same(`${label} forward`, outputs(ref), 2e-5, outputs(fused));
      const grads = (f: typeof ref) => () =>
        tf.grads((x: tf.Tensor, r: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const o = f(x, r, g, b);
          o.mean.dispose();
          o.variance.dispose();
          return tf.sum(tf.mul(o.y, rand(o.y.shape, seed + 3)));
        })(inputs());
      await same(`${label} gradients`, grads(ref), 5e-5, grads(fused));
    }
  });

  test('batch norm after a wide convolution (NCHW memory: convLayout, icl::bn_* NCHW loops) equals the composed ops on cpu, with gradients', async () => {
    // 64 -> 64 channels, 3×3: the convolution runs in NCHW and its output stays so behind the NHWC shape, so the BN
    // kernels take their NCHW loops. Planes of 30 (5×6, the loops' tails) and 64 values; the residual from a second
    // wide convolution (NCHW) or an uploaded tensor (NHWC, copied); with and without the ReLU.
    for (const [[h, w], relu, wideResidual] of [[[5, 6], true, true], [[8, 8], true, false], [[5, 6], false, false]] as [[number, number], boolean, boolean][]) {
      const shape = [2, h, w, 64];
      const inputs = () => [rand(shape, 121), tf.mul(rand([3, 3, 64, 64], 122), 0.05), rand(shape, 123), tf.add(rand([64], 124), 1), rand([64], 125)];
      const residualOf = (x: tf.Tensor, k: tf.Tensor, r: tf.Tensor) => (wideResidual ? tf.conv2d(r as tf.Tensor4D, tf.reverse(k, 0) as tf.Tensor4D, 1, 'same') : tf.add(tf.mul(x, 0), r));
      const ref = (x: tf.Tensor, k: tf.Tensor, r: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const o = batchNormTrain(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
        const sum = tf.add(o.y, residualOf(x, k, r)) as tf.Tensor4D;
        return { ...o, y: relu ? tf.relu(sum) as tf.Tensor4D : sum };
      };
      const fused = (x: tf.Tensor, k: tf.Tensor, r: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        batchNormAddTrain(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), residualOf(x, k, r) as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, relu);
      type Args = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const label = `conv64 -> bn+add${relu ? '+relu' : ''} ${shape}${wideResidual ? ', wide residual' : ''}`;
      await same(`${label} forward`, () => { const o = ref(...(inputs() as Args)); return [o.y, o.mean, o.variance]; }, 2e-5,
        () => { const o = fused(...(inputs() as Args)); return [o.y, o.mean, o.variance]; });
      const grads = (f: typeof ref) => () =>
        tf.grads((...a: tf.Tensor[]) => {
          const o = f(...(a as Args));
          o.mean.dispose();
          o.variance.dispose();
          return tf.sum(tf.mul(o.y, rand(o.y.shape, 126)));
        })(inputs());
      await same(`${label} gradients`, grads(ref), 5e-5, grads(fused));
      const stats = () => [rand([64], 127), pos([64], 128)];
      const evalRef = () => {
        const [x, k, r, g, b] = inputs();
        const [m, v] = stats();
        const sum = tf.add(batchNormInference(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), m as tf.Tensor1D, v as tf.Tensor1D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5), residualOf(x, k, r));
        return relu ? tf.relu(sum) : sum;
      };
      const evalFused = () => {
        const [x, k, r, g, b] = inputs();
        const [m, v] = stats();
        return batchNormAddInference(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), residualOf(x, k, r) as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, relu);
      };
      await same(`${label} inference`, evalRef, 2e-5, evalFused);
    }
  });

  test('batchNormAddInference: the BatchNormAddInference kernel (icl::bn_eval with a residual) equals [relu](batchNormInference + r) on cpu', async () => {
    for (const relu of [true, false]) {
      const args = () => [rand([3, 5, 7, 9], 111), rand([3, 5, 7, 9], 116), rand([9], 112), pos([9], 113), tf.add(rand([9], 114), 1), rand([9], 115)] as
        [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      const ref = () => {
        const [x, r, ...rest] = args();
        const sum = tf.add(batchNormInference(x, ...rest, 1e-5), r);
        return relu ? tf.relu(sum) : sum;
      };
      await same(`bn+add${relu ? '+relu' : ''} inference`, ref, 2e-5, () => batchNormAddInference(...args(), 1e-5, relu));
    }
  });

  test('squeezeExcitation: the SqueezeExcitation kernels (icl::se_forward/backward) equal the composed op on cpu, with gradients', async () => {
    // 2 samples of 5×3 with 8 channels, 3 hidden units; weights large enough that some hidden units are cut by the ReLU.
    const inputs = () => [rand([2, 5, 3, 8], 121, 2), rand([8, 3], 122, 2), rand([3], 123), rand([3, 8], 124, 2), rand([8], 125)];
    const se = (x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) =>
      squeezeExcitation(x as tf.Tensor4D, { w1: w1 as tf.Tensor2D, b1: b1 as tf.Tensor1D, w2: w2 as tf.Tensor2D, b2: b2 as tf.Tensor1D });
    type Args = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    await same('se forward', () => se(...(inputs() as Args)), 2e-6);
    const grads = () => tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(se(...(a as Args)), rand([2, 5, 3, 8], 126))))(inputs());
    await same('se gradients', grads, 1e-5);
  });

  test('batchNormInference: the BatchNormInference kernel (native_batch_norm) equals the composed op on cpu', async () => {
    const args = () => [rand([3, 5, 7, 9], 56), rand([9], 57), pos([9], 58), tf.add(rand([9], 59), 1), rand([9], 60)] as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    await same('bn inference', () => batchNormInference(...args(), 1e-5), 2e-5);
  });

  test('batchNormReluInference: the BatchNormReluInference kernel (icl::bn_eval with relu) equals relu(batchNormInference) on cpu', async () => {
    const args = () => [rand([3, 5, 7, 9], 51), rand([9], 52), pos([9], 53), tf.add(rand([9], 54), 1), rand([9], 55)] as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    await same('bn+relu inference', () => tf.relu(batchNormInference(...args(), 1e-5)), 2e-5, () => batchNormReluInference(...args(), 1e-5));
  });

  test('updateRunningStats: the BatchNormRunningStats kernel equals the composed update on cpu', async () => {
    const withVariables = () => {
      const [rm, rv, m, v] = [rand([6], 71), pos([6], 72), rand([6], 73), pos([6], 74)];
      const vars = [tf.variable(rm), tf.variable(rv)];
      updateRunningStats(vars[0], vars[1], m as tf.Tensor1D, v as tf.Tensor1D, 50, 0.1);
      const out = vars.map((t) => tf.clone(t));
      vars.forEach((t) => t.dispose());
      return out;
    };
    await same('running stats', withVariables, 1e-6);
  });

  test('SGD: the SgdStep kernel (icl::sgd_step_) equals torch.optim.SGD formulas on cpu', async () => {
    const lr = 0.1, momentum = 0.9, weightDecay = [5e-4, 0];
    const p = () => [rand([3, 4], 61), rand([5], 62)];
    const g = () => [rand([3, 4], 63), rand([5], 64)];
    const b = () => [rand([3, 4], 65), undefined];
    const reference = () => {
      const out: tf.Tensor[] = [];
      const bufs: tf.Tensor[] = [];
      p().forEach((w, i) => {
        const d = tf.add(g()[i], tf.mul(w, weightDecay[i]));
        const old = b()[i];
        const buf = old ? tf.add(tf.mul(old, momentum), d) : d;
        out.push(tf.sub(w, tf.mul(tf.add(d, tf.mul(buf, momentum)), lr)));
        bufs.push(buf);
      });
      return [...out, ...bufs];
    };
    await same('sgd nesterov step', reference, 1e-6, () => {
      const params: Param[] = p().map((t, i) => ({ name: `w${i}`, kind: 'conv_weight', variable: tf.variable(t) }));
      const sgd = new SGD(params, { momentum, nesterov: true }, (q) => weightDecay[params.indexOf(q)]);
      sgd.setState({ name: 'sgd', tensors: { w0: b()[0]! } });
      sgd.step({ w0: g()[0], w1: g()[1] }, lr);
      const state = sgd.getState().tensors;
      const out = [...params.map((q) => tf.clone(q.variable)), tf.clone(state.w0), tf.clone(state.w1)];
      sgd.dispose();
      params.forEach((q) => q.variable.dispose());
      return out;
    });
  });

  type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
  const explicit = (t: number, b: number): Pad => [[0, 0], [t, b], [t, b], [0, 0]];
  const CONVS: { x: [number, number, number, number]; k: number; cout: number; stride: number; pad: Pad; dilation?: number }[] = [
    { x: [2, 7, 7, 3], k: 3, cout: 4, stride: 1, pad: 'same' },
    { x: [2, 8, 8, 3], k: 3, cout: 4, stride: 2, pad: 'same' }, // asymmetric: 0 top, 1 bottom
    { x: [2, 8, 8, 3], k: 3, cout: 4, stride: 2, pad: 'valid' },
    { x: [2, 7, 5, 3], k: 3, cout: 2, stride: 1, pad: 'valid' },
    { x: [2, 7, 7, 4], k: 1, cout: 5, stride: 2, pad: 'same' },
    { x: [2, 9, 7, 3], k: 3, cout: 4, stride: 2, pad: explicit(1, 1) }, // PyTorch padding 1, odd sizes
    { x: [2, 8, 8, 3], k: 3, cout: 4, stride: 1, pad: explicit(2, 0) },
    { x: [1, 11, 11, 3], k: 7, cout: 4, stride: 2, pad: explicit(3, 3) },
  ];

  test('conv2d, its two backprops, fused conv2d', async () => {
    for (const c of CONVS) {
      const label = `conv2d x${c.x} k${c.k} s${c.stride} ${Array.isArray(c.pad) ? `pad${c.pad[1]}` : c.pad}`;
      await sameWithGrads(label, (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad),
        () => [rand(c.x, 1), rand([c.k, c.k, c.x[3], c.cout], 2)], 2e-5);
    }
    await same('dilated conv2d', () => tf.conv2d(rand([1, 9, 9, 2], 1) as tf.Tensor4D, rand([3, 3, 2, 3], 2) as tf.Tensor4D, 1, 'same', 'NHWC', 2));
    for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu'] as const) {
      await same(`fused conv2d ${activation}`, () =>
        tf.fused.conv2d({ x: rand([2, 6, 6, 3], 1) as tf.Tensor4D, filter: rand([3, 3, 3, 4], 2) as tf.Tensor4D, strides: 1, pad: 'same', bias: rand([4], 3), activation, leakyreluAlpha: 0.2 }), 2e-5);
    }
  });

  test('depthwise conv2d and its backprops', async () => {
    for (const [stride, pad] of [[1, 'same'], [2, 'same'], [2, 'valid']] as [number, Pad][]) {
      await sameWithGrads(`depthwise s${stride} ${String(pad)}`, (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad as 'same'),
        () => [rand([2, 7, 7, 3], 1), rand([3, 3, 3, 2], 2)], 2e-5);
    }
    await same('fused depthwise relu', () =>
      tf.fused.depthwiseConv2d({ x: rand([2, 6, 6, 3], 1) as tf.Tensor4D, filter: rand([3, 3, 3, 1], 2) as tf.Tensor4D, strides: 1, pad: 'same', bias: rand([3], 3), activation: 'relu' }), 2e-5);
  });

  test('avgPool and maxPool with their gradients', async () => {
    const cases: [number[], number, number, 'same' | 'valid'][] = [
      [[2, 6, 6, 3], 2, 2, 'valid'], [[2, 7, 7, 3], 3, 2, 'same'], [[2, 8, 8, 3], 3, 2, 'same'], [[2, 5, 5, 2], 3, 1, 'same'], [[2, 4, 4, 3], 4, 1, 'valid'],
    ];
    for (const [shape, k, s, pad] of cases) {
      const avg = (x: tf.Tensor) => tf.avgPool(x as tf.Tensor4D, k, s, pad);
      // tfjs's AvgPoolGrad divides by the full window even where the forward excluded padding; libtorch's gradient
      // is the exact one (ATen count_include_pad=false), so only unpadded pools' gradients are compared.
      if (pad === 'valid') await sameWithGrads(`avgPool ${shape} k${k} s${s} ${pad}`, avg, () => [rand(shape, 1)]);
      else await same(`avgPool ${shape} k${k} s${s} ${pad}`, () => avg(rand(shape, 1)));
      await sameWithGrads(`maxPool ${shape} k${k} s${s} ${pad}`, (x) => tf.maxPool(x as tf.Tensor4D, k, s, pad), () => [rand(shape, 1)]);
    }
  });

  test('every registered kernel was exercised', () => {
    const missing = [...new Set(LIBTORCH_KERNEL_CONFIGS.map((c) => c.kernelName))].filter((k) => !exercised.has(k));
    assert.deepEqual(missing, []);
  });

  test('an unregistered kernel fails naming it', async () => {
    await tf.setBackend(LIBTORCH_BACKEND_NAME);
    assert.throws(() => tf.engine().runKernel('Einsum', { x: tf.scalar(1) }, {}), /Einsum/);
  });
});
