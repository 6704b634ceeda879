import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argmaxRows, AverageMeter, topkCorrect } from '../../runtime/train/metrics';

describe('metrics', () => {
  it('counts top-1 and top-k hits', () => {
    // 3 images, 4 classes
    const logits = new Float32Array([
      0.1, 0.7, 0.2, 0.0, // label 1: rank 0
      0.5, 0.1, 0.3, 0.2, // label 2: rank 1
      0.9, 0.8, 0.7, 0.1, // label 3: rank 3
    ]);
    assert.deepEqual(topkCorrect(logits, [1, 2, 3], 4, [1, 2, 3, 4, 5]), [1, 2, 2, 3, 3]);
  });

  it('breaks ties towards the lower class index', () => {
    const logits = new Float32Array([1, 1, 1]);
    assert.deepEqual(topkCorrect(logits, [0], 3, [1]), [1]);
    assert.deepEqual(topkCorrect(logits, [2], 3, [1, 2, 3]), [0, 0, 1]);
  });

  it('takes the first maximum as the prediction', () => {
    assert.deepEqual(Array.from(argmaxRows(new Float32Array([0, 2, 2, 5, 1, 0]), 3)), [1, 0]);
  });

  it('weights batch means by batch size', () => {
    const m = new AverageMeter();
    assert.ok(Number.isNaN(m.mean));
    m.add(1, 3);
    m.add(0, 1);
    assert.equal(m.mean, 0.75);
    assert.equal(m.n, 4);
  });
});
