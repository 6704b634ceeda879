import assert from 'node:assert/strict';
import { ConfigError } from '../../runtime/config';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Param } from '../../runtime/models/types';
import { AdaBound, Adam, createOptimizer, LARS, type Optimizer } from '../../runtime/train/optim';

before(async () => {
  await tf.setBackend('cpu');
});

let counter = 0;
function param(values: number[], name = 'w'): Param {
  counter++;
  return { name, kind: 'conv_weight', variable: tf.variable(tf.tensor(values, [values.length]), true, `recipes_optim_${counter}`) };
}

const W0 = [1.0, -2.0, 0.5, 3.0];
const GRADS = [[0.1, -0.2, 0.3, -0.4], [0.5, 0.0, -0.1, 0.2], [-0.3, 0.1, 0.05, 0.0]];
const LRS = [0.1, 0.05, 0.02];

function run(opt: Optimizer, p: Param, steps = 3): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    const g = tf.tensor(GRADS[t], [4]);
    opt.step({ [p.name]: g }, LRS[t]);
    g.dispose();
    out.push(Array.from(p.variable.dataSync()));
  }
  return out;
}

function near(a: number[], b: number[], what: string, tol = 2e-6): void {
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < tol, `${what}[${i}]: ${v} != ${b[i]}`));
}

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

test('LARS step equals local = ‖w‖/(eps + ‖g‖ + wd‖w‖), buf = m·buf + lr·local·(g + wd·w), w −= buf', () => {
  const [m, wd, eps, thr] = [0.9, 5e-4, 1e-9, 1e-2];
  const p = param(W0);
  const got = run(new LARS([p], { momentum: m, eps, threshold: thr }, () => wd), p);
  let w = [...W0];
  let buf = [0, 0, 0, 0];
  GRADS.forEach((g, t) => {
    const local = norm(w) < thr ? 1 : norm(w) / (eps + norm(g) + wd * norm(w));
    buf = buf.map((b, i) => m * b + LRS[t] * local * (g[i] + wd * w[i]));
    w = w.map((x, i) => x - buf[i]);
    near(got[t], w, `step ${t + 1}`);
  });
  // step 1 by hand: ‖w‖ = √14.25 = 3.774917, ‖g‖ = √0.3 = 0.547723, local = 3.774917/0.549610 = 6.86836;
  // w0 − 0.1·6.86836·(0.1 + 5e-4·1) = 1 − 0.069027 = 0.930973
  assert.ok(Math.abs(got[0][0] - 0.930973) < 2e-6, `${got[0][0]}`);
  // below the threshold the local lr is 1 (plain momentum SGD with lr folded into the buffer)
  const small = param([0.001, -0.002, 0, 0.001]);
  run(new LARS([small], { momentum: 0.9, eps, threshold: thr }, () => 0), small, 1);
  near(Array.from(small.variable.dataSync()), [0.001 - 0.1 * 0.1, -0.002 + 0.1 * 0.2, -0.03, 0.001 + 0.04], 'below threshold');
});

/** torch.optim.Adam (coupled L2), float64. */
function adamRef(amsgrad: boolean, wd: number): number[][] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  let w = [...W0];
  let m = [0, 0, 0, 0];
  let v = [0, 0, 0, 0];
  let vmax = [0, 0, 0, 0];
  return GRADS.map((g0, i) => {
    const t = i + 1;
    const g = g0.map((x, k) => x + wd * w[k]);
    m = m.map((x, k) => b1 * x + (1 - b1) * g[k]);
    v = v.map((x, k) => b2 * x + (1 - b2) * g[k] ** 2);
    vmax = vmax.map((x, k) => Math.max(x, v[k]));
    const vh = amsgrad ? vmax : v;
    w = w.map((x, k) => x - (LRS[i] / (1 - b1 ** t)) * m[k] / (Math.sqrt(vh[k]) / Math.sqrt(1 - b2 ** t) + eps));
    return w;
  });
}

test('Adam and AMSGrad steps equal torch.optim.Adam computed by hand', () => {
  for (const amsgrad of [false, true]) {
    const p = param(W0);
    const got = run(new Adam([p], { betas: [0.9, 0.999], amsgrad }, () => 1e-2), p);
    adamRef(amsgrad, 1e-2).forEach((w, t) => near(got[t], w, `${amsgrad ? 'amsgrad' : 'adam'} step ${t + 1}`));
  }
  // first Adam step without decay moves every weight by lr·g/(|g| + eps) ≈ lr·sign(g)
  const p = param(W0);
  run(new Adam([p], { betas: [0.9, 0.999] }), p, 1);
  near(Array.from(p.variable.dataSync()), [0.9, -1.9, 0.4, 3.1], 'adam step 1', 1e-6);
  // AMSGrad differs from Adam once the second moment shrinks (step 3: g₄ = 0 after 0.2)
  assert.notDeepEqual(adamRef(true, 0)[2], adamRef(false, 0)[2]);
});

/** Luolc/AdaBound(W), float64. */
function adaboundRef(decoupled: boolean, wd: number, baseLr: number): number[][] {
  const [b1, b2, eps, finalLr, gamma] = [0.9, 0.999, 1e-8, 0.1, 1e-3];
  let w = [...W0];
  let m = [0, 0, 0, 0];
  let v = [0, 0, 0, 0];
  return GRADS.map((g0, i) => {
    const t = i + 1;
    const lr = LRS[i];
    const g = decoupled ? g0 : g0.map((x, k) => x + wd * w[k]);
    m = m.map((x, k) => b1 * x + (1 - b1) * g[k]);
    v = v.map((x, k) => b2 * x + (1 - b2) * g[k] ** 2);
    const step = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const f = (finalLr * lr) / baseLr;
    const [lo, hi] = [f * (1 - 1 / (gamma * t + 1)), f * (1 + 1 / (gamma * t))];
    w = w.map((x, k) => x - Math.min(hi, Math.max(lo, step / (Math.sqrt(v[k]) + eps))) * m[k] - (decoupled ? wd * x : 0));
    return w;
  });
}

test('AdaBound and AdaBoundW steps equal the authors\' update (bounds from final_lr·lr/base_lr)', () => {
  for (const decoupled of [false, true]) {
    const p = param(W0);
    const opt = new AdaBound([p], { betas: [0.9, 0.999], finalLr: 0.1, gamma: 1e-3, baseLr: 0.1, decoupled }, () => 1e-2);
    assert.equal(opt.name, decoupled ? 'adaboundw' : 'adabound');
    const got = run(opt, p);
    adaboundRef(decoupled, 1e-2, 0.1).forEach((w, t) => near(got[t], w, `${opt.name} step ${t + 1}`));
  }
  // with a large gamma the bounds close in on final_lr·lr/base_lr and the clip is active
  const ref = adaboundRef(false, 0, 0.1);
  assert.ok(Math.abs(ref[0][0] - (1 - 0.1 * 0.1)) > 1e-4, 'step 1 is not the plain Adam step (upper bound active)');
});

test('optimizer state round-trips through getState/setState (checkpoints); createOptimizer builds every name', () => {
  for (const name of ['adam', 'amsgrad', 'adabound', 'adaboundw', 'lars']) {
    const train = { optimizer: name, momentum: 0.9, nesterov: false, weight_decay: 1e-3, no_weight_decay_on_bn: false, base_lr: 0.1 };
    const [p, q] = [param(W0, 'w'), param(W0, 'w')];
    const a = createOptimizer(train, [p]);
    run(a, p, 2);
    const b = createOptimizer(train, [q]);
    q.variable.assign(p.variable);
    b.setState(a.getState());
    for (const [opt, par] of [[a, p], [b, q]] as const) {
      const g = tf.tensor(GRADS[2], [4]);
      opt.step({ w: g }, 0.02);
      g.dispose();
      void par;
    }
    near(Array.from(q.variable.dataSync()), Array.from(p.variable.dataSync()), `${name} resumed`, 1e-7);
    assert.throws(() => b.setState({ name: 'sgd', tensors: {} }), /cannot load the state of optimizer 'sgd'/);
    a.dispose();
    b.dispose();
  }
  assert.throws(() => createOptimizer({ optimizer: 'adabound', momentum: 0.9, nesterov: false, weight_decay: 0, no_weight_decay_on_bn: false, base_lr: 0 }, []), (e: unknown) => e instanceof ConfigError && /^train\.base_lr: must be > 0 for adabound/.test(e.message));
});
