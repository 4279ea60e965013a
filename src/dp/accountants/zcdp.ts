/**
 * Zero-concentrated DP: the exact conversion to (epsilon, delta) of Canonne, Kamath and Steinke
 * (2020), as OpenDP's `cdp_delta` computes it, and the discrete Gaussian's privacy: rho, its
 * exact (epsilon, delta) curve and its variance.
 * @module
 */
import { aNumberInRange } from '../../core/index.ts';
import { aDelta, aEpsilon, aPositive, aRequired } from '../_validate.ts';
import { bisect } from './_math.ts';

/** Outward rounding of a computed delta (covers the few ulps of the final evaluation). */
const ROUND_UP = 1 + 2 ** -40;

function cdpDelta(rho: number, epsilon: number): number {
  // delta = exp((a-1)(a rho - eps) + a ln(1 - 1/a)) / (a - 1) for any a > 1; the best a is the
  // root of the derivative (2a - 1) rho - eps + ln(1 - 1/a), found by bisection (any a is valid)
  let aMin = 1.01;
  let aMax = (epsilon + 1) / (2 * rho) + 2;
  for (let i = 0; i < 2000; i++) {
    const a = (aMin + aMax) / 2;
    if (a === aMin || a === aMax) break;
    if ((2 * a - 1) * rho - epsilon + Math.log1p(-1 / a) < 0) aMin = a;
    else aMax = a;
  }
  const a = aMax;
  const logDelta = (a - 1) * (a * rho - epsilon) + a * Math.log1p(-1 / a) - Math.log(a - 1);
  return Math.min(1, Math.exp(logDelta) * ROUND_UP);
}

/**
 * The smallest delta such that rho-zCDP implies (epsilon, delta)-DP (CKS20 Proposition 12, the
 * conversion OpenDP and IBM's `cdp2adp.py` implement), rounded up.
 *
 * @param rho - the zCDP parameter, finite and >= 0
 * @param epsilon - >= 2^-50
 * @returns delta in [0, 1]
 * @throws {@link !TypeError} when an argument is not a number
 * @throws {@link !RangeError} when an argument is out of range
 * @remarks
 * **Citations**: Canonne, Kamath, Steinke (NeurIPS 2020), Proposition 12 (via Asoodeh et al.);
 * IBM/discrete-gaussian-differential-privacy `cdp2adp.py` `cdp_delta`.
 * @example
 * ```ts
 * import { zcdpToDelta } from 'privagg/dp';
 * console.log(zcdpToDelta(0, 1)); // 0
 * console.log(zcdpToDelta(0.5, 3) < Math.exp(-((3 - 0.5) ** 2) / 2)); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function zcdpToDelta(rho: number, epsilon: number): number {
  aNumberInRange('rho', rho, 0, Number.MAX_VALUE);
  aEpsilon('epsilon', epsilon);
  if (rho === 0) return 0;
  return cdpDelta(rho, epsilon);
}

/**
 * The smallest epsilon such that rho-zCDP implies (epsilon, delta)-DP: the upper end of a
 * bisection keeping {@link zcdpToDelta}(rho, epsilon) <= delta (within 1e-12 relative).
 *
 * @param rho - the zCDP parameter, finite and >= 0
 * @param delta - in (0, 1)
 * @returns epsilon >= 0
 * @throws {@link !TypeError} when an argument is not a number
 * @throws {@link !RangeError} when an argument is out of range
 * @remarks **Citations**: as {@link zcdpToDelta} (`cdp_eps`).
 * @example
 * ```ts
 * import { zcdpToEpsilon, zcdpToDelta } from 'privagg/dp';
 * const epsilon = zcdpToEpsilon(0.5, 1e-6);
 * console.log(zcdpToDelta(0.5, epsilon) <= 1e-6); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function zcdpToEpsilon(rho: number, delta: number): number {
  aNumberInRange('rho', rho, 0, Number.MAX_VALUE);
  aDelta('delta', delta, true);
  if (rho === 0 || cdpDelta(rho, 0) <= delta) return 0;
  const hi = rho + 2 * Math.sqrt(rho * Math.log(1 / delta)) + 1e-300;
  const [, upper] = bisect((e) => e > 0 && cdpDelta(rho, e) <= delta, 0, hi, 2000);
  return upper;
}

/**
 * Options of the discrete Gaussian privacy functions.
 * @since 0.1.0
 * @public
 */
export interface DiscreteGaussianPrivacyOptions {
  /** The variance parameter sigma^2 of N_Z(0, sigma^2), > 0. */
  readonly sigma2: number;
  /** The L2 sensitivity (an integer for {@link discreteGaussianDelta}), > 0. @defaultValue 1 */
  readonly l2Sensitivity?: number;
}

/**
 * The zCDP of the discrete Gaussian mechanism: rho = sensitivity^2 / (2 sigma^2) (CKS20,
 * Theorem 4), the same as the continuous Gaussian.
 *
 * @param options - {@link DiscreteGaussianPrivacyOptions}
 * @returns rho
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @remarks **Privacy guarantee**: rho-zCDP for integer-valued queries of the given L2
 * sensitivity, any neighbouring relation the sensitivity is stated for.
 * @example
 * ```ts
 * import { discreteGaussianRho } from 'privagg/dp';
 * console.log(discreteGaussianRho({ sigma2: 4, l2Sensitivity: 2 })); // 0.5
 * ```
 * @since 0.1.0
 * @public
 */
export function discreteGaussianRho(options: DiscreteGaussianPrivacyOptions): number {
  aRequired<DiscreteGaussianPrivacyOptions>('options', options, ['sigma2'], ['l2Sensitivity']);
  const { sigma2, l2Sensitivity = 1 } = options;
  aPositive('sigma2', sigma2);
  aPositive('l2Sensitivity', l2Sensitivity);
  return (l2Sensitivity * l2Sensitivity) / (2 * sigma2);
}

/** Unnormalised tail sum over x >= from of exp(-x^2 / (2 sigma2)), to relative 1e-17. */
function tailSum(sigma2: number, from: number): number {
  let s = 0;
  for (let x = from; ; x++) {
    const t = Math.exp((-x * x) / (2 * sigma2));
    s += t;
    if ((t <= s * 1e-18 && x > 0) || t === 0) break;
  }
  return s;
}

/** The normalising constant sum_x exp(-x^2 / (2 sigma2)). */
function normalizer(sigma2: number): number {
  return 2 * tailSum(sigma2, 1) + 1;
}

/**
 * The exact delta of the one-dimensional discrete Gaussian mechanism at `epsilon` for an
 * integer sensitivity (CKS20, Theorem 7): delta = P[X >= lo] - e^epsilon P[X >= hi] for
 * X ~ N_Z(0, sigma2), lo = floor(epsilon sigma2 / D - D / 2) + 1, hi = floor(epsilon sigma2 / D + D / 2) + 1.
 *
 * @param options - {@link DiscreteGaussianPrivacyOptions} plus `epsilon`
 * @returns delta in [0, 1]
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range or the sensitivity is not an integer
 * @remarks **Runtime**: O(sigma) terms. **Citations**: CKS20 Theorem 7; `dg_delta` in IBM's
 * `cdp2adp.py`.
 * @example
 * ```ts
 * import { discreteGaussianDelta, zcdpToDelta, discreteGaussianRho } from 'privagg/dp';
 * const exact = discreteGaussianDelta({ sigma2: 4, epsilon: 1 });
 * console.log(exact < zcdpToDelta(discreteGaussianRho({ sigma2: 4 }), 1)); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function discreteGaussianDelta(
  options: DiscreteGaussianPrivacyOptions & { readonly epsilon: number },
): number {
  aRequired<DiscreteGaussianPrivacyOptions & { epsilon: number }>(
    'options',
    options,
    ['sigma2', 'epsilon'],
    ['l2Sensitivity'],
  );
  const { sigma2, epsilon, l2Sensitivity = 1 } = options;
  aNumberInRange('sigma2', sigma2, 0, 2 ** 40, { min: true });
  aEpsilon('epsilon', epsilon);
  aNumberInRange('l2Sensitivity', l2Sensitivity, 1, 2 ** 31);
  if (!Number.isInteger(l2Sensitivity))
    throw new RangeError(`"l2Sensitivity" expected an integer, got ${l2Sensitivity}`);
  const d = l2Sensitivity;
  const lo = Math.floor((epsilon * sigma2) / d - d / 2) + 1;
  const hi = Math.floor((epsilon * sigma2) / d + d / 2) + 1;
  // delta = P[lo <= X < hi] - (e^eps - 1) P[X >= hi]
  let mid = 0;
  for (let x = lo; x < hi; x++) mid += Math.exp((-x * x) / (2 * sigma2));
  const tail = hi >= 0 ? tailSum(sigma2, hi) : Number.NaN;
  const norm = normalizer(sigma2);
  let delta: number;
  if (Number.isNaN(tail)) {
    // hi < 0: P[X >= hi] = 1 - P[X <= hi - 1] = 1 - P[X >= 1 - hi]
    const upper = 1 - tailSum(sigma2, 1 - hi) / norm;
    delta = mid / norm - Math.expm1(epsilon) * upper;
  } else delta = mid / norm - Math.expm1(epsilon) * (tail / norm);
  return Math.min(1, Math.max(0, delta * ROUND_UP));
}

/**
 * The variance of the discrete Gaussian N_Z(0, sigma2), which is slightly below sigma2
 * (CKS20, Corollary 9). Direct summation for sigma2 <= 1e4; above, sigma2 itself, which equals
 * the variance to a relative 1e-300 or better (Poisson summation).
 *
 * @param sigma2 - the variance parameter, in (0, 2^40]
 * @returns the variance
 * @throws {@link !TypeError} when `sigma2` is not a number
 * @throws {@link !RangeError} when `sigma2` is out of range
 * @example
 * ```ts
 * import { discreteGaussianVariance } from 'privagg/dp';
 * console.log(discreteGaussianVariance(1) < 1); // true
 * console.log(discreteGaussianVariance(100).toFixed(6)); // 100.000000
 * ```
 * @since 0.1.0
 * @public
 */
export function discreteGaussianVariance(sigma2: number): number {
  aNumberInRange('sigma2', sigma2, 0, 2 ** 40, { min: true });
  if (sigma2 > 1e4) return sigma2;
  let num = 0;
  let den = 1;
  for (let x = 1; ; x++) {
    const t = Math.exp((-x * x) / (2 * sigma2));
    num += 2 * x * x * t;
    den += 2 * t;
    if (t === 0 || x * x * t < num * 1e-18) break;
  }
  return num / den;
}
