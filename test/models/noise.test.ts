import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadConfig } from '../../runtime/config';
import { createModel } from '../../runtime/models';

/** Training-time randomness is keyed by optimizer step, so a resumed run replays it exactly. */
describe('per-step training noise (dropout, shake-shake)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const cases: [string, string[]][] = [
    ['wrn with dropout', ['model.name', 'wrn', 'model.wrn.depth', '10', 'model.wrn.widening_factor', '1', 'model.wrn.drop_rate', '0.3']],
    ['shake_shake', ['model.name', 'shake_shake', 'model.shake_shake.depth', '8', 'model.shake_shake.initial_channels', '8']],
  ];
  for (const [name, overrides] of cases) {
    it(`${name}: the same step draws the same noise in a fresh model; another step draws other noise`, () => {
      const cfg = loadConfig({ overrides });
      const a = createModel(cfg);
      const b = createModel(cfg);
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const out = (m: ReturnType<typeof createModel>, step: number) => {
        m.setStep!(step);
        return tf.tidy(() => m.apply(x, true).dataSync() as Float32Array);
      };
      // a has run steps 0..4 before; b is "resumed" directly at step 5
      for (let s = 0; s < 5; s++) out(a, s);
      const fromA = out(a, 5);
      const fromB = out(b, 5);
      // BN running statistics differ between a and b, but training mode uses batch statistics
      assert.deepEqual(fromB, fromA);
      assert.notDeepEqual(out(b, 6), fromA);
      [a, b].forEach((m) => m.dispose());
      x.dispose();
    });
  }
});
