/**
 * The steps of a round that run on one side only, shared by the in-process simulation and the
 * round protocol over a transport: what a client does to its vector before protection (check,
 * clip, weight, encode, add its share of distributed noise) and what the server does with the
 * protected sum (decode, add central noise, unscale, divide).
 * @internal
 * @module
 */
import type { Rng } from '../core/random.ts';
import { aFiniteVector } from '../core/validate.ts';
import type { AggregationConfig } from './config.ts';
import type { AggregationResult, PlanDescription } from './plan.ts';
import { type PrivacyCalibration, sampleIntegerNoise } from './privacy.ts';
import { clipInPlace, encodeClient } from './quantize.ts';

/** @internal A client's input as the round accepts it. */
export type ClientVector = Float64Array | Float32Array | readonly number[];

/**
 * @internal Check one client's vector: finite numbers, the plan's dimension.
 * @throws {@link !TypeError} / {@link !RangeError} naming `label`
 */
export function checkClientVector(
  config: AggregationConfig,
  label: string,
  vector: ClientVector,
): void {
  aFiniteVector(label, vector);
  if (vector.length !== config.dimension)
    throw new RangeError(
      `"${label}" has length ${vector.length}, the plan's dimension is ${config.dimension}`,
    );
}

/**
 * @internal Check a weight for a weighted plan (or its absence for an unweighted one).
 * @throws {@link !TypeError} / {@link !RangeError} naming `label`
 */
export function checkClientWeight(
  config: AggregationConfig,
  label: string,
  weight: number | undefined,
): void {
  if (config.weights === undefined) {
    if (weight !== undefined) throw new TypeError(`"${label}" given to a plan without weights`);
    return;
  }
  const max = config.weights.max;
  if (!(typeof weight === 'number' && weight >= 0 && weight <= max))
    throw new RangeError(`"${label}" expected a number in [0, ${max}] for this weighted plan`);
}

/** @internal Check the weights of a simulated round: `n` of them exactly when the plan is weighted. */
export function checkRoundWeights(
  config: AggregationConfig,
  n: number,
  weights: readonly number[] | undefined,
): readonly number[] | undefined {
  if (config.weights === undefined) {
    if (weights !== undefined)
      throw new TypeError('"options.weights" given to a plan without weights');
    return undefined;
  }
  if (!Array.isArray(weights) || weights.length !== n)
    throw new TypeError(`"options.weights" expected ${n} numbers for this weighted plan`);
  for (const [i, w] of weights.entries()) checkClientWeight(config, `options.weights[${i}]`, w);
  return weights;
}

/**
 * @internal A client's protected-dimension vector before encoding: its input clipped, multiplied
 * by its weight, with the weight appended (weighted plans). The input must have been checked.
 */
export function prepareClientVector(
  config: AggregationConfig,
  description: PlanDescription,
  vector: ClientVector,
  weight: number | undefined,
): { readonly vector: Float64Array; readonly clipped: boolean } {
  const d = config.dimension;
  const x = new Float64Array(description.protectedDimension);
  x.set(vector);
  const clipped = config.clip !== undefined && clipInPlace(x.subarray(0, d), config.clip);
  if (weight !== undefined) {
    for (let j = 0; j < d; j++) x[j] = (x[j] as number) * weight;
    x[d] = weight;
  }
  return { vector: x, clipped };
}

/**
 * @internal Encode a prepared vector into the plan's ring and add this client's share of the
 * distributed noise (distributed DP only).
 */
export function encodeClientVector(
  description: PlanDescription,
  calibration: PrivacyCalibration,
  prepared: Float64Array,
  rng: Rng,
): Uint32Array {
  const q = description.quantization;
  if (q === undefined) throw new RangeError('this plan does not encode into a ring');
  const e = encodeClient(prepared, q, rng);
  if (calibration.where === 'clients') {
    const pd = description.protectedDimension;
    const noise = sampleIntegerNoise(calibration, description.noise.perClientVariance, pd, rng);
    const mask = q.ringBits === 32 ? -1 : (2 ** q.ringBits - 1) | 0;
    for (let j = 0; j < pd; j++) e[j] = ((e[j] as number) + (noise[j] as number)) & mask;
  }
  return e;
}

/**
 * @internal The server's side of a ring protection: signed decoding of the ring sum, central
 * noise (central DP only), unscaling.
 */
export function decodeRingSum(
  description: PlanDescription,
  calibration: PrivacyCalibration,
  ringSum: Uint32Array,
  rng: Rng,
): Float64Array {
  const q = description.quantization;
  if (q === undefined) throw new RangeError('this plan does not encode into a ring');
  const pd = description.protectedDimension;
  const mod = 2 ** q.ringBits;
  const half = mod / 2;
  const central =
    calibration.where === 'server'
      ? sampleIntegerNoise(
          calibration,
          (calibration.noiseMultiplier *
            (calibration.sensitivity * q.scale + calibration.sensitivityRounding)) **
            2,
          pd,
          rng,
        )
      : undefined;
  const sum = new Float64Array(pd);
  for (let j = 0; j < pd; j++) {
    const x = ringSum[j] as number;
    const signed = x >= half ? x - mod : x;
    sum[j] = (signed + (central === undefined ? 0 : (central[j] as number))) / q.scale;
  }
  return sum;
}

/**
 * @internal The key holder's release of a CKKS sum (in place): with central DP it rounds the sum to
 * the noise grid and adds exact integer noise.
 */
export function releaseCkksSum(
  description: PlanDescription,
  calibration: PrivacyCalibration,
  sum: Float64Array,
  rng: Rng,
): void {
  if (calibration.where !== 'server') return;
  const pd = description.protectedDimension;
  const g = description.noise.gridScale;
  const sumStd =
    calibration.noiseMultiplier * (calibration.sensitivity * g + calibration.sensitivityRounding);
  const noise = sampleIntegerNoise(calibration, sumStd * sumStd, pd, rng);
  for (let j = 0; j < pd; j++)
    sum[j] = (Math.round((sum[j] as number) * g) + (noise[j] as number)) / g;
}

/**
 * @internal The round's result from the protected sum: the sum without the weight coordinate, the
 * mean, and the clip count over the participants.
 */
export function finishRound(
  config: AggregationConfig,
  protectedSum: Float64Array,
  participants: readonly number[],
  dropped: Readonly<Record<string, readonly number[]>>,
  clippedClients: ReadonlySet<number>,
  weighted: boolean,
): Omit<AggregationResult, 'round' | 'privacy'> {
  const d = config.dimension;
  const sum = protectedSum.slice(0, d);
  const totalWeight = weighted ? (protectedSum[d] as number) : participants.length;
  const mean = sum.map((x) => (totalWeight > 0 ? x / totalWeight : 0));
  // clipping is reported for the clients whose input is in the sum
  const clipped = participants.filter((i) => clippedClients.has(i)).length;
  return { sum, mean, totalWeight, participants, dropped, clipped };
}
