import * as tf from '@tensorflow/tfjs-core';
import { hasKernel, runKernel } from '../../kernels/dispatch';
import { SgdStep, type SgdStepAttrs } from '../../kernels/kernel_names';
import type { Param } from '../../models/types';
import type { Optimizer, OptimizerState } from './types';

/** The `train` keys SGD reads; a parsed `train` section satisfies it. */
export interface SgdOptions {
  /** `train.momentum`, >= 0; 0 disables the momentum buffer. */
  momentum: number;
  /** `train.nesterov`; needs momentum > 0. */
  nesterov: boolean;
}

/**
 * Maps gradient keys to parameters: each parameter is reachable by its `Param.name` and by the name of
 * its `tf.Variable` (the keys of `tf.variableGrads`).
 * @throws Error for duplicate parameter names or a key that would name two different parameters.
 */
export function paramKeyMap(params: readonly Param[]): Map<string, Param> {
  const byKey = new Map<string, Param>();
  const names = new Set<string>();
  for (const p of params) {
    if (names.has(p.name)) throw new Error(`duplicate parameter name '${p.name}'`);
    names.add(p.name);
  }
  for (const p of params) {
    for (const key of [p.name, p.variable.name]) {
      const other = byKey.get(key);
      if (other !== undefined && other !== p) {
        throw new Error(`gradient key '${key}' would be ambiguous: it names parameters '${other.name}' and '${p.name}'`);
      }
      byKey.set(key, p);
    }
  }
  return byKey;
}

/**
 * Resolves `grads` to (parameter, gradient) pairs, checking keys and shapes.
 * @throws Error naming an unknown key (with a few known names), a parameter given twice, or a shape mismatch.
 */
export function resolveGrads(byKey: Map<string, Param>, grads: Record<string, tf.Tensor>): Array<[Param, tf.Tensor]> {
  const seen = new Set<Param>();
  const out: Array<[Param, tf.Tensor]> = [];
  for (const [key, grad] of Object.entries(grads)) {
    const p = byKey.get(key);
    if (p === undefined) {
      const known = [...new Set([...byKey.values()].map((q) => q.name))];
      throw new Error(
        `gradient '${key}' names no parameter of this optimizer (${known.length} parameters, e.g. ${known.slice(0, 3).join(', ')})`,
      );
    }
    if (seen.has(p)) throw new Error(`parameter '${p.name}' has two gradients (by parameter and by variable name)`);
    seen.add(p);
    if (!tf.util.arraysEqual(grad.shape, p.variable.shape)) {
      throw new Error(`gradient of '${p.name}' has shape [${grad.shape.join(', ')}], the parameter [${p.variable.shape.join(', ')}]`);
    }
    out.push([p, grad]);
  }
  return out;
}

/**
 * Stochastic gradient descent with momentum, exactly as `torch.optim.SGD` with dampening 0
 * (Sutskever et al. 2013 momentum as implemented by PyTorch; Nesterov as in PyTorch's formulation). Per
 * parameter w with gradient grad and weight decay wd (coupled L2, added to the gradient):
 *
 *   g = grad + wd·w;  buf = g on the first step, else buf = momentum·buf + g;
 *   d = g + momentum·buf (nesterov) or d = buf;  w ← w − lr·d.
 *
 * With momentum 0 no buffer is kept and d = g. All arithmetic is float32 on the current backend, inside
 * `tf.tidy`; the only tensors that outlive a step are the momentum buffers (one per parameter that has
 * received a gradient), so `tf.memory().numTensors` stays constant from the second step on. Where the active
 * backend registers the `SgdStep` kernel (runtime/kernels/kernel_names.ts; libtorch: ATen's multi-tensor
 * operators), the whole update is that one kernel, with the same arithmetic in the same order.
 */
export class SGD implements Optimizer {
  readonly name = 'sgd';
  private readonly byKey: Map<string, Param>;
  private readonly decay = new Map<Param, number>();
  private readonly buffers = new Map<string, tf.Tensor>();
  private readonly momentum: number;
  private readonly nesterov: boolean;

  /**
   * @param params the parameters to optimise (`Model.params`); names must be unique.
   * @param options `momentum` and `nesterov` (YAML keys of `train`).
   * @param weightDecayOf weight decay per parameter (see `weightDecayPolicy`); called once per parameter here.
   * @throws Error for negative/non-finite momentum or weight decay, nesterov without momentum (as PyTorch),
   *   duplicate or ambiguous parameter names.
   */
  constructor(params: readonly Param[], options: SgdOptions, weightDecayOf: (param: Param) => number = () => 0) {
    const { momentum, nesterov } = options;
    if (typeof momentum !== 'number' || !Number.isFinite(momentum) || momentum < 0) {
      throw new Error(`sgd: momentum must be a finite number >= 0, got ${String(momentum)}`);
    }
    if (nesterov && momentum === 0) throw new Error('sgd: nesterov momentum requires momentum > 0');
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.byKey = paramKeyMap(params);
    for (const p of params) {
      const wd = weightDecayOf(p);
      if (typeof wd !== 'number' || !Number.isFinite(wd) || wd < 0) {
        throw new Error(`sgd: weight decay of '${p.name}' must be a finite number >= 0, got ${String(wd)}`);
      }
      this.decay.set(p, wd);
    }
  }

  /** See {@link Optimizer.step}. @throws Error also for a negative or non-finite lr. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new Error(`sgd: lr must be a finite number >= 0, got ${String(lr)}`);
    }
    const pairs = resolveGrads(this.byKey, grads);
    if (hasKernel(SgdStep)) return this.stepByKernel(pairs, lr);
    const momentum = this.momentum;
    const newBuffers = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      for (const [p, grad] of pairs) {
        const w = p.variable;
        const wd = this.decay.get(p) ?? 0;
        const g = wd !== 0 ? tf.add(grad, tf.mul(w, wd)) : grad;
        let d = g;
        if (momentum !== 0) {
          const old = this.buffers.get(p.name);
          const buf = old === undefined ? tf.clone(g) : tf.add(tf.mul(old, momentum), g);
          out[p.name] = buf;
          d = this.nesterov ? tf.add(g, tf.mul(buf, momentum)) : buf;
        }
        w.assign(tf.sub(w, tf.mul(d, lr)));
      }
      return out;
    });
    for (const [name, buf] of Object.entries(newBuffers)) {
      this.buffers.get(name)?.dispose();
      this.buffers.set(name, tf.keep(buf));
    }
  }

  /** {@link step} as one `SgdStep` kernel: inputs p_i, g_i and (where it exists) b_i; outputs new p_i, then new b_i. */
  private stepByKernel(pairs: Array<[Param, tf.Tensor]>, lr: number): void {
    const n = pairs.length;
    const inputs: Record<string, tf.Tensor> = {};
    const hasBuffer = pairs.map(([p], i) => {
      inputs[`p${i}`] = p.variable;
      inputs[`g${i}`] = pairs[i][1];
      const b = this.buffers.get(p.name);
      if (b !== undefined) inputs[`b${i}`] = b;
      return b !== undefined;
    });
    const weightDecay = pairs.map(([p]) => this.decay.get(p) ?? 0);
    const attrs: SgdStepAttrs = { n, lr, momentum: this.momentum, nesterov: this.nesterov, weightDecay, hasBuffer };
    const out = runKernel<tf.Tensor[]>(SgdStep, inputs, attrs);
    pairs.forEach(([p], i) => {
      p.variable.assign(out[i]);
      out[i].dispose();
      const buf = out[n + i];
      if (buf === undefined) return;
      this.buffers.get(p.name)?.dispose();
      this.buffers.set(p.name, tf.keep(buf));
    });
  }

  /** Momentum buffers keyed by `Param.name`; see {@link Optimizer.getState}. */
  getState(): OptimizerState {
    return { name: this.name, tensors: Object.fromEntries(this.buffers) };
  }

  /** See {@link Optimizer.setState}; keys must be `Param.name`s. */
  setState(state: OptimizerState): void {
    if (state.name !== this.name) throw new Error(`sgd: cannot load the state of optimizer '${state.name}'`);
    for (const [key, t] of Object.entries(state.tensors)) {
      const p = this.byKey.get(key);
      if (p === undefined || p.name !== key) throw new Error(`sgd state: '${key}' names no parameter of this optimizer`);
      if (!tf.util.arraysEqual(t.shape, p.variable.shape)) {
        throw new Error(`sgd state: buffer of '${key}' has shape [${t.shape.join(', ')}], the parameter [${p.variable.shape.join(', ')}]`);
      }
    }
    this.dispose();
    for (const [key, t] of Object.entries(state.tensors)) this.buffers.set(key, tf.keep(tf.clone(t)));
  }

  /** See {@link Optimizer.dispose}. */
  dispose(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
  }
}
