/**
 * Special functions in doubles for the accountants: erfc and log erfc (series below 2,
 * continued fraction above, about 1e-15 relative), the normal cdf, and log-space sums.
 * @module
 * @internal
 */

const SQRT_PI = Math.sqrt(Math.PI);
const LOG_SQRT_PI = Math.log(SQRT_PI);

/** erf(x) for 0 <= x <= 3 by the positive series 2x/sqrt(pi) e^-x^2 sum (2x^2)^n / (2n+1)!!. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return ((2 * x) / SQRT_PI) * Math.exp(-x2) * sum;
}

/**
 * The continued fraction K(x) with erfc(x) = e^-x^2 / sqrt(pi) * K(x), for x >= 2 (modified
 * Lentz): K = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
 */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return 1 / f;
}

/** Below this the series (and 1 - erf) is used, above it the continued fraction. */
const SPLIT = 1.25;

/** e^(-x^2) without the rounding of x*x: x = hi + lo with hi^2 exact. */
function expMinusSquare(x: number): number {
  const hi = Math.round(x * 4096) / 4096;
  const lo = x - hi;
  return Math.exp(-hi * hi) * Math.exp(-(2 * hi + lo) * lo);
}

/** @internal erfc(x) for any finite x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < SPLIT) return 1 - erfSeries(x);
  if (x > 27.3) return 0;
  return (expMinusSquare(x) / SQRT_PI) * erfcFraction(x);
}

/** @internal ln(erfc(x)), accurate far into the upper tail. */
export function logErfc(x: number): number {
  if (x < SPLIT) return Math.log(erfc(x));
  const hi = Math.round(x * 4096) / 4096;
  const lo = x - hi;
  return -hi * hi - (2 * hi + lo) * lo - LOG_SQRT_PI + Math.log(erfcFraction(x));
}

/** @internal The standard normal cdf Phi(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** @internal ln(Phi(x)). */
export function logNormalCdf(x: number): number {
  return Math.log(0.5) + logErfc(-x / Math.SQRT2);
}

/** @internal ln(e^a + e^b). */
export function logAdd(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (lo === Number.NEGATIVE_INFINITY) return hi;
  return Math.log1p(Math.exp(lo - hi)) + hi;
}

/** @internal ln(e^a - e^b) for a >= b. */
export function logSub(a: number, b: number): number {
  if (a < b) throw new RangeError('logSub: the result would be negative');
  if (b === Number.NEGATIVE_INFINITY) return a;
  if (a === b) return Number.NEGATIVE_INFINITY;
  const d = a - b;
  if (d > 700) return a;
  return Math.log(Math.expm1(d)) + b;
}

/**
 * @internal Bisection for the boundary of a monotone predicate on [lo, hi]: returns the
 * endpoints after `iterations` halvings, with pred(lo) false and pred(hi) true maintained.
 */
export function bisect(
  pred: (x: number) => boolean,
  lo: number,
  hi: number,
  iterations = 200,
): [number, number] {
  for (let i = 0; i < iterations; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (pred(mid)) hi = mid;
    else lo = mid;
  }
  return [lo, hi];
}
