/** Robust reconstruction: corruption is always detected within the bound, and corrected when n >= t + 2e. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting, isPrivaggError } from '../../../src/index.ts';
import {
  FIELD_MODULUS,
  robustCombine,
  robustReconstruct,
  type ShamirShare,
  shamirShare,
  split,
} from '../../../src/sharing/index.ts';

const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** t, n, a set of corrupt positions, and per corrupt share a non-empty set of coordinates. */
function scenario(errorsFor: (t: number, n: number) => [number, number]) {
  return fc
    .tuple(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: 1, max: 6 }),
    )
    .chain(([t, extra, d]) => {
      const n = t + extra;
      const [lo, hi] = errorsFor(t, n);
      return fc.tuple(
        fc.constant(t),
        fc.constant(n),
        fc.constant(d),
        fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: Math.min(lo, hi, n), maxLength: Math.min(hi, n) },
        ),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: FIELD_MODULUS - 1 })), {
          minLength: 1,
          maxLength: 4,
        }),
      );
    });
}

function corrupt(
  shares: ShamirShare[],
  positions: number[],
  edits: [number, number][],
  d: number,
): ShamirShare[] {
  return shares.map((s, i) => {
    if (!positions.includes(i)) return s;
    const value = s.value.slice();
    const touched = new Set<number>();
    for (const [at, delta] of edits) {
      // one edit per coordinate, so that edits cannot cancel out
      if (touched.has(at % d)) continue;
      touched.add(at % d);
      value[at % d] = ((value[at % d] as number) + delta) % FIELD_MODULUS;
    }
    return { index: s.index, value };
  });
}

function secretOf(d: number, s: Uint8Array): Uint32Array {
  return Uint32Array.from(
    { length: d },
    (_, i) => ((s[i] as number) * 8388617 + i) % FIELD_MODULUS,
  );
}

describe('robustReconstruct', () => {
  it('corrects e corrupt shares when n >= t + 2e and names exactly them', () => {
    fc.assert(
      fc.property(
        scenario((t, n) => [0, Math.floor((n - t) / 2)]),
        seed,
        ([t, n, d, bad, edits], s) => {
          const secret = secretOf(d, s);
          const shares = shamirShare(
            secret,
            { threshold: t, shares: n },
            deterministicRngForTesting(s),
          );
          const result = robustReconstruct(corrupt(shares, bad, edits, d), { threshold: t });
          expect(result.secret).toEqual(secret);
          expect(result.badIndices).toEqual(bad.map((i) => i + 1).sort((a, b) => a - b));
        },
      ),
    );
  });
  it('with maxErrors = 0 detects any 1..n-t corrupt shares, always', () => {
    fc.assert(
      fc.property(
        scenario((t, n) => [1, n - t]),
        seed,
        ([t, n, d, bad, edits], s) => {
          if (bad.length === 0) return;
          const shares = shamirShare(
            secretOf(d, s),
            { threshold: t, shares: n },
            deterministicRngForTesting(s),
          );
          try {
            robustReconstruct(corrupt(shares, bad, edits, d), { threshold: t, maxErrors: 0 });
          } catch (e) {
            expect(isPrivaggError(e) && e.code === 'INSUFFICIENT_SHARES').toBe(true);
            return;
          }
          throw new Error('corruption not detected');
        },
      ),
    );
  });
  it('with maxErrors = e, up to n - t - e corrupt shares give the secret or an error, never a wrong secret', () => {
    fc.assert(
      fc.property(
        scenario((t, n) => [0, n - t]),
        fc.nat(),
        seed,
        ([t, n, d, bad, edits], eRaw, s) => {
          const e = eRaw % (Math.floor((n - t) / 2) + 1);
          if (bad.length > n - t - e) return;
          const secret = secretOf(d, s);
          const shares = shamirShare(
            secret,
            { threshold: t, shares: n },
            deterministicRngForTesting(s),
          );
          try {
            expect(
              robustReconstruct(corrupt(shares, bad, edits, d), { threshold: t, maxErrors: e })
                .secret,
            ).toEqual(secret);
          } catch (err) {
            if (!isPrivaggError(err) || err.code !== 'INSUFFICIENT_SHARES') throw err;
          }
        },
      ),
    );
  });
  it('corrects adversarial shares that lie on another polynomial of degree < t', () => {
    // 3 liars out of 10 at t = 4 agree on a different secret; 10 >= 4 + 2 * 3
    const rng = deterministicRngForTesting(new Uint8Array(32).fill(1));
    const honest = shamirShare(Uint32Array.of(5), { threshold: 4, shares: 10 }, rng);
    const fake = shamirShare(Uint32Array.of(6), { threshold: 4, shares: 10 }, rng);
    const mixed = honest.map((s, i) => (i < 3 ? (fake[i] as ShamirShare) : s));
    const r = robustReconstruct(mixed, { threshold: 4 });
    expect([...r.secret]).toEqual([5]);
    expect(r.badIndices).toEqual([1, 2, 3]);
  });
  it('rejects bad options and too few shares', () => {
    const shares = shamirShare(Uint32Array.of(1), { threshold: 2, shares: 4 });
    expect(() => robustReconstruct(shares, { threshold: 2, maxErrors: 2 })).toThrow(RangeError);
    expect(() => robustReconstruct(shares, { threshold: 2, extra: 1 } as never)).toThrow(TypeError);
    expect(() => robustReconstruct(shares.slice(0, 1), { threshold: 2 })).toThrow(/threshold/);
    expect(() =>
      robustReconstruct([shares[0], shares[0]] as ShamirShare[], { threshold: 1 }),
    ).toThrow(RangeError);
  });
});

describe('robustCombine', () => {
  it('corrects corrupt encoded shares of a byte secret', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        seed,
        (secret, e, s) => {
          const shares = split(
            secret,
            { threshold: 3, shares: 3 + 2 * e },
            deterministicRngForTesting(s),
          );
          const bad: number[] = [];
          for (let i = 0; i < e; i++) {
            const sh = shares[2 * i] as Uint8Array;
            // bump the low byte of the first element (the element stays below p with overwhelming odds)
            const at = sh.length - 4 * Math.ceil((8 * secret.length) / 30);
            sh[at] = (sh[at] as number) ^ 1;
            bad.push(2 * i + 1);
          }
          const r = robustCombine(shares);
          expect(r.secret).toEqual(secret);
          expect(r.badIndices).toEqual(bad);
        },
      ),
    );
  });
});
