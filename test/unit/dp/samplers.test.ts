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
import {
  __TEST,
  expBounds,
  LazyUniform,
  lessThanExpExact,
  rationalOf,
  WordSource,
} from '../../../src/dp/samplers/_exact.ts';
import { lnFactorial, lnFactorialRatio } from '../../../src/dp/samplers/poisson.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const seed = (i: number) => deterministicRngForTesting(new Uint8Array(32).fill(i));

const samplers: [string, (count: number, rng: ReturnType<typeof seed>) => ArrayLike<number>][] = [
  ['sampleDiscreteGaussian(0.7)', (n, r) => sampleDiscreteGaussian(0.7, n, r)],
  ['sampleDiscreteGaussian(1e6)', (n, r) => sampleDiscreteGaussian(1e6, n, r)],
  ['sampleDiscreteLaplace(2.3)', (n, r) => sampleDiscreteLaplace(2.3, n, r)],
  ['sampleGeometric(0.8)', (n, r) => sampleGeometric(0.8, n, r)],
  ['samplePoisson(13.25)', (n, r) => samplePoisson(13.25, n, r)],
  ['sampleSkellam(3)', (n, r) => sampleSkellam(3, n, r)],
  ['sampleBinomial(40, 1/3)', (n, r) => sampleBinomial(40, { numerator: 1, denominator: 3 }, n, r)],
  ['sampleBernoulli(0.3)', (n, r) => sampleBernoulli(0.3, n, r)],
  ['sampleBernoulliExp(0.75)', (n, r) => sampleBernoulliExp(0.75, n, r)],
];

describe('exact samplers', () => {
  afterEach(() => {
    __TEST.disableFastPath = false;
  });
  for (const [name, draw] of samplers) {
    it(`${name}: the double fast path and the exact bigint path give identical samples`, () => {
      const fast = Array.from(draw(3000, seed(9)));
      __TEST.disableFastPath = true;
      const exact = Array.from(draw(3000, seed(9)));
      expect(exact).toEqual(fast);
    });
    it(`${name}: reproducible from a seed, different across seeds`, () => {
      expect(Array.from(draw(200, seed(1)))).toEqual(Array.from(draw(200, seed(1))));
      expect(Array.from(draw(200, seed(1)))).not.toEqual(Array.from(draw(200, seed(2))));
    });
  }
  it('count 0 gives an empty array and degenerate parameters give constants', () => {
    expect(sampleDiscreteGaussian(1, 0).length).toBe(0);
    expect(Array.from(sampleBinomial(7, 1, 5))).toEqual([7, 7, 7, 7, 7]);
    expect(Array.from(sampleBinomial(7, 0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(sampleBernoulli(1, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(sampleBernoulli(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(sampleBernoulliExp(0, 4))).toEqual([1, 1, 1, 1]);
  });
  it('a tiny discrete Gaussian is almost always 0 and a huge one spreads', () => {
    expect(sampleDiscreteGaussian(1e-3, 1000).every((x) => x === 0)).toBe(true);
    const wide = sampleDiscreteGaussian(2 ** 40, 1000);
    expect(wide.some((x) => Math.abs(x) > 2 ** 18)).toBe(true);
  });
  it('rejects hostile parameters, counts and rngs with TypeError or RangeError', () => {
    const calls: [string, (v: unknown) => unknown][] = [
      ['sigma2', (v) => sampleDiscreteGaussian(v as number, 1)],
      ['scale', (v) => sampleDiscreteLaplace(v as number, 1)],
      ['scale', (v) => sampleGeometric(v as number, 1)],
      ['lambda', (v) => samplePoisson(v as number, 1)],
      ['mu', (v) => sampleSkellam(v as number, 1)],
      ['trials', (v) => sampleBinomial(v as number, 0.5, 1)],
      ['p', (v) => sampleBinomial(3, v as number, 1)],
      ['p', (v) => sampleBernoulli(v as number, 1)],
      ['gamma', (v) => sampleBernoulliExp(v as number, 1)],
      ['count', (v) => sampleDiscreteGaussian(1, v as number)],
      ['rng', (v) => sampleDiscreteGaussian(1, 1, v as never)],
    ];
    for (const [what, call] of calls) {
      for (const { name, value } of HOSTILE_VALUES) {
        // some hostile values are legal for some parameters
        if ((typeof value === 'function' || value === undefined) && what === 'rng') continue;
        if (value === 0.5 && ['sigma2', 'scale', 'lambda', 'mu', 'p', 'gamma'].includes(what))
          continue;
        if (value === 2 ** 53 && what === 'gamma') continue; // legal: Bernoulli(e^-(2^53)) is 0
        if (value === -1 && what === 'rng') {
          expect(() => call(value), `${what} ${name}`).toThrow(TypeError);
          continue;
        }
        let err: unknown;
        try {
          call(value);
        } catch (e) {
          err = e;
        }
        expect(err instanceof TypeError || err instanceof RangeError, `${what} <- ${name}`).toBe(
          true,
        );
      }
    }
    expect(() => sampleDiscreteGaussian(0, 1)).toThrow(RangeError);
    expect(() => sampleDiscreteGaussian(2 ** 41, 1)).toThrow(RangeError);
    expect(() => sampleBernoulli(1.5, 1)).toThrow(RangeError);
    expect(() => sampleBernoulli({ numerator: 4, denominator: 3 }, 1)).toThrow(RangeError);
    expect(() => sampleBernoulli({ numerator: 1, denominator: 0 }, 1)).toThrow(RangeError);
    expect(() => sampleBernoulli({ numerator: 1, denominator: 2, x: 1 } as never, 1)).toThrow(
      TypeError,
    );
    expect(() => sampleBernoulliExp(-1, 1)).toThrow(RangeError);
    expect(Array.from(sampleBernoulliExp(2 ** 53, 3))).toEqual([0, 0, 0]);
    expect(Array.from(sampleBernoulliExp(1e300, 3))).toEqual([0, 0, 0]);
    expect(() => sampleDiscreteGaussian(1, 2 ** 31)).toThrow(RangeError);
  });
  it('a broken rng fails loudly', () => {
    const short = Object.assign((n: number) => new Uint8Array(Math.max(0, n - 1)), {});
    expect(() => sampleDiscreteGaussian(1, 10, short)).toThrow(TypeError);
  });
});

describe('exact internals', () => {
  it('rationalOf reads doubles exactly', () => {
    expect(rationalOf(0.5)).toEqual({ num: 1n, den: 2n });
    expect(rationalOf(3)).toEqual({ num: 3n, den: 1n });
    const r = rationalOf(0.1);
    expect(r.den).toBe(2n ** 55n);
    expect(Number(r.num) / Number(r.den)).toBe(0.1);
    expect(rationalOf(2 ** -1074).den).toBe(2n ** 1074n);
  });
  it('expBounds brackets e^x and tightens with more terms', () => {
    for (const [p, q] of [
      [1n, 1n],
      [7n, 3n],
      [50n, 1n],
      [1n, 1000n],
    ] as const) {
      const x = Number(p) / Number(q);
      const [lo, hi, den] = expBounds(p, q, Math.ceil(3 * x) + 40);
      const scale = 2n ** 64n;
      const loF = Number((lo * scale) / den) / 2 ** 64;
      const hiF = Number((hi * scale) / den) / 2 ** 64;
      expect(loF).toBeLessThanOrEqual(Math.exp(x) * (1 + 1e-15));
      expect(hiF).toBeGreaterThanOrEqual(Math.exp(x) * (1 - 1e-15));
      expect(hi >= lo).toBe(true);
      expect(Math.abs(hiF / Math.exp(x) - 1)).toBeLessThan(1e-12);
    }
  });
  it('lessThanExpExact agrees with doubles away from the boundary and refines near it', () => {
    const src = new WordSource(seed(3), 64);
    const u = new LazyUniform();
    // e^-1 * 2^52 = 1656781714176973.944...: the cell of this prefix contains e^-1, so the
    // comparison must draw more bits (Math.exp(-1) * 2^52 rounds to ...974, a cell above it)
    const hi = 1656781714176973;
    u.set(hi);
    const r = lessThanExpExact(u, src, { num: 1n, den: 1n });
    expect(typeof r).toBe('boolean');
    expect(u.extraBits).toBeGreaterThan(0);
    u.set(hi + 1);
    expect(lessThanExpExact(u, src, { num: 1n, den: 1n })).toBe(false);
    expect(u.extraBits).toBe(0);
    u.set(hi - 1000);
    expect(lessThanExpExact(u, src, { num: 1n, den: 1n })).toBe(true);
    u.set(hi + 1000);
    expect(lessThanExpExact(u, src, { num: 1n, den: 1n })).toBe(false);
  });
  it('lnFactorial and lnFactorialRatio match direct sums', () => {
    let s = 0;
    for (let n = 2; n <= 3000; n++) {
      s += Math.log(n);
      if (n % 97 === 0) expect(Math.abs(lnFactorial(n) - s)).toBeLessThan(1e-9 * s);
    }
    let d = 0;
    for (let i = 1001; i <= 1100; i++) d += Math.log(i);
    expect(Math.abs(lnFactorialRatio(1100, 1000) - d)).toBeLessThan(1e-9);
    expect(Math.abs(lnFactorialRatio(1000, 1100) + d)).toBeLessThan(1e-9);
  });
});
