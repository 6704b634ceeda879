import type * as tf from '@tensorflow/tfjs-core';
import type { ParamRegistry } from './layers/registry';
import type { Model } from './types';

/**
 * Wraps a built network into a {@link Model}: its registry's parameters and buffers, the forward
 * pass, and disposal of every variable.
 * @param forward images [N, H, W, C] NHWC → logits [N, nClasses]
 */
export function assembleModel(name: string, root: ParamRegistry, forward: (x: tf.Tensor4D, training: boolean) => tf.Tensor2D): Model {
  return {
    name,
    params: root.params,
    buffers: root.buffers,
    apply: forward,
    dispose(): void {
      for (const p of root.params) p.variable.dispose();
      for (const b of root.buffers) b.variable.dispose();
    },
  };
}
