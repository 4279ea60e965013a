/**
 * Exact Bernoulli samplers: Bernoulli(p) for a rational p and Bernoulli(exp(-gamma)) for a
 * rational gamma >= 0 (Canonne, Kamath and Steinke 2020, Algorithm 1, decided here by comparing a
 * lazily refined uniform with exp(-gamma) exactly).
 * @module
 */
import { PrivaggError, randomBytes, type Rng } from '../../core/index.ts';
import {
  __TEST,
  bufferWords,
  LazyUniform,
  lessThanExpExact,
  lessThanExpFast,
  lessThanScaledExpExact,
  WordSource,
} from './_exact.ts';
import { aCountRng, aRational, type RationalInput } from './_params.ts';

/**
 * Draw `count` exact Bernoulli(p) bits for a rational p in [0, 1].
 *
 * @param p - the success probability: a double (its exact value) or `{ numerator, denominator }`
 * @param count - how many samples, a safe integer in [0, 2^30]
 * @param rng - the randomness source (CSPRNG by default)
 * @returns a `Uint8Array` of 0s and 1s
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when p is outside [0, 1] or count is not a valid count
 * @remarks
 * **Runtime**: each sample reads 52 random bits and is decided by one exact comparison; the
 * number of extra words drawn (probability 2^-52 per sample) depends on the random bits only.
 * @example
 * ```ts
 * import { sampleBernoulli } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const bits = sampleBernoulli({ numerator: 1, denominator: 3 }, 30_000, deterministicRngForTesting(new Uint8Array(32)));
 * const ones = bits.reduce((a, b) => a + b, 0);
 * console.log(Math.abs(ones / 30_000 - 1 / 3) < 0.02); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function sampleBernoulli(
  p: RationalInput,
  count: number,
  rng: Rng = randomBytes,
): Uint8Array {
  const { exact, approx } = aRational('p', p, 0, 1);
  aCountRng(count, rng);
  const out = new Uint8Array(count);
  const src = new WordSource(rng, bufferWords(count));
  const u = new LazyUniform();
  // a double p is exact as given: compare the 52-bit prefix with p * 2^52 first
  const pExactDouble = typeof p === 'number' && !__TEST.disableFastPath;
  for (let i = 0; i < count; i++) {
    const hi = (src.next() >>> 12) * 4294967296 + src.next();
    if (pExactDouble) {
      const scaled = approx * 4503599627370496; // p * 2^52, exact (power-of-two scaling)
      if (hi + 1 <= scaled) {
        out[i] = 1;
        continue;
      }
      if (hi >= scaled) continue;
    }
    out[i] = lessThanScaledExpExact(u.set(hi), src, exact, { num: 0n, den: 1n }) ? 1 : 0;
  }
  src.wipe();
  return out;
}

/**
 * Draw `count` exact Bernoulli(exp(-gamma)) bits for a rational gamma >= 0.
 *
 * @param gamma - the exponent: a double (its exact value) or `{ numerator, denominator }`
 * @param count - how many samples, a safe integer in [0, 2^30]
 * @param rng - the randomness source (CSPRNG by default)
 * @returns a `Uint8Array` of 0s and 1s
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when gamma is negative or not finite, or count is invalid
 * @remarks
 * **Runtime**: one 52-bit uniform and one `Math.exp` per sample, with an exact bigint
 * comparison when the double bound cannot decide (probability about 2^-38 or less).
 * @example
 * ```ts
 * import { sampleBernoulliExp } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const bits = sampleBernoulliExp(1, 30_000, deterministicRngForTesting(new Uint8Array(32)));
 * const ones = bits.reduce((a, b) => a + b, 0);
 * console.log(Math.abs(ones / 30_000 - Math.exp(-1)) < 0.02); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function sampleBernoulliExp(
  gamma: RationalInput,
  count: number,
  rng: Rng = randomBytes,
): Uint8Array {
  const { exact, approx } = aRational('gamma', gamma, 0, Number.MAX_VALUE);
  aCountRng(count, rng);
  const out = new Uint8Array(count);
  const src = new WordSource(rng, bufferWords(count));
  const u = new LazyUniform();
  const err = approx * 2 ** -49 + 2 ** -1000;
  for (let i = 0; i < count; i++) {
    const hi = (src.next() >>> 12) * 4294967296 + src.next();
    let r = lessThanExpFast(hi, approx, err);
    if (r < 0) r = lessThanExpExact(u.set(hi), src, exact) ? 1 : 0;
    out[i] = r;
  }
  src.wipe();
  return out;
}

/** @internal Throw when a sample does not fit an Int32Array slot (never within the limits). */
export function overflow(what: string): PrivaggError {
  return new PrivaggError('OVERFLOW', `${what}: a sample does not fit a 32-bit integer`);
}
