/**
 * Goodness of fit of every exact sampler to its exact pmf (chi-square, alpha about 1e-6, fixed
 * seeds), with a power check: the same test rejects samples drawn with the scale off by 10%.
 * The exact bigint path is checked on its own (fast path disabled) on smaller samples.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deterministicRngForTesting } from '../../../src/core/index.ts';
import {
  sampleBernoulli,
  sampleBernoulliExp,
  sampleBinomial,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  sampleGeometric,
  samplePoisson,
  sampleSkellam,
} from '../../../src/dp/index.ts';
import { __TEST } from '../../../src/dp/samplers/_exact.ts';
import { Z_1E6 } from '../../helpers/stats.ts';
import {
  binomialPmf,
  chiSquareFit,
  discreteGaussianPmf,
  discreteLaplacePmf,
  geometricPmf,
  type Pmf,
  poissonPmf,
  skellamPmf,
} from './_pmf.ts';

const seed = (i: number) => deterministicRngForTesting(new Uint8Array(32).fill(i));

interface Case {
  name: string;
  draw: (scaleFactor: number, n: number, seedIndex: number) => ArrayLike<number>;
  pmf: Pmf;
}

const cases: Case[] = [
  ...[0.3, 1, 2.5, 100, 1e6].map(
    (s2): Case => ({
      name: `discrete Gaussian sigma2=${s2}`,
      // "scale off by 10%": sigma multiplied by 1.1
      draw: (f, n, i) => sampleDiscreteGaussian(s2 * f * f, n, seed(i)),
      pmf: discreteGaussianPmf(s2),
    }),
  ),
  ...[0.4, 1, 7.3, 1000].map(
    (s): Case => ({
      name: `discrete Laplace scale=${s}`,
      draw: (f, n, i) => sampleDiscreteLaplace(s * f, n, seed(i)),
      pmf: discreteLaplacePmf(s),
    }),
  ),
  ...[0.5, 3].map(
    (s): Case => ({
      name: `geometric scale=${s}`,
      draw: (f, n, i) => sampleGeometric(s * f, n, seed(i)),
      pmf: geometricPmf(s),
    }),
  ),
  ...[0.3, 1, 4, 37.5, 1e4].map(
    (l): Case => ({
      name: `Poisson lambda=${l}`,
      draw: (f, n, i) => samplePoisson(l * f, n, seed(i)),
      pmf: poissonPmf(l),
    }),
  ),
  ...[2, 50].map(
    (mu): Case => ({
      name: `Skellam mu=${mu}`,
      draw: (f, n, i) => sampleSkellam(mu * f, n, seed(i)),
      pmf: skellamPmf(mu),
    }),
  ),
  ...(
    [
      [10, 0.5],
      [1000, 0.01],
      [200, 0.7],
    ] as const
  ).map(
    ([t, p]): Case => ({
      name: `binomial trials=${t} p=${p}`,
      draw: (f, n, i) => sampleBinomial(t, Math.min(1, p * f), n, seed(i)),
      pmf: binomialPmf(t, p),
    }),
  ),
];

describe('samplers fit their exact pmf (chi-square, alpha 1e-6)', () => {
  for (const c of cases) {
    it(`${c.name}: fits, and the 10%-off sampler is rejected`, () => {
      const n = 1 << 19;
      const fit = chiSquareFit(c.draw(1, n, 1), c.pmf);
      expect(fit.chi, `chi=${fit.chi} df=${fit.df}`).toBeLessThan(fit.critical);
      const off = chiSquareFit(c.draw(1.1, n, 2), c.pmf);
      expect(off.chi, `power: chi=${off.chi} df=${off.df}`).toBeGreaterThan(off.critical);
    });
  }
});

describe('Bernoulli samplers (z-test, alpha 1e-6)', () => {
  const zOf = (bits: Uint8Array, p: number) => {
    let ones = 0;
    for (const b of bits) ones += b;
    return (ones - bits.length * p) / Math.sqrt(bits.length * p * (1 - p));
  };
  it('Bernoulli(p) for doubles and rationals; 10% off is rejected', () => {
    const n = 1 << 20;
    for (const [p, value] of [
      [1 / 3, { numerator: 1, denominator: 3 }],
      [0.1, 0.1],
      [2 ** -20 * 12345, 2 ** -20 * 12345],
      [5 / 7, { numerator: 5n, denominator: 7n }],
    ] as const) {
      expect(Math.abs(zOf(sampleBernoulli(value, n, seed(3)), p))).toBeLessThan(Z_1E6);
      expect(
        Math.abs(zOf(sampleBernoulli(p * 1.1 > 1 ? p / 1.1 : p * 1.1, n, seed(4)), p)),
      ).toBeGreaterThan(Z_1E6);
    }
  });
  it('Bernoulli(exp(-gamma)); 10% off is rejected', () => {
    const n = 1 << 20;
    for (const g of [0.01, 0.5, 1, 3.7, { numerator: 7, denominator: 3 }] as const) {
      const gamma = typeof g === 'number' ? g : 7 / 3;
      const p = Math.exp(-gamma);
      expect(Math.abs(zOf(sampleBernoulliExp(g, n, seed(5)), p))).toBeLessThan(Z_1E6);
      expect(Math.abs(zOf(sampleBernoulliExp(gamma * 1.1 + 0.01, n, seed(6)), p))).toBeGreaterThan(
        Z_1E6,
      );
    }
  });
});

describe('the exact bigint path alone (fast path disabled) fits the pmfs', () => {
  afterEach(() => {
    __TEST.disableFastPath = false;
  });
  const exactCases: Case[] = [
    {
      name: 'discrete Gaussian sigma2=2.5',
      draw: (_f, n, i) => sampleDiscreteGaussian(2.5, n, seed(i)),
      pmf: discreteGaussianPmf(2.5),
    },
    {
      name: 'discrete Laplace scale=1.7',
      draw: (_f, n, i) => sampleDiscreteLaplace(1.7, n, seed(i)),
      pmf: discreteLaplacePmf(1.7),
    },
    {
      name: 'Poisson lambda=6.5',
      draw: (_f, n, i) => samplePoisson(6.5, n, seed(i)),
      pmf: poissonPmf(6.5),
    },
    {
      name: 'binomial trials=30 p=0.4',
      draw: (_f, n, i) => sampleBinomial(30, 0.4, n, seed(i)),
      pmf: binomialPmf(30, 0.4),
    },
  ];
  for (const c of exactCases) {
    it(c.name, () => {
      __TEST.disableFastPath = true;
      const fit = chiSquareFit(c.draw(1, 20_000, 7), c.pmf);
      expect(fit.chi, `chi=${fit.chi} df=${fit.df}`).toBeLessThan(fit.critical);
    });
  }
});
