import * as tf from '@tensorflow/tfjs-core';
import { free, originalKernel, run, scalar, type Backend } from './util';

/**
 * `OneHot` for the wasm backend, wrapping the stock kernel, which in 4.22 writes int32 bits into float32 outputs
 * (`tf.oneHot(i, 3, 1, 0, 'float32')` gives 1.4e-45) and truncates fractional on/off values.
 *
 * Input `indices` (int32, any shape) → output [...indices.shape, depth] of `dtype`. Runs the stock kernel as int32
 * 1/0, then `Cast`, `Multiply` by (on − off) and `Add` off when needed. int32 outputs go straight to the stock
 * kernel. Source: /work/shared/notes/wasm-engine.md §2.
 */
function oneHot(args: { inputs: tf.NamedTensorInfoMap; backend: Backend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as tf.OneHotAttrs;
  const stock = originalKernel(tf.OneHot);
  if (attrs.dtype === 'int32') {
    const out = stock({ inputs, backend, attrs: attrs as unknown as tf.NamedAttrMap });
    return Array.isArray(out) ? out[0] : out;
  }
  const raw = stock({ inputs, backend, attrs: { depth: attrs.depth, onValue: 1, offValue: 0, dtype: 'int32' } });
  const ints = Array.isArray(raw) ? raw[0] : raw;
  let out = run('Cast', backend, { x: ints }, { dtype: 'float32' });
  free(backend, ints);
  const scale = attrs.onValue - attrs.offValue;
  if (scale !== 1) {
    const s = scalar(backend, scale);
    const scaled = run('Multiply', backend, { a: out, b: s });
    free(backend, out, s);
    out = scaled;
  }
  if (attrs.offValue !== 0) {
    const o = scalar(backend, attrs.offValue);
    const shifted = run('Add', backend, { a: out, b: o });
    free(backend, out, o);
    out = shifted;
  }
  if (attrs.dtype !== 'float32') {
    const cast = run('Cast', backend, { x: out }, { dtype: attrs.dtype });
    free(backend, out);
    out = cast;
  }
  return out;
}

/** Kernel registration for {@link oneHot}; replaces the stock wasm kernel (kept and called for int32 work). */
export const oneHotConfig: tf.KernelConfig = {
  kernelName: tf.OneHot,
  backendName: 'wasm',
  kernelFunc: oneHot as unknown as tf.KernelFunc,
};
