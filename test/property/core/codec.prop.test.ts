/** Codecs: round trips, and every malformed input ends in MALFORMED_MESSAGE, never another exception. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, isPrivaggError } from '../../../src/core/index.ts';

interface Msg {
  a: number;
  b: number;
  c: number;
  d: Uint8Array;
  e: Uint32Array;
}

function encode(m: Msg): Uint8Array {
  return new ByteWriter(8).header(1, 7).u8(m.a).u16(m.b).u64(m.c).bytes(m.d).u32Array(m.e).finish();
}

function decode(bytes: Uint8Array): Msg {
  const r = new ByteReader(bytes, 1 << 16);
  r.header(7, [1]);
  const m = { a: r.u8(), b: r.u16(), c: r.u64(), d: r.bytes(1024), e: r.u32Array(256) };
  r.end();
  return m;
}

const msg = fc.record({
  a: fc.integer({ min: 0, max: 255 }),
  b: fc.integer({ min: 0, max: 65535 }),
  c: fc.maxSafeNat(),
  d: fc.uint8Array({ maxLength: 1024 }),
  e: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 256 }).map((a) => Uint32Array.from(a)),
});

function expectMalformed(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isPrivaggError(e) || e.code !== 'MALFORMED_MESSAGE') throw e;
    return;
  }
  throw new Error('expected MALFORMED_MESSAGE');
}

describe('codec', () => {
  it('round trips', () => {
    fc.assert(
      fc.property(msg, (m) => {
        expect(decode(encode(m))).toEqual(m);
      }),
    );
  });
  it('every strict prefix (truncation) is MALFORMED_MESSAGE', () => {
    fc.assert(
      fc.property(msg, fc.nat(), (m, cut) => {
        const bytes = encode(m);
        expectMalformed(() => decode(bytes.subarray(0, cut % bytes.length)));
      }),
    );
  });
  it('trailing bytes are MALFORMED_MESSAGE', () => {
    fc.assert(
      fc.property(msg, fc.uint8Array({ minLength: 1, maxLength: 8 }), (m, extra) => {
        const bytes = encode(m);
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        expectMalformed(() => decode(longer));
      }),
    );
  });
  it('random bytes decode or fail with MALFORMED_MESSAGE, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        try {
          decode(bytes);
        } catch (e) {
          if (!isPrivaggError(e) || e.code !== 'MALFORMED_MESSAGE') throw e;
        }
      }),
    );
    // the same with a valid header, so the body parser is exercised
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (body) => {
        const bytes = Uint8Array.of(0x50, 0x41, 1, 7, ...body);
        try {
          decode(bytes);
        } catch (e) {
          if (!isPrivaggError(e) || e.code !== 'MALFORMED_MESSAGE') throw e;
        }
      }),
    );
  });
  it('single-byte corruption never escapes as another exception', () => {
    fc.assert(
      fc.property(msg, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, at, flip) => {
        const bytes = encode(m);
        bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ flip;
        try {
          decode(bytes);
        } catch (e) {
          if (!isPrivaggError(e) || e.code !== 'MALFORMED_MESSAGE') throw e;
        }
      }),
    );
  });
  it('oversized length prefixes, messages, versions and types are refused', () => {
    const ok = encode({ a: 1, b: 2, c: 3, d: new Uint8Array(4), e: new Uint32Array(2) });
    expectMalformed(() => new ByteReader(ok, ok.length - 1));
    const huge = new ByteWriter().header(1, 7).u32(0xffffffff).finish();
    expectMalformed(
      () => new ByteReader(huge).header(7, [1]) && new ByteReader(huge, 100).bytes(10),
    );
    const r = new ByteReader(huge);
    r.header(7, [1]);
    expectMalformed(() => r.bytes(1 << 20));
    expectMalformed(() => new ByteReader(ok).header(7, [2]));
    expectMalformed(() => new ByteReader(ok).header(8, [1]));
    expectMalformed(() => new ByteReader(Uint8Array.of(0, 0, 1, 7)).header(7, [1]));
    expectMalformed(() => new ByteReader('abc' as never));
    const big64 = new ByteWriter().raw(new Uint8Array(8).fill(0xff)).finish();
    expectMalformed(() => new ByteReader(big64).u64());
  });
});
