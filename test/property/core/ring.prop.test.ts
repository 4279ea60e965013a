/** Group laws of Z_{2^k} on vectors, checked against BigInt arithmetic. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isRingVector,
  ringAdd,
  ringNeg,
  ringScale,
  ringSub,
  ringSum,
  wideAdd,
  wideFromBigInts,
  wideNeg,
  wideSub,
  wideToBigInts,
} from '../../../src/core/index.ts';

const narrow = fc.integer({ min: 1, max: 32 }).chain((k) =>
  fc.integer({ min: 0, max: 24 }).chain((len) => {
    const el = fc.integer({ min: 0, max: 2 ** k - 1 });
    const vec = fc.array(el, { minLength: len, maxLength: len }).map((a) => Uint32Array.from(a));
    return fc.tuple(fc.constant(k), vec, vec, vec);
  }),
);

const big = (v: Uint32Array): bigint[] => [...v].map(BigInt);

describe('ring Z_2^k, k in [1, 32]', () => {
  it('addition and subtraction match BigInt arithmetic mod 2^k', () => {
    fc.assert(
      fc.property(narrow, ([k, a, b]) => {
        const mod = 1n << BigInt(k);
        expect(big(ringAdd(k, a, b))).toEqual(
          big(a).map((x, i) => (x + (big(b)[i] as bigint)) % mod),
        );
        expect(big(ringSub(k, a, b))).toEqual(
          big(a).map((x, i) => (((x - (big(b)[i] as bigint)) % mod) + mod) % mod),
        );
      }),
    );
  });
  it('group laws: associativity, commutativity, identity, inverse', () => {
    fc.assert(
      fc.property(narrow, ([k, a, b, c]) => {
        const zero = new Uint32Array(a.length);
        expect(ringAdd(k, ringAdd(k, a, b), c)).toEqual(ringAdd(k, a, ringAdd(k, b, c)));
        expect(ringAdd(k, a, b)).toEqual(ringAdd(k, b, a));
        expect(ringAdd(k, a, zero)).toEqual(a);
        expect(ringAdd(k, a, ringNeg(k, a))).toEqual(zero);
        expect(ringSub(k, ringAdd(k, a, b), b)).toEqual(a);
        expect(isRingVector(k, ringAdd(k, a, b))).toBe(true);
      }),
    );
  });
  it('scaling distributes over addition and ringSum folds', () => {
    fc.assert(
      fc.property(narrow, fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), ([k, a, b, c], s) => {
        expect(ringScale(k, ringAdd(k, a, b), s)).toEqual(
          ringAdd(k, ringScale(k, a, s), ringScale(k, b, s)),
        );
        const mod = 1n << BigInt(k);
        expect(big(ringScale(k, a, s))).toEqual(
          big(a).map((x) => (((x * BigInt(s)) % mod) + mod) % mod),
        );
        expect(ringSum(k, [a, b, c])).toEqual(ringAdd(k, ringAdd(k, a, b), c));
      }),
    );
  });
  it('aliasing the output with an input is allowed', () => {
    const a = Uint32Array.of(1, 2, 0xffffffff);
    ringAdd(32, a, Uint32Array.of(1, 1, 1), a);
    expect([...a]).toEqual([2, 3, 0]);
  });
  it('rejects bad sizes and mismatched lengths', () => {
    expect(() => ringAdd(0, new Uint32Array(1), new Uint32Array(1))).toThrow(RangeError);
    expect(() => ringAdd(33, new Uint32Array(1), new Uint32Array(1))).toThrow(RangeError);
    expect(() => ringAdd(8, new Uint32Array(1), new Uint32Array(2))).toThrow(RangeError);
    expect(isRingVector(8, Uint32Array.of(255, 256))).toBe(false);
  });
});

const wide = fc.integer({ min: 33, max: 62 }).chain((k) =>
  fc.integer({ min: 0, max: 16 }).chain((len) => {
    const el = fc.bigInt({ min: 0n, max: (1n << BigInt(k)) - 1n });
    const vec = fc.array(el, { minLength: len, maxLength: len });
    return fc.tuple(fc.constant(k), vec, vec);
  }),
);

describe('ring Z_2^k, k in [33, 62] (two limbs)', () => {
  it('add, sub and neg match BigInt arithmetic mod 2^k', () => {
    fc.assert(
      fc.property(wide, ([k, a, b]) => {
        const mod = 1n << BigInt(k);
        const A = wideFromBigInts(k, a);
        const B = wideFromBigInts(k, b);
        expect(wideToBigInts(wideAdd(A, B))).toEqual(a.map((x, i) => (x + (b[i] as bigint)) % mod));
        expect(wideToBigInts(wideSub(A, B))).toEqual(
          a.map((x, i) => (((x - (b[i] as bigint)) % mod) + mod) % mod),
        );
        expect(wideToBigInts(wideNeg(A))).toEqual(a.map((x) => (mod - x) % mod));
      }),
    );
  });
});
