/**
 * Fixed-point encoding of real vectors into Z_{2^k} with unbiased stochastic rounding, and the
 * signed decoding. A value x becomes round(x * scale) mod 2^k, where the rounding goes up with
 * probability equal to the fractional part (so E[encode(x)] = x * scale, up to 2^-53).
 * @module
 * @internal
 */
import { PrivaggError } from './errors.ts';
import { drawWords, type Rng, randomBytes } from './random.ts';
import { aRingBits, aWideRingBits, type WideRingVector, wideZeros } from './ring.ts';
import { aFinite, aFiniteVector, aInteger, aOptions, aU32Array } from './validate.ts';

/** @internal Encoding parameters. */
export interface FixedPointOptions {
  /** Multiplier applied before rounding; finite and > 0. */
  scale: number;
  /** Ring size k: 1..32 for {@link encodeFixedPoint}, 33..62 for {@link encodeFixedPointWide}. */
  ringBits: number;
}

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
/** Words of randomness per coordinate: two, giving a 53-bit uniform. */
const WORDS_PER_VALUE = 2;
/** Coordinates per randomness draw, to bound temporary memory. */
const BATCH = 1 << 15;

function checkOptions(options: FixedPointOptions): void {
  aOptions('options', options, ['scale', 'ringBits']);
  aFinite('scale', options.scale);
  if (!(options.scale > 0)) throw new RangeError(`"scale" expected > 0, got ${options.scale}`);
}

/**
 * Stochastically round `values[i] * scale` for i in [start, end) into integers, calling `emit`.
 * Throws `OVERFLOW` if any rounded value leaves [-2^(k-1), 2^(k-1)).
 */
function roundAll(
  values: ArrayLike<number>,
  scale: number,
  ringBits: number,
  rng: Rng,
  emit: (i: number, v: number) => void,
): void {
  const half = 2 ** (ringBits - 1);
  let bad = 0;
  for (let start = 0; start < values.length; start += BATCH) {
    const end = Math.min(values.length, start + BATCH);
    const words = drawWords(rng, (end - start) * WORDS_PER_VALUE);
    for (let i = start; i < end; i++) {
      const y = (values[i] as number) * scale;
      const f = Math.floor(y);
      const frac = y - f; // exact for |y| < 2^52
      const j = (i - start) * WORDS_PER_VALUE;
      const u = (((words[j] as number) >>> 11) * TWO32 + (words[j + 1] as number)) / TWO53;
      const v = f + (u < frac ? 1 : 0);
      // count out-of-range coordinates without branching on which ones
      bad += (v < -half ? 1 : 0) | (v >= half ? 1 : 0) | (Number.isFinite(y) ? 0 : 1);
      emit(i, v);
    }
  }
  if (bad > 0)
    throw new PrivaggError(
      'OVERFLOW',
      `${bad} scaled value(s) do not fit the signed range of ${ringBits} ring bits; lower the scale or clip the input`,
    );
}

/**
 * @internal Encode finite reals into Z_{2^k} (k <= 32) with unbiased stochastic rounding.
 * @throws PrivaggError `OVERFLOW` when a scaled value leaves [-2^(k-1), 2^(k-1)); no output is returned
 */
export function encodeFixedPoint(
  values: ArrayLike<number>,
  options: FixedPointOptions,
  rng: Rng = randomBytes,
): Uint32Array {
  checkOptions(options);
  aRingBits(options.ringBits);
  aFiniteVector('values', values);
  return encodeFixedPointUnchecked(values, options, rng);
}

/**
 * @internal {@link encodeFixedPoint} for inputs the caller has already validated (finite
 * values, valid options); overflow is still refused.
 */
export function encodeFixedPointUnchecked(
  values: ArrayLike<number>,
  options: FixedPointOptions,
  rng: Rng,
): Uint32Array {
  const out = new Uint32Array(values.length);
  const mask = options.ringBits === 32 ? -1 : (2 ** options.ringBits - 1) | 0;
  roundAll(values, options.scale, options.ringBits, rng, (i, v) => {
    out[i] = v & mask;
  });
  return out;
}

/** @internal Encode finite reals into Z_{2^k} for 33 <= k <= 62 (two-limb vectors). */
export function encodeFixedPointWide(
  values: ArrayLike<number>,
  options: FixedPointOptions,
  rng: Rng = randomBytes,
): WideRingVector {
  checkOptions(options);
  aWideRingBits(options.ringBits);
  aFiniteVector('values', values);
  const out = wideZeros(options.ringBits, values.length);
  const hiMod = 2 ** (options.ringBits - 32);
  roundAll(values, options.scale, options.ringBits, rng, (i, v) => {
    // v is an integer with |v| < 2^61; split v mod 2^k into limbs exactly
    const hi = Math.floor(v / TWO32);
    out.lo[i] = v - hi * TWO32;
    out.hi[i] = ((hi % hiMod) + hiMod) % hiMod;
  });
  return out;
}

/**
 * @internal Decode Z_{2^k} elements with the signed interpretation (x >= 2^(k-1) means x - 2^k),
 * divided by `scale`. Use on a sum only when the sum is known not to have wrapped.
 */
export function decodeFixedPoint(encoded: Uint32Array, options: FixedPointOptions): Float64Array {
  checkOptions(options);
  aRingBits(options.ringBits);
  aU32Array('encoded', encoded);
  const k = options.ringBits;
  const mod = 2 ** k;
  const half = 2 ** (k - 1);
  const out = new Float64Array(encoded.length);
  for (let i = 0; i < encoded.length; i++) {
    const x = (encoded[i] as number) % mod;
    out[i] = (x >= half ? x - mod : x) / options.scale;
  }
  return out;
}

/** @internal Signed decoding for wide vectors (values beyond 2^53 in magnitude lose precision as doubles do). */
export function decodeFixedPointWide(
  encoded: WideRingVector,
  options: FixedPointOptions,
): Float64Array {
  checkOptions(options);
  aWideRingBits(options.ringBits);
  if (encoded.ringBits !== options.ringBits)
    throw new RangeError(
      `"encoded" has ${encoded.ringBits} ring bits, options say ${options.ringBits}`,
    );
  const hiMod = 2 ** (options.ringBits - 32);
  const hiHalf = hiMod / 2;
  const out = new Float64Array(encoded.lo.length);
  for (let i = 0; i < out.length; i++) {
    const hi = (encoded.hi[i] as number) % hiMod;
    const signedHi = hi >= hiHalf ? hi - hiMod : hi;
    out[i] = (signedHi * TWO32 + (encoded.lo[i] as number)) / options.scale;
  }
  return out;
}

/** @internal The largest |x| that {@link encodeFixedPoint} accepts for these options, rounded down. */
export function fixedPointRange(options: FixedPointOptions): number {
  checkOptions(options);
  aInteger('ringBits', options.ringBits, 1, 62);
  return (2 ** (options.ringBits - 1) - 1) / options.scale;
}
