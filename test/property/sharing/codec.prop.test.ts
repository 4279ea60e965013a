/** Fuzzed share encodings: every malformed, truncated or oversized share is MALFORMED_MESSAGE, nothing else escapes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting, isPrivaggError } from '../../../src/index.ts';
import {
  combine,
  decodeFieldShare,
  encodeFieldShare,
  FIELD_MODULUS,
  parseShare,
  robustCombine,
  split,
} from '../../../src/sharing/index.ts';
import { errorCode } from '../../helpers/error-code.ts';

const shares = split(
  new TextEncoder().encode('fuzz me: 32 bytes of secret text'),
  { threshold: 2, shares: 3 },
  deterministicRngForTesting(new Uint8Array(32).fill(8)),
);
const good = shares[0] as Uint8Array;

function onlyPrivagg(f: () => unknown, codes: string[]): void {
  try {
    f();
  } catch (e) {
    if (!isPrivaggError(e) || !codes.includes(e.code)) throw e;
  }
}

describe('share codec fuzzing', () => {
  it('every strict prefix is MALFORMED_MESSAGE', () => {
    for (let cut = 0; cut < good.length; cut++) {
      expect(errorCode(() => parseShare(good.subarray(0, cut)))).toBe('MALFORMED_MESSAGE');
      expect(errorCode(() => combine([good.subarray(0, cut), shares[1] as Uint8Array]))).toBe(
        'MALFORMED_MESSAGE',
      );
    }
  });
  it('trailing bytes are MALFORMED_MESSAGE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), (extra) => {
        const longer = new Uint8Array(good.length + extra.length);
        longer.set(good);
        longer.set(extra, good.length);
        expect(errorCode(() => parseShare(longer))).toBe('MALFORMED_MESSAGE');
      }),
    );
  });
  it('random bytes, with and without a valid header, decode or fail with MALFORMED_MESSAGE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (body, withHeader) => {
        const bytes = withHeader ? Uint8Array.of(0x50, 0x41, 1, 0x21, 1, ...body) : body;
        onlyPrivagg(() => parseShare(bytes), ['MALFORMED_MESSAGE']);
        onlyPrivagg(
          () => combine([bytes, shares[1] as Uint8Array]),
          ['MALFORMED_MESSAGE', 'DOMAIN_MISMATCH', 'INSUFFICIENT_SHARES'],
        );
      }),
    );
  });
  it('single-byte corruption is refused or detected, never an unlabelled exception or a wrong secret', () => {
    const secret = combine(shares);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = good.slice();
        bad[at % bad.length] = (bad[at % bad.length] as number) ^ flip;
        // with all three shares, combine checks the third against the other two
        try {
          expect(combine([bad, shares[1] as Uint8Array, shares[2] as Uint8Array])).toEqual(secret);
        } catch (e) {
          if (!isPrivaggError(e)) throw e;
          expect(['MALFORMED_MESSAGE', 'DOMAIN_MISMATCH', 'INSUFFICIENT_SHARES']).toContain(e.code);
        }
        onlyPrivagg(
          () => robustCombine([bad, shares[1] as Uint8Array, shares[2] as Uint8Array]),
          ['MALFORMED_MESSAGE', 'DOMAIN_MISMATCH', 'INSUFFICIENT_SHARES'],
        );
      }),
      { numRuns: 300 },
    );
  });
  it('oversized fields are refused before allocation', () => {
    // byteLength field claims 64 MiB + 1, element count claims 2^32 - 1
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(4 + 1 + 16 + 8, 64 * 1024 * 1024 + 1, true);
    expect(errorCode(() => parseShare(huge))).toBe('MALFORMED_MESSAGE');
    const count = good.slice();
    new DataView(count.buffer).setUint32(4 + 1 + 16 + 12, 0xffffffff, true);
    expect(errorCode(() => parseShare(count))).toBe('MALFORMED_MESSAGE');
    const zeroIndex = good.slice();
    new DataView(zeroIndex.buffer).setUint32(4 + 1 + 16 + 4, 0, true);
    expect(errorCode(() => parseShare(zeroIndex))).toBe('MALFORMED_MESSAGE');
    const element = good.slice();
    new DataView(element.buffer).setUint32(good.length - 4, 2147483647, true);
    expect(errorCode(() => parseShare(element))).toBe('MALFORMED_MESSAGE');
  });
});

describe('field-element share codec', () => {
  const share = fc.record({
    index: fc.integer({ min: 1, max: FIELD_MODULUS - 1 }),
    value: fc
      .array(fc.integer({ min: 0, max: FIELD_MODULUS - 1 }), { maxLength: 64 })
      .map((a) => Uint32Array.from(a)),
  });
  it('round trips', () => {
    fc.assert(
      fc.property(share, (s) => {
        expect(decodeFieldShare(encodeFieldShare(s), { maxElements: 64 })).toEqual(s);
      }),
    );
  });
  it('prefixes, oversize, corruption and random bytes are MALFORMED_MESSAGE or decode', () => {
    fc.assert(
      fc.property(share, fc.nat(), fc.integer({ min: 1, max: 255 }), (s, at, flip) => {
        const bytes = encodeFieldShare(s);
        expect(
          errorCode(() =>
            decodeFieldShare(bytes.subarray(0, at % bytes.length), { maxElements: 64 }),
          ),
        ).toBe('MALFORMED_MESSAGE');
        if (s.value.length > 0)
          expect(
            errorCode(() => decodeFieldShare(bytes, { maxElements: s.value.length - 1 })),
          ).toBe('MALFORMED_MESSAGE');
        const bad = bytes.slice();
        bad[at % bad.length] = (bad[at % bad.length] as number) ^ flip;
        onlyPrivagg(() => decodeFieldShare(bad, { maxElements: 64 }), ['MALFORMED_MESSAGE']);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        onlyPrivagg(
          () => decodeFieldShare(Uint8Array.of(0x50, 0x41, 1, 0x24, ...body), { maxElements: 64 }),
          ['MALFORMED_MESSAGE'],
        );
      }),
    );
    const zero = encodeFieldShare({ index: 1, value: Uint32Array.of(1) });
    zero[4] = 0;
    expect(errorCode(() => decodeFieldShare(zero, { maxElements: 1 }))).toBe('MALFORMED_MESSAGE');
    const big = encodeFieldShare({ index: 1, value: Uint32Array.of(1) });
    new DataView(big.buffer).setUint32(12, FIELD_MODULUS, true);
    expect(errorCode(() => decodeFieldShare(big, { maxElements: 1 }))).toBe('MALFORMED_MESSAGE');
    expect(() => encodeFieldShare({ index: 0, value: Uint32Array.of(1) })).toThrow(RangeError);
    expect(() => decodeFieldShare(big, { maxElements: -1 })).toThrow(RangeError);
  });
});
