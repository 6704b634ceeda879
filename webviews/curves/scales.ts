/**
 * What of a series can be drawn and the y range it needs (pure, shared by the Curves webview and the
 * tests): values that cannot be drawn (NaN, ±Inf; zero and negatives on a log axis) become gaps and are
 * counted for the chart's note; TensorBoard's "ignore outliers" keeps far-off values from stretching
 * the y axis.
 */

/** One series' y values as drawn: NaN where a value cannot be drawn (a gap), and how many of each kind. */
export interface DrawableYs {
  ys: number[];
  /** NaN or ±Inf. */
  nonFinite: number;
  /** Zero or negative on a log axis. */
  nonPositive: number;
}

/** The drawable y values of `ys` on a linear (or, with `logY`, a log) axis. */
export function drawableYs(ys: readonly number[], logY: boolean): DrawableYs {
  const out: DrawableYs = { ys: [], nonFinite: 0, nonPositive: 0 };
  for (const y of ys) {
    if (!Number.isFinite(y)) {
      out.nonFinite++;
      out.ys.push(NaN);
    } else if (logY && y <= 0) {
      out.nonPositive++;
      out.ys.push(NaN);
    } else out.ys.push(y);
  }
  return out;
}

/** Values beyond this many spreads outside the quartiles are outliers. */
export const OUTLIER_SPREADS = 10;

/** The `q` quantile (0..1) of sorted values, linearly interpolated. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

/** A y range; `clipped` counts the values outside it (ignored as outliers). Bounds absent: automatic. */
export interface YDomain {
  min?: number;
  max?: number;
  clipped: number;
}

/**
 * The y range of a chart's drawable values with outliers ignored: values more than
 * {@link OUTLIER_SPREADS} spreads below the first or above the third quartile do not stretch the axis,
 * where the spread is the interquartile range, or the median's magnitude when that is larger (so a
 * constant series with a warm-up keeps the warm-up; on a log axis, in decades, at least one). With no
 * outlier, or under 4 values, the range is automatic (`{ clipped: 0 }`); else it spans the other values
 * plus 5% either side.
 */
export function outlierDomain(values: readonly number[], logY: boolean): YDomain {
  const t = values.filter((v) => Number.isFinite(v) && (!logY || v > 0)).map((v) => (logY ? Math.log10(v) : v));
  if (t.length < 4) return { clipped: 0 };
  const sorted = [...t].sort((a, b) => a - b);
  const [q1, med, q3] = [quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75)];
  const spread = Math.max(q3 - q1, logY ? 1 : Math.abs(med));
  const [lo, hi] = [q1 - OUTLIER_SPREADS * spread, q3 + OUTLIER_SPREADS * spread];
  const inside = sorted.filter((v) => v >= lo && v <= hi);
  const clipped = sorted.length - inside.length;
  if (!clipped) return { clipped: 0 };
  const [a, b] = [inside[0], inside[inside.length - 1]];
  const pad = (b - a) * 0.05 || Math.abs(a) * 0.05 || 1;
  const back = (v: number): number => (logY ? 10 ** v : v);
  return { min: back(a - pad), max: back(b + pad), clipped };
}
