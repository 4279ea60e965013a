/**
 * Exact geometric, discrete Laplace and discrete Gaussian samplers (Canonne, Kamath and Steinke
 * 2020), fast: every decision is an exact comparison of a lazily refined uniform with an
 * exponential, settled by doubles with a rigorous error bound and by bigint rationals otherwise.
 * @module
 */
import { aNumberInRange, randomBytes, type Rng } from '../../core/index.ts';
import {
  bufferWords,
  floorNegScaledLogExact,
  floorNegScaledLogFast,
  LazyUniform,
  lessThanExpExact,
  lessThanExpFast,
  type Rational,
  rationalOf,
  TWO_M52,
  WordSource,
} from './_exact.ts';
import { aCountRng } from './_params.ts';
import { overflow } from './bernoulli.ts';

/** Largest scale of the geometric and discrete Laplace samplers. */
export const MAX_LAPLACE_SCALE: number = 2 ** 20;
/** Largest variance parameter of the discrete Gaussian sampler. */
export const MAX_GAUSSIAN_SIGMA2: number = 2 ** 40;
const INT32_MAX = 2147483647;

/** @internal Exact geometric magnitude: floor(-scale ln U), P(M >= k) = exp(-k / scale). */
export function geometricOne(
  src: WordSource,
  u: LazyUniform,
  w1: number,
  scale: number,
  unit: Rational,
): number {
  const hi = (w1 >>> 12) * 4294967296 + src.next();
  const k = floorNegScaledLogFast(hi, scale);
  if (k >= 0) return k;
  const guess =
    hi === 0 ? Math.floor(scale * 36) : Math.floor(-scale * Math.log((hi + 0.5) * TWO_M52));
  return floorNegScaledLogExact(u.set(hi), src, unit, guess);
}

/** @internal One exact discrete Laplace sample, P(x) proportional to exp(-|x| / scale). */
export function laplaceOne(src: WordSource, u: LazyUniform, scale: number, unit: Rational): number {
  for (;;) {
    const w1 = src.next();
    const m = geometricOne(src, u, w1, scale, unit);
    // the sign is the low bit of w1, independent of the 20 high bits the magnitude used
    if ((w1 & 1) === 0) return m;
    if (m !== 0) return -m;
  }
}

function aScale(scale: unknown): asserts scale is number {
  aNumberInRange('scale', scale, 0, MAX_LAPLACE_SCALE, { min: true });
}

/**
 * Draw `count` exact geometric samples: P(k) = (1 - e^(-1/scale)) e^(-k/scale) for k >= 0.
 *
 * @param scale - the scale, a double in (0, 2^20] (read exactly)
 * @param count - how many samples, a safe integer in [0, 2^30]
 * @param rng - the randomness source (CSPRNG by default)
 * @returns an `Int32Array` of samples
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when `scale` or `count` is out of range
 * @remarks
 * **Runtime**: one 52-bit uniform, one `Math.log` per sample; see the module documentation for
 * the (rare, data-independent) exact fallback.
 * @example
 * ```ts
 * import { sampleGeometric } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const g = sampleGeometric(3, 10, deterministicRngForTesting(new Uint8Array(32)));
 * console.log(g.every((k) => k >= 0)); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function sampleGeometric(scale: number, count: number, rng: Rng = randomBytes): Int32Array {
  aScale(scale);
  aCountRng(count, rng);
  const out = new Int32Array(count);
  const src = new WordSource(rng, bufferWords(count));
  const u = new LazyUniform();
  const s = rationalOf(scale);
  const unit: Rational = { num: s.den, den: s.num };
  for (let i = 0; i < count; i++) {
    const k = geometricOne(src, u, src.next(), scale, unit);
    if (k > INT32_MAX) throw overflow('sampleGeometric');
    out[i] = k;
  }
  src.wipe();
  return out;
}

/**
 * Draw `count` exact discrete Laplace samples: P(x) proportional to exp(-|x| / scale) on the
 * integers.
 *
 * @param scale - the scale, a double in (0, 2^20] (read exactly)
 * @param count - how many samples, a safe integer in [0, 2^30]
 * @param rng - the randomness source (CSPRNG by default)
 * @returns an `Int32Array` of samples
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when `scale` or `count` is out of range
 * @remarks
 * **Privacy guarantee**: adding this noise to an integer query of L1 sensitivity `d` is
 * (d / scale)-DP (pure), under whatever neighbouring relation the sensitivity is stated for.
 *
 * **Runtime**: a sign bit and one geometric magnitude; the pair (negative, 0) is redrawn, so the
 * expected number of draws is 2 / (1 + e^(-1/scale)) <= 2. The number of draws depends on the
 * random bits only; an observer of the time learns at most how many draws were rejected,
 * which is independent of the returned value.
 * **Citations**: Canonne, Kamath, Steinke 2020, Algorithm 2 (same distribution).
 * @example
 * ```ts
 * import { sampleDiscreteLaplace } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const x = sampleDiscreteLaplace(2, 100_000, deterministicRngForTesting(new Uint8Array(32)));
 * const mean = x.reduce((a, b) => a + b, 0) / x.length;
 * console.log(Math.abs(mean) < 0.05); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function sampleDiscreteLaplace(
  scale: number,
  count: number,
  rng: Rng = randomBytes,
): Int32Array {
  aScale(scale);
  aCountRng(count, rng);
  const out = new Int32Array(count);
  const src = new WordSource(rng, bufferWords(count));
  const u = new LazyUniform();
  const s = rationalOf(scale);
  const unit: Rational = { num: s.den, den: s.num };
  for (let i = 0; i < count; i++) {
    const x = laplaceOne(src, u, scale, unit);
    if (x > INT32_MAX || x < -INT32_MAX) throw overflow('sampleDiscreteLaplace');
    out[i] = x;
  }
  src.wipe();
  return out;
}

/** @internal Precomputed constants of one discrete Gaussian. */
export interface GaussianPlan {
  sigma2: number;
  t: number;
  unit: Rational;
  c: number;
  inv2s2: number;
  s2: Rational;
}

/** @internal Constants for the discrete Gaussian with variance parameter sigma2. */
export function gaussianPlan(sigma2: number): GaussianPlan {
  // any t > 0 gives the exact distribution; t = round(sigma) accepts more often than CKS's
  // floor(sigma) + 1 at small sigma (0.70 against 0.54 at sigma = 1)
  const t = Math.max(1, Math.round(Math.sqrt(sigma2)));
  return {
    sigma2,
    t,
    unit: { num: 1n, den: BigInt(t) },
    c: sigma2 / t,
    inv2s2: 1 / (2 * sigma2),
    s2: rationalOf(sigma2),
  };
}

/**
 * @internal One exact discrete Gaussian sample: a discrete Laplace(t) proposal Y accepted with
 * probability exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2)) (CKS20, Algorithm 3, for any t > 0:
 * e^(-|y|/t) e^(-(|y| - s/t)^2 / (2s)) = e^(-y^2 / (2s)) e^(-s / (2 t^2))).
 */
export function gaussianOne(src: WordSource, u: LazyUniform, g: GaussianPlan): number {
  for (;;) {
    const y = laplaceOne(src, u, g.t, g.unit);
    const ay = y < 0 ? -y : y;
    const d = ay - g.c;
    const gamma = d * d * g.inv2s2;
    const s = ay + g.c;
    const err = 2 ** -48 * (s * s * g.inv2s2 + 1);
    const hi = (src.next() >>> 12) * 4294967296 + src.next();
    let r = lessThanExpFast(hi, gamma, err);
    if (r < 0) {
      // gamma = (ay t den - num)^2 / (2 num den t^2) with sigma2 = num/den
      const t = BigInt(g.t);
      const diff = BigInt(ay) * t * g.s2.den - g.s2.num;
      const exact: Rational = { num: diff * diff, den: 2n * g.s2.num * g.s2.den * t * t };
      r = lessThanExpExact(u.set(hi), src, exact) ? 1 : 0;
    }
    if (r === 1) return y;
  }
}

/**
 * Draw `count` exact discrete Gaussian samples: P(x) proportional to exp(-x^2 / (2 sigma2)) on
 * the integers.
 *
 * @param sigma2 - the variance parameter sigma^2, a double in (0, 2^40] (read exactly)
 * @param count - how many samples, a safe integer in [0, 2^30]
 * @param rng - the randomness source (CSPRNG by default)
 * @returns an `Int32Array` of samples
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when `sigma2` or `count` is out of range
 * @remarks
 * **Privacy guarantee**: adding this noise to an integer-valued query of L2 sensitivity `d`
 * satisfies (d^2 / (2 sigma2))-zCDP ({@link discreteGaussianRho}); its exact (epsilon, delta)
 * curve is {@link discreteGaussianDelta}.
 *
 * **Runtime**: rejection from a discrete Laplace with scale t = max(1, round(sigma)) (CKS use
 * floor(sigma) + 1; the output distribution is exact for any t > 0); the expected number of
 * proposals is about 1.3 for sigma >= 3, 1.4 at sigma = 1 and at most 2.2 as sigma -> 0. Each proposal reads four 32-bit words and
 * calls `Math.log` and `Math.exp` once. The time taken varies with the number of rejected
 * proposals, which depends on the random bits and on the public sigma2 only; the rejected
 * proposals are discarded, and the accepted value is independent of how many were rejected,
 * so timing reveals nothing about the returned noise beyond a tiny correlation: the exact bigint
 * path (below 2^-38 per comparison) runs when a uniform falls within 2^-38 of a decision
 * boundary. **Citations**: Canonne, Kamath, Steinke, "The Discrete Gaussian for Differential
 * Privacy" (NeurIPS 2020), Algorithm 3.
 * @example
 * ```ts
 * import { sampleDiscreteGaussian } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const x = sampleDiscreteGaussian(100, 100_000, deterministicRngForTesting(new Uint8Array(32)));
 * const variance = x.reduce((a, b) => a + b * b, 0) / x.length;
 * console.log(Math.abs(variance - 100) < 2); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function sampleDiscreteGaussian(
  sigma2: number,
  count: number,
  rng: Rng = randomBytes,
): Int32Array {
  aNumberInRange('sigma2', sigma2, 0, MAX_GAUSSIAN_SIGMA2, { min: true });
  aCountRng(count, rng);
  const out = new Int32Array(count);
  const src = new WordSource(rng, bufferWords(count));
  const u = new LazyUniform();
  const g = gaussianPlan(sigma2);
  for (let i = 0; i < count; i++) {
    const x = gaussianOne(src, u, g);
    if (x > INT32_MAX || x < -INT32_MAX) throw overflow('sampleDiscreteGaussian');
    out[i] = x;
  }
  src.wipe();
  return out;
}
