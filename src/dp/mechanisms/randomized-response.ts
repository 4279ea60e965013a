/**
 * Randomized response, binary and k-ary, with exact Bernoulli coins.
 * @module
 */
import { aFunction, aInteger, randomBelowU32, randomBytes, type Rng } from '../../core/index.ts';
import { aRequired } from '../_validate.ts';
import { type Measurement, roundUp } from '../measurement.ts';
import { aRational, type RationalInput } from '../samplers/_params.ts';
import { sampleBernoulli } from '../samplers/bernoulli.ts';

/**
 * Options of {@link makeRandomizedResponse}.
 * @since 0.1.0
 * @public
 */
export interface RandomizedResponseOptions {
  /** Number of categories k >= 2 (2 for yes/no). @defaultValue 2 */
  readonly categories?: number;
  /** Probability of reporting the true category, in [1/k, 1), exact (a double or a rational pair). */
  readonly probability: RationalInput;
}

/**
 * k-ary randomized response: report the true category with probability p, otherwise a uniform
 * choice among the k - 1 others.
 *
 * @param options - {@link RandomizedResponseOptions}
 * @param rng - the randomness source (CSPRNG by default)
 * @returns a {@link Measurement} on category indices in [0, k)
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @remarks
 * **Privacy guarantee**: pure epsilon-DP with epsilon = ln(p (k - 1) / (1 - p)) for one
 * individual's category changing (dIn = 1 is the only meaningful distance; dIn = 0 costs 0).
 * Rounded up. **Sensitivity contract**: `invoke` takes one category index (one individual's data).
 * **Citations**: Warner 1965; OpenDP `make_randomized_response`.
 * @example
 * ```ts
 * import { makeRandomizedResponse } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const rr = makeRandomizedResponse({ probability: 0.75 }, deterministicRngForTesting(new Uint8Array(32)));
 * console.log(Math.abs(rr.privacyMap(1) - Math.log(3)) < 1e-12); // true
 * console.log([0, 1].includes(rr.invoke(1))); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function makeRandomizedResponse(
  options: RandomizedResponseOptions,
  rng: Rng = randomBytes,
): Measurement<number, number> {
  aRequired<RandomizedResponseOptions>('options', options, ['probability'], ['categories']);
  const k = options.categories ?? 2;
  aInteger('categories', k, 2, 2 ** 32);
  const { approx } = aRational('probability', options.probability, 1 / k, 1);
  if (approx >= 1) throw new RangeError('"probability" expected < 1');
  aFunction('rng', rng);
  const p = options.probability;
  const epsilon = roundUp(Math.log(approx * (k - 1)) - Math.log1p(-approx));
  const privacyMap = (dIn: number): number => {
    if (typeof dIn !== 'number' || !(dIn >= 0) || !Number.isFinite(dIn))
      throw new RangeError(`"dIn" expected a finite number >= 0, got ${String(dIn)}`);
    return dIn === 0 ? 0 : epsilon;
  };
  return Object.freeze({
    measure: 'pure' as const,
    invoke(category: number): number {
      aInteger('category', category, 0, k - 1);
      if (sampleBernoulli(p, 1, rng)[0] === 1) return category;
      const other = randomBelowU32(rng, k - 1);
      return other >= category ? other + 1 : other;
    },
    privacyMap,
    check: (dIn: number, dOut: number): boolean => privacyMap(dIn) <= dOut,
  });
}
