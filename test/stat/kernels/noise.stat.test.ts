/**
 * Hypothesis tests (alpha about 1e-6 each): the kernels' centered binomial noise follows
 * Binomial(T, 1/2) - T/2 exactly (chi-square on the whole support for T = 10, moments for a
 * multi-word T), and keystream-driven stochastic rounding is unbiased to within 2^-31.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/core/index.ts';
import { createCpuBackend } from '../../../src/kernels/index.ts';
import { chiSquareCritical1e6, Z_1E6 } from '../../helpers/stats.ts';

const cpu = createCpuBackend();

function binomialPmf(trials: number): number[] {
  const pmf: number[] = [];
  let c = 1;
  for (let k = 0; k <= trials; k++) {
    pmf.push(c / 2 ** trials);
    c = (c * (trials - k)) / (k + 1);
  }
  return pmf;
}

describe('binomialNoise', () => {
  it.each(['chacha20', 'aes-256-ctr'] as const)(
    'T = 10 (one masked word) matches the Binomial(10, 1/2) pmf on %s (chi-square)',
    async (algorithm) => {
      const n = 1 << 21;
      const out = await cpu.binomialNoise(
        10,
        { key: randomBytes(32), algorithm },
        new Int32Array(n),
      );
      const counts = new Array(11).fill(0) as number[];
      for (const v of out) counts[v + 5] = (counts[v + 5] as number) + 1;
      const pmf = binomialPmf(10);
      let chi = 0;
      for (let k = 0; k <= 10; k++) {
        const e = n * (pmf[k] as number);
        chi += ((counts[k] as number) - e) ** 2 / e;
      }
      expect(chi).toBeLessThan(chiSquareCritical1e6(10));
    },
  );
  it('T = 98 (four words, the last masked to 2 bits): mean 0 and variance 24.5', async () => {
    const n = 1 << 20;
    const out = await cpu.binomialNoise(98, { key: randomBytes(32) }, new Int32Array(n));
    let sum = 0;
    let sq = 0;
    for (const v of out) {
      sum += v;
      sq += v * v;
    }
    const variance = 98 / 4;
    expect(Math.abs(sum / n)).toBeLessThan(Z_1E6 * Math.sqrt(variance / n));
    // Var(X^2) = E[X^4] - Var^2, with E[X^4] = 3 Var^2 - 2 T / 16 for a centered binomial
    const varOfSq = 3 * variance ** 2 - (2 * 98) / 16 - variance ** 2;
    expect(Math.abs(sq / n - variance)).toBeLessThan(Z_1E6 * Math.sqrt(varOfSq / n));
  });
});

describe('quantize', () => {
  it('rounds 0.3 up with probability 0.3 (unbiased)', async () => {
    const n = 1 << 21;
    const values = new Float64Array(n).fill(0.3);
    const q = await cpu.quantize(
      values,
      { scale: 1, ringBits: 8 },
      { key: randomBytes(32) },
      new Uint32Array(n),
    );
    let ups = 0;
    for (const v of q) ups += v;
    const p = 0.3;
    expect(Math.abs(ups / n - p)).toBeLessThan(Z_1E6 * Math.sqrt((p * (1 - p)) / n) + 2 ** -32);
  });
});
