/** Fixed-point encoding: round trips within one quantum, sums decode exactly, overflow is refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFixedPoint,
  decodeFixedPointWide,
  deterministicRngForTesting,
  encodeFixedPoint,
  encodeFixedPointWide,
  fixedPointRange,
  isPrivaggError,
  ringSum,
} from '../../../src/core/index.ts';

const rng = deterministicRngForTesting(new Uint8Array(32).fill(5));

describe('fixed-point encoding', () => {
  it('round trip error is below one quantum (1/scale)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 32 }),
        fc.double({ min: 1, max: 2 ** 12, noNaN: true }),
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 40 }),
        (ringBits, scale, values) => {
          const opts = { ringBits, scale };
          fc.pre(fixedPointRange(opts) >= 1 + 1 / scale);
          const back = decodeFixedPoint(encodeFixedPoint(values, opts, rng), opts);
          values.forEach((v, i) => {
            expect(Math.abs((back[i] as number) - v)).toBeLessThanOrEqual(1 / scale + 1e-12);
          });
        },
      ),
    );
  });
  it('the ring sum of encodings decodes to the sum within n quanta', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        (clients) => {
          const opts = { ringBits: 32, scale: 2 ** 20 };
          const sum = decodeFixedPoint(
            ringSum(
              32,
              clients.map((c) => encodeFixedPoint(c, opts, rng)),
            ),
            opts,
          );
          for (let j = 0; j < 5; j++) {
            const exact = clients.reduce((s, c) => s + (c[j] as number), 0);
            expect(Math.abs((sum[j] as number) - exact)).toBeLessThanOrEqual(
              clients.length / opts.scale + 1e-9,
            );
          }
        },
      ),
    );
  });
  it('wide rings (k up to 62) round trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 33, max: 62 }),
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { maxLength: 20 }),
        (ringBits, values) => {
          const opts = { ringBits, scale: 2 ** 16 };
          fc.pre(fixedPointRange(opts) > 1001);
          const back = decodeFixedPointWide(encodeFixedPointWide(values, opts, rng), opts);
          values.forEach((v, i) => {
            expect(Math.abs((back[i] as number) - v)).toBeLessThanOrEqual(2 ** -16 + 1e-9);
          });
        },
      ),
    );
  });
  it('values that do not fit the signed range are refused with OVERFLOW, naming no value', () => {
    try {
      encodeFixedPoint([0.5, 200, -3], { ringBits: 8, scale: 1 }, rng);
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'OVERFLOW').toBe(true);
      expect((e as Error).message).not.toContain('200');
    }
    // the signed range is [-128, 127] for 8 bits
    expect([
      ...decodeFixedPoint(encodeFixedPoint([127, -128], { ringBits: 8, scale: 1 }, rng), {
        ringBits: 8,
        scale: 1,
      }),
    ]).toEqual([127, -128]);
  });
  it('rejects non-finite values and bad options', () => {
    expect(() => encodeFixedPoint([Number.NaN], { ringBits: 16, scale: 1 })).toThrow(RangeError);
    expect(() => encodeFixedPoint([1], { ringBits: 16, scale: 0 })).toThrow(RangeError);
    expect(() => encodeFixedPoint([1], { ringBits: 40, scale: 1 })).toThrow(RangeError);
    expect(() => encodeFixedPoint([1], { ringBits: 16, scale: 1, extra: 1 } as never)).toThrow(
      TypeError,
    );
    expect(() => encodeFixedPoint('abc' as never, { ringBits: 16, scale: 1 })).toThrow(TypeError);
  });
  it('integers encode exactly (no randomness consumed changes them)', () => {
    const opts = { ringBits: 16, scale: 4 };
    expect([...decodeFixedPoint(encodeFixedPoint([1.25, -2.5, 0], opts, rng), opts)]).toEqual([
      1.25, -2.5, 0,
    ]);
  });
});
