/**
 * Per-class figures of a classifier's predictions: the confusion matrix, each class's accuracy
 * (recall), precision and F1, and the most confidently wrong predictions. Pure (no TensorFlow.js).
 */
import type { ClassFigures } from '../protocol/evaluation';

/**
 * The confusion matrix: `m[t][p]` counts the images of true class t predicted as class p (rows true,
 * columns predicted, as scikit-learn's `confusion_matrix`).
 * @param labels true classes [n]
 * @param predictions predicted classes [n]
 * @throws when the lengths differ or a class is outside [0, nClasses)
 */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, nClasses: number): number[][] {
  if (labels.length !== predictions.length) throw new Error(`confusionMatrix: ${labels.length} labels but ${predictions.length} predictions`);
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < nClasses && p >= 0 && p < nClasses)) throw new Error(`confusionMatrix: image ${i} has class ${t} → ${p}, expected classes in [0, ${nClasses})`);
    m[t][p]++;
  }
  return m;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/**
 * Each class's figures from a confusion matrix (rows true, columns predicted): support (row sum),
 * predicted (column sum), correct (diagonal), accuracy = recall = correct / support, precision =
 * correct / predicted, F1 = 2·P·R / (P + R) (0 when both are 0; null when either is undefined).
 */
export function classFigures(confusion: readonly (readonly number[])[]): ClassFigures[] {
  const k = confusion.length;
  return confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < k; t++) predicted += confusion[t][c];
    const correct = row[c];
    const accuracy = ratio(correct, support);
    const precision = ratio(correct, predicted);
    const f1 = accuracy === null || precision === null ? null : accuracy + precision === 0 ? 0 : (2 * precision * accuracy) / (precision + accuracy);
    return { support, predicted, correct, accuracy, precision, f1 };
  });
}

/** Unweighted mean of the values that are not null (null when none is). */
export function macroMean(values: ReadonlyArray<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** A prediction with its softmax probabilities. */
export interface ScoredPrediction {
  index: number;
  true: number;
  predicted: number;
  /** Softmax probability of the predicted class. */
  probability: number;
  /** Softmax probability of the true class. */
  trueProbability: number;
}

/**
 * The argmax (first maximum wins) of each row and its softmax probability, with the true class's.
 * @param logits row-major [n, nClasses]
 * @param labels true classes [n]
 */
export function scorePredictions(logits: Float32Array, labels: ArrayLike<number>, nClasses: number): ScoredPrediction[] {
  const out: ScoredPrediction[] = [];
  for (let i = 0; i < labels.length; i++) {
    const row = logits.subarray(i * nClasses, (i + 1) * nClasses);
    let best = 0;
    for (let c = 1; c < nClasses; c++) if (row[c] > row[best]) best = c;
    let sum = 0;
    for (let c = 0; c < nClasses; c++) sum += Math.exp(row[c] - row[best]);
    out.push({ index: i, true: labels[i], predicted: best, probability: 1 / sum, trueProbability: Math.exp(row[labels[i]] - row[best]) / sum });
  }
  return out;
}

/**
 * The wrong predictions worth showing: in each confusion cell (true t, predicted p ≠ t) its
 * `perCell` most confident ones, plus the `top` most confident wrong ones overall; most confident
 * first (ties: lower image index first).
 */
export function confidentMistakes(scored: readonly ScoredPrediction[], perCell: number, top: number): ScoredPrediction[] {
  const wrong = scored.filter((s) => s.predicted !== s.true).sort((a, b) => b.probability - a.probability || a.index - b.index);
  const inCell = new Map<string, number>();
  return wrong.filter((s, rank) => {
    const key = `${s.true},${s.predicted}`;
    const n = inCell.get(key) ?? 0;
    inCell.set(key, n + 1);
    return n < perCell || rank < top;
  });
}
