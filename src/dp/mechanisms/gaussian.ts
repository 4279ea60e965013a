/**
 * The Gaussian mechanism on floats, built on the exact discrete Gaussian sampler over a
 * power-of-two grid; its privacy map gives zCDP.
 * @module
 */
import { aFunction, aInteger, randomBytes, type Rng } from '../../core/index.ts';
import { aPositive, aRequired } from '../_validate.ts';
import { type Measurement, roundUp } from '../measurement.ts';
import { bufferWords, LazyUniform, WordSource } from '../samplers/_exact.ts';
import { gaussianOne, gaussianPlan } from '../samplers/discrete.ts';
import { ceilPow2, roundToGrid, toVector } from './_grid.ts';
import { aNonNegative } from './laplace.ts';

/** Grid resolution: sigma spans 2^19 to 2^20 grid steps (the sampler's sigma^2 <= 2^40). */
const GAUSSIAN_RESOLUTION = 2 ** 20;

/**
 * Options of {@link makeGaussian}.
 * @since 0.1.0
 * @public
 */
export interface GaussianOptions {
  /** The noise standard deviation sigma, finite and > 0. */
  readonly scale: number;
  /** The input length: 1 for a number, d for vectors of d numbers. @defaultValue 1 */
  readonly dimension?: number;
}

/**
 * The Gaussian mechanism for real numbers or vectors, with exact discrete Gaussian noise on a
 * power-of-two grid g (the smallest power of two with scale / g <= 2^20).
 *
 * @param options - {@link GaussianOptions}
 * @param rng - the randomness source (CSPRNG by default)
 * @returns a {@link Measurement} whose `privacyMap` gives rho (zCDP) for an L2 distance
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @remarks
 * **Privacy guarantee**: rho-zCDP with rho = (dIn / g + sqrt(d))^2 / (2 sigma_g^2), where
 * sigma_g = scale / g is the grid sigma actually sampled: the grid rounding moves the input by at
 * most g sqrt(d) / 2 in L2 and is counted in the sensitivity; this is at most
 * (dIn + g sqrt(d))^2 / (2 scale^2). Convert with {@link zcdpToEpsilon}. Rounded up.
 * **Sensitivity contract**: `invoke` takes exactly `dimension` finite numbers; dIn is the L2
 * sensitivity under the caller's neighbouring relation.
 * **Utility**: per-coordinate variance within 1e-12 of scale^2 (discrete Gaussian variance) plus
 * the rounding (at most g/2 = scale 2^-21). **Runtime**: one exact discrete Gaussian sample per
 * coordinate. **Citations**: Canonne, Kamath, Steinke 2020 (Theorem 4 and 14); Google
 * differential-privacy `go/noise` (granularity).
 * @example
 * ```ts
 * import { makeGaussian, zcdpToEpsilon } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const m = makeGaussian({ scale: 4, dimension: 3 }, deterministicRngForTesting(new Uint8Array(32)));
 * const rho = m.privacyMap(1);
 * console.log(Math.abs(rho - 1 / 32) < 1e-5); // true
 * console.log(zcdpToEpsilon(rho, 1e-6) < 1.5); // true
 * console.log(m.invoke([1, 2, 3]).length); // 3
 * ```
 * @since 0.1.0
 * @public
 */
export function makeGaussian(
  options: GaussianOptions,
  rng: Rng = randomBytes,
): Measurement<number | ArrayLike<number>, Float64Array> {
  aRequired<GaussianOptions>('options', options, ['scale'], ['dimension']);
  const { scale, dimension = 1 } = options;
  aPositive('scale', scale);
  aInteger('dimension', dimension, 1, 2 ** 30);
  aFunction('rng', rng);
  const g = ceilPow2(scale / GAUSSIAN_RESOLUTION);
  const gridSigma = scale / g;
  const plan = gaussianPlan(gridSigma * gridSigma);
  const privacyMap = (dIn: number): number => {
    aNonNegative(dIn);
    const d = dIn / g + Math.sqrt(dimension) * (1 + 2 ** -50);
    return roundUp((d * d) / (2 * plan.sigma2));
  };
  return Object.freeze({
    measure: 'zCDP' as const,
    invoke(data: number | ArrayLike<number>): Float64Array {
      const x = toVector('data', data);
      if (x.length !== dimension)
        throw new RangeError(`"data" expected ${dimension} values, got ${x.length}`);
      const src = new WordSource(rng, bufferWords(x.length));
      const u = new LazyUniform();
      for (let i = 0; i < x.length; i++)
        x[i] = roundToGrid(x[i] as number, g) + gaussianOne(src, u, plan) * g;
      src.wipe();
      return x;
    },
    privacyMap,
    check: (dIn: number, dOut: number): boolean => privacyMap(dIn) <= dOut,
  });
}
