import { describe, expect, it } from 'vitest';
import { isPrivaggError } from '../../../src/core/index.ts';
import {
  analyticGaussianSigma,
  DEFAULT_RDP_ORDERS,
  discreteGaussianDelta,
  discreteGaussianRho,
  discreteGaussianVariance,
  distributedDiscreteGaussianRdp,
  gaussianDelta,
  PrivacyFilter,
  RdpAccountant,
  searchNoiseMultiplier,
  skellamRdp,
  ZcdpFilter,
  zcdpToDelta,
  zcdpToEpsilon,
} from '../../../src/dp/index.ts';
import { poissonSubsampledRdp } from '../../../src/dp/accountants/distributed.ts';
import { rdpSubsampledGaussian } from '../../../src/dp/accountants/rdp.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

function throwsArgError(f: () => unknown, label: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err instanceof TypeError || err instanceof RangeError, label).toBe(true);
}

describe('validation', () => {
  it('every accountant entry point rejects hostile values in each numeric slot', () => {
    const entries: [string, (v: unknown) => unknown][] = [
      ['gaussianDelta.sigma', (v) => gaussianDelta({ sigma: v as number, epsilon: 1 })],
      ['gaussianDelta.epsilon', (v) => gaussianDelta({ sigma: 1, epsilon: v as number })],
      [
        'analyticGaussianSigma.delta',
        (v) => analyticGaussianSigma({ epsilon: 1, delta: v as number }),
      ],
      [
        'analyticGaussianSigma.epsilon',
        (v) => analyticGaussianSigma({ epsilon: v as number, delta: 1e-5 }),
      ],
      [
        'rdp.noise',
        (v) =>
          new RdpAccountant().subsampledGaussian({
            noiseMultiplier: v as number,
            samplingRate: 0.1,
            steps: 1,
          }),
      ],
      [
        'rdp.rate',
        (v) =>
          new RdpAccountant().subsampledGaussian({
            noiseMultiplier: 1,
            samplingRate: v as number,
            steps: 1,
          }),
      ],
      [
        'rdp.steps',
        (v) =>
          new RdpAccountant().subsampledGaussian({
            noiseMultiplier: 1,
            samplingRate: 0.1,
            steps: v as number,
          }),
      ],
      ['rdp.epsilon(delta)', (v) => new RdpAccountant().epsilon(v as number)],
      ['rdp.delta(epsilon)', (v) => new RdpAccountant().delta(v as number)],
      ['zcdpToDelta.rho', (v) => zcdpToDelta(v as number, 1)],
      ['zcdpToEpsilon.delta', (v) => zcdpToEpsilon(1, v as number)],
      ['discreteGaussianRho', (v) => discreteGaussianRho({ sigma2: v as number })],
      [
        'discreteGaussianDelta',
        (v) => discreteGaussianDelta({ sigma2: 1, epsilon: 1, l2Sensitivity: v as number }),
      ],
      ['discreteGaussianVariance', (v) => discreteGaussianVariance(v as number)],
      [
        'ddg.clients',
        (v) =>
          distributedDiscreteGaussianRdp(
            { localSigma2: 1, clients: v as number, dimension: 1, l2Sensitivity: 1 },
            2,
          ),
      ],
      [
        'skellam.order',
        (v) => skellamRdp({ variance: 1, l2Sensitivity: 1, l1Sensitivity: 1 }, v as number),
      ],
      ['filter.epsilon', (v) => new PrivacyFilter({ epsilon: v as number })],
      ['zcdpFilter.spend', (v) => new ZcdpFilter({ rho: 1 }).spend(v as number)],
    ];
    for (const [label, call] of entries)
      for (const { name, value } of HOSTILE_VALUES) {
        if (
          value === 0.5 &&
          !label.includes('steps') &&
          !label.includes('clients') &&
          !label.includes('order') &&
          !label.includes('l2Sens') &&
          label !== 'discreteGaussianDelta'
        )
          continue;
        if (value === 2 ** 53 && /noise|epsilon|Rho|Variance|sigma|rho|spend|order/.test(label))
          continue;
        if (value === undefined && label === 'discreteGaussianDelta') continue; // optional
        throwsArgError(() => call(value), `${label} <- ${name}`);
      }
  });
  it('rejects the documented bad privacy parameters', () => {
    expect(() => gaussianDelta({ sigma: 1, epsilon: 0 })).toThrow(RangeError);
    expect(() => analyticGaussianSigma({ epsilon: 1, delta: 0 })).toThrow(RangeError);
    expect(() => analyticGaussianSigma({ epsilon: 1, delta: 1 })).toThrow(RangeError);
    expect(() => analyticGaussianSigma({ epsilon: 2, delta: 1e-5, method: 'classic' })).toThrow(
      RangeError,
    );
    expect(() => analyticGaussianSigma({ epsilon: 1, delta: 1e-5, extra: 1 } as never)).toThrow(
      TypeError,
    );
    expect(() =>
      new RdpAccountant().subsampledGaussian({ noiseMultiplier: 1, samplingRate: 0, steps: 1 }),
    ).toThrow(RangeError);
    expect(() =>
      new RdpAccountant().subsampledGaussian({ noiseMultiplier: 1, samplingRate: 1.01, steps: 1 }),
    ).toThrow(RangeError);
    expect(() =>
      new RdpAccountant().subsampledGaussian({ noiseMultiplier: 1, samplingRate: 0.1, steps: 1.5 }),
    ).toThrow(RangeError);
    expect(() => new RdpAccountant([1, 2])).toThrow(RangeError);
    expect(() => new RdpAccountant([])).toThrow(RangeError);
    expect(() => new RdpAccountant().epsilon(1e-5, 'nope' as never)).toThrow(TypeError);
    expect(() => discreteGaussianDelta({ sigma2: 1, epsilon: 1, l2Sensitivity: 1.5 })).toThrow(
      RangeError,
    );
  });
});

describe('calibration', () => {
  it('the classic sigma is larger than the analytic one', () => {
    const a = analyticGaussianSigma({ epsilon: 0.5, delta: 1e-6 });
    const c = analyticGaussianSigma({ epsilon: 0.5, delta: 1e-6, method: 'classic' });
    expect(c).toBeGreaterThan(a);
    expect(gaussianDelta({ sigma: c, epsilon: 0.5 })).toBeLessThan(1e-6);
    expect(analyticGaussianSigma({ epsilon: 1, delta: 1e-5, l2Sensitivity: 3 })).toBeCloseTo(
      3 * 3.730631634816,
      9,
    );
  });
});

describe('RdpAccountant', () => {
  it('has Opacus default orders and counts steps linearly', () => {
    expect(DEFAULT_RDP_ORDERS.length).toBe(151);
    expect(DEFAULT_RDP_ORDERS[0]).toBe(1.1);
    expect(DEFAULT_RDP_ORDERS.at(-1)).toBe(63);
    const one = new RdpAccountant()
      .subsampledGaussian({ noiseMultiplier: 1, samplingRate: 0.01, steps: 1 })
      .rdp();
    const many = new RdpAccountant()
      .subsampledGaussian({ noiseMultiplier: 1, samplingRate: 0.01, steps: 777 })
      .rdp();
    many.forEach((v, i) => {
      expect(v).toBeCloseTo((one[i] as number) * 777, 10);
    });
  });
  it('q = 1 is the Gaussian, and an empty accountant gives epsilon 0', () => {
    const a = new RdpAccountant([2, 3])
      .subsampledGaussian({ noiseMultiplier: 2, samplingRate: 1, steps: 1 })
      .rdp();
    expect(Array.from(a)).toEqual([2 / 8, 3 / 8]);
    expect(new RdpAccountant().epsilon(1e-5).epsilon).toBe(0);
  });
  it('Laplace RDP tends to pure epsilon at large orders', () => {
    const acc = new RdpAccountant([2, 1e6, Number.POSITIVE_INFINITY]).laplace({
      noiseMultiplier: 2,
    });
    const r = acc.rdp();
    expect(r[2]).toBe(0.5);
    expect(r[1]).toBeLessThan(0.5);
    expect(r[1]).toBeGreaterThan(0.49);
  });
  it('compose refuses accountants over different orders', () => {
    try {
      new RdpAccountant([2]).compose(new RdpAccountant([3]));
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'DOMAIN_MISMATCH').toBe(true);
    }
  });
  it('distributed discrete Gaussian and Skellam compose like any other mechanism', () => {
    const opts = { localSigma2: 4, clients: 10, dimension: 100, l2Sensitivity: 10 };
    const acc = new RdpAccountant([2, 8]).distributedDiscreteGaussian({ ...opts, steps: 3 });
    expect(acc.rdp()[0]).toBeCloseTo(3 * distributedDiscreteGaussianRdp(opts, 2), 12);
    const sk = { variance: 400, l2Sensitivity: 10, l1Sensitivity: 100 };
    const acc2 = new RdpAccountant([2, 8]).skellam(sk);
    expect(acc2.rdp()[1]).toBeCloseTo(skellamRdp(sk, 8), 12);
  });
});

describe('distributed mechanisms', () => {
  it('the Zhu-Wang subsampling bound is above the exact subsampled Gaussian and below no subsampling', () => {
    for (const [sigma, q] of [
      [1, 0.01],
      [2, 0.1],
      [0.8, 0.3],
    ] as const)
      for (const a of [2, 3, 8, 20]) {
        const eps = (o: number) => o / (2 * sigma * sigma);
        const bound = poissonSubsampledRdp(q, eps, a);
        const exact = rdpSubsampledGaussian(q, sigma, a);
        expect(bound).toBeGreaterThanOrEqual(exact * (1 - 1e-9));
        expect(bound).toBeLessThanOrEqual(eps(a));
      }
  });
  it('sampled DDG and Skellam compose with less privacy loss than unsampled', () => {
    const opts = { localSigma2: 4, clients: 10, dimension: 100, l2Sensitivity: 10 };
    const full = new RdpAccountant()
      .distributedDiscreteGaussian({ ...opts, steps: 100 })
      .epsilon(1e-5).epsilon;
    const sampled = new RdpAccountant()
      .distributedDiscreteGaussian({ ...opts, steps: 100, samplingRate: 0.05 })
      .epsilon(1e-5).epsilon;
    expect(sampled).toBeLessThan(full);
    const sk = { variance: 400, l2Sensitivity: 10, l1Sensitivity: 100 };
    expect(
      new RdpAccountant().skellam({ ...sk, samplingRate: 0.05, steps: 100 }).epsilon(1e-5).epsilon,
    ).toBeLessThan(new RdpAccountant().skellam({ ...sk, steps: 100 }).epsilon(1e-5).epsilon);
    expect(() => new RdpAccountant().skellam({ ...sk, samplingRate: 0 })).toThrow(RangeError);
  });
  it('DDG: tiny local noise inflates the bound (tau > 0), large local noise matches the Gaussian', () => {
    const big = distributedDiscreteGaussianRdp(
      { localSigma2: 100, clients: 50, dimension: 1000, l2Sensitivity: 70 },
      4,
    );
    expect(big).toBeCloseTo((4 / 2) * (70 ** 2 / (50 * 100)), 12);
    const small = distributedDiscreteGaussianRdp(
      { localSigma2: 0.25, clients: 50, dimension: 1000, l2Sensitivity: 7 },
      4,
    );
    expect(small).toBeGreaterThan((4 / 2) * (7 ** 2 / (50 * 0.25)));
  });
  it('Skellam is above the Gaussian with the same variance and approaches it', () => {
    const v = 1e4;
    const g = (8 * 100 ** 2) / (2 * v);
    const s = skellamRdp({ variance: v, l2Sensitivity: 100, l1Sensitivity: 1e3 }, 8);
    expect(s).toBeGreaterThan(g);
    expect(s / g).toBeLessThan(1.1);
  });
});

describe('zCDP and the discrete Gaussian', () => {
  it('discrete Gaussian variance is below sigma2 and tends to it', () => {
    expect(discreteGaussianVariance(1)).toBeLessThan(1);
    expect(discreteGaussianVariance(1)).toBeGreaterThan(0.99);
    expect(discreteGaussianVariance(0.1)).toBeLessThan(0.02);
    expect(discreteGaussianVariance(1e5)).toBe(1e5);
  });
  it('the exact discrete Gaussian delta is below the zCDP bound', () => {
    for (const s2 of [0.5, 2, 10, 100])
      for (const e of [0.1, 1, 3]) {
        const exact = discreteGaussianDelta({ sigma2: s2, epsilon: e });
        expect(exact).toBeLessThanOrEqual(zcdpToDelta(discreteGaussianRho({ sigma2: s2 }), e));
      }
  });
});

describe('filters', () => {
  it('PrivacyFilter spends until the budget, refuses past it, and keeps its state', () => {
    const f = new PrivacyFilter({ epsilon: 1, delta: 1e-5 });
    // 8 x 0.125 is exactly 1 (10 x 0.1 is not: the double 0.1 is above 1/10)
    for (let i = 0; i < 8; i++) f.spend({ epsilon: 0.125, delta: 1e-6 });
    expect(f.remaining().epsilon).toBe(0);
    expect(f.canSpend({ epsilon: 0.01 })).toBe(false);
    const before = f.spent();
    try {
      f.spend({ epsilon: 0.01 });
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'BUDGET_EXHAUSTED').toBe(true);
    }
    expect(f.spent()).toEqual(before);
    expect(f.canSpend({ epsilon: 0 })).toBe(true);
    expect(() => f.spend({ epsilon: -1 })).toThrow(RangeError);
  });
  it('ZcdpFilter refuses past rho', () => {
    const f = new ZcdpFilter({ rho: 1 });
    f.spend(0.5);
    f.spend(0.5 - 1e-9);
    expect(() => f.spend(1e-3)).toThrow(/budget/);
    expect(f.spent()).toBeLessThanOrEqual(1);
  });
});

describe('searchNoiseMultiplier', () => {
  it("matches Opacus's get_noise_multiplier test (epsilon 8, delta 1e-5, rate 0.04, 90 epochs: 1.4253 within its 0.01 search precision)", () => {
    // opacus/tests/accountants_test.py test_get_noise_multiplier
    const z = searchNoiseMultiplier({
      targetEpsilon: 8,
      delta: 1e-5,
      samplingRate: 0.04,
      steps: 2250,
    });
    expect(Math.abs(z - 1.425307617)).toBeLessThan(0.01);
    const at = (x: number) =>
      new RdpAccountant()
        .subsampledGaussian({ noiseMultiplier: x, samplingRate: 0.04, steps: 2250 })
        .epsilon(1e-5).epsilon;
    expect(at(z)).toBeLessThanOrEqual(8);
    expect(at(z * (1 - 1e-4))).toBeGreaterThan(8);
  });
  it('with the PLD accountant it needs less noise than with RDP', () => {
    const opts = { targetEpsilon: 2, delta: 1e-5, samplingRate: 0.05, steps: 20, tolerance: 2e-2 };
    const pld = searchNoiseMultiplier({ ...opts, accountant: 'pld' });
    const rdp = searchNoiseMultiplier(opts);
    expect(pld).toBeLessThan(rdp);
  });
  it('refuses an unreachable target', () => {
    try {
      searchNoiseMultiplier({ targetEpsilon: 1e-9, delta: 1e-12, samplingRate: 1, steps: 1e9 });
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'INVALID_PARAMETER').toBe(true);
    }
  });
});
