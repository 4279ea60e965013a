/**
 * Accountant known answers: the anchors' own tests (Opacus, dp_accounting, the analytic Gaussian
 * KAT of the issue) and 40-digit mpmath values computed from the definitions.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  analyticGaussianSigma,
  discreteGaussianDelta,
  gaussianDelta,
  RdpAccountant,
  zcdpToDelta,
  zcdpToEpsilon,
} from '../../../src/dp/index.ts';
import {
  rdpSubsampledGaussian,
  rdpToDelta,
  rdpToEpsilon,
} from '../../../src/dp/accountants/rdp.ts';

const anchors = JSON.parse(readFileSync(new URL('./anchors.json', import.meta.url), 'utf8'));
const mp = JSON.parse(readFileSync(new URL('./accountants-mpmath.json', import.meta.url), 'utf8'));

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('anchors', () => {
  it('Opacus test_rdp_accountant: epsilon 7.32911117143 within 1e-7 (improved conversion)', () => {
    const o = anchors.opacus;
    const acc = new RdpAccountant().subsampledGaussian({
      noiseMultiplier: o.noiseMultiplier,
      samplingRate: o.samplingRate,
      steps: o.steps,
    });
    const { epsilon } = acc.epsilon(o.delta);
    expect(Math.abs(epsilon - o.epsilon)).toBeLessThan(o.tolerance);
    // the classic conversion is looser, so Opacus's number is the improved one
    expect(acc.epsilon(o.delta, 'classic').epsilon).toBeGreaterThan(o.epsilon + 0.5);
  });
  it('analytic Gaussian: 3.730631634816 within 1e-9 relative', () => {
    const a = anchors.analyticGaussian;
    const sigma = analyticGaussianSigma({
      epsilon: a.epsilon,
      delta: a.delta,
      l2Sensitivity: a.l2Sensitivity,
    });
    expect(rel(sigma, a.sigma)).toBeLessThan(a.relativeTolerance);
  });
  it('dp_accounting test_compute_rdp_poisson_sampled_gaussian (rtol 1e-4)', () => {
    const d = anchors.dpAccountingSubsampledGaussian;
    const r = new RdpAccountant(d.orders)
      .subsampledGaussian({
        noiseMultiplier: d.noiseMultiplier,
        samplingRate: d.samplingRate,
        steps: d.steps,
      })
      .rdp();
    d.rdp.forEach((v: number, i: number) => {
      expect(rel(r[i] as number, v)).toBeLessThan(d.relativeTolerance);
    });
  });
  it('dp_accounting test_compute_epsilon_delta_pure_dp', () => {
    const d = anchors.dpAccountingPureDp;
    const rdp = d.orders.map(() => d.rdp);
    const e = rdpToEpsilon(d.orders, rdp, d.delta, 'improved');
    expect(e.epsilon).toBeCloseTo(d.epsilon, 7);
    expect(e.order).toBe(d.order);
    const back = rdpToDelta(d.orders, rdp, d.epsilon, 'improved');
    expect(rel(back.delta, d.delta)).toBeLessThan(1e-9);
  });
  it('dp_accounting test_compute_epsilon_delta_gaussian', () => {
    const d = anchors.dpAccountingGaussian;
    const orders = Array.from({ length: 99000 }, (_, i) => 0.001 * (i + 1000)).filter((a) => a > 1);
    const acc = new RdpAccountant(orders).subsampledGaussian({
      noiseMultiplier: d.noiseMultiplier,
      samplingRate: 1,
      steps: 1,
    });
    expect(acc.epsilon(d.delta).epsilon).toBeCloseTo(d.epsilon, 7);
    expect(acc.delta(d.epsilon).delta).toBeCloseTo(d.delta, 7);
  });
});

describe('mpmath (40 digits, from the definitions)', () => {
  it('RDP of the sampled Gaussian at integer and fractional orders (1e-9 relative + 2e-15)', () => {
    for (const v of mp.rdpSubsampledGaussian) {
      const r = rdpSubsampledGaussian(v.samplingRate, v.noiseMultiplier, v.order);
      // ln A is computed as a sum near 1: double precision bounds the absolute error
      expect(Math.abs(r - v.rdp), JSON.stringify(v)).toBeLessThan(1e-9 * v.rdp + 2e-15);
    }
  });
  it('Gaussian delta (1e-12 relative)', () => {
    for (const v of mp.gaussianDelta)
      expect(rel(gaussianDelta({ sigma: v.sigma, epsilon: v.epsilon }), v.delta)).toBeLessThan(
        1e-12,
      );
  });
  it('analytic Gaussian sigma (1e-11 relative) and conservative', () => {
    for (const v of mp.analyticGaussianSigma) {
      const sigma = analyticGaussianSigma({ epsilon: v.epsilon, delta: v.delta });
      expect(rel(sigma, v.sigma), JSON.stringify(v)).toBeLessThan(1e-11);
      expect(gaussianDelta({ sigma, epsilon: v.epsilon })).toBeLessThanOrEqual(v.delta);
    }
  });
  it('zCDP -> delta (1e-9 relative, never below the exact value)', () => {
    for (const v of mp.zcdpToDelta) {
      const d = zcdpToDelta(v.rho, v.epsilon);
      expect(rel(d, v.delta), JSON.stringify(v)).toBeLessThan(1e-9);
      expect(d).toBeGreaterThanOrEqual(v.delta);
      const e = zcdpToEpsilon(v.rho, v.delta * (1 + 1e-6));
      expect(e).toBeLessThanOrEqual(v.epsilon * (1 + 1e-9));
    }
  });
  it('discrete Gaussian delta (1e-10 relative)', () => {
    for (const v of mp.discreteGaussianDelta) {
      const d = discreteGaussianDelta({
        sigma2: v.sigma2,
        epsilon: v.epsilon,
        l2Sensitivity: v.l2Sensitivity,
      });
      expect(rel(d, v.delta), JSON.stringify(v)).toBeLessThan(1e-10);
    }
  });
});
