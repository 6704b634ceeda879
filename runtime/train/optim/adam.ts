import * as tf from '@tensorflow/tfjs-core';
import type { Param } from '../../models/types';
import { paramKeyMap, resolveGrads } from './sgd';
import type { Optimizer, OptimizerState } from './types';

/**
 * Base of the optimizers that keep named state slots per parameter (Adam's moments, LARS's
 * momentum) and optionally a step counter per parameter (PyTorch's `state['step']`).
 * State keys are `<param name>/<slot>`; step counters are saved as 0-d tensors `<param name>/step`.
 */
export abstract class SlotOptimizer implements Optimizer {
  abstract readonly name: string;
  private readonly byKey: Map<string, Param>;
  private readonly decay = new Map<Param, number>();
  private readonly slots = new Map<string, tf.Tensor>();
  private readonly steps = new Map<string, number>();
  private stepTensors: tf.Tensor[] = [];

  /**
   * @param slotNames the slots {@link update} may return
   * @param counted keep a per-parameter step counter (1 on the first update)
   * @throws Error for a negative/non-finite weight decay, duplicate or ambiguous parameter names
   */
  protected constructor(params: readonly Param[], weightDecayOf: (param: Param) => number, private readonly slotNames: readonly string[],
    private readonly counted: boolean, label: string) {
    this.byKey = paramKeyMap(params);
    for (const p of params) {
      const wd = weightDecayOf(p);
      if (typeof wd !== 'number' || !Number.isFinite(wd) || wd < 0) {
        throw new Error(`${label}: weight decay of '${p.name}' must be a finite number >= 0, got ${String(wd)}`);
      }
      this.decay.set(p, wd);
    }
  }

  /**
   * The update of one parameter, inside `tf.tidy`: assigns the new value to `p.variable` and
   * returns the new slot tensors (missing slots keep their old value).
   * @param t the step count of this parameter including this step (0 when not counted)
   * @param slot the current value of a slot, undefined before the first update
   */
  protected abstract update(p: Param, grad: tf.Tensor, lr: number, wd: number, t: number,
    slot: (name: string) => tf.Tensor | undefined): Record<string, tf.Tensor>;

  /** See {@link Optimizer.step}. @throws Error also for a negative or non-finite lr. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new Error(`${this.name}: lr must be a finite number >= 0, got ${String(lr)}`);
    const pairs = resolveGrads(this.byKey, grads);
    const fresh = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      for (const [p, grad] of pairs) {
        const t = this.counted ? (this.steps.get(p.name) ?? 0) + 1 : 0;
        const updated = this.update(p, grad, lr, this.decay.get(p) ?? 0, t, (s) => this.slots.get(`${p.name}/${s}`));
        for (const [s, v] of Object.entries(updated)) out[`${p.name}/${s}`] = v;
      }
      return out;
    });
    if (this.counted) for (const [p] of pairs) this.steps.set(p.name, (this.steps.get(p.name) ?? 0) + 1);
    for (const [key, v] of Object.entries(fresh)) {
      this.slots.get(key)?.dispose();
      this.slots.set(key, tf.keep(v));
    }
  }

  /** Slots and step counters keyed `<param>/<slot>`; see {@link Optimizer.getState}. */
  getState(): OptimizerState {
    tf.dispose(this.stepTensors);
    this.stepTensors = [];
    const tensors: Record<string, tf.Tensor> = Object.fromEntries(this.slots);
    for (const [name, t] of this.steps) {
      const s = tf.keep(tf.scalar(t, 'float32'));
      this.stepTensors.push(s);
      tensors[`${name}/step`] = s;
    }
    return { name: this.name, tensors };
  }

  /** See {@link Optimizer.setState}. */
  setState(state: OptimizerState): void {
    if (state.name !== this.name) throw new Error(`${this.name}: cannot load the state of optimizer '${state.name}'`);
    const steps = new Map<string, number>();
    for (const [key, t] of Object.entries(state.tensors)) {
      const cut = key.lastIndexOf('/');
      const [pname, slot] = [key.slice(0, cut), key.slice(cut + 1)];
      const p = this.byKey.get(pname);
      if (cut < 0 || p === undefined || p.name !== pname) throw new Error(`${this.name} state: '${key}' names no parameter slot of this optimizer`);
      if (slot === 'step' && this.counted) {
        if (t.size !== 1) throw new Error(`${this.name} state: '${key}' must be a scalar`);
        steps.set(pname, Math.round(t.dataSync()[0]));
        continue;
      }
      if (!this.slotNames.includes(slot)) throw new Error(`${this.name} state: unknown slot '${slot}' in '${key}' (slots: ${this.slotNames.join(', ')})`);
      if (!tf.util.arraysEqual(t.shape, p.variable.shape)) {
        throw new Error(`${this.name} state: '${key}' has shape [${t.shape.join(', ')}], the parameter [${p.variable.shape.join(', ')}]`);
      }
    }
    this.dispose();
    for (const [key, t] of Object.entries(state.tensors)) if (!key.endsWith('/step') || !this.counted) this.slots.set(key, tf.keep(tf.clone(t)));
    for (const [k, v] of steps) this.steps.set(k, v);
  }

  /** See {@link Optimizer.dispose}. */
  dispose(): void {
    for (const t of this.slots.values()) t.dispose();
    this.slots.clear();
    this.steps.clear();
    tf.dispose(this.stepTensors);
    this.stepTensors = [];
  }
}

/** Checks a (beta1, beta2) pair. */
export function checkBetas(label: string, betas: readonly number[]): [number, number] {
  if (betas.length !== 2 || !betas.every((b) => Number.isFinite(b) && b >= 0 && b < 1)) {
    throw new Error(`${label}: betas must be two numbers in [0, 1), got ${JSON.stringify(betas)}`);
  }
  return [betas[0], betas[1]];
}

/** Settings of {@link Adam} (`optim.adam`). */
export interface AdamOptions {
  /** `optim.adam.betas`. */
  betas: readonly number[];
  /** Default 1e-8 (PyTorch's). */
  eps?: number;
  /** AMSGrad (Reddi et al., ICLR 2018): normalise by the running maximum of the second moment. */
  amsgrad?: boolean;
}

/**
 * Adam (Kingma & Ba, arXiv 1412.6980) and AMSGrad exactly as `torch.optim.Adam` (PyTorch 1.x, the
 * original's `adam` / `amsgrad`), with coupled L2 weight decay. Per parameter, step t:
 *
 *   g = grad + wd·w;  m = β₁·m + (1−β₁)·g;  v = β₂·v + (1−β₂)·g²;  (AMSGrad: v̂ = max(v̂, v), else v̂ = v)
 *   w ← w − (lr / (1−β₁ᵗ)) · m / (√v̂ / √(1−β₂ᵗ) + eps).
 */
export class Adam extends SlotOptimizer {
  readonly name: 'adam' | 'amsgrad';
  private readonly betas: [number, number];
  private readonly eps: number;
  private readonly amsgrad: boolean;

  constructor(params: readonly Param[], options: AdamOptions, weightDecayOf: (param: Param) => number = () => 0) {
    const amsgrad = options.amsgrad ?? false;
    const name = amsgrad ? 'amsgrad' : 'adam';
    super(params, weightDecayOf, amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'], true, name);
    this.name = name;
    this.amsgrad = amsgrad;
    this.betas = checkBetas(name, options.betas);
    this.eps = options.eps ?? 1e-8;
    if (!(this.eps >= 0)) throw new Error(`${name}: eps must be >= 0, got ${this.eps}`);
  }

  protected update(p: Param, grad: tf.Tensor, lr: number, wd: number, t: number, slot: (name: string) => tf.Tensor | undefined): Record<string, tf.Tensor> {
    const [b1, b2] = this.betas;
    const w = p.variable;
    const g = wd !== 0 ? tf.add(grad, tf.mul(w, wd)) : grad;
    const m0 = slot('exp_avg');
    const v0 = slot('exp_avg_sq');
    const m = m0 ? tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1)) : tf.mul(g, 1 - b1);
    const v = v0 ? tf.add(tf.mul(v0, b2), tf.mul(tf.square(g), 1 - b2)) : tf.mul(tf.square(g), 1 - b2);
    const out: Record<string, tf.Tensor> = { exp_avg: m, exp_avg_sq: v };
    let vhat = v;
    if (this.amsgrad) {
      const old = slot('max_exp_avg_sq');
      vhat = old ? tf.maximum(old, v) : v;
      out.max_exp_avg_sq = vhat;
    }
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const denom = tf.add(tf.div(tf.sqrt(vhat), Math.sqrt(bc2)), this.eps);
    w.assign(tf.sub(w, tf.mul(tf.div(m, denom), lr / bc1)));
    return out;
  }
}
