/**
 * An exact discrete Gaussian sampler over the integers (Canonne, Kamath and Steinke 2020,
 * algorithms 1 to 3), drawing only uniform integers from an {@link Rng}: no floating point
 * touches the distribution. privagg/dp has the general samplers; this small copy keeps
 * privagg/he independent of it (the dp module was not on this branch when it was written).
 * @module
 * @internal
 */
import { type Rng, randomBelowBigInt, randomBelowU32 } from '../core/index.ts';

/** Uniform integer in [0, bound), bound >= 1. */
function below(rng: Rng, bound: bigint): bigint {
  if (bound <= 0x100000000n) return BigInt(randomBelowU32(rng, Number(bound)));
  return randomBelowBigInt(rng, bound);
}

/** Bernoulli(num / den), 0 <= num <= den. */
function bernoulli(rng: Rng, num: bigint, den: bigint): boolean {
  return below(rng, den) < num;
}

/** Bernoulli(exp(-num / den)) for num / den in [0, 1] (CKS20 algorithm 1, first case). */
function bernoulliExpSmall(rng: Rng, num: bigint, den: bigint): boolean {
  let k = 1n;
  while (bernoulli(rng, num, den * k)) k++;
  return (k & 1n) === 1n;
}

/** @internal Bernoulli(exp(-num / den)) for num / den >= 0 (CKS20 algorithm 1). */
export function bernoulliExp(rng: Rng, num: bigint, den: bigint): boolean {
  if (num <= den) return bernoulliExpSmall(rng, num, den);
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpSmall(rng, 1n, 1n)) return false;
  return bernoulliExpSmall(rng, num - whole * den, den);
}

/** @internal Discrete Laplace with P(x) proportional to exp(-|x| / t), integer t >= 1 (CKS20 algorithm 2). */
export function sampleDiscreteLaplace(rng: Rng, t: bigint): bigint {
  for (;;) {
    const u = below(rng, t);
    if (!bernoulliExp(rng, u, t)) continue;
    let v = 0n;
    while (bernoulliExpSmall(rng, 1n, 1n)) v++;
    const x = u + t * v;
    const negative = (rng(1)[0] as number) & 1;
    if (negative === 1 && x === 0n) continue;
    return negative === 1 ? -x : x;
  }
}

/**
 * @internal Discrete Gaussian with P(x) proportional to exp(-x^2 / (2 sigma^2)), for an
 * integer sigma >= 1 (CKS20 algorithm 3 with sigma^2 = sigma * sigma exactly).
 */
export function sampleDiscreteGaussian(rng: Rng, sigma: bigint): bigint {
  const s2 = sigma * sigma;
  const t = sigma + 1n; // floor(sigma) + 1
  for (;;) {
    const y = sampleDiscreteLaplace(rng, t);
    const abs = y < 0n ? -y : y;
    // gamma = (|y| - s2 / t)^2 / (2 s2) = (|y| t - s2)^2 / (2 s2 t^2)
    const d = abs * t - s2;
    if (bernoulliExp(rng, d * d, 2n * s2 * t * t)) return y;
  }
}
