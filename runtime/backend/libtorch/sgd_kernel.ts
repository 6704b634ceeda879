/**
 * The libtorch backend's `SgdStep` kernel (runtime/kernels/kernel_names.ts): one SGD step for every parameter at once,
 * in one native call (`icl::sgd_step_`, native/sgd.cc): one pass over each parameter, gradient and momentum buffer,
 * with the arithmetic, order and rounding of `torch.optim.SGD`'s ATen operators (dampening 0).
 *
 * Parameters and momentum buffers are updated in place, as torch.optim.SGD does, where nothing else can see them: no
 * other tfjs tensor shares their data (the backend's reference count) and no view of their storage is alive
 * (`icl::storage_exclusive`, native/sgd.cc). The kernel then returns `detach`ed aliases of the updated tensors (not
 * `alias`: its view would keep the old tensor, and so a second user of the storage, alive), which the optimizer
 * assigns as new values (the old handles are freed, the storage stays). Otherwise (the first step after a parameter
 * was created from a tensor someone still holds, a clone of it kept elsewhere) the step runs on copies, which are
 * returned as new parameters and buffers, as on the other backends: the same bits either way. The update runs in the
 * gradient's memory layout: a convolution filter (tfjs HWIO) takes, at its first step, the layout oneDNN computes its
 * gradient in and reads it in (OIHW or OHWI), so the convolutions stop transposing it on every call. In place, VGG-15's step
 * holds no copy of its 59 MB of parameters, and no temporaries at all.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { SgdStepAttrs } from '../../kernels/kernel_names';
import type { LtTensor } from './addon';
import { MEMORY_FORMAT, type KernelScope } from './backend';

/**
 * Inputs `p${i}` (parameter), `g${i}` (gradient) and, where `hasBuffer[i]`, `b${i}` (momentum buffer), all of one
 * parameter's shape. Outputs: the n new parameters, then (momentum > 0) the n new buffers. Per parameter, as
 * torch.optim.SGD: d = g + wd·p; buf = momentum·buf + d (or d on the first step); d = d + momentum·buf (Nesterov)
 * or buf; p ← p − lr·d, in one pass over each parameter (`icl::sgd_step_`, native/sgd.cc, rounded as ATen's operators).
 */
export function sgdStepImpl(s: KernelScope, inputs: Record<string, tf.TensorInfo>, attrs: SgdStepAttrs): LtTensor[] {
  const { n, hasBuffer } = attrs;
  const all = Array.from({ length: n }, (_, i) => i);
  const inPlace = exclusive(s, inputs, attrs);
  // Not in place: the step runs on copies, so the inputs stay as they were and the bits are the same.
  const own = (t: tf.TensorInfo): number => (inPlace ? s.id(t) : s.call('aten::clone', s.id(t), MEMORY_FORMAT.contiguous).id);
  const params = all.map((i) => own(inputs[`p${i}`]));
  const buffers = all.map((i) => (attrs.momentum > 0 && hasBuffer[i] ? own(inputs[`b${i}`]) : null));
  const [updated, fresh] = s.callList('icl::sgd_step_', params, all.map((i) => s.id(inputs[`g${i}`])), buffers, attrs.weightDecay, attrs.lr,
    attrs.momentum, attrs.nesterov) as unknown as [LtTensor[], (LtTensor | null)[]];
  // Handles of the updated tensors, detached (an `alias` view would keep the old handle, a second user of the storage).
  const out = updated.map((t) => s.call('aten::detach', t));
  if (attrs.momentum === 0) return out;
  return [...out, ...all.map((i) => fresh[i] ?? s.call('aten::detach', buffers[i]!))];
}

/** Whether every parameter and momentum buffer is seen by nothing but this step (see the file comment). */
function exclusive(s: KernelScope, inputs: Record<string, tf.TensorInfo>, { n, hasBuffer }: SgdStepAttrs): boolean {
  const updated: tf.TensorInfo[] = [];
  for (let i = 0; i < n; i++) {
    updated.push(inputs[`p${i}`]);
    if (hasBuffer[i]) updated.push(inputs[`b${i}`]);
  }
  if (updated.some((t) => s.backend.refCount(t.dataId) !== 1)) return false;
  return (s.backend.addon.call(s.backend.opId('icl::storage_exclusive'), [updated.map((t) => s.id(t))]) as boolean[]).every(Boolean);
}
