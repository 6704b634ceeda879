import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ConfigError } from '../../runtime/config';
import { createLrSchedule, type LrScheduleConfig, type SchedulerOptions, type WarmupOptions } from '../../runtime/train/schedule';

/** defaults.py values; `over` / `warmup` override them. */
function config(over: Partial<SchedulerOptions> = {}, warmup: Partial<WarmupOptions> = {}, baseLr = 0.1): LrScheduleConfig {
  return {
    train: { base_lr: baseLr },
    scheduler: {
      type: 'multistep',
      epochs: 160,
      milestones: [80, 120],
      lr_decay: 0.1,
      lr_min_factor: 0.001,
      T0: 10,
      T_mul: 1.0,
      ...over,
      warmup: { type: 'none', epochs: 0, start_factor: 1e-3, exponent: 4, ...warmup },
    },
  };
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 + 1e-9 * Math.abs(expected), `${what}: ${actual} != ${expected}`);
}

const S = 10;
const m = 0.001;
const cosine = (t: number, T: number) => 0.1 * (m + (1 - m) * 0.5 * (1 + Math.cos((Math.PI * t) / T)));

test('multistep: measured values of the original (switch one step late, bisect_left)', () => {
  const lr = createLrSchedule(config(), S);
  close(lr(0), 0.1, 't=0');
  close(lr(799), 0.1, 't=799');
  close(lr(800), 0.1, 't=800 (boundary keeps the previous segment)');
  close(lr(801), 0.01, 't=801');
  close(lr(1200), 0.01, 't=1200');
  close(lr(1201), 0.001, 't=1201');
  close(lr(1599), 0.001, 't=1599');
});

test('multistep: decay 0.2 with three milestones (wrn.yaml)', () => {
  const lr = createLrSchedule(config({ epochs: 200, milestones: [60, 120, 160], lr_decay: 0.2 }), S);
  close(lr(600), 0.1, 't=600');
  close(lr(601), 0.02, 't=601');
  close(lr(1201), 0.004, 't=1201');
  close(lr(1601), 0.1 * 0.2 ** 3, 't=1601');
});

test('constant', () => {
  const lr = createLrSchedule(config({ type: 'constant' }), S);
  for (const t of [0, 1, 800, 1599, 1600]) close(lr(t), 0.1, `t=${t}`);
});

test('linear: 1 -> lr_min_factor', () => {
  const lr = createLrSchedule(config({ type: 'linear' }), S);
  close(lr(0), 0.1, 't=0');
  close(lr(800), 0.1 * (1 + (m - 1) * 0.5), 'half');
  close(lr(1600), 0.1 * m, 'end');
});

test('cosine: start, half, end', () => {
  const lr = createLrSchedule(config({ type: 'cosine' }), S);
  close(lr(0), 0.1, 't=0');
  close(lr(800), 0.1 * (m + (1 - m) * 0.5), 'half');
  close(lr(400), cosine(400, 1600), 'quarter');
  close(lr(1600), 0.1 * m, 'end');
  const zero = createLrSchedule(config({ type: 'cosine', epochs: 1800, lr_min_factor: 0 }, {}, 0.2), S);
  close(zero(18000), 0, 'shake_shake.yaml ends at 0');
});

test('sgdr: cycles 10, 20, 40, 80 epochs restart after each boundary', () => {
  const lr = createLrSchedule(config({ type: 'sgdr', epochs: 150, T0: 10, T_mul: 2.0 }), S);
  close(lr(0), 0.1, 't=0');
  close(lr(50), cosine(50, 100), 'middle of cycle 1');
  close(lr(100), 0.1 * m, 't=100: end of cycle 1 (boundary keeps the previous segment)');
  close(lr(101), cosine(1, 200), 't=101: restart, local step 1 of 200');
  assert.ok(lr(101) > 0.0999, 'restarted near base_lr');
  close(lr(200), cosine(100, 200), 'half of cycle 2');
  close(lr(300), 0.1 * m, 'end of cycle 2');
  close(lr(301), cosine(1, 400), 'restart 3');
  close(lr(701), cosine(1, 800), 'restart 4');
  close(lr(1500), 0.1 * m, 'end');
});

test('sgdr: T_mul 1 gives equal cycles', () => {
  const lr = createLrSchedule(config({ type: 'sgdr', epochs: 30, T0: 10, T_mul: 1.0 }), S);
  close(lr(150), cosine(50, 100), 'cycle 2 middle');
  close(lr(250), cosine(50, 100), 'cycle 3 middle');
});

test('sgdr: cycles that do not sum to the main epochs throw, naming the totals that fit', () => {
  assert.throws(
    () => createLrSchedule(config({ type: 'sgdr', epochs: 160, T0: 10, T_mul: 2.0 }), S),
    (err: Error) => {
      assert.match(err.message, /sgdr/);
      assert.match(err.message, /10, 20, 40, 80, 160/);
      assert.match(err.message, /10, 30, 70, 150, 310/);
      assert.match(err.message, /Set scheduler\.epochs to 150 or 310/);
      return true;
    },
  );
  // with a 5-epoch warm-up the fitting totals include it
  assert.throws(
    () => createLrSchedule(config({ type: 'sgdr', epochs: 160, T0: 10, T_mul: 2.0 }, { type: 'linear', epochs: 5 }), S),
    /155 main epochs \(scheduler\.epochs 160 - scheduler\.warmup\.epochs 5\)\. Set scheduler\.epochs to 155 or 315/,
  );
  // a cycle that would shrink to 0 epochs (the original loops forever)
  assert.throws(() => createLrSchedule(config({ type: 'sgdr', epochs: 160, T0: 10, T_mul: 0.05 }), S), /cycle 2 would be int\(10 \* 0.05\) = 0 epochs/);
});

test('linear warm-up starts at base_lr*start_factor and hands over to the main schedule', () => {
  const lr = createLrSchedule(config({ type: 'multistep', epochs: 165 }, { type: 'linear', epochs: 5 }), S);
  close(lr(0), 0.1 * 1e-3, 't=0');
  close(lr(25), 0.1 * (1e-3 + (1 - 1e-3) * 0.5), 'half of the warm-up');
  close(lr(50), 0.1, 'end of warm-up');
  close(lr(51), 0.1, 'main');
  // milestones count from the end of the warm-up: 50 + 800
  close(lr(850), 0.1, 't=850');
  close(lr(851), 0.01, 't=851');
  const cos = createLrSchedule(config({ type: 'cosine', epochs: 165 }, { type: 'linear', epochs: 5, start_factor: 0.1 }), S);
  close(cos(0), 0.01, 'start_factor 0.1');
  close(cos(51), cosine(1, 1600), 'cosine local step 1');
  close(cos(850), 0.1 * (m + (1 - m) * 0.5), 'cosine half');
});

test('exponential warm-up reaches base_lr once (not base_lr^2): fixed seed bug', () => {
  const lr = createLrSchedule(config({ epochs: 165 }, { type: 'exponential', epochs: 5, exponent: 4 }), S);
  close(lr(0), 0.1 * 1e-3, 't=0');
  close(lr(25), 0.1 * (1e-3 + (1 - 1e-3) * 0.5 ** 4), 't=25');
  close(lr(50), 0.1, 'end of warm-up is base_lr, not 0.01');
  let prev = 0;
  for (let t = 0; t <= 60; t++) {
    assert.ok(lr(t) >= prev - 1e-15, `monotone at ${t}`);
    assert.ok(lr(t) <= 0.1 + 1e-15, `never above base_lr at ${t}`);
    prev = lr(t);
  }
});

test("warm-up 'none' keeps the original's span: main schedule covers epochs - warmup.epochs", () => {
  const lr = createLrSchedule(config({ epochs: 165 }, { type: 'none', epochs: 5 }), S);
  close(lr(0), 0.1, 't=0');
  close(lr(801), 0.01, 't=801');
});

test('unknown types and invalid options throw', () => {
  // Config-key problems are ConfigErrors (exit code 2), naming the key.
  const configError = (f: () => unknown, message: RegExp) => assert.throws(f, (e: unknown) => e instanceof ConfigError && message.test(e.message));
  configError(() => createLrSchedule(config({ type: 'step' }), S), /^scheduler\.type: invalid value 'step' \(allowed: constant, multistep, linear, cosine, sgdr\)$/);
  configError(
    () => createLrSchedule(config({}, { type: 'cosine', epochs: 0 }), S),
    /^scheduler\.warmup\.type: invalid value 'cosine' \(allowed: none, linear, exponential\)$/,
  );
  assert.throws(() => createLrSchedule(config(), 0), /stepsPerEpoch must be a positive integer, got 0/);
  configError(() => createLrSchedule(config({ epochs: 5 }, { type: 'linear', epochs: 5 }), S), /scheduler\.epochs \(5\) must be greater than scheduler\.warmup\.epochs \(5\)/);
  configError(() => createLrSchedule(config({ milestones: [120, 80] }), S), /^scheduler\.milestones: must be non-decreasing epochs >= 0.*\[120, 80\]/);
  // milestones past the end never take effect (the YAMLs' [80, 120] in a short trial run)
  const short = createLrSchedule(config({ epochs: 3, milestones: [80, 120] }), S);
  assert.equal(short(0), 0.1);
  assert.equal(short(3 * S - 1), 0.1);
  configError(() => createLrSchedule(config({}, {}, -1), S), /^train\.base_lr: must be a finite number >= 0, got -1$/);
  const lr = createLrSchedule(config(), S);
  assert.throws(() => lr(-1), /iteration must be a finite number >= 0, got -1/);
  assert.throws(() => lr(Number.NaN), /got NaN/);
});
