import { describe, expect, it } from 'vitest';
import { drawWords, randomBelowBigInt, randomBelowU32 } from '../../../src/core/random.ts';
import { deterministicRngForTesting, randomBytes } from '../../../src/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

describe('randomBytes', () => {
  it('fills any length, including past the 64 KiB getRandomValues quota', () => {
    expect(randomBytes(0).length).toBe(0);
    const big = randomBytes(200_000);
    expect(big.length).toBe(200_000);
    // the last chunk is filled too (probability of 1000 zero bytes is 2^-8000)
    expect(big.subarray(199_000).some((b) => b !== 0)).toBe(true);
    expect(randomBytes(32)).not.toEqual(randomBytes(32));
  });
  it('rejects hostile lengths with TypeError or RangeError', () => {
    for (const { name, value } of HOSTILE_VALUES) {
      if (value === -1 || typeof value === 'number') {
        if (Number.isSafeInteger(value) && (value as number) >= 0) continue;
      }
      expect(() => randomBytes(value as number), name).toThrow(/expected/);
      try {
        randomBytes(value as number);
      } catch (e) {
        expect(e instanceof TypeError || e instanceof RangeError, name).toBe(true);
      }
    }
  });
});

describe('deterministicRngForTesting', () => {
  it('is reproducible, continues its stream, and differs by seed', () => {
    const seed = new Uint8Array(32).fill(7);
    const a = deterministicRngForTesting(seed);
    const b = deterministicRngForTesting(seed);
    const first = a(10);
    expect(first).toEqual(b(10));
    expect(a(100)).toEqual(b(100));
    expect(deterministicRngForTesting(new Uint8Array(32))(10)).not.toEqual(first);
  });
  it('split reads equal one long read (stream continuity across block boundaries)', () => {
    const seed = new Uint8Array(32).fill(1);
    const whole = deterministicRngForTesting(seed)(300);
    const r = deterministicRngForTesting(seed);
    const parts = [r(1), r(63), r(65), r(171)];
    expect(Uint8Array.from(parts.flatMap((p) => [...p]))).toEqual(whole);
  });
  it('equals the RFC 8439 ChaCha20 keystream with a zero nonce', async () => {
    const { createKeystream, wordsToBytesLE } = await import('../../../src/core/index.ts');
    const seed = new Uint8Array(32).map((_, i) => i);
    const ks = createKeystream(seed, { algorithm: 'chacha20' });
    expect(deterministicRngForTesting(seed)(128)).toEqual(
      wordsToBytesLE(ks.fillWordsSync(new Uint32Array(32))),
    );
  });
  it('rejects seeds that are not 32 bytes', () => {
    expect(() => deterministicRngForTesting(new Uint8Array(31))).toThrow(RangeError);
    for (const { name, value } of HOSTILE_VALUES)
      expect(() => deterministicRngForTesting(value as Uint8Array), name).toThrow();
  });
});

describe('draw helpers', () => {
  it('a broken injected rng fails loudly', () => {
    expect(() => drawWords(() => new Uint8Array(1), 4)).toThrow(TypeError);
    expect(() => drawWords((() => [1, 2, 3, 4]) as never, 1)).toThrow(TypeError);
  });
  it('randomBelowU32 stays below its bound and covers it', () => {
    const rng = deterministicRngForTesting(new Uint8Array(32).fill(3));
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = randomBelowU32(rng, 7);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(7);
      seen.add(x);
    }
    expect(seen.size).toBe(7);
    expect(randomBelowU32(rng, 1)).toBe(0);
    expect(() => randomBelowU32(rng, 0)).toThrow(RangeError);
    expect(() => randomBelowU32(rng, 2 ** 32 + 1)).toThrow(RangeError);
  });
  it('randomBelowBigInt stays below its bound', () => {
    const rng = deterministicRngForTesting(new Uint8Array(32).fill(4));
    const p = (1n << 127n) - 1n;
    for (let i = 0; i < 200; i++) {
      const x = randomBelowBigInt(rng, p);
      expect(x >= 0n && x < p).toBe(true);
    }
    expect(() => randomBelowBigInt(rng, 0n)).toThrow(RangeError);
    expect(() => randomBelowBigInt(rng, 5 as never)).toThrow(TypeError);
  });
});
