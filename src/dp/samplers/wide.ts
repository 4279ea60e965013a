/**
 * An exact discrete Gaussian sampler for wide distributions (Canonne, Kamath and Steinke 2020,
 * algorithms 1 to 3), drawing only uniform integers from an {@link Rng}: no floating point
 * touches the distribution.
 *
 * Beside {@link sampleDiscreteGaussian}: noise flooding of CKKS decryptions (privagg/he) needs
 * standard deviations of 2^30 to 2^48 at integer resolution (the flooding must be finer than the
 * error it hides: noise on a coarser grid g Z leaves the error modulo g visible), while
 * `sampleDiscreteGaussian` accepts sigma^2 <= 2^40 and returns an Int32Array, with a fast
 * double-precision decision path built around those limits. This sampler takes sigma^2 as an
 * exact rational, any sigma below 2^48, and returns safe integers one at a time; at flooding
 * widths a sample takes about 10 microseconds (bigint arithmetic past 2^32).
 * @module
 * @internal
 */
import type { Rng } from '../../core/index.ts';

const TWO32 = 2 ** 32;

/** Buffered uniform 32-bit words from an rng, with exact rejection sampling below a bound. */
class Words {
  private readonly rng: Rng;
  private buf: Uint32Array = new Uint32Array(0);
  private pos = 0;
  constructor(rng: Rng) {
    this.rng = rng;
  }
  next(): number {
    if (this.pos >= this.buf.length) {
      const bytes = new Uint8Array(1024);
      bytes.set(this.rng(1024));
      this.buf = new Uint32Array(bytes.buffer);
      this.pos = 0;
    }
    return this.buf[this.pos++] as number;
  }
  /** Uniform in [0, bound), 1 <= bound <= 2^32. */
  below(bound: number): number {
    const limit = TWO32 - (TWO32 % bound);
    for (;;) {
      const w = this.next();
      if (w < limit) return w % bound;
    }
  }
  /** Uniform in [0, bound), bound >= 1. */
  belowBig(bound: bigint): bigint {
    if (bound <= 0x100000000n) return BigInt(this.below(Number(bound)));
    const bits = (bound - 1n).toString(2).length;
    const words = Math.ceil(bits / 32);
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      let x = 0n;
      for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(this.next());
      x &= mask;
      if (x < bound) return x;
    }
  }
}

/** Bernoulli(exp(-num / den)) for num / den in [0, 1] (CKS20 algorithm 1, first case). */
function bernExpSmallBig(w: Words, num: bigint, den: bigint): boolean {
  let k = 1n;
  while (w.belowBig(den * k) < num) k++;
  return (k & 1n) === 1n;
}

/** Bernoulli(exp(-num / den)) for num / den >= 0 (CKS20 algorithm 1). */
function bernExpBig(w: Words, num: bigint, den: bigint): boolean {
  if (num <= den) return bernExpSmallBig(w, num, den);
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!bernExpSmallNum(w, 1, 1)) return false;
  return bernExpSmallBig(w, num - whole * den, den);
}

/** Number version of algorithm 1's first case; falls back to bigint past 2^32. */
function bernExpSmallNum(w: Words, num: number, den: number): boolean {
  let k = 1;
  for (;;) {
    if (den * k > TWO32) return bernExpSmallBigFrom(w, num, den, k);
    if (w.below(den * k) >= num) return (k & 1) === 1;
    k++;
  }
}

function bernExpSmallBigFrom(w: Words, num: number, den: number, k0: number): boolean {
  let k = BigInt(k0);
  const n = BigInt(num);
  const d = BigInt(den);
  while (w.belowBig(d * k) < n) k++;
  return (k & 1n) === 1n;
}

function bernExpNum(w: Words, num: number, den: number): boolean {
  if (num <= den) return bernExpSmallNum(w, num, den);
  const whole = Math.floor(num / den);
  for (let i = 0; i < whole; i++) if (!bernExpSmallNum(w, 1, 1)) return false;
  return bernExpSmallNum(w, num - whole * den, den);
}

/** Discrete Laplace, P(x) proportional to exp(-|x| / t), t a safe integer (CKS20 algorithm 2). */
function laplace(w: Words, t: number): number {
  for (;;) {
    const u = t <= TWO32 ? w.below(t) : Number(w.belowBig(BigInt(t)));
    if (!(t <= TWO32 ? bernExpNum(w, u, t) : bernExpBig(w, BigInt(u), BigInt(t)))) continue;
    let v = 0;
    while (bernExpSmallNum(w, 1, 1)) v++;
    const x = u + t * v;
    // a proposal past 2^53 (32 sigma or more at sigma < 2^48, where the Gaussian puts less than
    // e^-500) is dropped: every returned value is exact, the tail beyond is cut
    if (!Number.isSafeInteger(x)) continue;
    const negative = w.next() & 1;
    if (negative === 1 && x === 0) continue;
    return negative === 1 ? -x : x;
  }
}

/**
 * @internal A sampler of the discrete Gaussian, P(x) proportional to exp(-x^2 / (2 sigma^2))
 * with sigma^2 = num / den exactly (CKS20 algorithm 3: a discrete Laplace proposal with
 * t = floor(sigma) + 1 and an exact Bernoulli(exp(-(|y| - sigma^2 / t)^2 / (2 sigma^2)))
 * acceptance). sigma must stay below 2^48 so every sample is a safe integer (the tail beyond
 * 2^53 is cut, a change of the distribution by less than e^-500).
 */
export function discreteGaussianSampler(rng: Rng, num: bigint, den: bigint): () => number {
  if (num <= 0n || den <= 0n) throw new RangeError('sampler: sigma^2 must be positive');
  let root = BigInt(Math.floor(Math.sqrt(Number(num) / Number(den))));
  while (root * root * den > num) root--;
  while ((root + 1n) * (root + 1n) * den <= num) root++;
  if (root >= 1n << 48n) throw new RangeError('sampler: sigma must be below 2^48');
  const t = Number(root) + 1;
  const w = new Words(rng);
  const tb = BigInt(t);
  const den2 = 2n * num * den * tb * tb;
  const small = den2 < 1n << 52n;
  const den2n = Number(den2);
  return () => {
    for (;;) {
      const y = laplace(w, t);
      const d = BigInt(Math.abs(y)) * tb * den - num;
      const dd = d * d;
      if (small && dd < 1n << 52n ? bernExpNum(w, Number(dd), den2n) : bernExpBig(w, dd, den2))
        return y;
    }
  };
}
