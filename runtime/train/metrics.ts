/**
 * Counts, for each k in `ks`, the rows whose true label is among the k largest logits
 * (ties broken towards the lower class index, as `torch.topk` on CPU does in practice).
 * @param logits row-major [n, nClasses]
 * @param labels [n]
 * @returns correct counts, one per k (k larger than nClasses counts every row)
 */
export function topkCorrect(logits: Float32Array, labels: ArrayLike<number>, nClasses: number, ks: readonly number[]): number[] {
  const counts = ks.map(() => 0);
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const row = i * nClasses;
    const target = logits[row + labels[i]];
    // rank = number of classes that beat the true one
    let rank = 0;
    for (let c = 0; c < nClasses; c++) {
      const v = logits[row + c];
      if (v > target || (v === target && c < labels[i])) rank++;
    }
    ks.forEach((k, j) => {
      if (rank < k) counts[j]++;
    });
  }
  return counts;
}

/** Running mean of a per-batch quantity weighted by batch size (the original's AverageMeter). */
export class AverageMeter {
  private sum = 0;
  private count = 0;

  add(value: number, n: number): void {
    this.sum += value * n;
    this.count += n;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  get n(): number {
    return this.count;
  }
}

/** The predicted class (argmax of each row; first maximum wins). */
export function argmaxRows(logits: Float32Array, nClasses: number): Int32Array {
  const n = logits.length / nClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < nClasses; c++) if (logits[i * nClasses + c] > logits[i * nClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}
