import * as tf from '@tensorflow/tfjs-core';

/** The wasm backend as seen by composed kernels: only the methods every KernelBackend has. */
export type Backend = tf.KernelBackend;

/** Kernel configs captured before a kernel was overridden, so the override can still call the stock one. */
const originals = new Map<string, tf.KernelConfig>();

/**
 * Remembers the stock wasm kernel of `kernelName` (first call wins) before it is unregistered, and returns it.
 */
export function rememberOriginal(kernelName: string): tf.KernelConfig | undefined {
  if (!originals.has(kernelName)) {
    const k = tf.getKernel(kernelName, 'wasm');
    if (k != null) originals.set(kernelName, k);
  }
  return originals.get(kernelName);
}

/** The stock wasm kernel function of `kernelName` saved by {@link rememberOriginal}. */
export function originalKernel(kernelName: string): tf.KernelFunc {
  const f = rememberOriginal(kernelName)?.kernelFunc;
  if (f == null) throw new Error(`wasm kernel ${kernelName}: the stock kernel was not found`);
  return f;
}

/**
 * Runs another wasm kernel directly (not through the engine, so nothing is recorded on the gradient tape).
 * The caller owns the returned tensor and must free it with {@link free} unless it is the kernel's output.
 */
export function run(
  kernelName: string,
  backend: Backend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const k = tf.getKernel(kernelName, 'wasm');
  if (k == null) throw new Error(`wasm kernel ${kernelName} is not registered`);
  const out = k.kernelFunc({ inputs, backend, attrs });
  return Array.isArray(out) ? out[0] : out;
}

/** Releases intermediates made inside a composed kernel (reference-counted, so reshaped views are safe). */
export function free(backend: Backend, ...infos: (tf.TensorInfo | null | undefined)[]): void {
  for (const t of infos) if (t != null) backend.disposeData(t.dataId);
}

/** Writes a float32 scalar on the backend; free it with {@link free}. */
export function scalar(backend: Backend, value: number): tf.TensorInfo {
  const dataId = backend.write(new Float32Array([value]), [], 'float32');
  return { dataId, shape: [], dtype: 'float32' };
}

/** Explicit NHWC padding in the form the Conv2D kernel accepts. */
export function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}
