/**
 * Issue 5, test 6 at full size: SecAgg+ with n = 1000 clients, d = 1e5, 5% dropout and the
 * parameter finder's degree and threshold, exact. Slow (tens of seconds on two cores): run with
 * `npm run test:slow`.
 */
import { describe, expect, it } from 'vitest';
import { deterministicRngForTesting } from '../../../src/index.ts';
import { findSecAggPlusParameters, simulateSecAgg } from '../../../src/secagg/index.ts';

describe('secure aggregation at scale', () => {
  it('6. SecAgg+ n=1000, d=1e5, 5% dropout, finder k and t: exact', async () => {
    const n = 1000;
    const d = 100_000;
    const rng = deterministicRngForTesting(new Uint8Array(32).fill(66));
    const inputs = Array.from({ length: n }, () => {
      const x = new Uint32Array(rng(4 * d).buffer);
      for (let j = 0; j < d; j++) x[j] = (x[j] as number) % 4_000_001;
      return x;
    });
    const expected = new Uint32Array(d);
    const found = findSecAggPlusParameters({
      clients: n,
      dropoutRate: 0.05,
      corruptFraction: 0.05,
    });
    const afterShareKeys = Array.from({ length: n }, (_, i) => i).filter((i) => i % 20 === 3);
    for (const [i, x] of inputs.entries())
      if (!afterShareKeys.includes(i))
        for (let j = 0; j < d; j++)
          expected[j] = ((expected[j] as number) + (x[j] as number)) >>> 0;
    const start = performance.now();
    const r = await simulateSecAgg({
      inputs,
      neighbors: found.neighbors,
      threshold: found.threshold,
      dropoutRate: 0.05,
      corruptFraction: 0.05,
      dropouts: { afterShareKeys },
      workers: 2,
      rng,
    });
    console.log(
      `n=1000 d=1e5 SecAgg+ k=${found.neighbors} t=${found.threshold}: ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );
    expect(r.survivors.length).toBe(n - afterShareKeys.length);
    expect(r.sum).toEqual(expected);
  }, 600_000);
});
