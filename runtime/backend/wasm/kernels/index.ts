import * as tf from '@tensorflow/tfjs-core';
// Registers the stock wasm kernels first, so that ours replace them rather than the other way round.
import '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { oneHotConfig } from './OneHot';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum';
import { rememberOriginal } from './util';

/** Kernels added to, or replacing ones of, tfjs-backend-wasm 4.22. */
export const WASM_KERNEL_CONFIGS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  oneHotConfig,
  unsortedSegmentSumConfig,
];

/**
 * Registers {@link WASM_KERNEL_CONFIGS} for the `wasm` backend: adds the missing `Conv2DBackpropFilter` and
 * `UnsortedSegmentSum`, and replaces the slow `Conv2DBackpropInput` and the float-buggy `OneHot` (the stock
 * functions are kept for internal use). Idempotent; may be called before or after the backend initialises.
 *
 * Still missing on wasm 4.22 and not composed here: `DepthwiseConv2dNativeBackpropFilter/Input` (depthwise
 * convs), `Conv2D` with dilation > 1 in the composed backprops, NCHW layouts.
 */
export function registerWasmKernels(): void {
  for (const config of WASM_KERNEL_CONFIGS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current == null) {
      tf.registerKernel(config);
      continue;
    }
    // Keep the stock setupFunc: it binds the C++ function that the override may still call (OneHot) and must run
    // when the backend initialises after this registration.
    const stock = rememberOriginal(config.kernelName);
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, setupFunc: stock?.setupFunc, disposeFunc: stock?.disposeFunc });
  }
}

export { conv2DBackpropFilterConfig, conv2DBackpropInputConfig, oneHotConfig, unsortedSegmentSumConfig };
