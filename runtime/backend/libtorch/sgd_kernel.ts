/**
 * The libtorch backend's `SgdStep` kernel (runtime/kernels/kernel_names.ts): one SGD step for every parameter at once, with ATen's multi-tensor
 * `_foreach_*` operators: the same arithmetic, in the same order, as `torch.optim.SGD` (dampening 0), so the per-step
 * cost is a handful of ATen calls instead of about eight tfjs kernels per parameter (ResNet-preact-20: 61
 * parameters, ~490 kernel calls, ~10% of a training step on this backend).
 *
 * Parameters and momentum buffers are updated in place, as torch.optim.SGD does, where nothing else can see them: no
 * other tfjs tensor shares their data (the backend's reference count) and no view of their storage is alive
 * (`icl::storage_exclusive`, native/sgd.cc). The kernel then returns `detach`ed aliases of the updated tensors (not
 * `alias`: its view would keep the old tensor, and so a second user of the storage, alive), which the
 * optimizer assigns as new values (the old handles are freed, the storage stays), and works through the parameters in
 * chunks of at most {@link CHUNK_BYTES}, so the temporaries (d = g + wd·p, the Nesterov step) of one chunk are alive
 * at a time. Otherwise (the first step after a parameter was created from a tensor someone still holds, a clone of it
 * kept elsewhere) new parameters and buffers are returned, as on the other backends. The arithmetic and its order are
 * the same either way. In place, VGG-15's step no longer holds four extra copies of its 59 MB of parameters.
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
  return exclusive(s, inputs, attrs) ? sgdStepInPlace(s, inputs, attrs) : sgdStepNew(s, inputs, attrs);
}

/** Temporaries of the in-place step are freed after each chunk of parameters of at most this many bytes (or one). */
export const CHUNK_BYTES = 16 * 2 ** 20;

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

/** Parameter indices in consecutive chunks of at most {@link CHUNK_BYTES} (a larger parameter is a chunk of its own). */
function chunks(inputs: Record<string, tf.TensorInfo>, n: number): number[][] {
  const out: number[][] = [];
  let bytes = Infinity;
  for (let i = 0; i < n; i++) {
    const b = 4 * inputs[`p${i}`].shape.reduce((x, y) => x * y, 1);
    if (bytes + b > CHUNK_BYTES) {
      out.push([]);
      bytes = 0;
    }
    out[out.length - 1].push(i);
    bytes += b;
  }
  return out;
}

/** The step in place on the parameters and buffers, chunk by chunk; returns detached aliases (new buffers where none was). */
function sgdStepInPlace(s: KernelScope, inputs: Record<string, tf.TensorInfo>, attrs: SgdStepAttrs): LtTensor[] {
  const { n, lr, momentum, nesterov, weightDecay, hasBuffer } = attrs;
  const id = (name: string) => s.id(inputs[name]);
  const newBuffers: (LtTensor | null)[] = new Array<LtTensor | null>(n).fill(null);
  for (const idx of chunks(inputs, n)) {
    const temps: LtTensor[] = [];
    const fresh = (ts: LtTensor[]) => (temps.push(...ts), ts);
    // d = g + wd·p (new tensors; the gradients stay as they are), one _foreach call per distinct weight decay.
    const d = new Map<number, number>(idx.map((i) => [i, id(`g${i}`)]));
    for (const [wd, group] of groupBy(idx.length, (k) => weightDecay[idx[k]])) {
      if (wd === 0) continue;
      const sums = fresh(s.callList('aten::_foreach_add.List', group.map((k) => id(`g${idx[k]}`)), group.map((k) => id(`p${idx[k]}`)), wd) as LtTensor[]);
      group.forEach((k, j) => d.set(idx[k], sums[j].id));
    }
    let step = idx.map((i) => d.get(i)!);
    if (momentum > 0) {
      const bufIds = idx.map((i) => {
        if (!hasBuffer[i]) return (newBuffers[i] = s.call('aten::clone', d.get(i)!)).id;
        return id(`b${i}`);
      });
      const old = idx.map((i, k) => [i, k] as const).filter(([i]) => hasBuffer[i]);
      if (old.length) {
        // buf·momentum + d in place (PyTorch: buf.mul_(momentum).add_(d)).
        const ids = old.map(([, k]) => bufIds[k]);
        s.run('aten::_foreach_mul_.Scalar', ids, momentum);
        s.run('aten::_foreach_add_.List', ids, old.map(([i]) => d.get(i)!));
      }
      step = nesterov ? fresh(s.callList('aten::_foreach_add.List', step, bufIds, momentum) as LtTensor[]).map((t) => t.id) : bufIds;
    }
    s.run('aten::_foreach_add_.List', idx.map((i) => id(`p${i}`)), step, -lr);
    s.release(temps);
  }
  const params = Array.from({ length: n }, (_, i) => s.call('aten::detach', id(`p${i}`)));
  if (momentum === 0) return params;
  return [...params, ...newBuffers.map((b, i) => b ?? s.call('aten::detach', id(`b${i}`)))];
}

/** The step as new parameters and buffers (the inputs unchanged), all parameters at once. */
function sgdStepNew(s: KernelScope, inputs: Record<string, tf.TensorInfo>, attrs: SgdStepAttrs): LtTensor[] {

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
