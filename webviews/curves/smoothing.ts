/**
 * TensorBoard's debiased exponential moving average (its scalar dashboard's "Smoothing"): a running
 * EMA started at 0 and divided by 1 - w^n so early points are not pulled towards 0. Non-finite values
 * pass through without updating the average. Incremental, so appended points continue the curve.
 */

export interface EmaState {
  last: number;
  count: number;
}

export const emaStart = (): EmaState => ({ last: 0, count: 0 });

/** Smooths `values` continuing from `state` (updated in place); returns the smoothed values. */
export function emaAppend(state: EmaState, weight: number, values: readonly number[]): number[] {
  const out: number[] = [];
  for (const y of values) {
    if (!Number.isFinite(y)) {
      out.push(y);
      continue;
    }
    state.last = state.last * weight + (1 - weight) * y;
    state.count++;
    const debias = weight === 1 ? 1 : 1 - Math.pow(weight, state.count);
    out.push(state.last / debias);
  }
  return out;
}

/** Smooths a whole series. */
export const ema = (values: readonly number[], weight: number): number[] => emaAppend(emaStart(), weight, values);
