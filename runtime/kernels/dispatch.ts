/**
 * The one place where an op chooses between a backend's kernel and its composed default: tfjs ops call
 * `ENGINE.runKernel(name, inputs, attrs)` and fail where no backend registered `name`; our fused ops (./kernel_names.ts)
 * instead ask {@link hasKernel} and otherwise run their composed implementation of generic tfjs ops. Ops and
 * optimizers never compare backend names.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelInputs } from './kernel_names';

/** Whether the active backend registered a kernel named `kernelName` (`tf.registerKernel`). */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

/**
 * Runs the active backend's kernel `kernelName`, recorded on the gradient tape as tfjs ops are.
 * @returns its output tensor, or its outputs when it has several (`T` names which)
 * @throws tfjs's "Kernel '…' not registered for backend '…'" error where {@link hasKernel} is false
 */
export function runKernel<T extends tf.Tensor | tf.Tensor[]>(kernelName: string, inputs: KernelInputs, attrs: object = {}): T {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as T;
}

/**
 * `viaKernel()` where the active backend has `kernelName`, else `composed()`: the two must compute the same thing.
 */
export function dispatch<T>(kernelName: string, viaKernel: () => T, composed: () => T): T {
  return hasKernel(kernelName) ? viaKernel() : composed();
}
