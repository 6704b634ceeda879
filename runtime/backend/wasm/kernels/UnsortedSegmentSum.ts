import * as tf from '@tensorflow/tfjs-core';
import { free, originalKernel, run, type Backend } from './util';

/**
 * `UnsortedSegmentSum` for the wasm backend, which lacks it in 4.22 (it is the gradient of `tf.gather`).
 *
 * Inputs: `x` [...segmentIds.shape, ...inner] and `segmentIds` (int32); output [numSegments, ...inner] with
 * out[s] = Σ_{i: ids[i] = s} x[i]. Composed as one-hot(ids) [N, S] (stock int32 OneHot, then `Cast`) and
 * `BatchMatMul` with transposeA against x reshaped [1, N, inner]. Ids outside [0, numSegments) are dropped,
 * as in TensorFlow. int32 x is summed in float32 (exact below 2^24). Source: /work/shared/notes/wasm-engine.md §2.
 */
function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const n = tf.util.sizeFromShape(segmentIds.shape);
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = tf.util.sizeFromShape(innerShape);

  const ids1 = run('Reshape', backend, { x: segmentIds }, { shape: [n] });
  const idsInt = segmentIds.dtype === 'int32' ? ids1 : run('Cast', backend, { x: ids1 }, { dtype: 'int32' });
  const rawOh = originalKernel(tf.OneHot)({
    inputs: { indices: idsInt },
    backend,
    attrs: { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' },
  });
  const ohInt = Array.isArray(rawOh) ? rawOh[0] : rawOh; // [n, S]
  free(backend, ids1, idsInt === ids1 ? null : idsInt);
  const ohF = run('Cast', backend, { x: ohInt }, { dtype: 'float32' });
  free(backend, ohInt);
  const oh3 = run('Reshape', backend, { x: ohF }, { shape: [1, n, numSegments] });
  free(backend, ohF);

  const xf = x.dtype === 'float32' ? x : run('Cast', backend, { x }, { dtype: 'float32' });
  const x3 = run('Reshape', backend, { x: xf }, { shape: [1, n, inner] });
  if (xf !== x) free(backend, xf);
  const prod = run('BatchMatMul', backend, { a: oh3, b: x3 }, { transposeA: true, transposeB: false }); // [1, S, inner]
  free(backend, oh3, x3);
  let out = run('Reshape', backend, { x: prod }, { shape: [numSegments, ...innerShape] });
  free(backend, prod);
  if (x.dtype !== 'float32') {
    const cast = run('Cast', backend, { x: out }, { dtype: x.dtype });
    free(backend, out);
    out = cast;
  }
  return out;
}

/** Kernel registration for {@link unsortedSegmentSum} (the wasm backend has none). */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
