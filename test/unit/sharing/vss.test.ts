import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting, isPrivaggError } from '../../../src/index.ts';
import {
  VSS_GROUP_ORDER,
  type VssScheme,
  vssDeal,
  vssReconstruct,
  vssVerify,
} from '../../../src/sharing/index.ts';
import { errorCode as code, throwsDocumented } from '../../helpers/error-code.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const rng = () => deterministicRngForTesting(new Uint8Array(32).fill(5));
const schemes: VssScheme[] = ['feldman', 'pedersen'];

/** Replace the 32-byte value of an encoded share with value + delta (mod l). */
function tamper(share: Uint8Array, delta: bigint): Uint8Array {
  const out = share.slice();
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(out[9 + i] as number);
  v = (v + delta) % VSS_GROUP_ORDER;
  for (let i = 0; i < 32; i++) {
    out[9 + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

describe('verifiable secret sharing on ristretto255', () => {
  for (const scheme of schemes) {
    it(`${scheme}: valid shares verify and any threshold reconstruct`, () => {
      const secret = VSS_GROUP_ORDER - 12345n;
      const { shares, commitments } = vssDeal(secret, { threshold: 3, shares: 5, scheme }, rng());
      for (const s of shares) expect(vssVerify(s, commitments)).toBe(true);
      expect(
        vssReconstruct([shares[4], shares[0], shares[2]] as Uint8Array[], commitments),
      ).toEqual({
        secret,
        badIndices: [],
      });
      expect(vssReconstruct(shares, commitments).secret).toBe(secret);
    });
    it(`${scheme}: a bad share fails verification and is attributed to its sender`, () => {
      const { shares, commitments } = vssDeal(7n, { threshold: 2, shares: 5, scheme }, rng());
      const forged = tamper(shares[1] as Uint8Array, 1n);
      expect(vssVerify(forged, commitments)).toBe(false);
      const r = vssReconstruct([shares[0], forged, shares[3]] as Uint8Array[], commitments);
      expect(r).toEqual({ secret: 7n, badIndices: [2] });
      // with only one valid share left, reconstruction refuses
      expect(code(() => vssReconstruct([shares[0], forged] as Uint8Array[], commitments))).toBe(
        'INSUFFICIENT_SHARES',
      );
    });
  }
  it('any corrupted share value is caught (property)', () => {
    const { shares, commitments } = vssDeal(
      42n,
      { threshold: 3, shares: 4, scheme: 'feldman' },
      rng(),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.bigInt({ min: 1n, max: VSS_GROUP_ORDER - 1n }),
        (i, delta) => {
          expect(vssVerify(tamper(shares[i] as Uint8Array, delta), commitments)).toBe(false);
        },
      ),
      { numRuns: 20 },
    );
  });
  it('shares of one dealing do not verify against another dealing', () => {
    const a = vssDeal(1n, { threshold: 2, shares: 3 }, rng());
    const b = vssDeal(1n, { threshold: 2, shares: 3 });
    expect(vssVerify(a.shares[0] as Uint8Array, b.commitments)).toBe(false);
    const f = vssDeal(1n, { threshold: 2, shares: 3, scheme: 'feldman' });
    expect(code(() => vssVerify(f.shares[0] as Uint8Array, a.commitments))).toBe('DOMAIN_MISMATCH');
    expect(
      vssReconstruct([f.shares[0], a.shares[1], a.shares[2]] as Uint8Array[], a.commitments)
        .badIndices,
    ).toEqual([1]);
  });
  it('pedersen commitments of equal secrets differ (hiding), feldman ones do not', () => {
    const p1 = vssDeal(5n, { threshold: 1, shares: 1 }).commitments;
    const p2 = vssDeal(5n, { threshold: 1, shares: 1 }).commitments;
    expect(p1).not.toEqual(p2);
    const f1 = vssDeal(5n, { threshold: 1, shares: 1, scheme: 'feldman' }).commitments;
    const f2 = vssDeal(5n, { threshold: 1, shares: 1, scheme: 'feldman' }).commitments;
    expect(f1).toEqual(f2);
  });
  it('malformed, truncated and oversized shares and commitments are MALFORMED_MESSAGE', () => {
    const { shares, commitments } = vssDeal(9n, { threshold: 2, shares: 3 }, rng());
    const share = shares[0] as Uint8Array;
    for (let cut = 0; cut < share.length; cut++)
      expect(code(() => vssVerify(share.subarray(0, cut), commitments))).toBe('MALFORMED_MESSAGE');
    for (let cut = 0; cut < commitments.length; cut++)
      expect(code(() => vssVerify(share, commitments.subarray(0, cut)))).toBe('MALFORMED_MESSAGE');
    const longer = new Uint8Array(share.length + 1);
    longer.set(share);
    expect(code(() => vssVerify(longer, commitments))).toBe('MALFORMED_MESSAGE');
    const badPoint = commitments.slice();
    badPoint.fill(0xff, 9, 41);
    expect(code(() => vssVerify(share, badPoint))).toBe('MALFORMED_MESSAGE');
    const bigScalar = share.slice();
    bigScalar.fill(0xff, 9, 41);
    expect(code(() => vssVerify(bigScalar, commitments))).toBe('MALFORMED_MESSAGE');
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        for (const [msg, other, which] of [
          [share, commitments, 0],
          [commitments, share, 1],
        ] as const) {
          const m = msg.slice();
          m[at % m.length] = (m[at % m.length] as number) ^ flip;
          try {
            if (which === 0) vssVerify(m, other);
            else vssVerify(other, m);
          } catch (e) {
            if (!isPrivaggError(e) || !['MALFORMED_MESSAGE', 'DOMAIN_MISMATCH'].includes(e.code))
              throw e;
          }
        }
      }),
      { numRuns: 50 },
    );
  });
  it('rejects hostile arguments with TypeError or RangeError', () => {
    for (const { name, value } of HOSTILE_VALUES) {
      const cases: (() => unknown)[] = [
        () => vssDeal(value as bigint, { threshold: 2, shares: 3 }),
        () => vssDeal(1n, value as never),
        () => vssDeal(1n, { threshold: value as number, shares: 3 }),
        () => vssDeal(1n, { threshold: 2, shares: 3, scheme: value as never }),
        () => vssVerify(value as Uint8Array, new Uint8Array(4)),
        () => vssReconstruct(value as Uint8Array[], new Uint8Array(4)),
      ];
      for (const [k, f] of cases.entries()) {
        if (k === 3 && value === undefined) continue;
        if (k === 0 && value === 1n) continue;
        expect(throwsDocumented(f, k >= 4), `${name} #${k}`).toBe(true);
      }
    }
    expect(() => vssDeal(VSS_GROUP_ORDER, { threshold: 1, shares: 1 })).toThrow(RangeError);
    expect(() => vssDeal(-1n, { threshold: 1, shares: 1 })).toThrow(RangeError);
  });
});
