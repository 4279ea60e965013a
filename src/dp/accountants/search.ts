/**
 * Calibrating DP-SGD / DP-FedAvg: the smallest noise multiplier that meets a target epsilon.
 * @module
 */
import { aNumberInRange, PrivaggError } from '../../core/index.ts';
import { aDelta, aEpsilon, aRequired, aSamplingRate, aSteps } from '../_validate.ts';
import { PldAccountant } from './pld.ts';
import { RdpAccountant } from './rdp.ts';

/**
 * Options of {@link searchNoiseMultiplier}.
 * @since 0.1.0
 * @public
 */
export interface SearchNoiseMultiplierOptions {
  /** The epsilon to reach, >= 2^-50. */
  readonly targetEpsilon: number;
  /** The delta, in (0, 1). */
  readonly delta: number;
  /** Poisson sampling rate per step, in (0, 1]. */
  readonly samplingRate: number;
  /** Number of steps, a safe integer >= 1. */
  readonly steps: number;
  /**
   * Which accountant judges epsilon: `'rdp'` (milliseconds per evaluation) or `'pld'` (tighter,
   * about 0.1 to 1 s per evaluation, grid 1e-4). @defaultValue 'rdp'
   */
  readonly accountant?: 'rdp' | 'pld';
  /** RDP orders for the RDP accountant. @defaultValue DEFAULT_RDP_ORDERS */
  readonly orders?: readonly number[];
  /** Relative width of the final bracket, in [1e-12, 0.1]. @defaultValue 1e-4 */
  readonly tolerance?: number;
}

/**
 * The smallest noise multiplier (to within `tolerance`) for which `steps` Poisson-subsampled
 * Gaussian steps at `samplingRate` are (targetEpsilon, delta)-DP by the chosen accountant.
 *
 * @param options - {@link SearchNoiseMultiplierOptions}
 * @returns a noise multiplier z whose epsilon is <= targetEpsilon, while z (1 - tolerance) is
 *   over it (or z is the smallest value tried, 2^-20)
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @throws {@link index!PrivaggError} `INVALID_PARAMETER` when no multiplier up to 2^20 reaches the target
 * @remarks **Runtime**: about 20 to 60 accountant evaluations (bisection on log z).
 * @example
 * ```ts
 * import { searchNoiseMultiplier, RdpAccountant } from 'privagg/dp';
 * const z = searchNoiseMultiplier({ targetEpsilon: 8, delta: 1e-5, samplingRate: 0.04, steps: 2250 });
 * const eps = new RdpAccountant().subsampledGaussian({ noiseMultiplier: z, samplingRate: 0.04, steps: 2250 }).epsilon(1e-5).epsilon;
 * console.log(eps <= 8, z > 1.3 && z < 1.5); // true true
 * ```
 * @since 0.1.0
 * @public
 */
export function searchNoiseMultiplier(options: SearchNoiseMultiplierOptions): number {
  aRequired<SearchNoiseMultiplierOptions>(
    'options',
    options,
    ['targetEpsilon', 'delta', 'samplingRate', 'steps'],
    ['accountant', 'orders', 'tolerance'],
  );
  const { targetEpsilon, delta, samplingRate, steps, accountant = 'rdp', orders } = options;
  const tolerance = options.tolerance ?? 1e-4;
  aEpsilon('targetEpsilon', targetEpsilon);
  aDelta('delta', delta, true);
  aSamplingRate('samplingRate', samplingRate);
  aSteps('steps', steps);
  if (steps < 1) throw new RangeError('"steps" expected >= 1');
  aNumberInRange('tolerance', tolerance, 1e-12, 0.1);
  if (accountant !== 'rdp' && accountant !== 'pld')
    throw new TypeError(`"accountant" expected 'rdp' or 'pld', got ${String(accountant)}`);
  new RdpAccountant(orders); // validates the orders
  const epsilonOf = (z: number): number =>
    accountant === 'pld'
      ? new PldAccountant()
          .subsampledGaussian({ noiseMultiplier: z, samplingRate, steps })
          .epsilon(delta)
      : new RdpAccountant(orders)
          .subsampledGaussian({ noiseMultiplier: z, samplingRate, steps })
          .epsilon(delta).epsilon;
  let hi = 1;
  while (epsilonOf(hi) > targetEpsilon) {
    hi *= 2;
    if (hi > 2 ** 20)
      throw new PrivaggError(
        'INVALID_PARAMETER',
        `no noise multiplier up to 2^20 reaches epsilon ${targetEpsilon} at delta ${delta}`,
      );
  }
  let lo = hi / 2;
  while (epsilonOf(lo) <= targetEpsilon) {
    hi = lo;
    lo /= 2;
    if (lo < 2 ** -20) return hi;
  }
  // invariant: epsilon(lo) > target >= epsilon(hi)
  while ((hi - lo) / hi > tolerance) {
    const mid = Math.sqrt(lo * hi);
    if (epsilonOf(mid) <= targetEpsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}
