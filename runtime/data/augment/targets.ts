/** Mixed targets and the batch images the mixers rewrite (shared by mixup, cutmix, ricap). */

/** Mixed targets of a batch: `labels[k][i]` with weight `weights[k]` (Σ weights = 1). */
export interface MixedTargets {
  labels: Int32Array[];
  weights: number[];
}

/** The images of a batch to mix: one or more NHWC float32 copies (dual cutout has two), mixed alike. */
export interface MixImages {
  /** Each [n, h, w, c]; all are rewritten with the same permutations, boxes and weights. */
  xs: Float32Array[];
  y: Int32Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** y permuted: out[i] = y[perm[i]]. */
export function permuteLabels(y: Int32Array, perm: Int32Array): Int32Array {
  const out = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) out[i] = y[perm[i]];
  return out;
}
