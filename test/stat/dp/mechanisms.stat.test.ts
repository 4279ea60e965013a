/**
 * Mechanisms' output distributions (alpha about 1e-6, fixed seeds) with power checks: KS for the
 * float Laplace and Gaussian mechanisms, chi-square for permute-and-flip against its exact
 * distribution, a z-test for randomized response.
 */
import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting } from '../../../src/core/index.ts';
import {
  makeGaussian,
  makeLaplace,
  makePermuteAndFlip,
  makeRandomizedResponse,
} from '../../../src/dp/index.ts';
import { erfc } from '../../../src/dp/accountants/_math.ts';
import { Z_1E6 } from '../../helpers/stats.ts';
import { chiSquareFit } from './_pmf.ts';

const seed = (i: number) => deterministicRngForTesting(new Uint8Array(32).fill(i));

/** KS statistic of samples against a continuous cdf; critical value at alpha 1e-6. */
function ks(samples: Float64Array, cdf: (x: number) => number): { d: number; critical: number } {
  const s = Float64Array.from(samples).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i] as number);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return { d, critical: Math.sqrt(-Math.log(1e-6 / 2) / (2 * n)) };
}

const laplaceCdf = (b: number) => (x: number) =>
  x < 0 ? 0.5 * Math.exp(x / b) : 1 - 0.5 * Math.exp(-x / b);
const normalCdf = (s: number) => (x: number) => 0.5 * erfc(-x / (s * Math.SQRT2));

describe('float mechanisms match the continuous distributions (KS, alpha 1e-6)', () => {
  const n = 200_000;
  it('makeLaplace(scale 2.5); scale x1.1 is rejected', () => {
    const noise = (scale: number, i: number) =>
      makeLaplace({ scale, dimension: n }, seed(i)).invoke(new Float64Array(n));
    const ok = ks(noise(2.5, 1), laplaceCdf(2.5));
    expect(ok.d).toBeLessThan(ok.critical);
    const off = ks(noise(2.75, 2), laplaceCdf(2.5));
    expect(off.d).toBeGreaterThan(off.critical);
  });
  it('makeGaussian(sigma 3); sigma x1.1 is rejected', () => {
    const noise = (scale: number, i: number) =>
      makeGaussian({ scale, dimension: n }, seed(i)).invoke(new Float64Array(n));
    const ok = ks(noise(3, 3), normalCdf(3));
    expect(ok.d).toBeLessThan(ok.critical);
    const off = ks(noise(3.3, 4), normalCdf(3));
    expect(off.d).toBeGreaterThan(off.critical);
  });
});

describe('selection and randomized response', () => {
  /** Exact permute-and-flip distribution by enumerating permutations. */
  function pfExact(scores: number[], scale: number): number[] {
    const best = Math.max(...scores);
    const p = scores.map((q) => Math.exp(-(best - q) / scale));
    const out = scores.map(() => 0);
    const perms = (a: number[]): number[][] =>
      a.length <= 1
        ? [a]
        : a.flatMap((x, i) => perms([...a.slice(0, i), ...a.slice(i + 1)]).map((r) => [x, ...r]));
    const all = perms(scores.map((_, i) => i));
    for (const perm of all) {
      let reach = 1;
      for (const r of perm) {
        out[r] = (out[r] as number) + (reach * (p[r] as number)) / all.length;
        reach *= 1 - (p[r] as number);
      }
    }
    return out;
  }
  it('permute-and-flip matches its exact distribution (chi-square); scale x1.1 is rejected', () => {
    const scores = [0, 0.5, 1.25, 2];
    const exact = pfExact(scores, 1);
    const pmf = { lo: 0, hi: 3, p: (k: number) => exact[k] ?? 0 };
    const draw = (scale: number, i: number) => {
      const m = makePermuteAndFlip({ scale }, seed(i));
      return Array.from({ length: 300_000 }, () => m.invoke(scores));
    };
    const fit = chiSquareFit(draw(1, 5), pmf);
    expect(fit.chi).toBeLessThan(fit.critical);
    const off = chiSquareFit(draw(1.1, 6), pmf);
    expect(off.chi).toBeGreaterThan(off.critical);
  });
  it('randomized response reports the truth with probability p', () => {
    const n = 400_000;
    const rr = makeRandomizedResponse({ probability: 0.7, categories: 3 }, seed(8));
    let truth = 0;
    for (let i = 0; i < n; i++) truth += rr.invoke(1) === 1 ? 1 : 0;
    const z = (truth - n * 0.7) / Math.sqrt(n * 0.21);
    expect(Math.abs(z)).toBeLessThan(Z_1E6);
  });
});
