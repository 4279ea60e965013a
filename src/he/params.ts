/**
 * CKKS parameter sets: the presets, their validation, and the noise constants used for the
 * error bounds the API reports.
 * @module
 */
import { aInteger, aOptions } from '../core/index.ts';

/**
 * CKKS encryption parameters, as SEAL's `4_ckks_basics.cpp` chooses them:
 * `coeffModulusBits` lists the bit sizes of the RNS primes, first the data prime `q0` (which
 * holds the final result, so it is larger than the scale by the headroom the values need),
 * then one prime per rescale level (about `scaleBits` bits each, so a rescale brings the scale
 * back to about `2^scaleBits`), then the special prime used by key switching (at least as large
 * as any other). The sum of all bits must not exceed the Homomorphic Encryption Standard's
 * bound for 128-bit security at `polyModulusDegree` (218, 438, 881 bits at 8192, 16384, 32768).
 * @since 0.1.0
 * @public
 */
export interface CkksParameters {
  /** Ring degree N, a power of two; each ciphertext holds N / 2 values (slots). */
  readonly polyModulusDegree: number;
  /**
   * Bit sizes of the coefficient-modulus primes: the base primes (the shortest prefix whose
   * bits exceed `scaleBits`: they hold the final result), then one prime per rescale level,
   * then the special prime.
   */
  readonly coeffModulusBits: readonly number[];
  /**
   * log2 of the encoding scale. It may exceed one prime (up to 120 bits): the base is then
   * several primes, as in the `-flood` presets.
   */
  readonly scaleBits: number;
}

/**
 * The presets, all at 128-bit classical security per the Homomorphic Encryption Standard (2018,
 * table 1, ternary secrets): total modulus bits 160 of 218 allowed at N = 8192, 210 of 438 at
 * N = 16384 and 280 of 881 at N = 32768. Each has one level for a plaintext multiply and
 * rescale (weighted sums) at least (`n8192-compact` excepted); `base - scale` bits of headroom
 * (base: the primes left after every rescale) bound the magnitude of a decrypted value (|value| <= 2^(headroom - 2), checked on every operation).
 *
 * | preset | N | primes (bits) | scale | slots | levels | headroom |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | `n8192` | 8192 | 60, 40, 60 | 2^45 | 4096 | 1 | 15 bits |
 * | `n16384` | 16384 | 60, 45, 45, 60 | 2^45 | 8192 | 2 | 15 bits |
 * | `n32768` | 32768 | 60, 50, 50, 60, 60 | 2^50 | 16384 | 3 | 10 bits |
 * | `n8192-compact` | 8192 | 46, 60 | 2^41 | 4096 | 0 | 5 bits |
 * | `n8192-flood` | 8192 | 60 + 40, 45, 60 | 2^80 | 4096 | 1 | 20 bits |
 *
 * `n8192-compact` is for addition-only aggregation with the smallest ciphertexts: a single
 * 46-bit data prime, so a seeded ciphertext in the packed wire form costs under 12 bytes per
 * value, but no level is left for a weighted sum: clients apply their FedAvg weights before
 * encrypting and the server uses `sum`.
 *
 * `n8192-flood` is for results that leave the key holders (threshold decryption, or
 * {@link CkksContext.decryptForRelease}): noise flooding at 40-bit statistical security costs
 * about 40 bits of precision (see `decryptForRelease`), so the scale is 2^80, held by a base of
 * two primes (60 + 40 bits, 205 bits in all, within the 218 allowed at N = 8192); a 45-bit prime
 * gives one level for a weighted sum. A FedAvg of 100 clients x 1e5 floats decrypted by 3 of 5
 * threshold parties at s = 40 matches the plaintext mean to 2.5e-8 relative (measured; 5.9e-9
 * for a single key's flooded release). Ciphertexts cost 36.25 bytes per value seeded and 72.5
 * with public-key encryption (packed wire form; the only choice under a threshold key),
 * against 25 and 50 at `n8192`: the precision flooding needs is paid in bytes.
 *
 * The scale need not equal the rescale primes: a weight is encoded at the scale of the prime
 * that the rescale then divides by (so the result returns to the input scale), and its
 * rounding error is relative 2^-(prime bits + 1); a larger scale shrinks the rescale rounding
 * (about `sqrt(N / 12) / scale` per value) at the cost of headroom.
 *
 * @since 0.1.0
 * @public
 */
export const CKKS_PRESETS: Readonly<Record<CkksPresetName, CkksParameters>> = Object.freeze({
  n8192: Object.freeze({
    polyModulusDegree: 8192,
    coeffModulusBits: Object.freeze([60, 40, 60]),
    scaleBits: 45,
  }),
  n16384: Object.freeze({
    polyModulusDegree: 16384,
    coeffModulusBits: Object.freeze([60, 45, 45, 60]),
    scaleBits: 45,
  }),
  n32768: Object.freeze({
    polyModulusDegree: 32768,
    coeffModulusBits: Object.freeze([60, 50, 50, 60, 60]),
    scaleBits: 50,
  }),
  'n8192-compact': Object.freeze({
    polyModulusDegree: 8192,
    coeffModulusBits: Object.freeze([46, 60]),
    scaleBits: 41,
  }),
  'n8192-flood': Object.freeze({
    polyModulusDegree: 8192,
    coeffModulusBits: Object.freeze([60, 40, 45, 60]),
    scaleBits: 80,
  }),
});

/**
 * Names of the {@link CKKS_PRESETS}.
 * @since 0.1.0
 * @public
 */
export type CkksPresetName = 'n8192' | 'n16384' | 'n32768' | 'n8192-compact' | 'n8192-flood';

/** Homomorphic Encryption Standard, 128-bit classical security, max log2(q) per N. */
const HE_STANDARD_128: Readonly<Record<number, number>> = Object.freeze({
  1024: 27,
  2048: 54,
  4096: 109,
  8192: 218,
  16384: 438,
  32768: 881,
});

/**
 * @internal Number of base primes: the shortest prefix of the primes whose bits exceed the
 * scale (a rescale never goes below it: the result needs the scale plus headroom).
 */
export function basePrimeCount(parameters: CkksParameters): number {
  let bits = 0;
  for (const [i, b] of parameters.coeffModulusBits.entries()) {
    bits += b;
    if (bits > parameters.scaleBits) return i + 1;
  }
  return parameters.coeffModulusBits.length;
}

/** @internal Bits of the base primes. */
export function baseBits(parameters: CkksParameters): number {
  return parameters.coeffModulusBits
    .slice(0, basePrimeCount(parameters))
    .reduce((a, b) => a + b, 0);
}

/** @internal Standard deviation of SEAL's fresh error (seal/util/globals.h). */
export const SEAL_NOISE_STD = 3.2;

/**
 * @internal Validate a parameter object (types and ranges; SEAL's own check follows when the
 * context is made). Returns a frozen copy.
 */
export function checkParameters(parameters: unknown): CkksParameters {
  if (typeof parameters === 'string') {
    if (!Object.hasOwn(CKKS_PRESETS, parameters))
      throw new RangeError(
        `"parameters" expected a preset name (${Object.keys(CKKS_PRESETS).join(', ')}), got an unknown string`,
      );
    return CKKS_PRESETS[parameters as CkksPresetName];
  }
  aOptions('parameters', parameters, ['polyModulusDegree', 'coeffModulusBits', 'scaleBits']);
  const p = parameters as Partial<CkksParameters>;
  aInteger('parameters.polyModulusDegree', p.polyModulusDegree, 1024, 32768);
  const n = p.polyModulusDegree;
  if ((n & (n - 1)) !== 0)
    throw new RangeError(`"parameters.polyModulusDegree" expected a power of two, got ${n}`);
  const bits = p.coeffModulusBits;
  if (!Array.isArray(bits))
    throw new TypeError('"parameters.coeffModulusBits" expected an array of integers');
  if (bits.length < 2 || bits.length > 16)
    throw new RangeError(
      `"parameters.coeffModulusBits" expected 2 to 16 primes, got ${bits.length}`,
    );
  for (const [i, b] of bits.entries()) aInteger(`parameters.coeffModulusBits[${i}]`, b, 20, 60);
  aInteger('parameters.scaleBits', p.scaleBits, 10, 120);
  const data = bits.slice(0, -1).reduce((a: number, b: number) => a + b, 0);
  if (p.scaleBits >= data)
    throw new RangeError(
      `"parameters.scaleBits" expected fewer bits than the data primes (${data}), got ${p.scaleBits}`,
    );
  const total = bits.reduce((a: number, b: number) => a + b, 0);
  const max = HE_STANDARD_128[n] as number;
  if (total > max)
    throw new RangeError(
      `"parameters.coeffModulusBits" total ${total} bits exceeds ${max}, the 128-bit security bound at N = ${n}`,
    );
  return Object.freeze({
    polyModulusDegree: n,
    coeffModulusBits: Object.freeze([...bits] as number[]),
    scaleBits: p.scaleBits,
  });
}
