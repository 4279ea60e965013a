/**
 * The exact discrete Gaussian used for noise flooding matches its probability mass function
 * (chi-square, alpha about 1e-6), and at flooding sizes its variance is sigma^2.
 */
import { describe, expect, it } from 'vitest';
import { discreteGaussianSampler } from '../../../src/dp/index.ts';
import { randomBytes } from '../../../src/index.ts';
import { chiSquareCritical1e6, Z_1E6 } from '../../helpers/stats.ts';

describe('discrete Gaussian (CKS20) for flooding', () => {
  it('sigma = 3: counts match exp(-x^2 / 18) / Z', () => {
    const n = 200_000;
    const sigma = 3;
    const counts = new Map<number, number>();
    const sample = discreteGaussianSampler(randomBytes, 9n, 1n);
    for (let i = 0; i < n; i++) {
      const x = sample();
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    let z = 0;
    for (let x = -60; x <= 60; x++) z += Math.exp(-(x * x) / (2 * sigma * sigma));
    let chi = 0;
    let df = 0;
    let tail = 0;
    let tailExpected = 0;
    for (let x = -60; x <= 60; x++) {
      const expected = (n * Math.exp(-(x * x) / (2 * sigma * sigma))) / z;
      const observed = counts.get(x) ?? 0;
      if (expected < 20) {
        tail += observed;
        tailExpected += expected;
        continue;
      }
      chi += (observed - expected) ** 2 / expected;
      df++;
    }
    chi += (tail - tailExpected) ** 2 / tailExpected;
    expect(chi).toBeLessThan(chiSquareCritical1e6(df));
  });

  it('sigma^2 = 10.24 (SEAL key error, rational): mean 0 and variance 10.24', () => {
    const n = 400_000;
    const sample = discreteGaussianSampler(randomBytes, 256n, 25n);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = sample();
      sum += x;
      sq += x * x;
    }
    const v = 256 / 25;
    expect(Math.abs(sum / n)).toBeLessThan((Z_1E6 * Math.sqrt(v)) / Math.sqrt(n));
    expect(Math.abs(sq / n - v)).toBeLessThan((Z_1E6 * Math.SQRT2 * v) / Math.sqrt(n));
  });

  it('sigma = 2^20: mean 0 and variance sigma^2', () => {
    const n = 40_000;
    const sigma = 2 ** 20;
    let sum = 0;
    let sq = 0;
    const sample = discreteGaussianSampler(randomBytes, BigInt(sigma) ** 2n, 1n);
    for (let i = 0; i < n; i++) {
      const x = sample();
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan((Z_1E6 * sigma) / Math.sqrt(n));
    // variance estimate: sd of x^2 is sqrt(2) sigma^2 for a Gaussian
    expect(Math.abs(sq / n - sigma * sigma)).toBeLessThan(
      (Z_1E6 * Math.SQRT2 * sigma * sigma) / Math.sqrt(n),
    );
  });

  it('sigma = 2^44 (flooding widths, bigint path): mean 0 and variance sigma^2; sigma >= 2^48 refused', () => {
    const n = 20_000;
    const sigma = 2 ** 44;
    let sum = 0;
    let sq = 0;
    const sample = discreteGaussianSampler(randomBytes, BigInt(sigma) ** 2n, 1n);
    for (let i = 0; i < n; i++) {
      const x = sample();
      expect(Number.isSafeInteger(x)).toBe(true);
      sum += x;
      sq += (x / sigma) ** 2;
    }
    expect(Math.abs(sum / n)).toBeLessThan((Z_1E6 * sigma) / Math.sqrt(n));
    expect(Math.abs(sq / n - 1)).toBeLessThan((Z_1E6 * Math.SQRT2) / Math.sqrt(n));
    expect(() => discreteGaussianSampler(randomBytes, 2n ** 96n, 1n)).toThrow(RangeError);
  });
});
