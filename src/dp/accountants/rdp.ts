/**
 * Rényi DP accounting: the Poisson-subsampled Gaussian (Mironov, Talwar and Zhang 2019, exact
 * at integer and fractional orders, computed as Opacus computes it), the Gaussian and Laplace
 * mechanisms, composition, and conversion to (epsilon, delta).
 * @module
 */
import { PrivaggError } from '../../core/index.ts';
import { aDelta, aEpsilon, aPositive, aRequired, aSamplingRate, aSteps } from '../_validate.ts';
import { logAdd, logErfc, logSub } from './_math.ts';
import {
  type DistributedDiscreteGaussianOptions,
  distributedDiscreteGaussianRdp,
  poissonSubsampledRdp,
  type SkellamPrivacyOptions,
  skellamRdp,
} from './distributed.ts';

/**
 * The default RDP orders, those of Opacus's `RDPAccountant.DEFAULT_ALPHAS`:
 * 1.1, 1.2, ..., 10.9, then 12, 13, ..., 63.
 * @since 0.1.0
 * @public
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
]);

/** ln A_alpha for integer alpha (MTZ19 Section 3.3). */
function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  let logBinom = 0; // ln C(alpha, i)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log(alpha - i + 1) - Math.log(i);
    const s = logBinom + i * lq + (alpha - i) * l1q + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, s);
  }
  return logA;
}

/** ln A_alpha for fractional alpha (MTZ19 Section 3.3, the two-sided series). */
function logAFrac(q: number, sigma: number, alpha: number): number {
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  const s2 = 2 * sigma * sigma;
  const root2s = Math.SQRT2 * sigma;
  let logAbsCoef = 0; // ln |C(alpha, i)|
  let sign = 1;
  for (let i = 0; ; i++) {
    if (i > 0) {
      const f = alpha - i + 1;
      logAbsCoef += Math.log(Math.abs(f)) - Math.log(i);
      if (f < 0) sign = -sign;
    }
    const j = alpha - i;
    const logT0 = logAbsCoef + i * lq + j * l1q;
    const logT1 = logAbsCoef + j * lq + i * l1q;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / root2s);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / root2s);
    const logS0 = logT0 + (i * i - i) / s2 + logE0;
    const logS1 = logT1 + (j * j - j) / s2 + logE1;
    if (sign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30 || i > 100_000) break;
  }
  return logAdd(logA0, logA1);
}

/**
 * @internal RDP of one step of the Poisson-subsampled Gaussian at order alpha (add/remove
 * neighbours), as Opacus `_compute_rdp`.
 */
export function rdpSubsampledGaussian(q: number, sigma: number, alpha: number): number {
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (alpha === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const logA = Number.isInteger(alpha) ? logAInt(q, sigma, alpha) : logAFrac(q, sigma, alpha);
  return logA / (alpha - 1);
}

/** @internal RDP of the Laplace mechanism with scale/sensitivity b at order alpha (Mironov 2017, Prop. 6). */
export function rdpLaplace(b: number, alpha: number): number {
  if (alpha === Number.POSITIVE_INFINITY) return 1 / b;
  if (alpha === 1) return 1 / b + Math.exp(-1 / b) - 1;
  const t1 = Math.log(alpha / (2 * alpha - 1)) + (alpha - 1) / b;
  const t2 = Math.log((alpha - 1) / (2 * alpha - 1)) - alpha / b;
  return logAdd(t1, t2) / (alpha - 1);
}

/**
 * How an RDP curve is converted to (epsilon, delta): `'improved'` is Balle et al. 2020,
 * Theorem 21 (eps = rdp + ln((a-1)/a) - (ln delta + ln a)/(a-1)), the conversion Opacus's
 * `get_privacy_spent` and dp_accounting use; `'classic'` is Mironov 2017, Proposition 3
 * (eps = rdp + ln(1/delta)/(a-1)).
 * @since 0.1.0
 * @public
 */
export type RdpConversion = 'improved' | 'classic';

/**
 * An epsilon bound and the order that gives it.
 * @since 0.1.0
 * @public
 */
export interface EpsilonAtOrder {
  /** The smallest epsilon over the orders (>= 0). */
  readonly epsilon: number;
  /** The RDP order achieving it. */
  readonly order: number;
}

/**
 * A delta bound and the order that gives it.
 * @since 0.1.0
 * @public
 */
export interface DeltaAtOrder {
  /** The smallest delta over the orders (in [0, 1]). */
  readonly delta: number;
  /** The RDP order achieving it. */
  readonly order: number;
}

/**
 * The best (epsilon, order) for `delta` over RDP values at `orders`.
 * @internal
 */
export function rdpToEpsilon(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  delta: number,
  conversion: RdpConversion,
): { epsilon: number; order: number } {
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = Number.NaN;
  const logDelta = Math.log(delta);
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i] as number;
    const r = rdp[i] as number;
    if (!(a > 1) || Number.isNaN(r)) continue;
    // zero divergence at any order means identical output distributions: (0, 0)-DP
    const eps =
      r === 0
        ? 0
        : conversion === 'improved'
          ? r - (logDelta + Math.log(a)) / (a - 1) + Math.log((a - 1) / a)
          : r - logDelta / (a - 1);
    if (eps < best) {
      best = eps;
      bestOrder = a;
    }
  }
  // a negative bound still implies (0, delta)-DP
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/**
 * The best (delta, order) for `epsilon` over RDP values at `orders` (the inverse conversion).
 * @internal
 */
export function rdpToDelta(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  epsilon: number,
  conversion: RdpConversion,
): { delta: number; order: number } {
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = Number.NaN;
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i] as number;
    const r = rdp[i] as number;
    if (!(a > 1) || Number.isNaN(r)) continue;
    const logDelta =
      r === 0
        ? Number.NEGATIVE_INFINITY
        : conversion === 'improved'
          ? (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a)
          : (a - 1) * (r - epsilon);
    if (logDelta < best) {
      best = logDelta;
      bestOrder = a;
    }
  }
  return { delta: Math.min(1, Math.exp(best)), order: bestOrder };
}

/**
 * Options of {@link RdpAccountant.subsampledGaussian}.
 * @since 0.1.0
 * @public
 */
export interface SubsampledGaussianOptions {
  /** Noise standard deviation divided by the L2 sensitivity (clipping norm), > 0. */
  readonly noiseMultiplier: number;
  /** Poisson sampling probability of each record per step, in (0, 1]. */
  readonly samplingRate: number;
  /** How many steps (each a Poisson-subsampled Gaussian release), a safe integer >= 0. */
  readonly steps: number;
}

/**
 * Options of {@link RdpAccountant.gaussian}.
 * @since 0.1.0
 * @public
 */
export interface GaussianStepsOptions {
  /** Noise standard deviation divided by the L2 sensitivity, > 0. */
  readonly noiseMultiplier: number;
  /** How many releases, a safe integer >= 0. @defaultValue 1 */
  readonly steps?: number;
}

/**
 * Options of {@link RdpAccountant.laplace}.
 * @since 0.1.0
 * @public
 */
export interface LaplaceStepsOptions {
  /** Laplace scale divided by the L1 sensitivity, > 0. */
  readonly noiseMultiplier: number;
  /** How many releases, a safe integer >= 0. @defaultValue 1 */
  readonly steps?: number;
}

function aOrders(orders: unknown): readonly number[] {
  if (!Array.isArray(orders)) throw new TypeError('"orders" expected an array of numbers');
  if (orders.length === 0) throw new RangeError('"orders" must not be empty');
  for (const a of orders) {
    if (typeof a !== 'number') throw new TypeError('"orders" expected numbers');
    if (!(a > 1) || Number.isNaN(a))
      throw new RangeError(`"orders" expected values > 1 (or Infinity), got ${a}`);
  }
  return Object.freeze([...(orders as number[])]);
}

/**
 * A Rényi DP accountant: it adds up the RDP of each mechanism at a fixed set of orders and
 * converts the total to (epsilon, delta).
 *
 * @remarks
 * **Privacy guarantee**: the neighbouring relation is add/remove one record (Poisson
 * subsampling is analysed for it, as in Opacus and dp_accounting's default); sensitivities are
 * those of one record. A step is one release of a mechanism; `steps: n` is n adaptive
 * compositions of the same mechanism (RDP adds up).
 * **Citations**: Mironov, "Rényi Differential Privacy" (2017); Mironov, Talwar, Zhang, "Rényi
 * Differential Privacy of the Sampled Gaussian Mechanism" (2019), computed as Opacus's
 * `opacus/accountants/analysis/rdp.py` does (exact series at integer and fractional orders);
 * Balle et al. (AISTATS 2020) for the improved conversion.
 * **Runtime**: each distinct (noiseMultiplier, samplingRate) pair is computed once per order
 * (a few milliseconds for the default orders) and cached; steps multiply.
 * @example
 * ```ts
 * import { RdpAccountant } from 'privagg/dp';
 * const acc = new RdpAccountant().subsampledGaussian({ noiseMultiplier: 1.5, samplingRate: 0.04, steps: 2250 });
 * console.log(acc.epsilon(1e-5).epsilon.toFixed(6)); // 7.329111
 * ```
 * @since 0.1.0
 * @public
 */
export class RdpAccountant {
  /** The RDP orders, frozen. */
  readonly orders: readonly number[];
  private readonly total: Float64Array;
  private readonly cache = new Map<string, Float64Array>();

  /**
   * @param orders - orders > 1 (Infinity allowed); defaults to {@link DEFAULT_RDP_ORDERS}
   * @throws {@link !TypeError} when `orders` is not an array of numbers
   * @throws {@link !RangeError} when an order is <= 1 or the array is empty
   */
  constructor(orders: readonly number[] = DEFAULT_RDP_ORDERS) {
    this.orders = aOrders(orders);
    this.total = new Float64Array(this.orders.length);
  }

  private add(key: string, compute: (alpha: number) => number, steps: number): this {
    if (steps === 0) return this;
    let per = this.cache.get(key);
    if (per === undefined) {
      per = Float64Array.from(this.orders, compute);
      this.cache.set(key, per);
    }
    for (let i = 0; i < per.length; i++)
      this.total[i] = (this.total[i] as number) + (per[i] as number) * steps;
    return this;
  }

  /**
   * Compose `steps` Poisson-subsampled Gaussian releases.
   * @param options - {@link SubsampledGaussianOptions}
   * @returns this accountant
   * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
   * @throws {@link !RangeError} when a value is out of range
   */
  subsampledGaussian(options: SubsampledGaussianOptions): this {
    aRequired<SubsampledGaussianOptions>('options', options, [
      'noiseMultiplier',
      'samplingRate',
      'steps',
    ]);
    const { noiseMultiplier, samplingRate, steps } = options;
    aPositive('noiseMultiplier', noiseMultiplier);
    aSamplingRate('samplingRate', samplingRate);
    aSteps('steps', steps);
    return this.add(
      `sg:${noiseMultiplier}:${samplingRate}`,
      (a) => rdpSubsampledGaussian(samplingRate, noiseMultiplier, a),
      steps,
    );
  }

  /**
   * Compose `steps` Gaussian releases (no subsampling): rdp(alpha) = alpha / (2 sigma^2).
   * @param options - {@link GaussianStepsOptions}
   * @returns this accountant
   * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
   * @throws {@link !RangeError} when a value is out of range
   */
  gaussian(options: GaussianStepsOptions): this {
    aRequired<GaussianStepsOptions>('options', options, ['noiseMultiplier'], ['steps']);
    const { noiseMultiplier, steps = 1 } = options;
    aPositive('noiseMultiplier', noiseMultiplier);
    aSteps('steps', steps);
    return this.add(`g:${noiseMultiplier}`, (a) => a / (2 * noiseMultiplier ** 2), steps);
  }

  /**
   * Compose `steps` Laplace releases (Mironov 2017, Proposition 6).
   * @param options - {@link LaplaceStepsOptions}
   * @returns this accountant
   * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
   * @throws {@link !RangeError} when a value is out of range
   */
  laplace(options: LaplaceStepsOptions): this {
    aRequired<LaplaceStepsOptions>('options', options, ['noiseMultiplier'], ['steps']);
    const { noiseMultiplier, steps = 1 } = options;
    aPositive('noiseMultiplier', noiseMultiplier);
    aSteps('steps', steps);
    return this.add(`l:${noiseMultiplier}`, (a) => rdpLaplace(noiseMultiplier, a), steps);
  }

  /**
   * Compose `steps` releases of the distributed discrete Gaussian sum, optionally with Poisson
   * sampling of clients at `samplingRate` (Zhu-Wang general bound at integer orders; fractional
   * orders use the next integer).
   * @param options - {@link DistributedDiscreteGaussianOptions} plus `steps` (default 1) and
   *   `samplingRate` (default 1)
   * @returns this accountant
   * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
   * @throws {@link !RangeError} when a value is out of range
   */
  distributedDiscreteGaussian(
    options: DistributedDiscreteGaussianOptions & {
      readonly steps?: number;
      readonly samplingRate?: number;
    },
  ): this {
    const {
      steps = 1,
      samplingRate = 1,
      ...rest
    } = (options ?? {}) as DistributedDiscreteGaussianOptions & {
      steps?: number;
      samplingRate?: number;
    };
    aSteps('steps', steps);
    aSamplingRate('samplingRate', samplingRate);
    distributedDiscreteGaussianRdp(rest, 2); // validates
    const eps = (a: number): number => distributedDiscreteGaussianRdp(rest, a);
    return this.add(
      `ddg:${samplingRate}:${JSON.stringify(rest)}`,
      (a) => (a === Number.POSITIVE_INFINITY ? a : poissonSubsampledRdp(samplingRate, eps, a)),
      steps,
    );
  }

  /**
   * Compose `steps` releases of the (distributed) Skellam sum, optionally with Poisson sampling
   * of clients at `samplingRate` (as for the distributed discrete Gaussian).
   * @param options - {@link SkellamPrivacyOptions} plus `steps` (default 1) and `samplingRate`
   *   (default 1)
   * @returns this accountant
   * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
   * @throws {@link !RangeError} when a value is out of range
   */
  skellam(
    options: SkellamPrivacyOptions & { readonly steps?: number; readonly samplingRate?: number },
  ): this {
    const {
      steps = 1,
      samplingRate = 1,
      ...rest
    } = (options ?? {}) as SkellamPrivacyOptions & { steps?: number; samplingRate?: number };
    aSteps('steps', steps);
    aSamplingRate('samplingRate', samplingRate);
    skellamRdp(rest, 2); // validates
    const eps = (a: number): number => skellamRdp(rest, a);
    return this.add(
      `sk:${samplingRate}:${JSON.stringify(rest)}`,
      (a) => (a === Number.POSITIVE_INFINITY ? a : poissonSubsampledRdp(samplingRate, eps, a)),
      steps,
    );
  }

  /**
   * Add another accountant's total (sequential composition). Both must use the same orders.
   * @param other - an accountant over the same orders
   * @returns this accountant
   * @throws {@link !TypeError} when `other` is not an RdpAccountant
   * @throws {@link index!PrivaggError} `DOMAIN_MISMATCH` when the orders differ
   */
  compose(other: RdpAccountant): this {
    if (!(other instanceof RdpAccountant)) throw new TypeError('"other" expected an RdpAccountant');
    if (
      other.orders.length !== this.orders.length ||
      other.orders.some((a, i) => a !== this.orders[i])
    )
      throw new PrivaggError('DOMAIN_MISMATCH', 'RdpAccountant.compose: the orders differ');
    const r = other.rdp();
    for (let i = 0; i < r.length; i++) this.total[i] = (this.total[i] as number) + (r[i] as number);
    return this;
  }

  /**
   * The accumulated RDP at each order.
   * @returns a copy of the RDP values, aligned with {@link RdpAccountant.orders}
   */
  rdp(): Float64Array {
    return this.total.slice();
  }

  /**
   * The smallest epsilon over the orders for `delta`.
   * @param delta - in (0, 1)
   * @param conversion - {@link RdpConversion}; default `'improved'`
   * @returns `{ epsilon, order }`, epsilon >= 0 (Infinity when no order gives a finite bound)
   * @throws {@link !RangeError} when delta is out of range
   * @throws {@link !TypeError} when conversion is unknown
   */
  epsilon(delta: number, conversion: RdpConversion = 'improved'): EpsilonAtOrder {
    aDelta('delta', delta, true);
    aConversion(conversion);
    return rdpToEpsilon(this.orders, this.total, delta, conversion);
  }

  /**
   * The smallest delta over the orders for `epsilon`.
   * @param epsilon - >= 2^-50
   * @param conversion - {@link RdpConversion}; default `'improved'`
   * @returns `{ delta, order }`, delta in [0, 1]
   * @throws {@link !RangeError} when epsilon is out of range
   * @throws {@link !TypeError} when conversion is unknown
   */
  delta(epsilon: number, conversion: RdpConversion = 'improved'): DeltaAtOrder {
    aEpsilon('epsilon', epsilon);
    aConversion(conversion);
    return rdpToDelta(this.orders, this.total, epsilon, conversion);
  }
}

function aConversion(c: unknown): asserts c is RdpConversion {
  if (c !== 'improved' && c !== 'classic')
    throw new TypeError(`"conversion" expected 'improved' or 'classic', got ${String(c)}`);
}
