/**
 * Exact Poisson, Skellam and binomial samplers by rejection from a discrete Laplace envelope.
 *
 * Both pmfs are log-concave, so with m the mode and L(k) = ln f(k) - ln f(m) <= 0, the chord
 * from (m, 0) through (m +- j0, L(m +- j0)) bounds L beyond j0: L(m + j) <= -a (|j| - j0) for
 * every j, with a no larger than either chord's slope. The proposal is m + (discrete Laplace with
 * scale 1/a) and a proposal j is accepted when U < f(m + j) / f(m) * exp(a (|j| - j0)); the ratio
 * f(k) / f(m) is rational (lambda^(k-m) m!/k! and its binomial analogue), so the test is one
 * exact comparison of U with r * exp(-gamma). The envelope shape is chosen in doubles (any
 * smaller `a` stays valid, and a 0.1% margin covers rounding); acceptance is decided exactly.
 * @module
 */
import { aInteger, aNumberInRange, randomBytes, type Rng } from '../../core/index.ts';
import {
  bufferWords,
  LazyUniform,
  lessThanExpFast,
  lessThanScaledExpExact,
  type Rational,
  rationalOf,
  WordSource,
} from './_exact.ts';
import { aCountRng, aRational, type RationalInput } from './_params.ts';
import { overflow } from './bernoulli.ts';
import { laplaceOne } from './discrete.ts';

/** Largest Poisson mean (and Skellam parameter). */
export const MAX_POISSON_MEAN: number = 2 ** 30;

const LN_FACT_TABLE = (() => {
  const t = new Float64Array(64);
  for (let i = 2; i < 64; i++) t[i] = (t[i - 1] as number) + Math.log(i);
  return t;
})();

/** @internal ln(n!) in doubles (table below 64, Stirling series above; error below 1e-12 + rounding). */
export function lnFactorial(n: number): number {
  if (n < 64) return LN_FACT_TABLE[n] as number;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return (
    n * Math.log(n) -
    n +
    0.5 * Math.log(2 * Math.PI * n) +
    inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
  );
}

/** The error magnitude of the last {@link lnFactorialRatio} call (sum of |terms|). */
let lastMagnitude = 0;

function stirlingTail(n: number): number {
  const inv = 1 / n;
  const inv2 = inv * inv;
  return inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)));
}

/**
 * @internal ln(k!/m!) in doubles without the cancellation of subtracting two large ln(n!),
 * setting `lastMagnitude` to a bound on the size of the terms (for the rounding error bound).
 */
export function lnFactorialRatio(k: number, m: number): number {
  if (k < 64 || m < 64) {
    const a = lnFactorial(k);
    const b = lnFactorial(m);
    lastMagnitude = a + b + 1;
    return a - b;
  }
  const j = k - m;
  // (k+1/2) ln k - (m+1/2) ln m - j + S(k) - S(m), with the first difference as
  // (m + 1/2) log1p(j/m) + j ln k
  const t1 = (m + 0.5) * Math.log1p(j / m);
  const t2 = j * Math.log(k);
  lastMagnitude = Math.abs(t1) + Math.abs(t2) + Math.abs(j) + 1;
  return t1 + t2 - j + (stirlingTail(k) - stirlingTail(m));
}

/** A log-concave integer pmf: its mode, support and exact/approximate ratios f(k)/f(mode). */
interface LogConcave {
  mode: number;
  lo: number;
  hi: number;
  /** ln(f(k)/f(mode)) in doubles; sets `err` to a bound on its error. */
  logRatio(k: number): number;
  err: number;
  /** f(k)/f(mode) exactly. */
  ratio(k: number): Rational;
}

interface Envelope {
  scale: number;
  unit: Rational;
  aExact: Rational;
  a: number;
  j0: number;
}

/** Choose the Laplace envelope (scale = 1/a and offset j0) for a log-concave pmf. */
function envelope(f: LogConcave, spread: number): Envelope {
  const candidates: { j0: number; a: number; mass: number }[] = [];
  // j0 = 2 covers a tie between the mode and a neighbour (integer lambda), where j0 = 1 fails
  for (const j0 of new Set([1, 2, Math.max(1, Math.round(spread))])) {
    let a = Number.POSITIVE_INFINITY;
    if (f.mode + j0 <= f.hi) a = Math.min(a, -f.logRatio(f.mode + j0) / j0);
    if (f.mode - j0 >= f.lo) a = Math.min(a, -f.logRatio(f.mode - j0) / j0);
    if (!Number.isFinite(a)) a = 1; // no support beyond j0 on either side: any slope works
    if (!(a > 1e-9)) continue;
    // j0 = 1: the chord already bounds every |j| >= 1, so no shift is needed
    const shift = j0 === 1 ? 0 : j0;
    const q = Math.exp(-a);
    candidates.push({ j0: shift, a, mass: (Math.exp(a * shift) * (1 + q)) / (1 - q) });
  }
  candidates.sort((x, y) => x.mass - y.mass);
  const best = candidates[0] as { j0: number; a: number };
  // a 0.1% smaller slope absorbs the rounding of logRatio; the scale is the exact double used
  const scale = Math.min(1 / (best.a * 0.999), 2 ** 40);
  const s = rationalOf(scale);
  return {
    scale,
    unit: { num: s.den, den: s.num },
    aExact: { num: s.den, den: s.num },
    a: 1 / scale,
    j0: best.j0,
  };
}

function sampleLogConcave(f: LogConcave, env: Envelope, src: WordSource, u: LazyUniform): number {
  for (;;) {
    const j = laplaceOne(src, u, env.scale, env.unit);
    const k = f.mode + j;
    if (k < f.lo || k > f.hi) continue;
    const aj = j < 0 ? -j : j;
    // accept when U < ratio(k) * exp(a (|j| - j0)) = exp(-(-(L(k) + a (|j| - j0))))
    const g = -(f.logRatio(k) + env.a * (aj - env.j0));
    const err = f.err + Math.abs(env.a * (aj - env.j0)) * 2 ** -50;
    const hi = (src.next() >>> 12) * 4294967296 + src.next();
    let r = lessThanExpFast(hi, g, err);
    if (r < 0) {
      const gamma: Rational = { num: -env.aExact.num * BigInt(aj - env.j0), den: env.aExact.den };
      r = lessThanScaledExpExact(u.set(hi), src, f.ratio(k), gamma) ? 1 : 0;
    }
    if (r === 1) return k;
  }
}

function productRange(from: number, to: number): bigint {
  // (from+1)(from+2)...to for from <= to
  let p = 1n;
  for (let i = from + 1; i <= to; i++) p *= BigInt(i);
  return p;
}

function poissonPmf(lambda: number): LogConcave {
  const mode = Math.floor(lambda);
  const lnL = Math.log(lambda);
  const lam = rationalOf(lambda);
  const f: LogConcave = {
    mode,
    lo: 0,
    hi: Number.MAX_SAFE_INTEGER,
    err: 0,
    logRatio: (k) => {
      const a = (k - mode) * lnL;
      const v = a - lnFactorialRatio(k, mode);
      f.err = 2 ** -40 * (Math.abs(a) + lastMagnitude) + 1e-12;
      return v;
    },
    ratio: (k) => {
      const e = BigInt(Math.abs(k - mode));
      // lambda^(k-m) m!/k!
      if (k >= mode) return { num: lam.num ** e, den: lam.den ** e * productRange(mode, k) };
      return { num: lam.den ** e * productRange(k, mode), den: lam.num ** e };
    },
  };
  return f;
}

/**
 * Draw `count` exact Poisson(lambda) samples.
 *
 * @param lambda - the mean, a double in (0, 2^30] (read exactly)
 * @param count - how many samples, a safe integer in [0, 2^30]
 * @param rng - the randomness source (CSPRNG by default)
 * @returns an `Int32Array` of samples
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when `lambda` or `count` is out of range
 * @remarks
 * **Runtime**: rejection from a discrete Laplace envelope around the mode; the expected number
 * of proposals is below 2.7 for every lambda. Time varies with the number of rejections (random,
 * independent of the accepted value) and, rarely, with an exact bigint acceptance test near the
 * acceptance boundary.
 * @example
 * ```ts
 * import { samplePoisson } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const x = samplePoisson(4, 100_000, deterministicRngForTesting(new Uint8Array(32)));
 * const mean = x.reduce((a, b) => a + b, 0) / x.length;
 * console.log(Math.abs(mean - 4) < 0.05); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function samplePoisson(lambda: number, count: number, rng: Rng = randomBytes): Int32Array {
  aNumberInRange('lambda', lambda, 0, MAX_POISSON_MEAN, { min: true });
  aCountRng(count, rng);
  const f = poissonPmf(lambda);
  const env = envelope(f, Math.sqrt(lambda));
  const out = new Int32Array(count);
  const src = new WordSource(rng, bufferWords(count));
  const u = new LazyUniform();
  for (let i = 0; i < count; i++) {
    const k = sampleLogConcave(f, env, src, u);
    if (k > 2147483647) throw overflow('samplePoisson');
    out[i] = k;
  }
  src.wipe();
  return out;
}

/**
 * Draw `count` exact Skellam samples: the difference of two independent Poisson(mu) variables
 * (mean 0, variance 2 mu), the noise of the Skellam mechanism.
 *
 * @param mu - the Poisson mean of each side, a double in (0, 2^30] (read exactly)
 * @param count - how many samples, a safe integer in [0, 2^30]
 * @param rng - the randomness source (CSPRNG by default)
 * @returns an `Int32Array` of samples
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when `mu` or `count` is out of range
 * @remarks
 * **Privacy guarantee**: see {@link skellamRdp}. **Runtime**: two Poisson draws per sample.
 * **Citations**: Agarwal, Kairouz, Liu, "The Skellam Mechanism for Differentially Private
 * Federated Learning" (NeurIPS 2021).
 * @example
 * ```ts
 * import { sampleSkellam } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const x = sampleSkellam(50, 100_000, deterministicRngForTesting(new Uint8Array(32)));
 * const variance = x.reduce((a, b) => a + b * b, 0) / x.length;
 * console.log(Math.abs(variance - 100) < 2); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function sampleSkellam(mu: number, count: number, rng: Rng = randomBytes): Int32Array {
  aNumberInRange('mu', mu, 0, MAX_POISSON_MEAN, { min: true });
  aCountRng(count, rng);
  const f = poissonPmf(mu);
  const env = envelope(f, Math.sqrt(mu));
  const out = new Int32Array(count);
  const src = new WordSource(rng, bufferWords(count * 2));
  const u = new LazyUniform();
  for (let i = 0; i < count; i++)
    out[i] = sampleLogConcave(f, env, src, u) - sampleLogConcave(f, env, src, u);
  src.wipe();
  return out;
}

/**
 * Draw `count` exact binomial(trials, p) samples for a rational p.
 *
 * @param trials - the number of trials, a safe integer in [0, 2^30]
 * @param p - the success probability in [0, 1]: a double (its exact value) or `{ numerator, denominator }`
 * @param count - how many samples, a safe integer in [0, 2^30]
 * @param rng - the randomness source (CSPRNG by default)
 * @returns an `Int32Array` of samples
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when an argument is out of range
 * @remarks
 * **Runtime**: rejection from a discrete Laplace envelope around the mode, O(1) expected
 * proposals for every `trials` and `p`.
 * @example
 * ```ts
 * import { sampleBinomial } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const x = sampleBinomial(100, 0.25, 50_000, deterministicRngForTesting(new Uint8Array(32)));
 * const mean = x.reduce((a, b) => a + b, 0) / x.length;
 * console.log(Math.abs(mean - 25) < 0.1); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function sampleBinomial(
  trials: number,
  p: RationalInput,
  count: number,
  rng: Rng = randomBytes,
): Int32Array {
  aInteger('trials', trials, 0, 2 ** 30);
  const { exact, approx } = aRational('p', p, 0, 1);
  aCountRng(count, rng);
  const out = new Int32Array(count);
  if (exact.num === 0n || trials === 0) return out;
  if (exact.num === exact.den) return out.fill(trials);
  const n = trials;
  const P = exact.num;
  const Q = exact.den - exact.num; // odds p/(1-p) = P/Q
  const mode = Math.min(n, Math.floor((n + 1) * approx));
  const lnOdds = Math.log(approx) - Math.log1p(-approx);
  const f: LogConcave = {
    mode,
    lo: 0,
    hi: n,
    err: 0,
    logRatio: (k) => {
      const a = (k - mode) * lnOdds;
      const b = lnFactorialRatio(k, mode);
      const m1 = lastMagnitude;
      const c = lnFactorialRatio(n - k, n - mode);
      // lnOdds itself is within 2^-40 relative of ln(p/(1-p))
      f.err = 2 ** -40 * (2 * Math.abs(a) + m1 + lastMagnitude) + 1e-12;
      return a - b - c;
    },
    ratio: (k) => {
      const e = BigInt(Math.abs(k - mode));
      // m!(n-m)! / (k!(n-k)!) * (P/Q)^(k-m)
      if (k >= mode)
        return { num: P ** e * productRange(n - k, n - mode), den: Q ** e * productRange(mode, k) };
      return { num: Q ** e * productRange(k, mode), den: P ** e * productRange(n - mode, n - k) };
    },
  };
  const env = envelope(f, Math.sqrt(n * approx * (1 - approx)));
  const src = new WordSource(rng, bufferWords(count));
  const u = new LazyUniform();
  for (let i = 0; i < count; i++) out[i] = sampleLogConcave(f, env, src, u);
  src.wipe();
  return out;
}
