/**
 * Privacy of the distributed discrete Gaussian (Kairouz, Liu and Steinke 2021) and Skellam
 * (Agarwal, Kairouz and Liu 2021) mechanisms, in RDP, for the private-aggregate API.
 * Everything here is in the integer (scaled and rounded) domain: sensitivities and variances are
 * those of the integer vectors that are summed.
 * @module
 */
import { aInteger } from '../../core/index.ts';
import { aPositive, aRequired } from '../_validate.ts';

/**
 * Options of {@link distributedDiscreteGaussianRdp}.
 * @since 0.1.0
 * @public
 */
export interface DistributedDiscreteGaussianOptions {
  /** Each client's per-coordinate discrete Gaussian variance parameter sigma^2 (integer domain), >= 1/4. */
  readonly localSigma2: number;
  /** How many clients add noise to the sum (the ones that survive dropout), a safe integer >= 1. */
  readonly clients: number;
  /** The vector dimension, a safe integer >= 1. */
  readonly dimension: number;
  /** L2 sensitivity of the integer sum (after scaling and rounding), > 0. */
  readonly l2Sensitivity: number;
  /** L1 sensitivity of the integer sum; defaults to l2Sensitivity * min(sqrt(dimension), l2Sensitivity). */
  readonly l1Sensitivity?: number;
}

function ddgTau(localSigma2: number, clients: number): number {
  // KLS21 Theorem 1: tau = 10 sum_{k=1}^{n-1} exp(-2 pi^2 sigma^2 k / (k+1))
  let tau = 0;
  const c = -2 * Math.PI * Math.PI * localSigma2;
  for (let k = 1; k < clients; k++) {
    const t = Math.exp((c * k) / (k + 1));
    tau += t;
    if (t === 0) break;
  }
  return 10 * tau;
}

/**
 * The RDP at `order` of releasing the sum of `clients` vectors, each with independent
 * N_Z(0, localSigma2) noise per coordinate (the distributed discrete Gaussian mechanism).
 *
 * @param options - {@link DistributedDiscreteGaussianOptions}
 * @param order - the RDP order, > 1 (a fractional order is bounded by the next integer: RDP is
 *   non-decreasing in the order)
 * @returns the RDP epsilon at `order`
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @remarks
 * **Privacy guarantee**: the sum of n discrete Gaussians is close to a discrete Gaussian of
 * variance n sigma^2; the bound is the minimum of the three terms of KLS21 Proposition 14 with
 * the inflation tau of Theorem 1 (as google-research/federated `distributed_dp/accounting_utils.py`
 * computes it), for add/remove of one client's vector with the stated sensitivities.
 * **Citations**: Kairouz, Liu, Steinke, ICML 2021.
 * @example
 * ```ts
 * import { distributedDiscreteGaussianRdp } from 'privagg/dp';
 * const rdp = distributedDiscreteGaussianRdp({ localSigma2: 100, clients: 100, dimension: 1000, l2Sensitivity: 100 }, 2);
 * console.log(Math.abs(rdp - 2 * 100 ** 2 / (2 * 100 * 100)) < 1e-9); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function distributedDiscreteGaussianRdp(
  options: DistributedDiscreteGaussianOptions,
  order: number,
): number {
  aRequired<DistributedDiscreteGaussianOptions>(
    'options',
    options,
    ['localSigma2', 'clients', 'dimension', 'l2Sensitivity'],
    ['l1Sensitivity'],
  );
  const { localSigma2, clients, dimension, l2Sensitivity } = options;
  aPositive('localSigma2', localSigma2);
  if (localSigma2 < 0.25) throw new RangeError(`"localSigma2" expected >= 1/4, got ${localSigma2}`);
  aInteger('clients', clients, 1);
  aInteger('dimension', dimension, 1);
  aPositive('l2Sensitivity', l2Sensitivity);
  const l1Sensitivity =
    options.l1Sensitivity ?? l2Sensitivity * Math.min(Math.sqrt(dimension), l2Sensitivity);
  aPositive('l1Sensitivity', l1Sensitivity);
  aOrder(order);
  const a = Math.ceil(order);
  const tau = ddgTau(localSigma2, clients);
  const sd = Math.sqrt(clients * localSigma2);
  const l2 = l2Sensitivity / sd;
  const l1 = l1Sensitivity / sd;
  const t1 = (a / 2) * l2 * l2 + tau * dimension;
  const t2 = (a / 2) * (l2 * l2 + 2 * l1 * tau + tau * tau * dimension);
  const t3 = (a / 2) * (l2 + Math.sqrt(dimension) * tau) ** 2;
  return Math.min(t1, t2, t3);
}

/**
 * Options of {@link skellamRdp}.
 * @since 0.1.0
 * @public
 */
export interface SkellamPrivacyOptions {
  /** The variance of the total Skellam noise on each coordinate (2 mu; sums of clients' Skellam noise add up exactly), > 0. */
  readonly variance: number;
  /** L2 sensitivity of the integer sum, > 0. */
  readonly l2Sensitivity: number;
  /** L1 sensitivity of the integer sum, > 0. */
  readonly l1Sensitivity: number;
}

/**
 * The RDP at `order` of the (distributed) Skellam mechanism on an integer-valued query:
 * order D2^2 / (2 V) + min(((2 order - 1) D2^2 + 6 D1) / (4 V^2), 3 D1 / (2 V)) for total
 * noise variance V.
 *
 * @param options - {@link SkellamPrivacyOptions}
 * @param order - the RDP order, > 1 (a fractional order is bounded by the next integer)
 * @returns the RDP epsilon at `order`
 * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
 * @throws {@link !RangeError} when a value is out of range
 * @remarks
 * **Privacy guarantee**: add/remove of one client's integer vector with the stated
 * sensitivities. The sum of independent Skellam noises is Skellam with the summed variance, so
 * the distributed mechanism is analysed by its total variance.
 * **Citations**: Agarwal, Kairouz, Liu, NeurIPS 2021, Theorem 3.5 (as google-research/federated
 * `distributed_dp/accounting_utils.py` `_skellam_rdp` evaluates it).
 * @example
 * ```ts
 * import { skellamRdp } from 'privagg/dp';
 * const rdp = skellamRdp({ variance: 1e6, l2Sensitivity: 100, l1Sensitivity: 1000 }, 2);
 * console.log(rdp > 2 * 100 ** 2 / (2 * 1e6)); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function skellamRdp(options: SkellamPrivacyOptions, order: number): number {
  aRequired<SkellamPrivacyOptions>('options', options, [
    'variance',
    'l2Sensitivity',
    'l1Sensitivity',
  ]);
  const { variance, l2Sensitivity, l1Sensitivity } = options;
  aPositive('variance', variance);
  aPositive('l2Sensitivity', l2Sensitivity);
  aPositive('l1Sensitivity', l1Sensitivity);
  aOrder(order);
  const a = Math.ceil(order);
  const d2 = l2Sensitivity * l2Sensitivity;
  return (
    (a * d2) / (2 * variance) +
    Math.min(
      ((2 * a - 1) * d2 + 6 * l1Sensitivity) / (4 * variance * variance),
      (3 * l1Sensitivity) / (2 * variance),
    )
  );
}

function aOrder(order: unknown): asserts order is number {
  if (typeof order !== 'number')
    throw new TypeError(`"order" expected number, got ${typeof order}`);
  if (!(order > 1) || !Number.isFinite(order))
    throw new RangeError(`"order" expected a finite number > 1, got ${order}`);
}

/**
 * @internal The RDP at integer order `alpha` of a mechanism with RDP curve `eps` under Poisson
 * subsampling with rate q (Zhu and Wang 2019, the general upper bound for Poisson subsampling):
 * 1/(alpha-1) ln[(1-q)^(alpha-1)(alpha q - q + 1) + C(alpha,2) q^2 (1-q)^(alpha-2) e^eps(2)
 * + 3 sum_{l=3}^{alpha} C(alpha,l) (1-q)^(alpha-l) q^l e^((l-1) eps(l))], capped by eps(alpha).
 * A fractional order is bounded by the next integer (RDP is non-decreasing in the order).
 */
export function poissonSubsampledRdp(
  q: number,
  eps: (order: number) => number,
  order: number,
): number {
  const alpha = Math.ceil(order);
  const unamplified = eps(alpha);
  if (q === 1 || alpha < 2) return unamplified;
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  const terms: number[] = [
    (alpha - 1) * l1q + Math.log(alpha * q - q + 1),
    Math.log((alpha * (alpha - 1)) / 2) + 2 * lq + (alpha - 2) * l1q + eps(2),
  ];
  let logBinom = Math.log((alpha * (alpha - 1)) / 2);
  for (let l = 3; l <= alpha; l++) {
    logBinom += Math.log(alpha - l + 1) - Math.log(l);
    terms.push(Math.log(3) + logBinom + (alpha - l) * l1q + l * lq + (l - 1) * eps(l));
  }
  const max = Math.max(...terms);
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return Math.min(unamplified, (max + Math.log(sum)) / (alpha - 1));
}
