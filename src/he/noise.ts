/**
 * The error model behind the bounds the API reports. Errors are tracked in value units (the
 * decrypted number minus the exact one) as three parts:
 *
 * - `free`: variance of the error terms that do not involve the secret key (fresh encryption
 *   error `e`, encoding rounding, the `tau0` part of rounding after a division);
 * - `keyed`: variance of the polynomial that multiplies the secret key `s` (the `tau1` part of
 *   every rounding after a division by a prime: a rescale, or the division by the special
 *   prime inside SEAL's public-key encryption, which encrypts at the key level and then drops
 *   the special prime);
 * - `bias`: a worst-case deterministic error (weight rounding, FFT round-off).
 *
 * Evaluation at a root of unity is a ring homomorphism, so a slot of `tau1 * s` is the product
 * `tau1(zeta) * s(zeta)`. The bound is
 * `z (sqrt(free) + sqrt(keyed) * S) + bias`, where `z = 7.54` is the two-sided Gaussian tail for
 * 2^-40 per value (the usual CKKS heuristic that a slot of a polynomial with independent
 * coefficients is close to Gaussian, with variance N x coefficient variance) and
 * `S = sqrt(2N (ln 2N + 40 ln 2))` bounds `max_j |s(zeta_j)|` for a ternary secret by
 * Hoeffding's inequality and a union bound over the slots (failure 2^-40 over key generation;
 * it holds for any secret with independent coefficients in [-1, 1]).
 * @module
 * @internal
 */
import { SEAL_NOISE_STD } from './params.ts';

/** @internal */
export interface Noise {
  readonly free: number;
  readonly keyed: number;
  readonly bias: number;
}

/** Two-sided Gaussian tail of 2^-40 per value: 2 exp(-z^2 / 2) <= 2^-40. */
export const Z_2_40: number = Math.sqrt(2 * 41 * Math.LN2);
/** Relative round-off of SEAL's double-precision FFT in one encode or decode (generous). */
export const FFT_RELATIVE: number = 2 ** -40;

/** @internal Bound on max_j |s(zeta_j)| for a ternary secret (see the module comment). */
export function secretEmbeddingBound(n: number): number {
  return Math.sqrt(2 * n * (Math.log(2 * n) + 40 * Math.LN2));
}

/**
 * @internal Error of a fresh encryption at `scale`. Symmetric: `e` (sd 3.2) plus encoding
 * rounding. Public key (SEAL encrypts at the key level and divides by the special prime `P`):
 * `(u e_pk + e0 + e1 s) / P` plus the division's rounding `tau0 + tau1 s` plus encoding rounding.
 */
export function freshNoise(
  n: number,
  scale: number,
  symmetric: boolean,
  specialPrime: number,
  bound: number,
): Noise {
  const s2 = SEAL_NOISE_STD ** 2;
  const d2 = scale * scale;
  if (symmetric) return { free: (n * (s2 + 1 / 12)) / d2, keyed: 0, bias: bound * FFT_RELATIVE };
  const p2 = specialPrime * specialPrime;
  const free = (n * ((s2 * (1 + (2 * n) / 3)) / p2 + 1 / 12 + 1 / 12)) / d2;
  const keyed = (n * (s2 / p2 + 1 / 12)) / d2;
  return { free, keyed, bias: bound * FFT_RELATIVE };
}

/** @internal Sum of independent errors. */
export function addNoise(a: Noise, b: Noise): Noise {
  return { free: a.free + b.free, keyed: a.keyed + b.keyed, bias: a.bias + b.bias };
}

/**
 * @internal Error after multiplying by weight `w` encoded at scale `p` (the prime the rescale
 * divides by), before the rescale: `w e + x (w' - w)` with |w' - w| <= 1 / (2p) + FFT round-off.
 */
export function weightNoise(a: Noise, w: number, bound: number, p: number): Noise {
  return {
    free: w * w * a.free,
    keyed: w * w * a.keyed,
    bias: Math.abs(w) * a.bias + bound * (0.5 / p + Math.abs(w) * FFT_RELATIVE),
  };
}

/** @internal The rounding of one rescale, `tau0 + tau1 s`, at output scale `scale`. */
export function rescaleNoise(a: Noise, n: number, scale: number): Noise {
  const v = n / 12 / (scale * scale);
  return { free: a.free + v, keyed: a.keyed + v, bias: a.bias };
}

/** @internal The reported bound on |decrypted - exact| per value. */
export function noiseBound(a: Noise, n: number, bound: number): number {
  return (
    Z_2_40 * (Math.sqrt(a.free) + Math.sqrt(a.keyed) * secretEmbeddingBound(n)) +
    a.bias +
    bound * FFT_RELATIVE
  );
}
