import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussianDelta, PldAccountant, RdpAccountant } from '../../../src/dp/index.ts';

describe('PldAccountant', () => {
  it('one Gaussian step: delta is pessimistic and within 0.2% of the exact curve', () => {
    for (const sigma of [0.8, 1, 2, 4]) {
      const acc = new PldAccountant().gaussian({ noiseMultiplier: sigma });
      for (const epsilon of [0.1, 0.5, 1, 2]) {
        const exact = gaussianDelta({ sigma, epsilon });
        if (exact < 1e-12) continue;
        const d = acc.delta(epsilon);
        expect(d).toBeGreaterThanOrEqual(exact);
        expect(d / exact - 1).toBeLessThan(2e-3);
      }
    }
  });
  it('n Gaussian steps compose to the Gaussian with sigma / sqrt(n)', () => {
    const d = new PldAccountant().gaussian({ noiseMultiplier: 3, steps: 25 }).delta(1);
    const exact = gaussianDelta({ sigma: 3 / 5, epsilon: 1 });
    expect(d).toBeGreaterThanOrEqual(exact);
    expect(d / exact - 1).toBeLessThan(5e-3);
  });
  it('Laplace: pure epsilon = 1/b, delta 0 beyond it', () => {
    const acc = new PldAccountant().laplace({ noiseMultiplier: 2 });
    expect(acc.delta(0.5 + 1e-3)).toBe(0);
    expect(acc.delta(0.25)).toBeGreaterThan(0);
    expect(acc.epsilon(1e-12)).toBeLessThanOrEqual(0.5 + 2e-4);
    // exact delta of Laplace(b) at epsilon < 1/b: 1 - e^((epsilon - 1/b)/2)
    const e = 0.25;
    const exact = 1 - Math.exp((e - 0.5) / 2);
    expect(acc.delta(e)).toBeGreaterThanOrEqual(exact);
    expect(acc.delta(e) / exact - 1).toBeLessThan(1e-3);
  });
  it('sampling rate 1 equals the Gaussian; heterogeneous composition adds up', () => {
    const a = new PldAccountant().subsampledGaussian({
      noiseMultiplier: 2,
      samplingRate: 1,
      steps: 4,
    });
    const b = new PldAccountant().gaussian({ noiseMultiplier: 2, steps: 4 });
    expect(a.delta(1)).toBeCloseTo(b.delta(1), 12);
    const mixed = new PldAccountant()
      .gaussian({ noiseMultiplier: 2, steps: 2 })
      .gaussian({ noiseMultiplier: 2, steps: 2 });
    expect(mixed.delta(1) / b.delta(1) - 1).toBeLessThan(1e-6);
  });
  it('cross-check with Opacus PRV: sigma 1.34765625 (its get_noise_multiplier for epsilon 8, q 0.04, 90 epochs) gives epsilon near 8', () => {
    // opacus/tests/accountants_test.py test_get_noise_multiplier_prv_epochs. PRV carries its own
    // error tolerance, and our grid rounds each step's loss up by up to 1e-4 (2250 steps): 0.15
    const e = new PldAccountant()
      .subsampledGaussian({ noiseMultiplier: 1.34765625, samplingRate: 0.04, steps: 2250 })
      .epsilon(1e-5);
    expect(Math.abs(e - 8)).toBeLessThan(0.15);
  });
  it('validates its inputs', () => {
    expect(() => new PldAccountant({ discretization: 0 })).toThrow(RangeError);
    expect(() => new PldAccountant({ other: 1 } as never)).toThrow(TypeError);
    expect(() =>
      new PldAccountant().subsampledGaussian({ noiseMultiplier: 1, samplingRate: 2, steps: 1 }),
    ).toThrow(RangeError);
    expect(() => new PldAccountant().gaussian({ noiseMultiplier: 1, steps: 0.5 })).toThrow(
      RangeError,
    );
    expect(() => new PldAccountant().epsilon(0)).toThrow(RangeError);
    expect(() => new PldAccountant().delta(Number.NaN)).toThrow(RangeError);
    expect(new PldAccountant().epsilon(1e-5)).toBe(0);
  });
  it('property: PLD epsilon <= RDP epsilon for the same subsampled Gaussian', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.7, max: 4, noNaN: true }),
        fc.double({ min: 0.001, max: 0.3, noNaN: true }),
        fc.integer({ min: 1, max: 100 }),
        (z, q, steps) => {
          const opts = { noiseMultiplier: z, samplingRate: q, steps };
          // the grid's pessimistic bias is up to steps * h: a coarse grid can lose to RDP
          const pld = new PldAccountant({ discretization: 1e-4 })
            .subsampledGaussian(opts)
            .epsilon(1e-6);
          const rdp = new RdpAccountant().subsampledGaussian(opts).epsilon(1e-6).epsilon;
          expect(pld).toBeLessThanOrEqual(rdp + 1e-9);
        },
      ),
      { numRuns: 10 },
    );
  });
});
