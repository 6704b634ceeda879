/**
 * Histograms as the original's `SummaryWriter.add_histogram(name, param, epoch)` makes them
 * (torch/utils/tensorboard/summary.py `make_histogram` with `bins='tensorflow'`): numpy's histogram over
 * TensorFlow's default bucket edges, trimmed to the buckets that hold values plus one empty bucket on the left.
 */
import type { HistogramProto } from './event_proto';

let edges: Float64Array | undefined;

/**
 * TensorFlow's default bucket edges, as torch's SummaryWriter builds them: ±1e-12·1.1^k below 1e20, and 0
 * (1549 edges, ascending).
 */
export function tensorflowBucketEdges(): Float64Array {
  if (!edges) {
    const pos: number[] = [];
    for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
    edges = Float64Array.from([...pos.map((v) => -v).reverse(), 0, ...pos]);
  }
  return edges;
}

/** Index of the bucket [edges[i], edges[i+1]) holding x (the last bucket is closed); -1 outside the edges. */
function bucketOf(e: Float64Array, x: number): number {
  const last = e.length - 1;
  if (!(x >= e[0] && x <= e[last])) return -1;
  if (x === e[last]) return last - 1;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (e[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The histogram of `values` (a parameter's elements in any order).
 * @returns min/max/num/sum/sum_squares over all values (float64), and the counts of the buckets from the
 *   one left of the first non-empty bucket to the last non-empty one, each with its right edge in bucket_limit
 * @throws when `values` is empty (as torch does)
 */
export function histogram(values: ArrayLike<number>): HistogramProto {
  const n = values.length;
  if (n === 0) throw new Error('histogram: the input has no element');
  const e = tensorflowBucketEdges();
  const counts = new Float64Array(e.length - 1);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sumSquares += x * x;
    const b = bucketOf(e, x);
    if (b >= 0) counts[b]++;
  }
  let start = 0;
  while (start < counts.length && counts[start] === 0) start++;
  let end = counts.length - 1;
  while (end >= 0 && counts[end] === 0) end--;
  const bucket: number[] = [];
  const bucketLimit: number[] = [];
  if (start <= end) {
    // One empty bucket left of the first non-empty one, so that TensorBoard sees the left edge too.
    bucket.push(start > 0 ? counts[start - 1] : 0, ...counts.subarray(start, end + 1));
    bucketLimit.push(...e.subarray(start, end + 2));
  }
  return { min, max, num: n, sum, sum_squares: sumSquares, bucket_limit: bucketLimit, bucket };
}
