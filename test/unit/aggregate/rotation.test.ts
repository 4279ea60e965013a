import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting } from '../../../src/index.ts';
import { createCpuBackend } from '../../../src/kernels/index.ts';
import {
  conditionalRound,
  inflatedNorm,
  paddedLength,
  ROUNDING_ATTEMPTS,
} from '../../../src/aggregate/rotation.ts';

const rng = deterministicRngForTesting(new Uint8Array(32).fill(5));

function randomVector(d: number, seed: number): Float64Array {
  const r = deterministicRngForTesting(new Uint8Array(32).fill(seed));
  const w = new Uint32Array(r(4 * d).buffer);
  return Float64Array.from(w, (x) => x / 2 ** 32 - 0.5);
}

describe('randomized Hadamard rotation (distributed DP, through privagg/kernels)', () => {
  it('keeps the norm and flattens a spike to about norm / sqrt(d) per coordinate', async () => {
    const cpu = createCpuBackend();
    const d = 4096;
    const x = new Float64Array(d);
    x[7] = 3;
    await cpu.hadamard(x, { key: rng(32) }, x);
    expect(Math.hypot(...x)).toBeCloseTo(3, 10);
    for (const v of x) expect(Math.abs(v)).toBeCloseTo(3 / 64, 12);
    cpu.dispose();
  });
  it('pads to a power of two', () => {
    expect(paddedLength(1000)).toBe(1024);
    expect(paddedLength(1024)).toBe(1024);
    expect(paddedLength(1)).toBe(1);
  });
});

describe('conditional stochastic rounding (KLS21)', () => {
  it('never exceeds the inflated norm bound, stays unbiased, and falls back toward zero', () => {
    const d = 256;
    const scaled = randomVector(d, 9).map((v) => v * 40);
    const norm = Math.hypot(...scaled);
    const bound = inflatedNorm(norm, d);
    expect(bound).toBeLessThan(norm + Math.sqrt(d));
    const mean = new Float64Array(d);
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const r = conditionalRound(scaled, bound, rng);
      expect(Math.hypot(...r)).toBeLessThanOrEqual(bound);
      for (let i = 0; i < d; i++) {
        expect(Number.isInteger(r[i])).toBe(true);
        expect(Math.abs((r[i] as number) - (scaled[i] as number))).toBeLessThan(1);
        mean[i] = (mean[i] as number) + (r[i] as number) / trials;
      }
    }
    // unbiased up to the conditioning (rejections are rare at this bound): mean error per
    // coordinate within 5 standard errors of a Bernoulli(1/2) average
    let worst = 0;
    for (let i = 0; i < d; i++)
      worst = Math.max(worst, Math.abs((mean[i] as number) - (scaled[i] as number)));
    expect(worst).toBeLessThan(5 * Math.sqrt(0.25 / trials) + 0.05);
    // a bound only rounding toward zero meets: after ROUNDING_ATTEMPTS draws, the fallback
    expect(ROUNDING_ATTEMPTS).toBe(100);
    const truncated = scaled.map(Math.trunc);
    const tight = conditionalRound(scaled, Math.hypot(...truncated) * (1 + 1e-9), rng);
    expect([...tight]).toEqual([...truncated]);
    // a bound nothing meets (an input above its bound): the client contributes zeros
    expect([...conditionalRound(scaled, 1, rng)].every((v) => v === 0)).toBe(true);
  });
});
