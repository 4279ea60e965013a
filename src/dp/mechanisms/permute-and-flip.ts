/**
 * Permute-and-flip (McKenna and Sheldon 2020), an exponential-mechanism variant that is never
 * worse, with exact acceptance coins: candidate r is accepted with probability
 * exp(-(q* - q_r) / scale), decided by an exact comparison with a lazily refined uniform.
 * @module
 */
import {
  aFiniteVector,
  aFunction,
  randomBelowU32,
  randomBytes,
  type Rng,
} from '../../core/index.ts';
import { aPositive, aRequired } from '../_validate.ts';
import { type Measurement, roundUp } from '../measurement.ts';
import {
  LazyUniform,
  lessThanExpExact,
  lessThanExpFast,
  type Rational,
  rationalOf,
  WordSource,
} from '../samplers/_exact.ts';
import { aNonNegative } from './laplace.ts';

/**
 * Options of {@link makePermuteAndFlip}.
 * @since 0.1.0
 * @public
 */
export interface PermuteAndFlipOptions {
  /** The temperature: candidate r is accepted with probability exp(-(max - score_r) / scale); > 0. */
  readonly scale: number;
}

function sub(a: Rational, b: Rational): Rational {
  return { num: a.num * b.den - b.num * a.den, den: a.den * b.den };
}

/**
 * Select the index of a (nearly) highest score privately by permute-and-flip.
 *
 * @param options - {@link PermuteAndFlipOptions}
 * @param rng - the randomness source (CSPRNG by default)
 * @returns a {@link Measurement} from a score vector to an index
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @remarks
 * **Privacy guarantee**: pure epsilon-DP with epsilon = 2 dIn / scale when every score has
 * sensitivity dIn (each score moves by at most dIn between neighbouring datasets).
 * **Sensitivity contract**: scores are finite; the candidate set is public and fixed.
 * **Utility**: expected loss no worse than the exponential mechanism's.
 * **Runtime**: O(k) expected coins; the permutation uses uniform indices from the rng.
 * **Citations**: McKenna and Sheldon, "Permute-and-Flip: A new mechanism for differentially
 * private selection" (NeurIPS 2020).
 * @example
 * ```ts
 * import { makePermuteAndFlip } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const m = makePermuteAndFlip({ scale: 0.01 }, deterministicRngForTesting(new Uint8Array(32)));
 * console.log(m.invoke([1, 5, 2])); // 1
 * console.log(m.check(1, 200.001), m.check(1, 199)); // true false
 * ```
 * @since 0.1.0
 * @public
 */
export function makePermuteAndFlip(
  options: PermuteAndFlipOptions,
  rng: Rng = randomBytes,
): Measurement<ArrayLike<number>, number> {
  aRequired<PermuteAndFlipOptions>('options', options, ['scale']);
  const { scale } = options;
  aPositive('scale', scale);
  aFunction('rng', rng);
  const scaleR = rationalOf(scale);
  const privacyMap = (dIn: number): number => {
    aNonNegative(dIn);
    return roundUp((2 * dIn) / scale);
  };
  return Object.freeze({
    measure: 'pure' as const,
    invoke(scores: ArrayLike<number>): number {
      aFiniteVector('scores', scores);
      const k = scores.length;
      if (k === 0) throw new RangeError('"scores" must not be empty');
      let best = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < k; i++) best = Math.max(best, scores[i] as number);
      const bestR = rationalOf(best);
      const order = Array.from({ length: k }, (_, i) => i);
      const src = new WordSource(rng, 64);
      const u = new LazyUniform();
      try {
        for (let i = 0; i < k; i++) {
          // Fisher-Yates step: a uniform candidate among those not yet visited
          const j = i + randomBelowU32(rng, k - i);
          const r = order[j] as number;
          order[j] = order[i] as number;
          order[i] = r;
          const q = scores[r] as number;
          if (q === best) return r;
          const approx = (best - q) / scale;
          const err = (2 ** -50 * (Math.abs(best) + Math.abs(q))) / scale + 2 ** -1000;
          const hi = (src.next() >>> 12) * 4294967296 + src.next();
          let accept = lessThanExpFast(hi, approx, err);
          if (accept < 0) {
            const d = sub(bestR, rationalOf(q));
            accept = lessThanExpExact(u.set(hi), src, {
              num: d.num * scaleR.den,
              den: d.den * scaleR.num,
            })
              ? 1
              : 0;
          }
          if (accept === 1) return r;
        }
      } finally {
        src.wipe();
      }
      // unreachable: the best candidate is always accepted
      throw new RangeError('permute-and-flip visited no maximum');
    },
    privacyMap,
    check: (dIn: number, dOut: number): boolean => privacyMap(dIn) <= dOut,
  });
}
