import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitPowerLaw, relativeSpread, summarize } from '../../../src/bench/stats.ts';
import { deterministicRngForTesting, drawWords } from '../../../src/core/index.ts';

describe('summarize', () => {
  it('gives the median, quartiles and range (linear interpolation)', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ median: 3, q1: 2, q3: 4, min: 1, max: 5, n: 5 });
    expect(s.samples).toEqual([5, 1, 4, 2, 3]);
    expect(summarize([1, 2, 3, 4])).toMatchObject({ median: 2.5, q1: 1.75, q3: 3.25 });
    expect(relativeSpread(summarize([1, 2, 3, 4]))).toBeCloseTo(1.5 / 2.5, 12);
    expect(relativeSpread(summarize([7]))).toBe(0);
  });
  it('rejects no samples and non-finite samples', () => {
    expect(() => summarize([])).toThrow(RangeError);
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
    expect(() => summarize([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});

describe('fitPowerLaw', () => {
  it('recovers the exponent and coefficient of an exact power law', () => {
    const xs = [100, 300, 1000, 3000, 10000];
    const f = fitPowerLaw(
      xs,
      xs.map((x) => 3e-6 * x ** 2),
    );
    expect(f.exponent).toBeCloseTo(2, 10);
    expect(f.coefficient).toBeCloseTo(3e-6, 15);
    expect(f.r2).toBeCloseTo(1, 12);
    expect(f.points).toBe(5);
  });
  it('is exact for any exponent and scale (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (k, c) => {
          const xs = [1e3, 1e4, 1e5, 1e6];
          const f = fitPowerLaw(
            xs,
            xs.map((x) => c * x ** k),
          );
          expect(f.exponent).toBeCloseTo(k, 8);
        },
      ),
    );
  });
  it('fits the least-squares slope of noisy data: a known answer', () => {
    // log-log points (0,0), (1,1), (2,3): slope 1.5, intercept -1/6, r^2 = 0.9642857...
    const e = Math.E;
    const f = fitPowerLaw([1, e, e * e], [1, e, e ** 3]);
    expect(f.exponent).toBeCloseTo(1.5, 12);
    expect(Math.log(f.coefficient)).toBeCloseTo(-1 / 6, 12);
    expect(f.r2).toBeCloseTo(27 / 28, 12);
  });
  it('averages out multiplicative noise around the true exponent', () => {
    const rng = deterministicRngForTesting(new Uint8Array(32).fill(9));
    const xs = Array.from({ length: 40 }, (_, i) => 10 * 1.2 ** i);
    const noise = drawWords(rng, xs.length);
    const ys = xs.map((x, i) => x ** 1.3 * (0.9 + ((noise[i] as number) / 2 ** 32) * 0.2));
    expect(fitPowerLaw(xs, ys).exponent).toBeCloseTo(1.3, 1);
  });
  it('gives exponent 0 for a constant', () => {
    expect(fitPowerLaw([1, 10, 100], [5, 5, 5])).toMatchObject({ exponent: 0, r2: 1 });
  });
  it('rejects bad input', () => {
    expect(() => fitPowerLaw([1, 2], [1])).toThrow(RangeError);
    expect(() => fitPowerLaw([1, 1], [1, 2])).toThrow(RangeError);
    expect(() => fitPowerLaw([0, 2], [1, 2])).toThrow(RangeError);
    expect(() => fitPowerLaw([1, 2], [-1, 2])).toThrow(RangeError);
    expect(() => fitPowerLaw([1, Number.NaN], [1, 2])).toThrow(RangeError);
  });
});
