/**
 * Choosing the fixed-point scale and ring size so that a sum cannot wrap, and the clipping and
 * encoding that each client applies before its vector is protected.
 * @module
 * @internal
 */
import { PrivaggError } from '../core/errors.ts';
import { encodeFixedPointUnchecked } from '../core/fixed-point.ts';
import type { Rng } from '../core/random.ts';
import { clipL2, clipLinf } from '../dp/index.ts';
import type { ClipConfig } from './config.ts';

/** @internal Wrap probability the planner accepts for a noisy sum, over all coordinates of one round. */
export const WRAP_PROBABILITY: number = 2 ** -40;

/**
 * The resolved fixed-point encoding of a plan.
 * @since 0.1.0
 * @public
 */
export interface ResolvedQuantization {
  /** Ring size k: sums are computed modulo 2^k. */
  readonly ringBits: number;
  /** Values are multiplied by this before stochastic rounding. */
  readonly scale: number;
  /** Largest absolute integer a single client's encoded coordinate can take. */
  readonly clientBound: number;
  /** Bound on |sum| per coordinate that the ring must hold (values, rounding and noise tail). */
  readonly sumBound: number;
  /** Probability that a noisy sum wraps anywhere (0 without noise). */
  readonly wrapProbability: number;
}

/**
 * @internal Per-client range of secure aggregation: each client's signed value is shifted into
 * [0, maxInputValue] by `offset = floor(maxInputValue / 2)`, and `clients * maxInputValue` fits
 * the ring (the SecAgg plan checks it), so no sum of shifted inputs can wrap.
 */
export function secaggInputRange(
  ringBits: number,
  clients: number,
): { maxInputValue: number; offset: number } {
  const maxInputValue = Math.floor((2 ** ringBits - 1) / clients);
  return { maxInputValue, offset: Math.floor(maxInputValue / 2) };
}

/**
 * @internal The largest power-of-two scale for which every client's encoded coordinate, with its
 * own noise (standard deviation `a + b s`, tail over all clients' coordinates at
 * {@link WRAP_PROBABILITY}), stays within `perClientLimit` in magnitude. Used by secure
 * aggregation, whose clients refuse inputs outside their range.
 */
export function resolveScalePerClient(
  ringBits: number,
  clients: number,
  bound: number,
  coordinates: number,
  perClientLimit: number,
  clientNoise: { readonly a: number; readonly b: number } | undefined,
  maxScale: number = Number.POSITIVE_INFINITY,
): ResolvedQuantization {
  const zeta = clientNoise === undefined ? 0 : tailFactor(clients * coordinates, WRAP_PROBABILITY);
  const maxFit =
    (perClientLimit - 1 - zeta * (clientNoise?.a ?? 0)) / (bound + zeta * (clientNoise?.b ?? 0));
  const max = Math.min(maxFit, maxScale);
  if (!(max >= 1))
    throw new PrivaggError(
      'OVERFLOW',
      `${ringBits} ring bits cannot hold ${clients} clients' inputs with coordinates up to ${bound}${clientNoise ? ' plus noise' : ''} even at scale 1; use more ring bits or a smaller clip bound`,
    );
  return describePerClient(
    ringBits,
    2 ** Math.floor(Math.log2(max)),
    clients,
    bound,
    coordinates,
    perClientLimit,
    clientNoise,
  );
}

/** @internal Check a caller-chosen scale against the per-client range; `OVERFLOW` when it can leave it. */
export function describePerClient(
  ringBits: number,
  scale: number,
  clients: number,
  bound: number,
  coordinates: number,
  perClientLimit: number,
  clientNoise: { readonly a: number; readonly b: number } | undefined,
): ResolvedQuantization {
  const zeta = clientNoise === undefined ? 0 : tailFactor(clients * coordinates, WRAP_PROBABILITY);
  const clientBound =
    Math.floor(bound * scale) + 1 + zeta * ((clientNoise?.a ?? 0) + (clientNoise?.b ?? 0) * scale);
  if (clientBound > perClientLimit)
    throw new PrivaggError(
      'OVERFLOW',
      `quantization { ringBits: ${ringBits}, scale: ${scale} } can wrap: each of ${clients} clients needs values up to ${clientBound.toExponential(3)}${clientNoise ? ' with noise' : ''}, secure aggregation allows ${perClientLimit.toExponential(3)} per client`,
    );
  return {
    ringBits,
    scale,
    clientBound,
    sumBound: clients * clientBound,
    wrapProbability: clientNoise === undefined ? 0 : WRAP_PROBABILITY,
  };
}

/** @internal Per-coordinate bound on a client's (weighted) value implied by the clip. */
export function coordinateBound(clip: ClipConfig): number {
  return 'l2' in clip ? clip.l2 : clip.linf;
}

/**
 * @internal z such that P(|N(0, 1)| > z) summed over `coordinates` stays below `p` (union bound,
 * Gaussian tail; the discrete Gaussian and Skellam tails are no heavier at these variances).
 */
export function tailFactor(coordinates: number, p: number): number {
  return Math.sqrt(2 * Math.log((2 * coordinates) / p));
}

/**
 * @internal The largest power-of-two scale s such that `clients` vectors with coordinates in
 * [-bound, bound], each rounded (at most one unit) plus noise of standard deviation
 * `noiseStd(s)` (affine in s: a + b s), cannot leave the signed range of `ringBits` bits
 * except with probability {@link WRAP_PROBABILITY}.
 */
export function resolveScale(
  ringBits: number,
  clients: number,
  bound: number,
  coordinates: number,
  noise: { readonly a: number; readonly b: number } | undefined,
  maxScale: number = Number.POSITIVE_INFINITY,
): ResolvedQuantization {
  const limit = 2 ** (ringBits - 1) - 1;
  const zeta = noise === undefined ? 0 : tailFactor(coordinates, WRAP_PROBABILITY);
  const fixed = clients + zeta * (noise?.a ?? 0);
  const perScale = clients * bound + zeta * (noise?.b ?? 0);
  const max = Math.min((limit - fixed) / perScale, maxScale);
  if (!(max >= 1))
    throw new PrivaggError(
      'OVERFLOW',
      `${ringBits} ring bits cannot hold the sum of ${clients} clients with coordinates up to ${bound}${noise ? ' plus noise' : ''} even at scale 1; use more ring bits or a smaller clip bound`,
    );
  const scale = 2 ** Math.floor(Math.log2(max));
  return describeQuantization(ringBits, scale, clients, bound, coordinates, noise);
}

/** @internal Check a caller-chosen quantization; `OVERFLOW` naming the parameters when it can wrap. */
export function describeQuantization(
  ringBits: number,
  scale: number,
  clients: number,
  bound: number,
  coordinates: number,
  noise: { readonly a: number; readonly b: number } | undefined,
): ResolvedQuantization {
  const clientBound = Math.floor(bound * scale) + 1;
  const zeta = noise === undefined ? 0 : tailFactor(coordinates, WRAP_PROBABILITY);
  const sumBound = clients * clientBound + zeta * ((noise?.a ?? 0) + (noise?.b ?? 0) * scale);
  if (sumBound > 2 ** (ringBits - 1) - 1)
    throw new PrivaggError(
      'OVERFLOW',
      `quantization { ringBits: ${ringBits}, scale: ${scale} } can wrap: ${clients} clients x values up to ${bound}${noise ? ' plus noise' : ''} need |sum| up to ${sumBound.toExponential(3)}, the ring holds ${(2 ** (ringBits - 1) - 1).toExponential(3)}`,
    );
  return {
    ringBits,
    scale,
    clientBound,
    sumBound,
    wrapProbability: noise === undefined ? 0 : WRAP_PROBABILITY,
  };
}

/**
 * @internal Clip `vector` in place to the bound with privagg/dp's clipping, which guarantees the
 * bound on the exact norm of the stored doubles (Casacuberta et al. 2022).
 * @returns whether the vector was clipped
 */
export function clipInPlace(vector: Float64Array, clip: ClipConfig): boolean {
  const r = 'l2' in clip ? clipL2(vector, clip.l2) : clipLinf(vector, clip.linf);
  if (r.clipped) vector.set(r.vector);
  return r.clipped;
}

/** @internal Encode a clipped client vector into the ring with unbiased stochastic rounding. */
export function encodeClient(vector: Float64Array, q: ResolvedQuantization, rng: Rng): Uint32Array {
  return encodeFixedPointUnchecked(vector, { ringBits: q.ringBits, scale: q.scale }, rng);
}
