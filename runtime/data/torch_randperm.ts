/**
 * PyTorch's CPU random permutation, bit for bit: the 32-bit Mersenne Twister MT19937 (Matsumoto &
 * Nishimura, 1998) that `torch.manual_seed(seed)` seeds, and `torch.randperm(n)`'s Fisher-Yates
 * shuffle over it (ATen's `randperm_cpu`: for i in 0..n-2, swap i with i + random() % (n - i)).
 * Used for the original's `random_split` of the training set (runtime/data/dataset.ts).
 * Checked against PyTorch 1.13 in test/data/dataset.test.ts.
 */

const N = 624;
const M = 397;

/** MT19937 with the standard `init_genrand` seeding (as `at::mt19937` for a seed below 2^32). */
export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;

  /** @param seed taken modulo 2^32, as ATen does (`seed & 0xffffffff`); a safe integer ≥ 0. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Mt19937: seed must be a non-negative safe integer, got ${seed}`);
    this.mt[0] = seed % 4294967296;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next 32-bit output, an unsigned integer in [0, 2^32). */
  next(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
        mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/**
 * `torch.randperm(n)` right after `torch.manual_seed(seed)` (CPU generator), for n < 2^32 / 20
 * (above that, PyTorch 2 draws 64-bit numbers; not needed for any dataset here).
 * @returns a permutation of 0..n-1
 * @throws for n not an integer in [0, 2^32 / 20)
 */
export function torchRandperm(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n >= 4294967295 / 20) throw new Error(`torchRandperm: n must be an integer in [0, 2^32/20), got ${n}`);
  const gen = new Mt19937(seed);
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = i + (gen.next() % (n - i));
    const t = r[i];
    r[i] = r[z];
    r[z] = t;
  }
  return r;
}
