/**
 * The libtorch backend's `SgdStep` kernel (runtime/kernels/kernel_names.ts): one SGD step for every parameter at once, with ATen's multi-tensor
 * `_foreach_*` operators: the same arithmetic, in the same order, as `torch.optim.SGD` (dampening 0), so the per-step
 * cost is a handful of ATen calls instead of about eight tfjs kernels per parameter (ResNet-preact-20: 61
 * parameters, ~490 kernel calls, ~10% of a training step on this backend).
 *
 * Nothing is updated in place that tfjs can see: new parameter values and momentum buffers are returned as new
 * tensors, which the optimizer assigns, as it does on the other backends.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { SgdStepAttrs } from '../../kernels/kernel_names';
import type { LtTensor } from './addon';
import type { KernelScope } from './backend';

/** Indices 0..n-1 grouped by a key (the `_foreach` operators take one scalar per call). */
function groupBy(n: number, key: (i: number) => number): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const k = key(i);
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  return groups;
}

/**
 * Inputs `p${i}` (parameter), `g${i}` (gradient) and, where `hasBuffer[i]`, `b${i}` (momentum buffer), all of one
 * parameter's shape. Outputs: the n new parameters, then (momentum > 0) the n new buffers. Per parameter, as
 * torch.optim.SGD: d = g + wd·p; buf = momentum·buf + d (or d on the first step); d = d + momentum·buf (Nesterov)
 * or buf; p ← p − lr·d.
 */
export function sgdStepImpl(s: KernelScope, inputs: Record<string, tf.TensorInfo>, attrs: SgdStepAttrs): LtTensor[] {
  const { n, lr, momentum, nesterov, weightDecay, hasBuffer } = attrs;
  const ids = (prefix: string, idx: number[]) => idx.map((i) => s.id(inputs[`${prefix}${i}`]));
  const all = Array.from({ length: n }, (_, i) => i);
  const p = ids('p', all);
  // d = g + wd·p, one _foreach call per distinct weight decay.
  const d: (LtTensor | number)[] = ids('g', all);
  for (const [wd, idx] of groupBy(n, (i) => weightDecay[i])) {
    if (wd === 0) continue;
    const sums = s.callList('aten::_foreach_add.List', ids('g', idx), ids('p', idx), wd) as LtTensor[];
    idx.forEach((i, k) => (d[i] = sums[k]));
  }
  const dIds = (idx: number[]) => idx.map((i) => (typeof d[i] === 'number' ? (d[i] as number) : (d[i] as LtTensor).id));
  if (momentum === 0) return s.callList('aten::_foreach_add.List', p, dIds(all), -lr) as LtTensor[];
  const buf: LtTensor[] = new Array<LtTensor>(n);
  for (const [has, idx] of groupBy(n, (i) => (hasBuffer[i] ? 1 : 0))) {
    if (has) {
      // buf·momentum, then + d in place on the fresh product (PyTorch: buf.mul_(momentum).add_(d)).
      const scaled = s.callList('aten::_foreach_mul.Scalar', ids('b', idx), momentum) as LtTensor[];
      s.run('aten::_foreach_add_.List', scaled, dIds(idx));
      idx.forEach((i, k) => (buf[i] = scaled[k]));
    } else {
      idx.forEach((i) => (buf[i] = s.call('aten::clone', dIds([i])[0])));
    }
  }
  const step = nesterov ? (s.callList('aten::_foreach_add.List', dIds(all), buf, momentum) as LtTensor[]) : buf;
  const next = s.callList('aten::_foreach_add.List', p, step, -lr) as LtTensor[];
  return [...next, ...buf];
}
