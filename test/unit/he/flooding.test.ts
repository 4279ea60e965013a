import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CkksContext, type CkksKeyPair, createCkksContext } from '../../../src/he/index.ts';
import { deterministicRngForTesting } from '../../../src/index.ts';

let ctx: CkksContext;
let keys: CkksKeyPair;
beforeAll(async () => {
  ctx = await createCkksContext('n8192');
  keys = ctx.generateKeys();
});
afterAll(() => ctx.dispose());

describe('noise flooding of released decryptions (Li-Micciancio)', () => {
  const x = Float64Array.from({ length: 3000 }, (_, i) => Math.sin(i) / 4);

  it('adds noise of sigma = sqrt(24 L alpha) 2^(s/2) B, and the bound covers it', () => {
    using v = ctx.encrypt(x, keys.publicKey);
    const raw = ctx.decrypt(v, keys.secretKey);
    for (const securityBits of [20, 40]) {
      const r = ctx.decryptForRelease(v, keys.secretKey, { securityBits, queries: 2 });
      const sigma = Math.sqrt(24 * x.length * 2) * 2 ** (securityBits / 2) * raw.errorBound;
      expect(r.floodingStd).toBeGreaterThanOrEqual(sigma);
      expect(r.floodingStd).toBeLessThan(sigma * (1 + 2 ** -19));
      let sq = 0;
      for (let i = 0; i < x.length; i++) {
        const e = (r.values[i] as number) - (x[i] as number);
        expect(Math.abs(e)).toBeLessThanOrEqual(r.errorBound);
        sq += ((r.values[i] as number) - (raw.values[i] as number)) ** 2;
      }
      // the empirical noise sd is sigma within a few percent (3000 samples)
      expect(Math.sqrt(sq / x.length) / r.floodingStd).toBeGreaterThan(0.9);
      expect(Math.sqrt(sq / x.length) / r.floodingStd).toBeLessThan(1.1);
      expect(r.securityBits).toBe(securityBits);
    }
  });

  it('draws from the injected rng only (reproducible with a deterministic one)', () => {
    using v = ctx.encrypt(x.subarray(0, 50), keys.secretKey);
    const seed = new Uint8Array(32).fill(7);
    const a = ctx.decryptForRelease(v, keys.secretKey, { rng: deterministicRngForTesting(seed) });
    const b = ctx.decryptForRelease(v, keys.secretKey, { rng: deterministicRngForTesting(seed) });
    expect([...a.values]).toEqual([...b.values]);
    const c = ctx.decryptForRelease(v, keys.secretKey);
    expect([...a.values]).not.toEqual([...c.values]);
  });

  it('validates options', () => {
    using v = ctx.encrypt([1], keys.secretKey);
    expect(() => ctx.decryptForRelease(v, keys.secretKey, { securityBits: 0 })).toThrow(RangeError);
    expect(() => ctx.decryptForRelease(v, keys.secretKey, { queries: 0.5 })).toThrow(RangeError);
    expect(() => ctx.decryptForRelease(v, keys.secretKey, { rng: 1 } as never)).toThrow(TypeError);
    expect(() => ctx.decryptForRelease(v, keys.secretKey, { nope: 1 } as never)).toThrow(TypeError);
  });
});
