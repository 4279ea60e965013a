/**
 * Hypothesis tests (alpha about 1e-6 each) on the real GF(2^31 - 1) kernels: the joint view of
 * any t - 1 Shamir shares, and of n - 1 additive shares, is uniform whatever the secret
 * (complementing the exhaustive small-field check in test/property/sharing).
 */
import { describe, expect, it } from 'vitest';
import { additiveShare, FIELD_MODULUS, shamirShare } from '../../../src/sharing/index.ts';
import { chiSquareCritical1e6, chiSquareUniform } from '../../helpers/stats.ts';

const D = 1 << 18;

/** 256 cells: 4 bits of share a by 4 bits of share b, at a bit offset. */
function jointCounts(a: Uint32Array, b: Uint32Array, shift: number): Uint32Array {
  const counts = new Uint32Array(256);
  for (let i = 0; i < a.length; i++) {
    const cell = ((((a[i] as number) >>> shift) & 15) << 4) | (((b[i] as number) >>> shift) & 15);
    counts[cell] = (counts[cell] as number) + 1;
  }
  return counts;
}

describe('t - 1 Shamir shares are uniform whatever the secret', () => {
  for (const secret of [0, 1, 12345, FIELD_MODULUS - 1])
    for (const [a, b] of [
      [0, 1],
      [1, 4],
    ] as const)
      it(`secret ${secret}, t = 3, shares ${a + 1} and ${b + 1}`, () => {
        // D independent coordinates, each with the same secret: D samples of the 2-share view
        const shares = shamirShare(new Uint32Array(D).fill(secret), { threshold: 3, shares: 5 });
        for (const shift of [0, 13, 27]) {
          const chi = chiSquareUniform(
            jointCounts(
              shares[a]?.value ?? new Uint32Array(),
              shares[b]?.value ?? new Uint32Array(),
              shift,
            ),
          );
          expect(chi).toBeLessThan(chiSquareCritical1e6(255));
        }
      });
});

describe('positive control', () => {
  it('a view that depends on the secret is rejected (t = 2: two shares determine it)', () => {
    // shares 1 and 2 of a degree-1 polynomial s + c x: share2 - 2 share1 = -s, so the low bits
    // of the pair are far from uniform once projected on (share2 - 2 share1) mod 16
    const shares = shamirShare(new Uint32Array(D).fill(5), { threshold: 2, shares: 2 });
    const s1 = shares[0]?.value ?? new Uint32Array();
    const s2 = shares[1]?.value ?? new Uint32Array();
    const diff = s2.map((y, i) => (y - 2 * (s1[i] as number) + 2 * FIELD_MODULUS) % FIELD_MODULUS);
    const chi = chiSquareUniform(jointCounts(diff, s1, 0));
    expect(chi).toBeGreaterThan(chiSquareCritical1e6(255));
  });
});

describe('n - 1 additive shares are uniform whatever the secret', () => {
  for (const modulus of ['field', { ringBits: 32 }, { ringBits: 20 }] as const)
    it(`${JSON.stringify(modulus)}`, () => {
      const top = modulus === 'field' ? 27 : modulus.ringBits - 4;
      const shares = additiveShare(new Uint32Array(D).fill(7), { shares: 3, modulus });
      for (const [a, b] of [
        [0, 1],
        [1, 2],
      ] as const)
        for (const shift of [0, top]) {
          const chi = chiSquareUniform(
            jointCounts(shares[a] ?? new Uint32Array(), shares[b] ?? new Uint32Array(), shift),
          );
          expect(chi).toBeLessThan(chiSquareCritical1e6(255));
        }
    });
});
