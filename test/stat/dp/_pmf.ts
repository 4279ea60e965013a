/**
 * Exact pmfs (in doubles, for testing) and a binned chi-square goodness-of-fit test at alpha
 * about 1e-6 for the samplers in privagg/dp.
 */
import { chiSquareCritical1e6 } from '../../helpers/stats.ts';

/** A pmf on integers in [lo, hi] (mass outside is negligible, below 1e-15). */
export interface Pmf {
  lo: number;
  hi: number;
  p(k: number): number;
}

function lnFact(n: number): number {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log(i);
  return s;
}

export function discreteGaussianPmf(sigma2: number): Pmf {
  const sigma = Math.sqrt(sigma2);
  const r = Math.ceil(12 * sigma) + 3;
  let z = 0;
  for (let x = -r; x <= r; x++) z += Math.exp((-x * x) / (2 * sigma2));
  return { lo: -r, hi: r, p: (x) => Math.exp((-x * x) / (2 * sigma2)) / z };
}

export function discreteLaplacePmf(scale: number): Pmf {
  const q = Math.exp(-1 / scale);
  const r = Math.ceil(40 * scale) + 3;
  return { lo: -r, hi: r, p: (x) => ((1 - q) / (1 + q)) * q ** Math.abs(x) };
}

export function geometricPmf(scale: number): Pmf {
  const q = Math.exp(-1 / scale);
  return { lo: 0, hi: Math.ceil(40 * scale) + 3, p: (k) => (1 - q) * q ** k };
}

export function poissonPmf(lambda: number): Pmf {
  const sd = Math.sqrt(lambda);
  const lo = Math.max(0, Math.floor(lambda - 12 * sd - 5));
  const hi = Math.ceil(lambda + 12 * sd + 20);
  const base = lnFact(lo);
  const table = new Float64Array(hi - lo + 1);
  let lf = base;
  for (let k = lo; k <= hi; k++) {
    if (k > lo) lf += Math.log(k);
    table[k - lo] = Math.exp(k * Math.log(lambda) - lambda - lf);
  }
  return { lo, hi, p: (k) => (k < lo || k > hi ? 0 : (table[k - lo] as number)) };
}

export function skellamPmf(mu: number): Pmf {
  const po = poissonPmf(mu);
  const r = po.hi - po.lo;
  return {
    lo: -r,
    hi: r,
    p: (x) => {
      let s = 0;
      for (let k = po.lo; k <= po.hi; k++) s += po.p(k) * po.p(k - x);
      return s;
    },
  };
}

export function binomialPmf(n: number, p: number): Pmf {
  const table = new Float64Array(n + 1);
  const lnN = lnFact(n);
  let lk = 0;
  const facts = new Float64Array(n + 1);
  for (let k = 0; k <= n; k++) {
    if (k > 0) lk += Math.log(k);
    facts[k] = lk;
  }
  for (let k = 0; k <= n; k++)
    table[k] = Math.exp(
      lnN -
        (facts[k] as number) -
        (facts[n - k] as number) +
        k * Math.log(p) +
        (n - k) * Math.log1p(-p),
    );
  return { lo: 0, hi: n, p: (k) => (k < 0 || k > n ? 0 : (table[k] as number)) };
}

/**
 * Chi-square goodness of fit of integer samples to `pmf`: bins of the support with expected
 * count >= 20 (tails merged), returns the statistic, degrees of freedom and the critical value.
 */
export function chiSquareFit(
  samples: ArrayLike<number>,
  pmf: Pmf,
): { chi: number; df: number; critical: number } {
  const n = samples.length;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const x = samples[i] as number;
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  // bins: consecutive runs of support points whose expected count reaches 20
  const bins: { exp: number; obs: number }[] = [];
  let exp = 0;
  let obs = 0;
  // everything below lo goes into the first bin, above hi into the last
  for (const [x, c] of counts) if (x < pmf.lo) obs += c;
  for (let k = pmf.lo; k <= pmf.hi; k++) {
    exp += n * pmf.p(k);
    obs += counts.get(k) ?? 0;
    if (exp >= 20) {
      bins.push({ exp, obs });
      exp = 0;
      obs = 0;
    }
  }
  for (const [x, c] of counts) if (x > pmf.hi) obs += c;
  const last = bins.at(-1);
  if (last !== undefined) {
    last.exp += exp;
    last.obs += obs;
  } else bins.push({ exp, obs });
  let chi = 0;
  for (const b of bins) chi += (b.obs - b.exp) ** 2 / b.exp;
  const df = Math.max(1, bins.length - 1);
  return { chi, df, critical: chiSquareCritical1e6(df) };
}
