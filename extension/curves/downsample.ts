/**
 * Host-side downsampling of the Curves panel's series for drawing (pure). A chart a few hundred pixels
 * wide shows no more than a few thousand points, and an 80,000-step run sent whole costs the webview
 * seconds; Largest-Triangle-Three-Buckets (S. Steinarsson, "Downsampling Time Series for Visual
 * Representation", MSc thesis, University of Iceland, 2013) keeps the points that shape the line.
 * Every point kept is a recorded point, so the tooltip shows exact recorded values; values that cannot
 * be drawn (NaN, Inf, null) are always kept, so the webview still shows and counts the gaps. The CSV
 * export reads the full series, never these.
 */
import type { Point, RunSeries, SeriesByMetric } from '../../webviews/curves/contract';

/** Points per series sent for drawing (about two per pixel of a wide chart). */
export const MAX_DRAWN_POINTS = 2000;

const finite = (p: Point): boolean => Number.isFinite(p.y);

/**
 * LTTB of `points` (finite y values) to `threshold` points (at least 3): the first and last points
 * kept, one point per bucket between them, the one forming the largest triangle with the point kept
 * before it and the average of the next bucket. x is the optimizer step. Returns `points` itself when
 * it is no longer than `threshold`.
 */
export function lttb(points: Point[], threshold: number): Point[] {
  const n = points.length;
  if (threshold >= n || threshold < 3) return points;
  const out: Point[] = [points[0]];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const [start, end] = [Math.floor(i * every) + 1, Math.floor((i + 1) * every) + 1];
    const [nextStart, nextEnd] = [end, Math.min(Math.floor((i + 2) * every) + 1, n)];
    let [avgX, avgY] = [0, 0];
    for (let j = nextStart; j < nextEnd; j++) [avgX, avgY] = [avgX + points[j].step, avgY + points[j].y];
    const len = Math.max(1, nextEnd - nextStart);
    [avgX, avgY] = [avgX / len, avgY / len];
    const pa = points[a];
    let [best, bestArea] = [start, -1];
    for (let j = start; j < end; j++) {
      const area = Math.abs((pa.step - avgX) * (points[j].y - pa.y) - (pa.step - points[j].step) * (avgY - pa.y));
      if (area > bestArea) [best, bestArea] = [j, area];
    }
    out.push(points[best]);
    a = best;
  }
  out.push(points[n - 1]);
  return out;
}

/**
 * A series for drawing, at most about `max` points: each stretch of finite values between values
 * that cannot be drawn is reduced with {@link lttb} in proportion to its length; the non-finite
 * points stay where they were.
 */
export function downsampleSeries(points: Point[], max = MAX_DRAWN_POINTS): Point[] {
  if (points.length <= max) return points;
  const out: Point[] = [];
  let run: Point[] = [];
  const flush = (): void => {
    out.push(...lttb(run, Math.max(3, Math.round((run.length / points.length) * max))));
    run = [];
  };
  for (const p of points) {
    if (finite(p)) run.push(p);
    else {
      flush();
      out.push(p);
    }
  }
  flush();
  return out;
}

/** The runs with every series downsampled for drawing (new objects; the runs given are not changed). */
export function runsForDrawing(runs: readonly RunSeries[], max = MAX_DRAWN_POINTS): RunSeries[] {
  return runs.map((r) => ({
    ...r,
    series: Object.fromEntries(Object.entries(r.series).map(([m, pts]) => [m, downsampleSeries(pts, max)])) as SeriesByMetric,
  }));
}
