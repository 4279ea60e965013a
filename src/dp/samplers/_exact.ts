/**
 * The exact core under every sampler: a buffered source of 32-bit words, a lazily refined uniform
 * U in [0, 1), and exact comparisons of U with `r * exp(-gamma)` for rational r and gamma.
 *
 * Every decision a sampler makes is one of these comparisons. A fast path settles it with double
 * arithmetic when a rigorous error bound proves the answer (the probability that it cannot is
 * below about 2^-38 per comparison); otherwise the comparison is decided exactly with bigint
 * rationals, drawing more bits of U as needed. Both paths return the same answer for the same U,
 * so the output distribution is exactly the target distribution.
 *
 * The one assumption of the fast path: `Math.exp` and `Math.log` are accurate to a relative
 * error of 2^-40 (every engine's libm is within 1 ulp, that is 2^-52). `+ - * /` are IEEE
 * round-to-nearest by the language specification.
 * @module
 * @internal
 */
import { drawWords, type Rng } from '../../core/index.ts';

/**
 * @internal Test hook: `disableFastPath` makes every comparison take the exact bigint path, so
 * tests can check that both paths give the same samples from the same random words.
 */
export const __TEST: { disableFastPath: boolean } = { disableFastPath: false };

/** @internal A buffer of uniform 32-bit words refilled from an {@link Rng} in bulk. */
export class WordSource {
  private readonly rng: Rng;
  private readonly buf: Uint32Array;
  private pos: number;
  /**
   * @param rng - the generator
   * @param size - words per refill
   */
  constructor(rng: Rng, size: number) {
    this.rng = rng;
    this.buf = new Uint32Array(size);
    this.pos = size;
  }
  /** @returns the next uniform word in [0, 2^32) */
  next(): number {
    if (this.pos === this.buf.length) {
      drawWords(this.rng, this.buf.length, this.buf);
      this.pos = 0;
    }
    return this.buf[this.pos++] as number;
  }
  /** Zero the unused words (they are secret-derived randomness). */
  wipe(): void {
    this.buf.fill(0);
    this.pos = this.buf.length;
  }
}

/** @internal Words per refill for a draw of `count` samples. */
export function bufferWords(count: number): number {
  return Math.min(4096, Math.max(16, count * 8));
}

/** 2^-52 */
export const TWO_M52: number = 2 ** -52;
/** Relative error allowed for Math.exp / Math.log (generous: libms are within 2^-52). */
const LIBM_REL = 2 ** -40;
/** Absolute guard below which double results are not trusted (subnormals, underflow). */
const TINY = 2 ** -1000;

/**
 * @internal A uniform U in [0, 1) known to `52 + extraBits` bits: U lies in
 * [(hi * 2^extraBits + extra) / 2^(52 + extraBits), (... + 1) / 2^(52 + extraBits)).
 */
export class LazyUniform {
  hi = 0;
  extra = 0n;
  extraBits = 0;
  /** Draw a fresh U (52 bits from two words). */
  reset(src: WordSource): this {
    this.hi = (src.next() >>> 12) * 4294967296 + src.next();
    this.extra = 0n;
    this.extraBits = 0;
    return this;
  }
  /** Set U from a known 52-bit prefix (the caller drew the words). */
  set(hi: number): this {
    this.hi = hi;
    this.extra = 0n;
    this.extraBits = 0;
    return this;
  }
  /** Numerator A and bit count m with U in [A / 2^m, (A + 1) / 2^m). */
  bits(): [bigint, number] {
    return [(BigInt(this.hi) << BigInt(this.extraBits)) | this.extra, 52 + this.extraBits];
  }
  /** Learn 32 more bits of U. */
  refine(src: WordSource): void {
    this.extra = (this.extra << 32n) | BigInt(src.next());
    this.extraBits += 32;
  }
}

/** @internal An exact non-negative rational num/den (den > 0). */
export interface Rational {
  num: bigint;
  den: bigint;
}

/** @internal The exact rational value of a finite double. */
export function rationalOf(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`expected a finite number, got ${x}`);
  if (Number.isInteger(x)) return { num: BigInt(x), den: 1n };
  // x = m * 2^e exactly; scale by powers of two until integral (at most 1074 doublings)
  let den = 1n;
  let y = x;
  while (!Number.isInteger(y)) {
    y *= 2;
    den *= 2n;
  }
  return { num: BigInt(y), den };
}

/**
 * @internal Bounds on e^x for rational x = p/q >= 0 from the Taylor series with `terms` terms:
 * lower = sum_{k<=K} x^k/k!, upper = lower + 2 x^(K+1)/(K+1)! (valid when K + 2 >= 2x).
 * Returned as [lowNum, upperNum, den] with a common denominator.
 */
export function expBounds(p: bigint, q: bigint, terms: number): [bigint, bigint, bigint] {
  // Horner: 1 + x/1 (1 + x/2 (1 + ... (1 + x/K)))
  let n = 1n;
  let d = 1n;
  for (let k = terms; k >= 1; k--) {
    const kq = BigInt(k) * q;
    n = kq * d + p * n;
    d = kq * d;
  }
  // tail bound 2 p^(K+1) / (q^(K+1) (K+1)!) over the common denominator d = q^K K!
  const tailNum = 2n * p ** BigInt(terms + 1);
  const tailDen = q * BigInt(terms + 1);
  return [n * tailDen, n * tailDen + tailNum, d * tailDen];
}

/**
 * @internal Exactly decide U < r * exp(-gamma) for rationals r >= 0 and gamma (gamma may be
 * negative), refining U as needed. Terminates with probability 1.
 */
export function lessThanScaledExpExact(
  u: LazyUniform,
  src: WordSource,
  r: Rational,
  gamma: Rational,
): boolean {
  if (r.num === 0n) return false;
  const negative = gamma.num < 0n;
  const p = negative ? -gamma.num : gamma.num;
  const q = gamma.den;
  const xFloor = p / q;
  // r < 2^rBits
  const rBits = r.num.toString(2).length - r.den.toString(2).length + 1;
  // enough terms that the first bounds settle anything a double could (the fast path agrees)
  let terms = 32;
  if (xFloor < 1n << 20n) terms = Math.max(32, Math.ceil(3 * Number(xFloor)) + 46);
  for (;;) {
    if (!negative && xFloor >= BigInt(u.extraBits + 52 + rBits)) {
      // T = r e^-x < 2^rBits 2^-floor(x) <= 2^-m: any U with a non-zero prefix is above T
      if (u.bits()[0] > 0n) return false;
      u.refine(src);
      continue;
    }
    let tLoN: bigint;
    let tLoD: bigint;
    let tHiN: bigint;
    let tHiD: bigint;
    if (p === 0n) {
      tLoN = r.num;
      tLoD = r.den;
      tHiN = r.num;
      tHiD = r.den;
    } else {
      // the tail bound needs K + 2 >= 2x
      terms = Math.max(terms, 2 * Number(xFloor) + 4);
      const [lo, hi, den] = expBounds(p, q, terms);
      if (negative) {
        // T = r * e^x in [r lo/den, r hi/den]
        tLoN = r.num * lo;
        tLoD = r.den * den;
        tHiN = r.num * hi;
        tHiD = r.den * den;
      } else {
        // T = r / e^x in [r den/hi, r den/lo]
        tLoN = r.num * den;
        tLoD = r.den * hi;
        tHiN = r.num * den;
        tHiD = r.den * lo;
      }
    }
    const [a, m] = u.bits();
    const scale = 1n << BigInt(m);
    // U < (a+1)/2^m <= T_lo  => U < T
    if ((a + 1n) * tLoD <= tLoN * scale) return true;
    // U >= a/2^m >= T_hi  => U >= T
    if (a * tHiD >= tHiN * scale) return false;
    u.refine(src);
    terms *= 2;
  }
}

/** @internal Exactly decide U < exp(-gamma) for rational gamma >= 0. */
export function lessThanExpExact(u: LazyUniform, src: WordSource, gamma: Rational): boolean {
  return lessThanScaledExpExact(u, src, ONE, gamma);
}

/** @internal The rational 1. */
export const ONE: Rational = Object.freeze({ num: 1n, den: 1n });

/**
 * @internal Fast decision of U < exp(-gammaApprox) for U's 52-bit prefix `hi`, when the true
 * gamma is within `gammaErr` of `gammaApprox`. Returns 1 (less), 0 (not less) or -1 (undecided:
 * call the exact path).
 */
export function lessThanExpFast(hi: number, gammaApprox: number, gammaErr: number): number {
  if (gammaErr > 1e-3 || __TEST.disableFastPath) return -1;
  const p = Math.exp(-gammaApprox);
  const eta = gammaErr * 1.002 + LIBM_REL;
  const lo = p * (1 - eta) - TINY;
  const up = p * (1 + eta) + TINY;
  if ((hi + 1) * TWO_M52 <= lo) return 1;
  if (hi * TWO_M52 >= up) return 0;
  return -1;
}

/**
 * @internal floor(-scale * ln U) for U with 52-bit prefix `hi`, when the double computation
 * provably gives it; -1 when it cannot (call the exact path). `scale` must be exact as given.
 */
export function floorNegScaledLogFast(hi: number, scale: number): number {
  if (hi === 0 || __TEST.disableFastPath) return -1;
  const y = -scale * Math.log((hi + 0.5) * TWO_M52);
  // |ln U - ln(mid)| <= 0.5 * 2^-52 / U_lo = 0.5 / hi; plus libm and rounding error
  const err = (scale * 0.5 * 1.001) / hi + y * 2 ** -39 + scale * 2 ** -60;
  const k = Math.floor(y - err);
  if (k !== Math.floor(y + err) || k < 0) return -1;
  return k;
}

/**
 * @internal Exactly floor(-ln(U) / gammaUnit) where gammaUnit = 1/scale is rational: the k with
 * exp(-(k+1) gammaUnit) < U <= exp(-k gammaUnit). `guess` is a starting point.
 */
export function floorNegScaledLogExact(
  u: LazyUniform,
  src: WordSource,
  unit: Rational,
  guess: number,
): number {
  let k = Math.max(0, guess);
  for (;;) {
    if (!lessThanExpExact(u, src, { num: unit.num * BigInt(k), den: unit.den })) {
      // U >= e^{-k unit}: the answer is below k (k > 0 here since U < 1 = e^0)
      k--;
      continue;
    }
    if (lessThanExpExact(u, src, { num: unit.num * BigInt(k + 1), den: unit.den })) {
      k++;
      continue;
    }
    return k;
  }
}
