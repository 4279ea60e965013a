/** Shamir laws, and the fast GF(2^31 - 1) kernels checked bit for bit against a BigInt reference. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting } from '../../../src/index.ts';
import {
  bytesToFieldElements,
  combine,
  FIELD_MODULUS,
  fieldAdd,
  fieldElementsToBytes,
  fieldInv,
  fieldMul,
  fieldSub,
  lagrangeCoefficients,
  reconstructBytes,
  shamirReconstruct,
  shamirShare,
  shareBytes,
  split,
} from '../../../src/sharing/index.ts';
import { mod, refLagrange, refReconstruct, refShare } from '../../helpers/sharing-reference.ts';

const element = fc.oneof(
  fc.integer({ min: 0, max: FIELD_MODULUS - 1 }),
  fc.constantFrom(0, 1, 2, 65535, 65536, 2 ** 30, FIELD_MODULUS - 2, FIELD_MODULUS - 1),
);
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** threshold t, share count n >= t, and a subset of t..n distinct positions */
const tn = fc
  .integer({ min: 1, max: 12 })
  .chain((t) => fc.tuple(fc.constant(t), fc.integer({ min: t, max: 16 })))
  .chain(([t, n]) =>
    fc.tuple(
      fc.constant(t),
      fc.constant(n),
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: t, maxLength: n },
      ),
    ),
  );

describe('GF(2^31 - 1) arithmetic', () => {
  it('add, sub, mul, inv equal BigInt arithmetic', () => {
    fc.assert(
      fc.property(element, element, (a, b) => {
        expect(BigInt(fieldAdd(a, b))).toBe(mod(BigInt(a) + BigInt(b)));
        expect(BigInt(fieldSub(a, b))).toBe(mod(BigInt(a) - BigInt(b)));
        expect(BigInt(fieldMul(a, b))).toBe(mod(BigInt(a) * BigInt(b)));
        if (a !== 0) expect(BigInt(fieldMul(a, fieldInv(a)))).toBe(1n);
      }),
      { numRuns: 2000 },
    );
  });
  it('Lagrange coefficients equal the BigInt reference (any index set, any point)', () => {
    const indices = fc.uniqueArray(fc.integer({ min: 1, max: FIELD_MODULUS - 1 }), {
      minLength: 1,
      maxLength: 20,
    });
    fc.assert(
      fc.property(indices, element, (xs, at) => {
        expect([...lagrangeCoefficients(xs, at)].map(BigInt)).toEqual(refLagrange(xs, at));
      }),
    );
  });
});

describe('vector Shamir', () => {
  it('shares are bit-identical to the BigInt reference (small and large indices)', () => {
    const indices = fc.uniqueArray(
      fc.oneof(fc.integer({ min: 1, max: 70_000 }), fc.integer({ min: 1, max: FIELD_MODULUS - 1 })),
      { minLength: 1, maxLength: 10 },
    );
    fc.assert(
      fc.property(
        fc.array(element, { maxLength: 40 }),
        indices,
        fc.nat(),
        seed,
        (secret, xs, tRaw, s) => {
          const t = 1 + (tRaw % xs.length);
          const fast = shamirShare(
            Uint32Array.from(secret),
            { threshold: t, indices: xs },
            deterministicRngForTesting(s),
          );
          const ref = refShare(secret.map(BigInt), t, xs, deterministicRngForTesting(s));
          expect(fast.map((sh) => sh.index)).toEqual(xs);
          expect(fast.map((sh) => [...sh.value].map(BigInt))).toEqual(ref);
        },
      ),
    );
  });
  it('any t of n shares reconstruct, matching the reference interpolation', () => {
    fc.assert(
      fc.property(
        tn,
        fc.array(element, { minLength: 1, maxLength: 30 }),
        seed,
        ([t, n, pick], secret, s) => {
          const shares = shamirShare(
            Uint32Array.from(secret),
            { threshold: t, shares: n },
            deterministicRngForTesting(s),
          );
          const chosen = pick.map((i) => shares[i] as (typeof shares)[number]);
          expect([...shamirReconstruct(chosen, { threshold: t })]).toEqual(secret);
          const base = chosen.slice(0, t);
          expect(
            refReconstruct(
              base.map((c) => c.index),
              base.map((c) => [...c.value].map(BigInt)),
            ),
          ).toEqual(secret.map(BigInt));
        },
      ),
    );
  });
  it('reconstructs any coordinate range', () => {
    fc.assert(
      fc.property(
        fc.array(element, { minLength: 1, maxLength: 50 }),
        fc.nat(),
        fc.nat(),
        seed,
        (secret, a, b, s) => {
          const from = a % (secret.length + 1);
          const to = from + (b % (secret.length - from + 1));
          const shares = shamirShare(
            Uint32Array.from(secret),
            { threshold: 3, shares: 4 },
            deterministicRngForTesting(s),
          );
          expect([...shamirReconstruct(shares.slice(1), { threshold: 3, from, to })]).toEqual(
            secret.slice(from, to),
          );
        },
      ),
    );
  });
  it('large vectors with many folds (threshold 40) match the reference on sampled coordinates', () => {
    const s = new Uint8Array(32).fill(4);
    const secret = Uint32Array.from({ length: 3000 }, (_, i) => (i * 2654435761) % FIELD_MODULUS);
    const shares = shamirShare(
      secret,
      { threshold: 40, shares: 45 },
      deterministicRngForTesting(s),
    );
    expect([...shamirReconstruct(shares.slice(5), { threshold: 40 })]).toEqual([...secret]);
    const ref = refShare(
      [...secret.slice(0, 3)].map(BigInt),
      40,
      [1, 45],
      deterministicRngForTesting(s),
    );
    expect([...(shares[0]?.value.slice(0, 3) ?? [])].map(BigInt)).toEqual(ref[0]);
  });
});

describe('byte secrets', () => {
  it('packing round trips and every element is below 2^30', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const el = bytesToFieldElements(bytes);
        expect(el.every((x) => x < 2 ** 30)).toBe(true);
        expect(fieldElementsToBytes(el, bytes.length)).toEqual(bytes);
      }),
    );
  });
  it('split/combine and shareBytes/reconstructBytes round trip for any t of n', () => {
    fc.assert(
      fc.property(
        tn,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        seed,
        ([t0, n, pick], secret, s) => {
          const t = Math.max(2, t0);
          if (n < t) return;
          const enc = split(secret, { threshold: t, shares: n }, deterministicRngForTesting(s));
          const chosen = pick.map((i) => enc[i] as Uint8Array);
          if (chosen.length >= t) expect(combine(chosen)).toEqual(secret);
          const fe = shareBytes(secret, { threshold: t, shares: n }, deterministicRngForTesting(s));
          const fchosen = pick.map((i) => fe[i] as (typeof fe)[number]);
          if (fchosen.length >= t)
            expect(reconstructBytes(fchosen, { threshold: t, byteLength: secret.length })).toEqual(
              secret,
            );
        },
      ),
    );
  });
});

describe('t - 1 shares are independent of the secret (exhaustive, small field)', () => {
  // The law is checked exhaustively for the construction (Horner evaluation of s + c_1 x + ...
  // at 1..n, as the reference and the bit-identical fast kernel compute it) over GF(7) and
  // GF(11): for every secret, each (t - 1)-tuple of share values arises from exactly one
  // coefficient choice, so the view of any t - 1 shares is uniform whatever the secret.
  for (const q of [7n, 11n])
    for (const [t, n] of [
      [2, 3],
      [3, 4],
    ] as const)
      it(`GF(${q}), t = ${t}, n = ${n}`, () => {
        const xs = Array.from({ length: n }, (_, i) => BigInt(i + 1));
        const subsets: number[][] = [];
        const rec = (start: number, acc: number[]) => {
          if (acc.length === t - 1) return void subsets.push(acc);
          for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
        };
        rec(0, []);
        for (const subset of subsets) {
          let reference: string | undefined;
          for (let secret = 0n; secret < q; secret++) {
            const counts = new Map<string, number>();
            const total = Number(q) ** (t - 1);
            for (let c = 0; c < total; c++) {
              const coeffs = [secret];
              let r = c;
              for (let k = 1; k < t; k++) {
                coeffs.push(BigInt(r % Number(q)));
                r = Math.floor(r / Number(q));
              }
              const key = subset
                .map((i) => {
                  let acc = 0n;
                  for (let k = coeffs.length - 1; k >= 0; k--)
                    acc = (acc * (xs[i] as bigint) + (coeffs[k] as bigint)) % q;
                  return acc;
                })
                .join();
              counts.set(key, (counts.get(key) ?? 0) + 1);
            }
            const sig = [...counts.entries()].sort().join(';');
            // every (t-1)-tuple of share values appears exactly once: uniform
            expect(counts.size).toBe(total);
            if (reference === undefined) reference = sig;
            else expect(sig).toBe(reference);
          }
        }
      });
});
