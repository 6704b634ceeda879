/**
 * Gamma and Beta deviates from the pipeline's seeded {@link Rng} (numpy's `np.random.beta` in the
 * original's Mixup, CutMix and RICAP collators).
 *
 * Gamma(a, 1) by Marsaglia & Tsang, "A simple method for generating gamma variables" (ACM TOMS
 * 26(3), 2000): for a ≥ 1, d = a − 1/3, c = 1/√(9d); draw x ~ N(0, 1), v = (1 + c·x)³, accept d·v
 * when v > 0 and u < 1 − 0.0331·x⁴ or log u < x²/2 + d·(1 − v + log v). For a < 1 the boost
 * Gamma(a) = Gamma(a + 1)·U^(1/a) is used, in log space so that small shapes (RICAP's 0.3, or
 * 0.01) do not underflow to 0/0 in the Beta ratio.
 *
 * Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b), computed as 1 / (1 + exp(log Y − log X)).
 */
import type { Rng } from '../rng';

function checkShape(what: string, a: number): void {
  if (typeof a !== 'number' || !Number.isFinite(a) || a <= 0) throw new Error(`${what} must be a finite number > 0, got ${String(a)}`);
}

/** log of a Gamma(a ≥ 1, 1) deviate (Marsaglia–Tsang). */
function logGammaAtLeastOne(rng: Rng, a: number): number {
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.uniform();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return Math.log(d) + Math.log(v);
  }
}

/**
 * The logarithm of a Gamma(shape, 1) deviate (finite even when the deviate itself underflows).
 * @throws if shape is not a finite number > 0
 */
export function sampleLogGamma(rng: Rng, shape: number): number {
  checkShape('gamma shape', shape);
  if (shape >= 1) return logGammaAtLeastOne(rng, shape);
  const g = logGammaAtLeastOne(rng, shape + 1);
  const u = 1 - rng.uniform(); // (0, 1]
  return g + Math.log(u) / shape;
}

/** A Gamma(shape, 1) deviate (may be 0 for tiny shapes; use {@link sampleLogGamma} for ratios). */
export function sampleGamma(rng: Rng, shape: number): number {
  return Math.exp(sampleLogGamma(rng, shape));
}

/**
 * A Beta(a, b) deviate in [0, 1]; mean a/(a+b), variance ab/((a+b)²(a+b+1)).
 * @throws if a or b is not a finite number > 0 (numpy raises too)
 */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  checkShape('beta parameter a', a);
  checkShape('beta parameter b', b);
  const lx = sampleLogGamma(rng, a);
  const ly = sampleLogGamma(rng, b);
  return 1 / (1 + Math.exp(ly - lx));
}
