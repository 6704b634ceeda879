/**
 * The `libtorch` TensorFlow.js backend (see docs/libtorch.md): tensors in libtorch, kernels on ATen, through the
 * Node-API addon in native/ (built by `npm run build:libtorch` when libtorch is installed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon } from './addon';
import { LibtorchBackend } from './backend';
import { LIBTORCH_BACKEND_NAME, registerLibtorchKernels } from './kernels';
import { registerReluGradient } from '../../kernels/relu_grad';

export { LIBTORCH_BACKEND_NAME, LIBTORCH_KERNEL_CONFIGS, registerLibtorchKernels } from './kernels';
export { LibtorchBackend, type LibtorchMemoryInfo } from './backend';
export { LIBTORCH_FUSED_KERNELS } from './fused_kernels';
export { addonPath, loadAddon, LIBTORCH_ADDON_ENV, LIBTORCH_ALLOC_STATS_ENV, type LibtorchAddon } from './addon';

/** Facts about the registered libtorch backend. */
export interface LibtorchInfo {
  /** libtorch version, e.g. 1.13.0. */
  version: string;
  /** ATen intra-op threads after the request. */
  threads: number;
  /** CUDA devices the linked libtorch sees (0 for a CPU build). */
  cudaDevices: number;
  device: string;
  /** ATen's cuDNN flags in force (set from the config's `cudnn` keys). */
  cudnn: CudnnFlags;
}

/** The original's `cudnn.benchmark` / `cudnn.deterministic` config keys (torch.backends.cudnn flags). */
export interface CudnnFlags {
  benchmark: boolean;
  deterministic: boolean;
}

/**
 * Loads the addon and registers the `libtorch` backend and its kernels (once), and the `Relu` gradient that runs the
 * `ReluGrad` kernel where the active backend has one (runtime/kernels/relu_grad.ts); does not select it.
 * @param device 'cpu' or a CUDA device ('cuda', 'cuda:1'); tensors are created there
 * @param numThreads ATen intra-op threads (0 keeps libtorch's default)
 * @param cudnn ATen's process-wide cuDNN flags to set (default: libtorch's, both off)
 * @returns the facts, or the one-line reason the backend is unavailable (for a CUDA device on a CPU-only build it
 *   names `LIBTORCH`, how to build against a CUDA libtorch)
 */
export function registerLibtorchBackend(device = 'cpu', numThreads = 0, cudnn: CudnnFlags = { benchmark: false, deterministic: false }): { ok: true; info: LibtorchInfo } | { ok: false; reason: string } {
  const loaded = loadAddon();
  if (!loaded.ok) return loaded;
  const { addon } = loaded;
  const cudaDevices = addon.cudaDeviceCount();
  if (device !== 'cpu' && cudaDevices === 0) {
    const reason = addon.cudaBuilt()
      ? `its CUDA libtorch ${addon.version()} sees no CUDA device (CUDA_VISIBLE_DEVICES=${process.env.CUDA_VISIBLE_DEVICES ?? 'unset'})`
      : `the addon is built against a CPU-only libtorch ${addon.version()}; rebuild it against a CUDA one: LIBTORCH=/path/to/libtorch npm run build:libtorch, or a CUDA PyTorch on python3`;
    return { ok: false, reason };
  }
  registerLibtorchKernels();
  registerReluGradient();
  const existing = tf.engine().registryFactory[LIBTORCH_BACKEND_NAME];
  if (existing == null) {
    tf.registerBackend(LIBTORCH_BACKEND_NAME, () => new LibtorchBackend(addon, device), 3);
  } else if ((tf.engine().registry[LIBTORCH_BACKEND_NAME] as LibtorchBackend | undefined)?.device !== device && tf.engine().registry[LIBTORCH_BACKEND_NAME] != null) {
    return { ok: false, reason: `the libtorch backend already runs on ${(tf.engine().registry[LIBTORCH_BACKEND_NAME] as LibtorchBackend).device} in this process` };
  }
  const threads = numThreads > 0 ? addon.setNumThreads(numThreads) : addon.getNumThreads();
  const flags = addon.setCudnn(cudnn.benchmark, cudnn.deterministic);
  return { ok: true, info: { version: addon.version(), threads, cudaDevices, device, cudnn: flags } };
}
