import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting } from '../../../src/core/index.ts';
import {
  AdaptiveClipNorm,
  clipL2,
  clipL2Batch,
  clipLinf,
  makeGaussian,
  makeLaplace,
  makePermuteAndFlip,
  makeRandomizedResponse,
} from '../../../src/dp/index.ts';
import { __TEST } from '../../../src/dp/samplers/_exact.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const seed = (i: number) => deterministicRngForTesting(new Uint8Array(32).fill(i));

/** Exact L2 norm squared of doubles, as a bigint scaled by 2^2148. */
function exactNormSquared(v: ArrayLike<number>): bigint {
  let s = 0n;
  for (let i = 0; i < v.length; i++) {
    let x = Math.abs(v[i] as number);
    let shift = 0n;
    while (!Number.isInteger(x)) {
      x *= 2;
      shift++;
    }
    const m = BigInt(x) << (1074n - shift);
    s += m * m;
  }
  return s;
}
function exactSquare(b: number): bigint {
  return exactNormSquared([b]);
}

describe('float mechanisms on a power-of-two grid', () => {
  it('makeLaplace: outputs are grid multiples, the map counts the rounding, the noise is unbiased', () => {
    const m = makeLaplace({ scale: 3, dimension: 4 }, seed(1));
    const g = 2 ** Math.ceil(Math.log2(3 / 2 ** 30));
    const out = m.invoke([0.1, -7.3, 1e6, 0]);
    for (const y of out) expect(Number.isInteger(y / g)).toBe(true);
    expect(m.privacyMap(1)).toBeGreaterThan(1 / 3);
    expect(m.privacyMap(1)).toBeLessThan((1 + 4 * g) / 3 + 1e-15);
    expect(m.check(0, 1e-6)).toBe(true);
    expect(() => m.invoke([1, 2])).toThrow(RangeError);
    expect(() => m.invoke([1, 2, Number.NaN, 4])).toThrow(RangeError);
    expect(() => m.privacyMap(-1)).toThrow(RangeError);
    expect(Object.isFrozen(m)).toBe(true);
  });
  it('makeGaussian: the map is rho = (dIn / g + sqrt(d))^2 / (2 sigma_g^2), about dIn^2 / (2 sigma^2)', () => {
    const m = makeGaussian({ scale: 2, dimension: 100 }, seed(2));
    const rho = m.privacyMap(3);
    expect(rho).toBeGreaterThanOrEqual(9 / 8);
    expect(rho).toBeLessThan((9 / 8) * (1 + 1e-4));
    expect(m.measure).toBe('zCDP');
    const x = m.invoke(new Float64Array(100));
    expect(x.length).toBe(100);
  });
  it('mechanisms take the same noise on the fast and exact sampler paths', () => {
    const a = makeGaussian({ scale: 5, dimension: 50 }, seed(3)).invoke(new Float64Array(50));
    __TEST.disableFastPath = true;
    try {
      const b = makeGaussian({ scale: 5, dimension: 50 }, seed(3)).invoke(new Float64Array(50));
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      __TEST.disableFastPath = false;
    }
  });
  it('constructors validate everything', () => {
    for (const make of [makeLaplace, makeGaussian, makePermuteAndFlip])
      for (const { name, value } of HOSTILE_VALUES) {
        if (value === 0.5 || value === 2 ** 53) continue;
        expect(() => make({ scale: value as number }), name).toThrow();
      }
    expect(() => makeLaplace({ scale: 1, dimension: 0 })).toThrow(RangeError);
    expect(() => makeLaplace({ scale: 1, other: 1 } as never)).toThrow(TypeError);
    expect(() => makeRandomizedResponse({ probability: 0.4 })).toThrow(RangeError);
    expect(() => makeRandomizedResponse({ probability: 1 })).toThrow(RangeError);
    expect(() => makeRandomizedResponse({ probability: 0.3, categories: 4 })).not.toThrow();
    expect(() => makeRandomizedResponse({ probability: 0.2, categories: 4 })).toThrow(RangeError);
  });
});

describe('randomized response and permute-and-flip', () => {
  it('k-ary randomized response: epsilon = ln(p (k-1) / (1-p)), outputs in range', () => {
    const rr = makeRandomizedResponse(
      { probability: { numerator: 1, denominator: 2 }, categories: 5 },
      seed(4),
    );
    expect(rr.privacyMap(1)).toBeCloseTo(Math.log(4), 12);
    expect(rr.privacyMap(0)).toBe(0);
    for (let i = 0; i < 200; i++) {
      const y = rr.invoke(i % 5);
      expect(y >= 0 && y < 5 && Number.isInteger(y)).toBe(true);
    }
    expect(() => rr.invoke(5)).toThrow(RangeError);
  });
  it('permute-and-flip returns the maximum when scale is tiny, any index otherwise', () => {
    const sharp = makePermuteAndFlip({ scale: 1e-6 }, seed(5));
    for (let i = 0; i < 20; i++) expect(sharp.invoke([0.3, 0.9, 0.1, 0.89])).toBe(1);
    const flat = makePermuteAndFlip({ scale: 1e6 }, seed(6));
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(flat.invoke([0, 1, 2]));
    expect(seen.size).toBe(3);
    expect(() => flat.invoke([])).toThrow(RangeError);
  });
});

describe('clipping', () => {
  it('clipL2 keeps the exact norm of its output within the bound (property, hostile magnitudes)', () => {
    const coord = fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ min: -1e-300, max: 1e-300, noNaN: true }),
      fc.constantFrom(1e150, -1e150, 0.1, 1 / 3),
    );
    fc.assert(
      fc.property(
        fc.array(coord, { minLength: 1, maxLength: 300 }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (v, bound) => {
          const { vector, clipped } = clipL2(v, bound);
          expect(exactNormSquared(vector) <= exactSquare(bound)).toBe(true);
          if (!clipped) expect(Array.from(vector)).toEqual(v);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('clipL2 at the worst case of naive clipping (many equal coordinates)', () => {
    const v = new Float64Array(10_000).fill(0.7);
    const { vector } = clipL2(v, 1);
    expect(exactNormSquared(vector) <= exactSquare(1)).toBe(true);
  });
  it('clipLinf clamps exactly and batch clipping counts', () => {
    expect(Array.from(clipLinf([2, -3, 0.5], 1).vector)).toEqual([1, -1, 0.5]);
    expect(clipLinf([0.5], 1).clipped).toBe(false);
    const b = clipL2Batch(
      [
        [3, 4],
        [0, 0.1],
        [10, 0],
      ],
      2,
    );
    expect(b.clippedCount).toBe(2);
    expect(() => clipL2([Number.POSITIVE_INFINITY], 1)).toThrow(RangeError);
    expect(() => clipL2([1], 0)).toThrow(RangeError);
  });
  it('adaptive clipping moves toward the target quantile and states its cost', () => {
    const c = new AdaptiveClipNorm(
      { initialNorm: 1, countNoiseStddev: 2, targetQuantile: 0.5, learningRate: 0.2 },
      seed(7),
    );
    expect(c.rhoPerUpdate).toBe(1 / 8);
    const down = c.update(1000, 1000);
    expect(down).toBeLessThan(1);
    const up = c.update(0, 1000);
    expect(up).toBeGreaterThan(down);
    expect(() => c.update(5, 4)).toThrow(RangeError);
  });
});
