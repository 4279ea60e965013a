/**
 * The Laplace mechanism on floats, built on the exact discrete Laplace sampler over a
 * power-of-two grid (Google's secure noise; Mironov 2012 explains why naive float noise leaks).
 * @module
 */
import { aFunction, aInteger, randomBytes, type Rng } from '../../core/index.ts';
import { aPositive, aRequired } from '../_validate.ts';
import { type Measurement, roundUp } from '../measurement.ts';
import { bufferWords, LazyUniform, rationalOf, WordSource } from '../samplers/_exact.ts';
import { laplaceOne } from '../samplers/discrete.ts';
import { ceilPow2, roundToGrid, toVector } from './_grid.ts';

/** Grid resolution: the noise scale spans 2^29 to 2^30 grid steps. */
const LAPLACE_RESOLUTION = 2 ** 30;

/**
 * Options of {@link makeLaplace}.
 * @since 0.1.0
 * @public
 */
export interface LaplaceOptions {
  /** The noise scale b (Laplace density proportional to e^(-|x|/b)), finite and > 0. */
  readonly scale: number;
  /** The input length: 1 for a number, d for vectors of d numbers. @defaultValue 1 */
  readonly dimension?: number;
}

/**
 * The Laplace mechanism for real numbers or vectors, with exact integer noise on a power-of-two
 * grid: each coordinate is rounded to the nearest multiple of g (the smallest power of two with
 * scale / g <= 2^30) and gets g times a discrete Laplace sample of scale scale / g.
 *
 * @param options - {@link LaplaceOptions}
 * @param rng - the randomness source (CSPRNG by default)
 * @returns a {@link Measurement} whose `privacyMap` gives pure epsilon for an L1 distance
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @remarks
 * **Privacy guarantee**: pure epsilon-DP. For inputs at L1 distance dIn (the L1 sensitivity of
 * the query under the caller's neighbouring relation), epsilon = floor(dIn / g + d) g / scale,
 * which is at most (dIn + d g) / scale: the rounding to the grid moves each coordinate by at most
 * g/2 and is counted in the sensitivity. Rounded up.
 * **Sensitivity contract**: `invoke` takes exactly `dimension` finite numbers.
 * **Utility**: noise variance 2 scale^2 (plus the grid rounding, at most g/2 = scale 2^-31 per
 * coordinate). **Runtime**: one exact discrete Laplace sample per coordinate.
 * **Citations**: Google differential-privacy `go/noise` (granularity); Canonne, Kamath, Steinke 2020.
 * @example
 * ```ts
 * import { makeLaplace } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const m = makeLaplace({ scale: 2 }, deterministicRngForTesting(new Uint8Array(32)));
 * console.log(m.privacyMap(1) <= 0.5 * (1 + 1e-8)); // true
 * console.log(m.check(1, 0.5 + 1e-6), m.check(2, 0.5)); // true false
 * console.log(m.invoke(10).length); // 1
 * ```
 * @since 0.1.0
 * @public
 */
export function makeLaplace(
  options: LaplaceOptions,
  rng: Rng = randomBytes,
): Measurement<number | ArrayLike<number>, Float64Array> {
  aRequired<LaplaceOptions>('options', options, ['scale'], ['dimension']);
  const { scale, dimension = 1 } = options;
  aPositive('scale', scale);
  aInteger('dimension', dimension, 1, 2 ** 30);
  aFunction('rng', rng);
  const g = ceilPow2(scale / LAPLACE_RESOLUTION);
  const gridScale = scale / g; // exact: g is a power of two
  const s = rationalOf(gridScale);
  const unit = { num: s.den, den: s.num };
  const privacyMap = (dIn: number): number => {
    aNonNegative(dIn);
    return roundUp((Math.floor(dIn / g + dimension) * g) / scale);
  };
  return Object.freeze({
    measure: 'pure' as const,
    invoke(data: number | ArrayLike<number>): Float64Array {
      const x = toVector('data', data);
      if (x.length !== dimension)
        throw new RangeError(`"data" expected ${dimension} values, got ${x.length}`);
      const src = new WordSource(rng, bufferWords(x.length));
      const u = new LazyUniform();
      for (let i = 0; i < x.length; i++)
        x[i] = roundToGrid(x[i] as number, g) + laplaceOne(src, u, gridScale, unit) * g;
      src.wipe();
      return x;
    },
    privacyMap,
    check: (dIn: number, dOut: number): boolean => privacyMap(dIn) <= dOut,
  });
}

/** @internal */
export function aNonNegative(dIn: unknown): asserts dIn is number {
  if (typeof dIn !== 'number') throw new TypeError(`"dIn" expected number, got ${typeof dIn}`);
  if (!Number.isFinite(dIn) || dIn < 0)
    throw new RangeError(`"dIn" expected a finite number >= 0, got ${dIn}`);
}
