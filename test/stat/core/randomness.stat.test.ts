/**
 * Hypothesis tests (alpha about 1e-6 each, as OpenDP uses): the CSPRNG and the keystreams are
 * uniform on bytes and bits, and fixed-point stochastic rounding is unbiased.
 */
import { describe, expect, it } from 'vitest';
import {
  createKeystream,
  decodeFixedPoint,
  deterministicRngForTesting,
  encodeFixedPoint,
  randomBytes,
  u8view,
} from '../../../src/core/index.ts';
import { chiSquareCritical1e6, chiSquareUniform, Z_1E6 } from '../../helpers/stats.ts';

function byteCounts(bytes: Uint8Array): Uint32Array {
  const counts = new Uint32Array(256);
  for (const b of bytes) counts[b] = (counts[b] as number) + 1;
  return counts;
}

describe('uniformity', () => {
  const sources: [string, () => Uint8Array][] = [
    ['randomBytes (CSPRNG)', () => randomBytes(1 << 24)],
    ['deterministicRngForTesting', () => deterministicRngForTesting(randomBytes(32))(1 << 24)],
    [
      'AES-256-CTR keystream',
      () => u8view(createKeystream(randomBytes(32)).fillWordsSync(new Uint32Array(1 << 22))),
    ],
    [
      'ChaCha20 keystream',
      () =>
        u8view(
          createKeystream(randomBytes(32), { algorithm: 'chacha20' }).fillWordsSync(
            new Uint32Array(1 << 22),
          ),
        ),
    ],
  ];
  for (const [name, draw] of sources) {
    it(`${name}: byte histogram passes chi-square (255 df)`, () => {
      const chi = chiSquareUniform(byteCounts(draw()));
      expect(chi).toBeLessThan(chiSquareCritical1e6(255));
    });
  }
  it('keystream words: each of the 32 bit positions is fair', () => {
    const words = createKeystream(randomBytes(32), { algorithm: 'chacha20' }).fillWordsSync(
      new Uint32Array(1 << 20),
    );
    const n = words.length;
    for (let bit = 0; bit < 32; bit++) {
      let ones = 0;
      for (const w of words) ones += (w >>> bit) & 1;
      const z = (ones - n / 2) / Math.sqrt(n / 4);
      expect(Math.abs(z), `bit ${bit}`).toBeLessThan(Z_1E6);
    }
  });
});

describe('stochastic rounding', () => {
  for (const x of [0.3, -0.7, 0.5, 1e-3, -2.999]) {
    it(`is unbiased at x = ${x} (z-test, 2^21 draws)`, () => {
      const n = 1 << 21;
      const values = new Float64Array(n).fill(x);
      const opts = { ringBits: 8, scale: 1 };
      const decoded = decodeFixedPoint(encodeFixedPoint(values, opts), opts);
      let sum = 0;
      for (const v of decoded) sum += v;
      const mean = sum / n;
      const frac = x - Math.floor(x);
      const sd = Math.sqrt(frac * (1 - frac));
      const z = (mean - x) / (sd / Math.sqrt(n));
      expect(Math.abs(z)).toBeLessThan(Z_1E6);
      // every output is one of the two neighbours
      const lo = Math.floor(x);
      let outside = 0;
      for (const v of decoded) outside += v === lo || v === lo + 1 ? 0 : 1;
      expect(outside).toBe(0);
    });
  }
});
