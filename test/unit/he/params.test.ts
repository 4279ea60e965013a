import { describe, expect, it } from 'vitest';
import { CKKS_PRESETS, createCkksContext } from '../../../src/he/index.ts';
import { isPrivaggError } from '../../../src/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

/** Homomorphic Encryption Standard (2018), table 1: max log2 q for 128-bit classical security. */
const HE_STANDARD_128: Record<number, number> = { 8192: 218, 16384: 438, 32768: 881 };

describe('CKKS presets', () => {
  it('are frozen and within the HE standard 128-bit bound', () => {
    expect(Object.isFrozen(CKKS_PRESETS)).toBe(true);
    for (const p of Object.values(CKKS_PRESETS)) {
      expect(Object.isFrozen(p)).toBe(true);
      expect(Object.isFrozen(p.coeffModulusBits)).toBe(true);
      const total = p.coeffModulusBits.reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(HE_STANDARD_128[p.polyModulusDegree] as number);
      // special prime at least as large as every other prime; one level for a rescale
      const special = p.coeffModulusBits.at(-1) as number;
      expect(Math.max(...p.coeffModulusBits)).toBe(special);
      if (p !== CKKS_PRESETS['n8192-compact'])
        expect(p.coeffModulusBits.length).toBeGreaterThanOrEqual(3);
      // the scale fits in the base primes (all data primes but the rescale ones)
      const data = p.coeffModulusBits.slice(0, -1).reduce((a, b) => a + b, 0);
      expect(p.scaleBits).toBeLessThan(data);
    }
  });
  it('every preset makes a context that SEAL accepts at 128 bits', async () => {
    for (const name of ['n8192', 'n16384', 'n32768', 'n8192-compact', 'n8192-flood'] as const) {
      using ctx = await createCkksContext(name);
      expect(ctx.slotCount).toBe(CKKS_PRESETS[name].polyModulusDegree / 2);
      expect(ctx.scale).toBe(2 ** CKKS_PRESETS[name].scaleBits);
    }
  });
});

describe('parameter validation', () => {
  it('rejects unknown preset names and malformed objects with TypeError/RangeError', async () => {
    await expect(createCkksContext('n4096' as never)).rejects.toThrow(RangeError);
    await expect(
      createCkksContext({ polyModulusDegree: 8192, coeffModulusBits: [60, 40, 60] } as never),
    ).rejects.toThrow(TypeError);
    await expect(
      createCkksContext({
        polyModulusDegree: 8192,
        coeffModulusBits: [60, 40, 60],
        scaleBits: 40,
        extra: 1,
      } as never),
    ).rejects.toThrow(TypeError);
    await expect(
      createCkksContext({ polyModulusDegree: 6000, coeffModulusBits: [60, 60], scaleBits: 40 }),
    ).rejects.toThrow(RangeError);
    await expect(
      createCkksContext({ polyModulusDegree: 8192, coeffModulusBits: [60, 61], scaleBits: 40 }),
    ).rejects.toThrow(RangeError);
    await expect(
      createCkksContext({ polyModulusDegree: 8192, coeffModulusBits: [40, 60], scaleBits: 40 }),
    ).rejects.toThrow(RangeError);
    // a scale above one prime is fine when the base primes hold it, not beyond
    await expect(
      createCkksContext({
        polyModulusDegree: 8192,
        coeffModulusBits: [60, 40, 60],
        scaleBits: 100,
      }),
    ).rejects.toThrow(RangeError);
    using wide = await createCkksContext({
      polyModulusDegree: 8192,
      coeffModulusBits: [60, 40, 60],
      scaleBits: 90,
    });
    expect(wide.headroom).toBe(2 ** 8);
  });
  it('rejects parameters above the 128-bit security bound before SEAL sees them', async () => {
    // 60 * 4 = 240 > 218 bits at N = 8192: SEAL itself would build this silently at tc128 = none
    await expect(
      createCkksContext({
        polyModulusDegree: 8192,
        coeffModulusBits: [60, 60, 60, 60],
        scaleBits: 40,
      }),
    ).rejects.toThrow(/128-bit security/);
  });
  it('maps a SEAL rejection to INVALID_PARAMETER', async () => {
    // SEAL cannot find ten 20-bit primes congruent to 1 mod 2N at N = 32768
    const err = await createCkksContext({
      polyModulusDegree: 32768,
      coeffModulusBits: [20, 20, 20, 20, 20, 20, 20, 20, 20, 20],
      scaleBits: 15,
    }).catch((e: unknown) => e);
    expect(isPrivaggError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('INVALID_PARAMETER');
    expect((err as Error).message).toMatch(/SEAL/);
  });
  it('every hostile value as parameters or options throws TypeError or RangeError', async () => {
    for (const { value } of HOSTILE_VALUES) {
      const e = await createCkksContext(value as never).catch((x: unknown) => x);
      expect(e instanceof TypeError || e instanceof RangeError).toBe(true);
      const o = await createCkksContext('n8192', value as never).catch((x: unknown) => x);
      if (!(o instanceof Error)) {
        // only undefined and {} are valid (empty) options
        expect(value === undefined || Object.keys(value as object).length === 0).toBe(true);
        (o as { dispose(): void }).dispose();
        continue;
      }
      expect(o instanceof TypeError || o instanceof RangeError).toBe(true);
    }
  });
});
