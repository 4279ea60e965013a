import { describe, expect, it } from 'vitest';
import { runScaling } from '../../../src/bench/scaling.ts';

describe('runScaling', () => {
  const plan = {
    clientsAxisDimension: 8,
    dimensionAxisClients: 4,
    clients: [{ protection: 'shamir 2/2 (additive)', xs: [4, 8, 16] }],
    dimension: [],
  };
  it('measures each point, fits the exponent and gives the theory beside it', async () => {
    const lines: string[] = [];
    const [s] = await runScaling('clients', plan, { repeats: 2, progress: (l) => lines.push(l) });
    expect(s?.points.map((p) => p.x)).toEqual([4, 8, 16]);
    expect(s?.points.every((p) => p.seconds.n >= 1 && p.bytesPerClient === 8 * 4 + (52 + 32))).toBe(
      true,
    );
    expect(s?.timeFit?.points).toBe(3);
    expect(s?.bytesFit?.exponent).toBeCloseTo(0, 12);
    expect(s?.timeTheoryExponent).toBeCloseTo(1, 12);
    expect(lines).toHaveLength(3);
  });
  it('skips a point predicted to exceed the per-point budget and records why', async () => {
    const [s] = await runScaling('clients', plan, {
      repeats: 1,
      pointBudgetSeconds: 0,
      progress: () => {},
    });
    expect(s?.points.map((p) => p.x)).toEqual([4]);
    expect(s?.failures.map((f) => f.x)).toEqual([8, 16]);
    expect(s?.failures[0]?.reason).toMatch(/^skipped: predicted .* per-point budget$/);
    expect(s?.timeFit).toBeUndefined();
  });
});
