import * as tf from '@tensorflow/tfjs-core';

/** Runs `f` on the given backend and returns its results as plain arrays (tensors are disposed). */
export async function onBackend(name: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to start`);
  if (name === 'cpu') (tf.backend() as { firstUse?: boolean }).firstUse = false; // no "install tfjs-node" banner
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => tf.cast(t, 'float32'));
  }).map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(v);
  });
}

/** Largest absolute difference between two equally long arrays (Infinity if lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Largest absolute value. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32), so both backends see identical inputs. */
export function randomValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** A deterministic random tensor of `shape`. */
export function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  const v = randomValues(shape.reduce((a, b) => a * b, 1), seed);
  if (scale !== 1) for (let i = 0; i < v.length; i++) v[i] *= scale;
  return tf.tensor(v, shape);
}
