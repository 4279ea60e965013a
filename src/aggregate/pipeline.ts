/**
 * The steps of a round that run on one side only, shared by the in-process simulation and the
 * round protocol over a transport: what a client does to its vector before protection (check,
 * clip, weight, encode, add its share of distributed noise) and what the server does with the
 * protected sum (decode, add central noise, unscale, divide).
 * @internal
 * @module
 */
import type { Rng } from '../core/random.ts';
import { aBytes, aFiniteVector } from '../core/validate.ts';
import { clipL2 } from '../dp/index.ts';
import { defaultKernels, type KernelBackend } from '../kernels/index.ts';
import type { AggregationConfig } from './config.ts';
import type { AggregationResult, PlanDescription } from './plan.ts';
import {
  noiseStd,
  type PrivacyCalibration,
  roundedNormBound,
  sampleIntegerNoise,
} from './privacy.ts';
import { clipInPlace, encodeClient } from './quantize.ts';
import { conditionalRound, ROTATION_SEED_BYTES } from './rotation.ts';

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
 * The round's randomized Hadamard rotation through `kernels` (in place): signs from the ChaCha20
 * keystream under the round's seed (zero nonce), the fast Walsh-Hadamard transform, 1/sqrt(d).
 */
async function rotate(
  kernels: KernelBackend,
  x: Float64Array,
  seed: Uint8Array,
  inverse: boolean,
): Promise<void> {
  await kernels.hadamard(x, { key: seed, algorithm: 'chacha20' }, x, inverse);
}

/** The round's rotation seed, checked (rotating plans only). */
function seedFor(seed: Uint8Array | undefined): Uint8Array {
  if (seed === undefined)
    throw new TypeError(
      '"rotationSeed" is required: this plan rotates vectors with a seed the round shares (draw it from the CSPRNG once per round and give it to every client and the server)',
    );
  aBytes('rotationSeed', seed, ROTATION_SEED_BYTES);
  return seed;
}

/**
 * @internal A client's noise for this plan: its share of the sum's noise (distributed DP) or its
 * own (local DP), exact integers of the planned variance on every noised coordinate.
 */
function clientNoise(
  description: PlanDescription,
  calibration: PrivacyCalibration,
  count: number,
  rng: Rng,
): Int32Array | undefined {
  if (calibration.where !== 'clients' && calibration.where !== 'local') return undefined;
  return sampleIntegerNoise(
    calibration,
    description.noise.perClientVariance,
    count,
    rng,
    description.noise.laplaceScale,
  );
}

/**
 * @internal Encode a prepared vector into the plan's ring and add this client's noise
 * (distributed or local DP). Distributed DP with an L2 clip follows TFF's distributed DP sum:
 * pad to a power of two, rotate by the round's randomized Hadamard transform (`rotationSeed`,
 * shared by the round), clip again to the vector's norm bound (the rotation is orthogonal; this
 * clip only absorbs float error, with privagg/dp's exact-norm guarantee), scale, round conditionally (norm within the
 * KLS21 bound), add noise, reduce modulo 2^ringBits. The rotation runs on `kernels` (a backend
 * of lower float precision only costs accuracy: the clip after it keeps the norm bound exact).
 */
export async function encodeClientVector(
  description: PlanDescription,
  calibration: PrivacyCalibration,
  prepared: Float64Array,
  rng: Rng,
  rotationSeed?: Uint8Array,
  kernels: KernelBackend = defaultKernels(),
): Promise<Uint32Array> {
  const q = description.quantization;
  if (q === undefined) throw new RangeError('this plan does not encode into a ring');
  const length = description.rotation.paddedDimension;
  let e: Uint32Array;
  if (calibration.conditionalRounding) {
    let x = new Float64Array(length);
    x.set(prepared);
    if (calibration.rotation) await rotate(kernels, x, seedFor(rotationSeed), false);
    const c = clipL2(x, calibration.vectorNorm);
    if (c.clipped) x = Float64Array.from(c.vector);
    for (let j = 0; j < length; j++) x[j] = (x[j] as number) * q.scale;
    const rounded = conditionalRound(x, roundedNormBound(calibration, q.scale), rng);
    const mask = q.ringBits === 32 ? -1 : (2 ** q.ringBits - 1) | 0;
    e = new Uint32Array(length);
    for (let j = 0; j < length; j++) e[j] = (rounded[j] as number) & mask;
  } else e = encodeClient(prepared, q, rng);
  const noise = clientNoise(description, calibration, length, rng);
  if (noise !== undefined) {
    const mask = q.ringBits === 32 ? -1 : (2 ** q.ringBits - 1) | 0;
    for (let j = 0; j < length; j++) e[j] = ((e[j] as number) + (noise[j] as number)) & mask;
  }
  return e;
}

/**
 * @internal CKKS with distributed or local DP: add this client's integer noise, on the plan's
 * noise grid (multiples of 1 / gridScale, exact in doubles), to its prepared vector before it
 * is encrypted (in place). The key holder rounds the decrypted sum to the same grid.
 */
export function noiseCkksClientVector(
  description: PlanDescription,
  calibration: PrivacyCalibration,
  prepared: Float64Array,
  rng: Rng,
): void {
  const noise = clientNoise(description, calibration, prepared.length, rng);
  if (noise === undefined) return;
  const g = description.noise.gridScale;
  for (let j = 0; j < prepared.length; j++)
    prepared[j] = (prepared[j] as number) + (noise[j] as number) / g;
}

/**
 * @internal The server's side of a ring protection: signed decoding of the ring sum, central
 * noise (central DP only), unscaling, and the inverse rotation (rotating plans, with the round's
 * `rotationSeed`, on `kernels`).
 */
export async function decodeRingSum(
  description: PlanDescription,
  calibration: PrivacyCalibration,
  ringSum: Uint32Array,
  rng: Rng,
  rotationSeed?: Uint8Array,
  kernels: KernelBackend = defaultKernels(),
): Promise<Float64Array> {
  const q = description.quantization;
  if (q === undefined) throw new RangeError('this plan does not encode into a ring');
  const length = description.rotation.paddedDimension;
  if (ringSum.length !== length)
    throw new RangeError(`"ringSum" expected ${length} coordinates, got ${ringSum.length}`);
  const mod = 2 ** q.ringBits;
  const half = mod / 2;
  const central =
    calibration.where === 'server'
      ? sampleIntegerNoise(calibration, noiseStd(calibration, q.scale) ** 2, length, rng)
      : undefined;
  const sum = new Float64Array(length);
  for (let j = 0; j < length; j++) {
    const x = ringSum[j] as number;
    const signed = x >= half ? x - mod : x;
    sum[j] = (signed + (central === undefined ? 0 : (central[j] as number))) / q.scale;
  }
  if (!calibration.rotation) return sum;
  await rotate(kernels, sum, seedFor(rotationSeed), true);
  return sum.slice(0, description.protectedDimension);
}

/**
 * @internal The key holder's release of a CKKS sum (in place): with DP it rounds the sum to the
 * noise grid (so that the release is the exact integer noisy sum up to the CKKS error) and,
 * for central DP, adds exact integer noise.
 */
export function releaseCkksSum(
  description: PlanDescription,
  calibration: PrivacyCalibration,
  sum: Float64Array,
  rng: Rng,
): void {
  if (calibration.where === 'none') return;
  const pd = description.protectedDimension;
  const g = description.noise.gridScale;
  const noise =
    calibration.where === 'server'
      ? sampleIntegerNoise(calibration, noiseStd(calibration, g) ** 2, pd, rng)
      : undefined;
  for (let j = 0; j < pd; j++)
    sum[j] =
      (Math.round((sum[j] as number) * g) + (noise === undefined ? 0 : (noise[j] as number))) / g;
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
