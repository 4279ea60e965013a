import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting } from '../../../src/index.ts';
import { combine, parseShare, split } from '../../../src/sharing/index.ts';
import { errorCode as code, throwsDocumented } from '../../helpers/error-code.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const rng = () => deterministicRngForTesting(new Uint8Array(32).fill(9));

describe('split / combine', () => {
  it('any threshold shares reconstruct, in any order', () => {
    const secret = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff);
    const shares = split(secret, { threshold: 3, shares: 6 }, rng());
    expect(shares).toHaveLength(6);
    for (const pick of [
      [0, 1, 2],
      [5, 3, 1],
      [2, 4, 5],
      [0, 1, 2, 3, 4, 5],
    ])
      expect(combine(pick.map((i) => shares[i] as Uint8Array))).toEqual(secret);
  });
  it('pins threshold, index, split id and length in each share', () => {
    const shares = split(new Uint8Array(32), { threshold: 2, shares: 3 }, rng());
    const infos = shares.map(parseShare);
    expect(infos.map((i) => i.index)).toEqual([1, 2, 3]);
    expect(infos.every((i) => i.threshold === 2 && i.byteLength === 32 && i.version === 1)).toBe(
      true,
    );
    expect(infos[1]?.splitId).toEqual(infos[0]?.splitId);
    // different splits get different identifiers
    const other = split(new Uint8Array(32), { threshold: 2, shares: 3 });
    expect(parseShare(other[0] as Uint8Array).splitId).not.toEqual(infos[0]?.splitId);
  });
  it('refuses too few shares, mixed splits, duplicates and corrupt extras', () => {
    const a = split(Uint8Array.of(1, 2, 3), { threshold: 3, shares: 5 }, rng());
    const b = split(Uint8Array.of(1, 2, 3), { threshold: 3, shares: 5 });
    expect(code(() => combine(a.slice(0, 2)))).toBe('INSUFFICIENT_SHARES');
    expect(code(() => combine([]))).toBe('INSUFFICIENT_SHARES');
    expect(code(() => combine([a[0], a[1], b[2]] as Uint8Array[]))).toBe('DOMAIN_MISMATCH');
    expect(code(() => combine([a[0], a[1], a[1]] as Uint8Array[]))).toBe('MALFORMED_MESSAGE');
    const corrupt = (a[4] as Uint8Array).slice();
    corrupt[corrupt.length - 2] = (corrupt[corrupt.length - 2] as number) ^ 1;
    expect(code(() => combine([a[0], a[1], a[2], corrupt] as Uint8Array[]))).toBe(
      'MALFORMED_MESSAGE',
    );
  });
  it('supports 10,000 shares', () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
    const shares = split(secret, { threshold: 40, shares: 10_000 }, rng());
    expect(shares).toHaveLength(10_000);
    expect(combine(shares.slice(9_960))).toEqual(secret);
    expect(parseShare(shares[9_999] as Uint8Array).index).toBe(10_000);
  });
  it('rejects hostile arguments with TypeError or RangeError', () => {
    for (const { name, value } of HOSTILE_VALUES) {
      const cases: (() => unknown)[] = [
        () => split(value as Uint8Array, { threshold: 2, shares: 3 }),
        () => split(new Uint8Array(4), value as never),
        () => split(new Uint8Array(4), { threshold: value as number, shares: 3 }),
        () => split(new Uint8Array(4), { threshold: 2, shares: value as number }),
        () => split(new Uint8Array(4), { threshold: 2, shares: 3 }, value as never),
        () => combine(value as Uint8Array[]),
      ];
      for (const [k, f] of cases.entries()) {
        if (k === 4 && value === undefined) continue; // undefined rng means the default
        // a function as rng is a valid type but breaks the Rng contract: TypeError
        expect(throwsDocumented(f, k === 5), `${name} #${k}`).toBe(true);
      }
    }
    expect(() => split(new Uint8Array(4), { threshold: 1, shares: 3 })).toThrow(RangeError);
    expect(() => split(new Uint8Array(4), { threshold: 4, shares: 3 })).toThrow(RangeError);
    expect(() => split(new Uint8Array(0), { threshold: 2, shares: 3 })).toThrow(RangeError);
    expect(() => split(new Uint8Array(4), { threshold: 2, shares: 70_000 })).toThrow(RangeError);
    expect(() => split(new Uint8Array(4), { threshold: 2, shares: 3, n: 1 } as never)).toThrow(
      TypeError,
    );
  });
});
