/** Additive sharing laws over Z_{2^k} and GF(2^31 - 1). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting, isPrivaggError, type Rng } from '../../../src/index.ts';
import {
  type AdditiveModulus,
  additiveCombine,
  additiveReshare,
  additiveCombineWide,
  additiveReshareWide,
  additiveShare,
  additiveShareWide,
  FIELD_MODULUS,
  shamirShare,
  shamirToAdditive,
} from '../../../src/sharing/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const modulus: fc.Arbitrary<AdditiveModulus> = fc.oneof(
  fc.constant('field' as const),
  fc.integer({ min: 1, max: 32 }).map((ringBits) => ({ ringBits })),
);
function secretFor(m: AdditiveModulus): fc.Arbitrary<Uint32Array> {
  const max = m === 'field' ? FIELD_MODULUS - 1 : 2 ** m.ringBits - 1;
  return fc.array(fc.integer({ min: 0, max }), { maxLength: 20 }).map((a) => Uint32Array.from(a));
}
const case_ = modulus.chain((m) => fc.tuple(fc.constant(m), secretFor(m)));

describe('additive sharing', () => {
  it('shares sum to the secret, and re-sharing keeps the secret', () => {
    fc.assert(
      fc.property(
        case_,
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        seed,
        ([m, secret], n, n2, s) => {
          const rng = deterministicRngForTesting(s);
          const shares = additiveShare(secret, { shares: n, modulus: m }, rng);
          expect(shares).toHaveLength(n);
          expect(additiveCombine(shares, { modulus: m })).toEqual(secret);
          const fresh = additiveReshare(shares, { shares: n2, modulus: m }, rng);
          expect(fresh).toHaveLength(n2);
          expect(additiveCombine(fresh, { modulus: m })).toEqual(secret);
        },
      ),
    );
  });
  it('shares of two secrets add to shares of the sum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 32 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }),
        seed,
        (k, pairs, s) => {
          const mask = 2 ** k - 1;
          const a = Uint32Array.from(pairs.map(([x]) => x & mask));
          const b = Uint32Array.from(pairs.map(([, y]) => y & mask));
          const modulusK = { ringBits: k };
          const rng = deterministicRngForTesting(s);
          const sa = additiveShare(a, { shares: 3, modulus: modulusK }, rng);
          const sb = additiveShare(b, { shares: 3, modulus: modulusK }, rng);
          const sums = sa.map((x, i) =>
            additiveCombine([x, sb[i] as Uint32Array], { modulus: modulusK }),
          );
          const expected = Uint32Array.from(
            pairs.map(([x, y]) => ((x & mask) + (y & mask)) % 2 ** k),
          );
          expect(additiveCombine(sums, { modulus: modulusK })).toEqual(expected);
        },
      ),
    );
  });
  it('n - 1 shares are uniform whatever the secret (exhaustive over Z_8 with an enumerating rng)', () => {
    // n = 3 over Z_{2^3}: the first two shares are the two rng words masked to 3 bits; for each
    // secret, enumerating all 64 word pairs gives every (share0, share1) exactly once, and the
    // view {share1, share2} (the last share depends on the secret) is also uniform.
    const k = 3;
    for (const view of [
      [0, 1],
      [1, 2],
      [0, 2],
    ])
      for (let secret = 0; secret < 8; secret++) {
        const counts = new Map<string, number>();
        for (let w0 = 0; w0 < 8; w0++)
          for (let w1 = 0; w1 < 8; w1++) {
            const words = [w0, w1];
            const rng: Rng = (n: number) => {
              const out = new Uint8Array(n);
              out[0] = words.shift() ?? 0;
              return out;
            };
            const shares = additiveShare(
              Uint32Array.of(secret),
              { shares: 3, modulus: { ringBits: k } },
              rng,
            );
            const key = view.map((i) => shares[i]?.[0]).join();
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
        expect(counts.size).toBe(64);
      }
  });
  it('Shamir shares convert to additive shares of the same secret', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: FIELD_MODULUS - 1 }), { maxLength: 10 }),
        fc.integer({ min: 1, max: 6 }),
        seed,
        (secret, t, s) => {
          const shares = shamirShare(
            Uint32Array.from(secret),
            { threshold: t, shares: t + 2 },
            deterministicRngForTesting(s),
          );
          const additive = shamirToAdditive(shares.slice(2));
          expect([...additiveCombine(additive, { modulus: 'field' })]).toEqual(secret);
        },
      ),
    );
  });
  it('rejects bad arguments with TypeError, RangeError or INSUFFICIENT_SHARES', () => {
    const ok = (f: () => unknown, what: string) => {
      try {
        f();
      } catch (e) {
        expect(
          e instanceof TypeError ||
            e instanceof RangeError ||
            (isPrivaggError(e) && e.code === 'INSUFFICIENT_SHARES'),
          what,
        ).toBe(true);
        return;
      }
      throw new Error(`${what}: no error`);
    };
    for (const { name, value } of HOSTILE_VALUES) {
      ok(
        () => additiveShare(value as Uint32Array, { shares: 2, modulus: 'field' }),
        `secret ${name}`,
      );
      ok(
        () => additiveShare(new Uint32Array(2), { shares: value as number, modulus: 'field' }),
        `shares ${name}`,
      );
      ok(
        () => additiveShare(new Uint32Array(2), { shares: 2, modulus: value as never }),
        `modulus ${name}`,
      );
      ok(
        () => additiveCombine(value as Uint32Array[], { modulus: { ringBits: 8 } }),
        `combine ${name}`,
      );
      ok(
        () => additiveReshare([value as Uint32Array], { shares: 2, modulus: 'field' }),
        `reshare ${name}`,
      );
      ok(() => shamirToAdditive(value as never), `toAdditive ${name}`);
    }
    ok(
      () => additiveShare(Uint32Array.of(256), { shares: 2, modulus: { ringBits: 8 } }),
      'out of ring',
    );
    ok(
      () => additiveShare(Uint32Array.of(FIELD_MODULUS), { shares: 2, modulus: 'field' }),
      'out of field',
    );
    ok(() => additiveCombine([], { modulus: 'field' }), 'empty');
    ok(
      () => additiveCombine([new Uint32Array(1), new Uint32Array(2)], { modulus: 'field' }),
      'lengths',
    );
    ok(
      () => additiveShare(new Uint32Array(1), { shares: 2, modulus: { ringBits: 33 } }),
      'ring 33',
    );
  });
});

describe('wide additive sharing (33 <= k <= 62)', () => {
  const wide = fc
    .integer({ min: 33, max: 62 })
    .chain((k) =>
      fc.tuple(
        fc.constant(k),
        fc.array(fc.bigInt({ min: 0n, max: (1n << BigInt(k)) - 1n }), { maxLength: 12 }),
      ),
    );
  const toWide = (xs: bigint[]) => ({
    lo: Uint32Array.from(xs.map((x) => Number(x & 0xffffffffn))),
    hi: Uint32Array.from(xs.map((x) => Number(x >> 32n))),
  });
  const toBig = (v: { lo: Uint32Array; hi: Uint32Array }) =>
    [...v.lo].map((lo, i) => (BigInt(v.hi[i] as number) << 32n) | BigInt(lo));
  it('shares sum to the secret modulo 2^k, also after re-sharing, and match BigInt sums', () => {
    fc.assert(
      fc.property(
        wide,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        seed,
        ([k, xs], n, n2, s) => {
          const rng = deterministicRngForTesting(s);
          const shares = additiveShareWide(toWide(xs), { shares: n, ringBits: k }, rng);
          const mod = 1n << BigInt(k);
          const sums = xs.map((_, i) =>
            shares.reduce((acc, sh) => (acc + (toBig(sh)[i] as bigint)) % mod, 0n),
          );
          expect(sums).toEqual(xs);
          expect(toBig(additiveCombineWide(shares, { ringBits: k }))).toEqual(xs);
          const fresh = additiveReshareWide(shares, { shares: n2, ringBits: k }, rng);
          expect(fresh).toHaveLength(n2);
          expect(toBig(additiveCombineWide(fresh, { ringBits: k }))).toEqual(xs);
        },
      ),
    );
  });
  it('rejects out-of-ring elements, bad ring sizes and empty lists', () => {
    const v = { lo: Uint32Array.of(0), hi: Uint32Array.of(2 ** 8) };
    expect(() => additiveShareWide(v, { shares: 2, ringBits: 40 })).toThrow(RangeError);
    expect(() => additiveShareWide(v, { shares: 2, ringBits: 32 })).toThrow(RangeError);
    expect(() => additiveShareWide(v, { shares: 2, ringBits: 63 })).toThrow(RangeError);
    expect(() =>
      additiveShareWide(
        { lo: Uint32Array.of(0), hi: new Uint32Array(2) },
        { shares: 2, ringBits: 50 },
      ),
    ).toThrow(RangeError);
    expect(() => additiveCombineWide([], { ringBits: 40 })).toThrow(/no shares/);
    for (const { value } of HOSTILE_VALUES) {
      expect(() => additiveShareWide(value as never, { shares: 2, ringBits: 40 })).toThrow();
      expect(() => additiveCombineWide(value as never, { ringBits: 40 })).toThrow();
    }
  });
});
