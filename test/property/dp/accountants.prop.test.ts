/** Laws of the accountants: monotonicity, additivity of RDP composition, round trips. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyticGaussianSigma,
  gaussianDelta,
  RdpAccountant,
  zcdpToDelta,
  zcdpToEpsilon,
} from '../../../src/dp/index.ts';

const ORDERS = [1.5, 2, 3, 4.5, 8, 16, 32, 64];
const noise = fc.double({ min: 0.5, max: 8, noNaN: true });
const rate = fc.double({ min: 1e-4, max: 1, noNaN: true });
const steps = fc.integer({ min: 1, max: 10_000 });
const eps = (z: number, q: number, n: number) =>
  new RdpAccountant(ORDERS)
    .subsampledGaussian({ noiseMultiplier: z, samplingRate: q, steps: n })
    .epsilon(1e-6).epsilon;

describe('RdpAccountant laws', () => {
  it('epsilon is monotone: up in steps and sampling rate, down in noise', () => {
    fc.assert(
      fc.property(noise, rate, steps, (z, q, n) => {
        const e = eps(z, q, n);
        expect(eps(z, q, n + 1)).toBeGreaterThanOrEqual(e * (1 - 1e-12));
        expect(eps(z, Math.min(1, q * 1.5), n)).toBeGreaterThanOrEqual(e * (1 - 1e-9));
        expect(eps(z * 1.25, q, n)).toBeLessThanOrEqual(e * (1 + 1e-9));
      }),
      { numRuns: 30 },
    );
  });
  it('composition is additive in RDP', () => {
    fc.assert(
      fc.property(noise, rate, steps, noise, steps, (z1, q, n1, z2, n2) => {
        const a = new RdpAccountant(ORDERS).subsampledGaussian({
          noiseMultiplier: z1,
          samplingRate: q,
          steps: n1,
        });
        const b = new RdpAccountant(ORDERS)
          .gaussian({ noiseMultiplier: z2, steps: n2 })
          .laplace({ noiseMultiplier: z2 });
        const both = new RdpAccountant(ORDERS)
          .subsampledGaussian({ noiseMultiplier: z1, samplingRate: q, steps: n1 })
          .gaussian({ noiseMultiplier: z2, steps: n2 })
          .laplace({ noiseMultiplier: z2 });
        const sum = a.compose(b).rdp();
        both.rdp().forEach((v, i) => {
          expect(Math.abs(v - (sum[i] as number))).toBeLessThanOrEqual(1e-12 * Math.abs(v));
        });
      }),
      { numRuns: 30 },
    );
  });
  it('the improved conversion is never worse than the classic one', () => {
    fc.assert(
      fc.property(noise, rate, steps, (z, q, n) => {
        const acc = new RdpAccountant(ORDERS).subsampledGaussian({
          noiseMultiplier: z,
          samplingRate: q,
          steps: n,
        });
        expect(acc.epsilon(1e-5).epsilon).toBeLessThanOrEqual(acc.epsilon(1e-5, 'classic').epsilon);
      }),
      { numRuns: 30 },
    );
  });
});

describe('conversions round trip', () => {
  it('zcdpToEpsilon then zcdpToDelta stays within delta and is tight', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-4, max: 10, noNaN: true }),
        fc.double({ min: 1e-12, max: 0.1, noNaN: true }),
        (rho, delta) => {
          const e = zcdpToEpsilon(rho, delta);
          if (e < 2 ** -49) return; // (0, delta) already holds
          expect(zcdpToDelta(rho, e)).toBeLessThanOrEqual(delta);
          expect(zcdpToDelta(rho, e * (1 - 1e-6))).toBeGreaterThan(delta * (1 - 1e-3));
        },
      ),
      { numRuns: 50 },
    );
  });
  it('analyticGaussianSigma then gaussianDelta gives back delta', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 20, noNaN: true }),
        fc.double({ min: 1e-12, max: 0.5, noNaN: true }),
        (epsilon, delta) => {
          const sigma = analyticGaussianSigma({ epsilon, delta });
          const d = gaussianDelta({ sigma, epsilon });
          expect(d).toBeLessThanOrEqual(delta);
          expect(d).toBeGreaterThan(delta * (1 - 1e-6));
        },
      ),
      { numRuns: 50 },
    );
  });
});
