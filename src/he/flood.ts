/**
 * Noise flooding of CKKS decryptions against the Li-Micciancio key-recovery attack, in the
 * coefficient domain: the decrypted plaintext polynomial `m + e` (integers modulo the primes of
 * its level) gets independent discrete Gaussian noise on every coefficient before it is decoded.
 * Used by single-key release ({@link CkksContext.decryptForRelease}) and by every threshold
 * partial decryption ({@link ThresholdParty.partialDecrypt}).
 *
 * **Analysis.** Let `M` be the number of released coefficients (N per ciphertext, times the
 * ciphertexts of the vector, times `queries` for related releases) and `t` a bound on every
 * coefficient of the key-dependent error `e`. Adding `D_{Z, sigma}` to each coefficient, the
 * Kullback-Leibler divergence between the released view and a view simulated without the key
 * (`m + noise`) is exactly `sum e_i^2 / (2 sigma^2) <= M t^2 / (2 sigma^2)` (for integer shifts
 * of a centred discrete Gaussian). With `sigma = t sqrt(24 M) 2^(s/2)` it is at most
 * `2^-s / 48`: the calibration of Li, Micciancio, Schultz and Sorrell (CRYPTO 2022, "Securing
 * approximate homomorphic encryption using differential privacy", section 4) for s-bit security
 * of key recovery, a search problem (KL-based bit security, Micciancio and Walter, Eurocrypt
 * 2018). The same divergence bounds the statistical distance by Pinsker's inequality:
 * `SD <= sqrt(KL / 2) <= 2^-(s/2 + 3.3)`, so a decision-style guarantee of statistical distance
 * 2^-40 needs s = 74. Decoding is a function of the flooded coefficients, so it adds nothing
 * (data processing), including its floating-point round-off. In the threshold protocol each
 * party floods its own partial decryption to the full `sigma` (the flooding of the others may
 * come from colluders), as in Mouchet et al. (PETS 2021) and Lattigo's `multiparty` package;
 * OpenFHE's `NOISE_FLOODING_DECRYPT` uses the same `sqrt(12 alpha) 2^(s/2)` shape.
 *
 * `t` comes from the tracked noise (see noise.ts): the key-free part has coefficient variance
 * `free Delta^2 / N`, the rounding polynomial `tau1` (rescales, and the division by the special
 * prime in public-key encryption) multiplies the secret, whose squared norm is bounded by
 * Hoeffding: `||s||^2 <= N 2P/3 + P^2 sqrt(20 N ln 2)` for P ternary shares (failure 2^-40);
 * then `t = z_M sqrt(free Delta^2 / N + (keyed Delta^2 / N) ||s||^2)` with the Gaussian tail
 * `z_M` of 2^-40 / M per coefficient (a union bound over every released coefficient), under the
 * usual CKKS heuristic that error coefficients are close to Gaussian.
 *
 * **Precision cost.** A value's flooding noise has standard deviation
 * `sigma sqrt(N / 2) / Delta` per flooding party: about `s / 2 + log2(t sqrt(24 M N / 2))` bits
 * of the scale are spent on it (about 59 bits at N = 8192 for 1e5 values, s = 40, one party).
 * The `n8192-flood` preset (scale 2^80) keeps about 20 bits after flooding.
 * @module
 * @internal
 */
import type { Ciphertext } from 'node-seal/throws';
import type { Rng } from '../core/index.ts';
import { discreteGaussianSampler } from '../dp/index.ts';
import type { CkksContext } from './ckks.ts';
import type { CkksVector } from './handles.ts';
import type { Noise } from './noise.ts';
import { dataWords, NttHelper, PT_FIXED, plaintextBytes, polyTruncate } from './rns.ts';
import { sealCall } from './seal.ts';

/** @internal Tail z with 2 exp(-z^2 / 2) <= 2^-40 / count (a union bound over `count` values). */
export function unionTail(count: number): number {
  return Math.sqrt(2 * (41 * Math.LN2 + Math.log(Math.max(1, count))));
}

/** @internal Hoeffding bound (failure 2^-40) on ||s||^2 for the sum of `parties` ternary secrets. */
export function secretNormSquaredBound(n: number, parties: number): number {
  return (n * 2 * parties) / 3 + parties * parties * Math.sqrt(20 * n * Math.LN2);
}

/**
 * @internal Bound `t` on every coefficient of a ciphertext's error, in integer units at its
 * scale, over `count` released coefficients.
 */
export function coefficientBound(
  noise: Noise,
  n: number,
  scale: number,
  parties: number,
  count: number,
): number {
  const unit = (scale * scale) / n;
  const variance = noise.free * unit + noise.keyed * unit * secretNormSquaredBound(n, parties);
  return unionTail(count) * Math.sqrt(variance);
}

/**
 * @internal The flooding standard deviation per party (integer units): `t sqrt(24 M) 2^(s/2)`
 * with `M = N x ciphertexts x queries` released coefficients.
 */
export function floodingSigma(
  ctx: CkksContext,
  vector: CkksVector,
  parties: number,
  securityBits: number,
  queries: number,
): number {
  const n = ctx.parameters.polyModulusDegree;
  const scale = (vector._cts[0] as Ciphertext).scale();
  const released = n * vector._cts.length * queries;
  const t = coefficientBound(vector._noise, n, scale, parties, released);
  return t * Math.sqrt(24 * released) * 2 ** (securityBits / 2);
}

/**
 * @internal A sampler of flooding polynomials in NTT form: N exact discrete Gaussian
 * coefficients of standard deviation at least `sigma` (rounded up to a multiple of 2^-8).
 * Returns the noise at the key level (truncate to a level's primes) and the exact sigma used.
 */
export function floodingSampler(
  ctx: CkksContext,
  sigma: number,
  rng: Rng,
): { next: (primes: number) => BigUint64Array; sigma: number } {
  const n = ctx.parameters.polyModulusDegree;
  const num = BigInt(Math.ceil(sigma * 256));
  const gaussian = discreteGaussianSampler(rng, num * num, 65536n);
  const ntt = NttHelper.of(ctx);
  return {
    sigma: Number(num) / 256,
    next: (primes: number) => {
      const e = new Float64Array(n);
      for (let i = 0; i < n; i++) e[i] = gaussian();
      const words = polyTruncate(ntt.forward(e), primes, n);
      e.fill(0);
      return words;
    },
  };
}

/**
 * @internal Decode plaintext polynomials (NTT form, one per ciphertext of `vector`, at the
 * level and scale of its ciphertexts) into `vector.length` values.
 */
export function decodeWords(
  ctx: CkksContext,
  vector: CkksVector,
  level: number,
  scale: number,
  polys: readonly BigUint64Array[],
): Float64Array {
  const seal = ctx._seal;
  const out = new Float64Array(vector.length);
  const encoder = new seal.CKKSEncoder(ctx._context);
  const pt = new seal.Plaintext();
  try {
    polys.forEach((words, c) => {
      const bytes = plaintextBytes(ctx._shape.parmsIds[level] as readonly bigint[], words, scale);
      const slots = sealCall(seal, 'MALFORMED_MESSAGE', 'decoding', () => {
        pt.loadFromArray(ctx._context, bytes);
        return encoder.decodeFloat64(pt) as Float64Array;
      });
      const start = c * ctx.slotCount;
      out.set(slots.subarray(0, Math.min(ctx.slotCount, vector.length - start)), start);
    });
  } finally {
    pt.delete();
    encoder.delete();
  }
  return out;
}

/** @internal The plaintext words (NTT form) of a SEAL plaintext. */
export function plaintextWords(
  ctx: CkksContext,
  pt: { saveToArray(m: never): unknown },
): BigUint64Array {
  const bytes = pt.saveToArray(ctx._seal.ComprModeType.none as never) as Uint8Array;
  return dataWords(bytes, PT_FIXED);
}
