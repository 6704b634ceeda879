import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/types';
import type { SplitMetrics } from '../protocol/events';
import { crossEntropy } from './losses/cross_entropy';
import { topkCorrect } from './metrics';

/** A batch of evaluation data. */
export interface EvalBatch {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** Evaluation result over a whole split. */
export interface EvalResult extends SplitMetrics {
  /** Images evaluated. */
  n: number;
  /** Logits [n, K] row-major, when asked for. */
  logits?: Float32Array;
}

/**
 * Evaluates `model` in inference mode (BN running statistics, no dropout) over `batches`:
 * mean cross-entropy, top-1 and top-5 accuracy as fractions of the images seen (the original's
 * `correct / dataset size`).
 * @param imageShape [H, W, C]
 * @param onBatch called after each batch with the images done so far (for progress bars)
 */
export async function evaluateModel(
  model: Model,
  batches: AsyncIterable<EvalBatch>,
  imageShape: [number, number, number],
  nClasses: number,
  opts: { keepLogits?: boolean; onBatch?: (done: number) => void } = {},
): Promise<EvalResult> {
  const [h, w, c] = imageShape;
  let lossSum = 0;
  let correct1 = 0;
  let correct5 = 0;
  let n = 0;
  const kept: Float32Array[] = [];
  for await (const batch of batches) {
    const x = tf.tensor4d(batch.x, [batch.n, h, w, c]);
    const y = tf.tensor1d(batch.y, 'int32');
    const logits = tf.tidy(() => model.apply(x, false));
    const loss = tf.tidy(() => crossEntropy(logits, y));
    const values = logits.dataSync() as Float32Array;
    lossSum += loss.dataSync()[0] * batch.n;
    const [c1, c5] = topkCorrect(values, batch.y, nClasses, [1, 5]);
    correct1 += c1;
    correct5 += c5;
    n += batch.n;
    if (opts.keepLogits) kept.push(values.slice());
    tf.dispose([x, y, logits, loss]);
    opts.onBatch?.(n);
  }
  const result: EvalResult = { loss: lossSum / n, accuracy: correct1 / n, accuracy5: correct5 / n, n };
  if (opts.keepLogits) {
    const all = new Float32Array(n * nClasses);
    let off = 0;
    for (const k of kept) {
      all.set(k, off);
      off += k.length;
    }
    result.logits = all;
  }
  return result;
}
