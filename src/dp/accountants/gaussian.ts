/**
 * Calibration of the Gaussian mechanism: the exact (epsilon, delta) curve and the analytic
 * Gaussian sigma of Balle and Wang (2018).
 * @module
 */
import { aEpsilon, aPositive, aRequired } from '../_validate.ts';
import { aDelta } from '../_validate.ts';
import { bisect, logNormalCdf, normalCdf } from './_math.ts';

/**
 * Options of {@link gaussianDelta}.
 * @since 0.1.0
 * @public
 */
export interface GaussianDeltaOptions {
  /** The standard deviation of the Gaussian noise, > 0. */
  readonly sigma: number;
  /** The epsilon at which delta is wanted, >= 2^-50. */
  readonly epsilon: number;
  /** The L2 sensitivity of the query, > 0. @defaultValue 1 */
  readonly l2Sensitivity?: number;
}

/** delta(sigma) for sensitivity 1 (Balle-Wang Theorem 8), without the overflow of e^epsilon. */
function deltaUnit(sigma: number, epsilon: number): number {
  const a = 1 / (2 * sigma);
  const b = epsilon * sigma;
  const first = normalCdf(a - b);
  const second = Math.exp(epsilon + logNormalCdf(-a - b));
  return Math.max(0, first - second);
}

/**
 * The exact delta of the Gaussian mechanism at `epsilon`: the smallest delta for which adding
 * N(0, sigma^2) to a query of L2 sensitivity `l2Sensitivity` is (epsilon, delta)-DP,
 * delta = Phi(D/(2 sigma) - epsilon sigma/D) - e^epsilon Phi(-D/(2 sigma) - epsilon sigma/D).
 *
 * @param options - {@link GaussianDeltaOptions}
 * @returns delta in [0, 1)
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @remarks
 * **Privacy guarantee**: (epsilon, delta)-DP under whatever neighbouring relation the
 * sensitivity is stated for. **Citations**: Balle and Wang, "Improving the Gaussian Mechanism
 * for Differential Privacy" (ICML 2018), Theorem 8. Accuracy: about 1e-14 relative.
 * @example
 * ```ts
 * import { gaussianDelta } from 'privagg/dp';
 * const delta = gaussianDelta({ sigma: 3.730631634816, epsilon: 1 });
 * console.log(Math.abs(delta - 1e-5) < 1e-14); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function gaussianDelta(options: GaussianDeltaOptions): number {
  aRequired<GaussianDeltaOptions>('options', options, ['sigma', 'epsilon'], ['l2Sensitivity']);
  const { sigma, epsilon, l2Sensitivity = 1 } = options;
  aPositive('sigma', sigma);
  aEpsilon('epsilon', epsilon);
  aPositive('l2Sensitivity', l2Sensitivity);
  return deltaUnit(sigma / l2Sensitivity, epsilon);
}

/**
 * Options of {@link analyticGaussianSigma}.
 * @since 0.1.0
 * @public
 */
export interface GaussianSigmaOptions {
  /** Target epsilon, >= 2^-50. */
  readonly epsilon: number;
  /** Target delta, in (0, 1). */
  readonly delta: number;
  /** The L2 sensitivity of the query, > 0. @defaultValue 1 */
  readonly l2Sensitivity?: number;
  /**
   * `'analytic'`: the smallest sigma (Balle-Wang); `'classic'`: sqrt(2 ln(1.25/delta)) D /
   * epsilon (Dwork-Roth Theorem A.1, only for epsilon <= 1). @defaultValue 'analytic'
   */
  readonly method?: 'analytic' | 'classic';
}

/**
 * The smallest sigma for which the Gaussian mechanism is (epsilon, delta)-DP (the analytic
 * Gaussian mechanism of Balle and Wang 2018), or the classic calibration on request.
 *
 * @param options - {@link GaussianSigmaOptions}
 * @returns sigma > 0, with {@link gaussianDelta} at that sigma <= delta
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range (or epsilon > 1 for `'classic'`)
 * @remarks
 * **Privacy guarantee**: N(0, sigma^2) noise on a query of L2 sensitivity D gives
 * (epsilon, delta)-DP. **Utility**: the analytic sigma is smaller than the classic one, and valid
 * for every epsilon. **Runtime**: bisection to double precision; the result is the upper end of
 * the final bracket (conservative), within 1e-12 relative of the exact root.
 * **Citations**: Balle and Wang (ICML 2018), Algorithm 1 (the same root, found by bisection).
 * @example
 * ```ts
 * import { analyticGaussianSigma } from 'privagg/dp';
 * const sigma = analyticGaussianSigma({ epsilon: 1, delta: 1e-5, l2Sensitivity: 1 });
 * console.log(sigma.toFixed(9)); // 3.730631635
 * ```
 * @since 0.1.0
 * @public
 */
export function analyticGaussianSigma(options: GaussianSigmaOptions): number {
  aRequired<GaussianSigmaOptions>(
    'options',
    options,
    ['epsilon', 'delta'],
    ['l2Sensitivity', 'method'],
  );
  const { epsilon, delta, l2Sensitivity = 1, method = 'analytic' } = options;
  aEpsilon('epsilon', epsilon);
  aDelta('delta', delta, true);
  aPositive('l2Sensitivity', l2Sensitivity);
  if (method === 'classic') {
    if (epsilon > 1)
      throw new RangeError(`"epsilon" must be <= 1 for the classic calibration, got ${epsilon}`);
    return (Math.sqrt(2 * Math.log(1.25 / delta)) * l2Sensitivity) / epsilon;
  }
  if (method !== 'analytic')
    throw new TypeError(`"method" expected 'analytic' or 'classic', got ${String(method)}`);
  // delta(sigma) decreases in sigma: bracket, then bisect to the last bit
  let hi = 1;
  while (deltaUnit(hi, epsilon) > delta) hi *= 2;
  let lo = hi / 2;
  while (lo > 1e-300 && deltaUnit(lo, epsilon) <= delta) lo /= 2;
  const [, upper] = bisect((s) => deltaUnit(s, epsilon) <= delta, lo, hi, 2000);
  return upper * l2Sensitivity;
}
