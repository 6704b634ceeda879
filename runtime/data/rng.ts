/**
 * Seeded pseudo-random numbers for the input pipeline: xoshiro128** (Blackman & Vigna, 2018), a
 * 128-bit-state generator that uses only 32-bit integer operations (fast in JavaScript), period
 * 2^128 − 1. Nothing in runtime/data uses `Math.random`; every random draw comes from an {@link Rng}.
 *
 * Streams are derived from integer keys with {@link Rng.fromKey} (e.g. `(seed, epoch, step)`), so a
 * consumer can recreate exactly the generator it needs from a few integers instead of carrying state.
 * {@link Rng.getState} / {@link Rng.setState} serialise the state as plain numbers for checkpoints.
 */

/** Serialisable generator state (JSON-safe). */
export interface RngState {
  algorithm: 'xoshiro128**';
  /** The four 32-bit state words, each an unsigned integer in [0, 2^32). Not all zero. */
  s: [number, number, number, number];
}

const TWO_32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** MurmurHash3's 32-bit finaliser: a bijective avalanche mix of one 32-bit word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Splits a safe integer (may be negative or ≥ 2^32) into its low and high 32-bit words. */
function words(v: number): [number, number] {
  if (!Number.isSafeInteger(v)) throw new Error(`Rng key must be a safe integer, got ${v}`);
  return [v >>> 0, Math.floor(v / TWO_32) >>> 0];
}

/** A xoshiro128** generator. Not thread-safe by construction: give each thread its own instance. */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** @param state a state from {@link getState}; throws if malformed or all zero. */
  constructor(state: RngState) {
    this.setState(state);
  }

  /**
   * A generator whose state is a hash of the integer key, e.g. `Rng.fromKey(seed, epoch, step)`.
   * Different keys (including different lengths) give unrelated streams; the same key always gives
   * the same stream. Each key element must be a safe integer (negative allowed).
   */
  static fromKey(...key: number[]): Rng {
    const s: [number, number, number, number] = [0, 0, 0, 0];
    for (let lane = 0; lane < 4; lane++) {
      let h = fmix32(0x9e3779b9 + Math.imul(lane + 1, 0x632be5ab) + key.length);
      for (const k of key) {
        const [lo, hi] = words(k);
        h = fmix32((h ^ lo) + 0x7f4a7c15);
        h = fmix32((h ^ hi) + 0x165667b1 + lane);
      }
      s[lane] = h;
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    return new Rng({ algorithm: 'xoshiro128**', s });
  }

  /** Next raw output, an unsigned 32-bit integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits (two raw draws). */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * Uniform integer in [lo, hiExclusive), unbiased (rejection sampling).
   * @throws if the bounds are not integers, the range is empty, or wider than 2^32
   */
  int(lo: number, hiExclusive: number): number {
    const range = hiExclusive - lo;
    if (!Number.isInteger(lo) || !Number.isInteger(hiExclusive) || range <= 0 || range > TWO_32) {
      throw new Error(`Rng.int: invalid range [${lo}, ${hiExclusive})`);
    }
    const limit = TWO_32 - (TWO_32 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return lo + (x % range);
  }

  /** Normal deviate (Box–Muller; consumes two {@link uniform} draws, keeps no spare). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Shuffles in place (Fisher–Yates, from the end) and returns the same array. */
  shuffle<A extends { length: number; [i: number]: unknown }>(arr: A): A {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** The current state, to restore later with {@link setState} or the constructor. */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  /** Restores a state from {@link getState}; throws on a malformed or all-zero state. */
  setState(state: RngState): void {
    const s = state?.s;
    if (state?.algorithm !== 'xoshiro128**' || !Array.isArray(s) || s.length !== 4 ||
        !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32)) {
      throw new Error('Rng.setState: expected { algorithm: "xoshiro128**", s: [4 uint32] }');
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new Error('Rng.setState: the all-zero state is invalid');
    this.s0 = s[0] | 0;
    this.s1 = s[1] | 0;
    this.s2 = s[2] | 0;
    this.s3 = s[3] | 0;
  }

  /** An independent copy with the same state. */
  clone(): Rng {
    return new Rng(this.getState());
  }
}
