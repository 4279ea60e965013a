/**
 * The client-side encoding steps of distributed DP after TFF's distributed DP sum
 * (google-parfait/tensorflow-federated `tensorflow_federated/python/aggregators/distributed_dp.py`,
 * `rotation.py`, `discretization.py`): the rotation's seed and padding (the randomized Hadamard
 * rotation itself is privagg/kernels' `hadamard`), and conditional stochastic rounding with a bounded norm increase (Kairouz, Liu and
 * Steinke 2021, Section 4).
 * @module
 * @internal
 */
import { PrivaggError } from '../core/errors.ts';
import { drawWords, type Rng } from '../core/index.ts';

/** @internal Length of a rotation seed (a ChaCha20 key). */
export const ROTATION_SEED_BYTES = 32;

/**
 * @internal beta of conditional rounding: one stochastic rounding exceeds the inflated norm bound
 * with probability at most beta (KLS21, Lemma 4.1; TFF's default `exp(-0.5)`).
 */
export const ROUNDING_BETA: number = Math.exp(-0.5);

/**
 * @internal Rounding attempts before the deterministic fallback (round toward zero, which never
 * increases a coordinate's magnitude, so the norm bound holds). The fallback runs with
 * probability at most beta^attempts = e^-50 < 2^-72 per client and round, and only biases.
 */
export const ROUNDING_ATTEMPTS = 100;

/** @internal The smallest power of two >= n. */
export function paddedLength(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

/**
 * @internal The L2 bound after conditional stochastic rounding of a vector of norm at most `norm`
 * (already scaled) in `dimension` coordinates: min(norm + sqrt(d), sqrt(norm^2 + d/4 +
 * sqrt(2 ln(1/beta)) (norm + sqrt(d)/2))) (KLS21, Lemma 4.1 and Theorem 4.2; TFF's
 * `inflated_l2_norm_bound`).
 */
export function inflatedNorm(norm: number, dimension: number): number {
  const root = Math.sqrt(dimension);
  const plain = norm + root;
  const conditional = Math.sqrt(
    norm * norm + dimension / 4 + Math.sqrt(2 * Math.log(1 / ROUNDING_BETA)) * (norm + root / 2),
  );
  return Math.min(plain, conditional);
}

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;

/**
 * @internal Conditional stochastic rounding (KLS21 Algorithm 2): unbiased stochastic rounding of
 * `scaled` to integers, repeated until the L2 norm of the result is at most `bound`; after
 * {@link ROUNDING_ATTEMPTS} failures, round toward zero. Returns the integers as doubles.
 * @throws PrivaggError `OVERFLOW` when a value cannot be an exact integer
 */
export function conditionalRound(scaled: Float64Array, bound: number, rng: Rng): Float64Array {
  const d = scaled.length;
  const out = new Float64Array(d);
  for (const y of scaled)
    if (!(Math.abs(y) < 2 ** 52))
      throw new PrivaggError('OVERFLOW', 'a scaled value does not fit an exact integer');
  // float sums of squares carry relative error below d 2^-53: accept only clearly inside
  const limit = bound * bound * (1 - (d + 2) * 2 ** -52);
  for (let attempt = 0; attempt < ROUNDING_ATTEMPTS; attempt++) {
    const words = drawWords(rng, 2 * d);
    let squares = 0;
    for (let i = 0; i < d; i++) {
      const y = scaled[i] as number;
      const f = Math.floor(y);
      const u = (((words[2 * i] as number) >>> 11) * TWO32 + (words[2 * i + 1] as number)) / TWO53;
      const v = f + (u < y - f ? 1 : 0);
      out[i] = v;
      squares += v * v;
    }
    words.fill(0);
    if (squares <= limit) return out;
  }
  // fallback: toward zero never increases a magnitude, so the norm stays within the input's
  let squares = 0;
  for (let i = 0; i < d; i++) {
    const v = Math.trunc(scaled[i] as number);
    out[i] = v;
    squares += v * v;
  }
  if (!(squares <= limit)) out.fill(0); // an input above the bound: contribute nothing
  return out;
}

/** @internal A fresh rotation seed from the CSPRNG (or the injected rng). */
export function drawRotationSeed(rng: Rng): Uint8Array {
  return rng(ROTATION_SEED_BYTES);
}
