import { before, test } from 'node:test';
import { ConfigError } from '../../runtime/config';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Param, ParamKind } from '../../runtime/models/types';
import { createOptimizer, SGD, weightDecayPolicy } from '../../runtime/train/optim';

before(async () => {
  await tf.setBackend('cpu');
});

let counter = 0;
function param(name: string, values: number[], shape: number[], kind: ParamKind = 'conv_weight', variableName?: string): Param {
  counter += 1;
  return { name, kind, variable: tf.variable(tf.tensor(values, shape), true, variableName ?? `sgdtest_${counter}_${name}`) };
}

const W0 = [1.0, -2.0, 0.5, 3.0];
const GRADS = [
  [0.1, -0.2, 0.3, -0.4],
  [0.5, 0.0, -0.1, 0.2],
  [-0.3, 0.1, 0.05, 0.0],
];
const LRS = [0.1, 0.1, 0.05];

// torch.optim.SGD(momentum=0.9, weight_decay=5e-4, dampening=0), computed by hand in float64
// (element 0, nesterov off: g=0.1005, buf=0.1005, w=0.98995; g=0.500494975, buf=0.590944975,
// w=0.9308555025; g=-0.29953457225, buf=0.23231590525, w=0.9192397072375).
const EXPECTED = {
  plain: {
    w: [
      [0.98995, -1.9799, 0.469975, 3.03985],
      [0.9308555025, -1.961711005, 0.4529290012, 3.0555630075],
      [0.9192397072, -1.9584769145, 0.4427469786, 3.0625574718],
    ],
    buf: [0.2323159053, -0.0646818105, 0.2036404533, -0.139889286],
  },
  nesterov: {
    w: [
      [0.980905, -1.96181, 0.4429525, 3.075715],
      [0.877671314, -1.945342628, 0.4375901695, 3.0697013071],
      [0.8821965363, -1.9473840476, 0.4259163017, 3.075918538],
    ],
    buf: [0.2322852429, -0.0646654858, 0.2036206237, -0.1398660776],
  },
};

function near(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) < 2e-6, `${what}[${i}]: ${actual[i]} != ${expected[i]}`);
  }
}

function runSteps(opt: SGD, p: Param, from: number, to: number, byVariableName = false): number[][] {
  const ws: number[][] = [];
  for (let i = from; i < to; i++) {
    const g = tf.tensor(GRADS[i], [2, 2]);
    opt.step({ [byVariableName ? p.variable.name : p.name]: g }, LRS[i]);
    g.dispose();
    ws.push(Array.from(p.variable.dataSync()));
  }
  return ws;
}

for (const nesterov of [false, true]) {
  const exp = nesterov ? EXPECTED.nesterov : EXPECTED.plain;
  test(`3 steps match torch.optim.SGD (momentum 0.9, wd 5e-4, nesterov ${nesterov})`, () => {
    const p = param('conv.weight', W0, [2, 2]);
    const opt = new SGD([p], { momentum: 0.9, nesterov }, () => 5e-4);
    const ws = runSteps(opt, p, 0, 3);
    ws.forEach((w, i) => near(w, exp.w[i], `w after step ${i + 1}`));
    near(opt.getState().tensors['conv.weight'].dataSync(), exp.buf, 'momentum buffer');
    opt.dispose();
    p.variable.dispose();
  });
}

test('grads keyed by tf.Variable name (tf.variableGrads) are mapped to their params', () => {
  const p = param('stage1.conv1.weight', W0, [2, 2], 'conv_weight', 'some_variable_name');
  const opt = new SGD([p], { momentum: 0.9, nesterov: false }, () => 5e-4);
  const ws = runSteps(opt, p, 0, 3, true);
  near(ws[2], EXPECTED.plain.w[2], 'w');
  assert.deepEqual(Object.keys(opt.getState().tensors), ['stage1.conv1.weight']);
  // a real tf.variableGrads call
  const x = tf.tensor([1, 1, 1, 1], [2, 2]);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(p.variable, x)) as tf.Scalar, [p.variable]);
  assert.deepEqual(Object.keys(grads), ['some_variable_name']);
  opt.step(grads, 0.1);
  tf.dispose([x, value, ...Object.values(grads)]);
  opt.dispose();
  p.variable.dispose();
});

test('momentum 0: plain gradient descent with L2, no state; params without a gradient are untouched', () => {
  const a = param('a', [1, 2], [2]);
  const b = param('b', [3, 4], [2]);
  const opt = new SGD([a, b], { momentum: 0, nesterov: false }, (p) => (p.name === 'a' ? 0.5 : 0));
  const g = tf.tensor([1, 1]);
  opt.step({ a: g }, 0.1);
  near(a.variable.dataSync(), [1 - 0.1 * (1 + 0.5), 2 - 0.1 * (1 + 1)], 'a');
  near(b.variable.dataSync(), [3, 4], 'b untouched');
  assert.deepEqual(Object.keys(opt.getState().tensors), []);
  tf.dispose([g, a.variable, b.variable]);
});

test('no tensor leak over steps', () => {
  const p = param('w', W0, [2, 2]);
  const q = param('bn.bias', [0.1, 0.2], [2], 'bn_beta');
  const opt = new SGD([p, q], { momentum: 0.9, nesterov: true }, weightDecayPolicy({ weight_decay: 5e-4, no_weight_decay_on_bn: true }));
  const gp = tf.tensor(GRADS[0], [2, 2]);
  const gq = tf.tensor([0.5, -0.5]);
  opt.step({ w: gp, 'bn.bias': gq }, 0.1); // creates the buffers
  const n = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    opt.step({ w: gp, 'bn.bias': gq }, 0.1);
    tf.tidy(() => opt.step({ w: gp, 'bn.bias': gq }, 0.1)); // buffers survive a caller's tidy
    assert.equal(tf.memory().numTensors, n, `step ${i}`);
  }
  assert.equal(opt.getState().tensors.w.isDisposed, false);
  opt.dispose();
  assert.equal(tf.memory().numTensors, n - 2);
  tf.dispose([gp, gq, p.variable, q.variable]);
});

test('state round trip: resuming from getState/setState continues identically', () => {
  const p = param('conv.weight', W0, [2, 2]);
  const opt = new SGD([p], { momentum: 0.9, nesterov: false }, () => 5e-4);
  runSteps(opt, p, 0, 2);
  const saved = Object.fromEntries(Object.entries(opt.getState().tensors).map(([k, t]) => [k, t.clone()]));
  const savedW = p.variable.clone();
  opt.dispose();

  const p2 = param('conv.weight', Array.from(savedW.dataSync()), [2, 2]);
  const opt2 = new SGD([p2], { momentum: 0.9, nesterov: false }, () => 5e-4);
  const before = tf.memory().numTensors;
  opt2.setState({ name: 'sgd', tensors: saved });
  assert.equal(tf.memory().numTensors, before + 1, 'setState copies');
  tf.dispose(Object.values(saved)); // the caller's copies can go
  const ws = runSteps(opt2, p2, 2, 3);
  near(ws[0], EXPECTED.plain.w[2], 'w after resumed step 3');
  near(opt2.getState().tensors['conv.weight'].dataSync(), EXPECTED.plain.buf, 'buffer');
  opt2.dispose();
  tf.dispose([savedW, p.variable, p2.variable]);
});

test('weightDecayPolicy: all params by default; with no_weight_decay_on_bn only conv/linear weights', () => {
  const kinds: ParamKind[] = ['conv_weight', 'conv_bias', 'linear_weight', 'linear_bias', 'bn_gamma', 'bn_beta'];
  const ps = kinds.map((kind) => ({ name: kind, kind }) as Param);
  const all = weightDecayPolicy({ weight_decay: 1e-4, no_weight_decay_on_bn: false });
  assert.deepEqual(ps.map(all), [1e-4, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4]);
  const some = weightDecayPolicy({ weight_decay: 1e-4, no_weight_decay_on_bn: true });
  assert.deepEqual(ps.map(some), [1e-4, 0, 1e-4, 0, 0, 0]);
  assert.throws(() => weightDecayPolicy({ weight_decay: -1, no_weight_decay_on_bn: false }), (e: unknown) => e instanceof ConfigError && e.message === 'train.weight_decay: must be a finite number >= 0, got -1');
});

test('errors', () => {
  const p = param('w', W0, [2, 2]);
  assert.throws(() => new SGD([p], { momentum: -0.1, nesterov: false }), /sgd: momentum must be a finite number >= 0, got -0.1/);
  assert.throws(() => new SGD([p], { momentum: 0, nesterov: true }), /sgd: nesterov momentum requires momentum > 0/);
  assert.throws(() => new SGD([p], { momentum: 0.9, nesterov: false }, () => Number.NaN), /sgd: weight decay of 'w' must be a finite number >= 0, got NaN/);
  assert.throws(() => new SGD([p, param('w', [1], [1])], { momentum: 0.9, nesterov: false }), /duplicate parameter name 'w'/);
  const clash = param('x', [1], [1], 'conv_bias', 'w'); // its variable is named like the param 'w'
  assert.throws(() => new SGD([p, clash], { momentum: 0.9, nesterov: false }), /gradient key 'w' would be ambiguous: it names parameters 'w' and 'x'/);

  const opt = new SGD([p], { momentum: 0.9, nesterov: false });
  const g = tf.tensor(GRADS[0], [2, 2]);
  const bad = tf.tensor([1, 2, 3, 4]);
  assert.throws(() => opt.step({ v: g }, 0.1), /gradient 'v' names no parameter of this optimizer \(1 parameters, e\.g\. w\)/);
  assert.throws(() => opt.step({ w: bad }, 0.1), /gradient of 'w' has shape \[4\], the parameter \[2, 2\]/);
  assert.throws(() => opt.step({ w: g, [p.variable.name]: g }, 0.1), /parameter 'w' has two gradients/);
  assert.throws(() => opt.step({ w: g }, -1), /sgd: lr must be a finite number >= 0, got -1/);
  assert.throws(() => opt.setState({ name: 'adam', tensors: {} }), /sgd: cannot load the state of optimizer 'adam'/);
  assert.throws(() => opt.setState({ name: 'sgd', tensors: { v: g } }), /sgd state: 'v' names no parameter/);
  assert.throws(() => opt.setState({ name: 'sgd', tensors: { w: bad } }), /sgd state: buffer of 'w' has shape \[4\], the parameter \[2, 2\]/);

  const train = { momentum: 0.9, nesterov: true, weight_decay: 5e-4, no_weight_decay_on_bn: false };
  const made = createOptimizer({ ...train, optimizer: 'sgd' }, [p]);
  assert.equal(made.name, 'sgd');
  assert.equal(createOptimizer({ ...train, optimizer: 'adam' }, [p]).name, 'adam');
  assert.throws(
    () => createOptimizer({ ...train, optimizer: 'rmsprop' }, [p]),
    (e: unknown) => e instanceof ConfigError && e.key === 'train.optimizer' && e.message === "train.optimizer: invalid value 'rmsprop' (allowed: sgd, adam, amsgrad, adabound, adaboundw, lars)",
  );
  tf.dispose([g, bad, p.variable, clash.variable]);
});
