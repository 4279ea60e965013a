import { describe, expect, it } from 'vitest';
import { isPrivaggError } from '../../../src/index.ts';
import { findSecAggPlusParameters, planSecAgg, simulateSecAgg } from '../../../src/secagg/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isPrivaggError(e) ? e.code : (e as Error).name;
  }
  return undefined;
}

describe('planSecAgg', () => {
  it('resolves auto parameters with the finder and is frozen', () => {
    const plan = planSecAgg({
      clients: 1000,
      dimension: 10,
      dropoutRate: 0.05,
      corruptFraction: 0.05,
    });
    expect(plan).toMatchObject({
      neighbors: findSecAggPlusParameters({
        clients: 1000,
        dropoutRate: 0.05,
        corruptFraction: 0.05,
      }).neighbors,
      complete: false,
      modulusBits: 32,
      tier: 'semi-honest',
    });
    expect(Object.isFrozen(plan)).toBe(true);
    expect(plan.roundId.length).toBe(16);
    expect(plan.maxInputValue).toBe(Math.floor((2 ** 32 - 1) / 1000));
  });

  it('refuses thresholds the corruption bound makes unsafe, or the dropout rate makes unreachable', () => {
    const base = { clients: 100, dimension: 4, neighbors: 'all' as const };
    expect(code(() => planSecAgg({ ...base, threshold: 5, corruptFraction: 0.05 }))).toBe(
      'INVALID_PARAMETER',
    );
    expect(planSecAgg({ ...base, threshold: 6, corruptFraction: 0.05 }).threshold).toBe(6);
    expect(code(() => planSecAgg({ ...base, threshold: 91, dropoutRate: 0.1 }))).toBe(
      'INVALID_PARAMETER',
    );
    expect(planSecAgg({ ...base, threshold: 90, dropoutRate: 0.1 }).threshold).toBe(90);
    // malicious tier: 2t > n + corrupt
    expect(
      code(() => planSecAgg({ ...base, tier: 'malicious', threshold: 52, corruptFraction: 0.05 })),
    ).toBe('INVALID_PARAMETER');
    expect(
      planSecAgg({ ...base, tier: 'malicious', threshold: 53, corruptFraction: 0.05 }).threshold,
    ).toBe(53);
    expect(code(() => planSecAgg({ ...base, threshold: 1, corruptFraction: 0 }))).toBe(
      'INVALID_PARAMETER',
    );
    // sparse graph: degree too small to stay connected, thresholds outside (t1, t2]
    expect(code(() => planSecAgg({ ...base, neighbors: 4 }))).toBe('INVALID_PARAMETER');
    expect(code(() => planSecAgg({ ...base, neighbors: 40, threshold: 3 }))).toBe(
      'INVALID_PARAMETER',
    );
    expect(code(() => planSecAgg({ ...base, neighbors: 40, threshold: 40 }))).toBe(
      'INVALID_PARAMETER',
    );
    expect(planSecAgg({ ...base, neighbors: 40 }).threshold).toBeGreaterThan(3);
    // infeasible rates
    expect(code(() => planSecAgg({ ...base, dropoutRate: 0.5, corruptFraction: 0.45 }))).toBe(
      'INVALID_PARAMETER',
    );
    expect(
      code(() =>
        planSecAgg({ ...base, tier: 'malicious', dropoutRate: 0.4, corruptFraction: 0.2 }),
      ),
    ).toBe('INVALID_PARAMETER');
  });

  it('OVERFLOW when clients x value range can wrap, including the wide ring', () => {
    expect(code(() => planSecAgg({ clients: 2, dimension: 1, modulusBits: 1 }))).toBe('OVERFLOW');
    expect(
      code(() =>
        planSecAgg({ clients: 1000, dimension: 1, modulusBits: 41, maxInputValue: 2 ** 32 - 1 }),
      ),
    ).toBe('OVERFLOW');
    expect(
      planSecAgg({
        clients: 1000,
        dimension: 1,
        modulusBits: 42,
        maxInputValue: 2 ** 32 - 1,
        neighbors: 'all',
      }).modulusBits,
    ).toBe(42);
  });

  it('rejects hostile values and unknown options', () => {
    for (const { value } of HOSTILE_VALUES) {
      expect(() => planSecAgg(value as never)).toThrow();
      if (value === undefined) continue; // an absent option takes its default
      for (const key of [
        'clients',
        'dimension',
        'modulusBits',
        'maxInputValue',
        'threshold',
        'neighbors',
        'tier',
        'dropoutRate',
        'corruptFraction',
        'securityBits',
        'roundId',
      ]) {
        // 0.5 is a valid rate
        if (value === 0.5 && (key === 'dropoutRate' || key === 'corruptFraction')) continue;
        expect(
          () => planSecAgg({ clients: 10, dimension: 4, [key]: value } as never),
          key,
        ).toThrow();
      }
    }
    expect(() => planSecAgg({ clients: 10, dimension: 4, neighbors: 5 })).toThrow(RangeError);
    expect(() => planSecAgg({ clients: 10, dimension: 4, extra: 1 } as never)).toThrow(TypeError);
  });
});

describe('findSecAggPlusParameters', () => {
  it('falls back to the complete graph when no sparse graph works, and rejects hostile values', () => {
    const r = findSecAggPlusParameters({ clients: 5, dropoutRate: 0.2, corruptFraction: 0 });
    expect(r.complete).toBe(true);
    expect(r.neighbors).toBe(4);
    for (const { value } of HOSTILE_VALUES) {
      expect(() => findSecAggPlusParameters(value as never)).toThrow();
      if (value === 0.5) continue; // a valid rate
      expect(() =>
        findSecAggPlusParameters({
          clients: value as number,
          dropoutRate: 0.1,
          corruptFraction: 0,
        }),
      ).toThrow();
      expect(() =>
        findSecAggPlusParameters({
          clients: 100,
          dropoutRate: value as number,
          corruptFraction: 0,
        }),
      ).toThrow();
    }
  });

  it('the degree grows with the dropout rate and the tier', () => {
    const a = findSecAggPlusParameters({
      clients: 10_000,
      dropoutRate: 0.05,
      corruptFraction: 0.05,
    });
    const b = findSecAggPlusParameters({
      clients: 10_000,
      dropoutRate: 0.3,
      corruptFraction: 0.05,
    });
    const c = findSecAggPlusParameters({
      clients: 10_000,
      dropoutRate: 0.3,
      corruptFraction: 0.05,
      tier: 'malicious',
    });
    expect(a.neighbors).toBeLessThanOrEqual(b.neighbors);
    expect(b.neighbors).toBeLessThanOrEqual(c.neighbors);
  });
});

describe('simulateSecAgg argument checks', () => {
  it('rejects hostile values before any cryptography', async () => {
    const inputs = [new Uint32Array(2), new Uint32Array(2), new Uint32Array(2)];
    for (const { value } of HOSTILE_VALUES) {
      if (value === undefined) continue; // an absent option takes its default
      await expect(simulateSecAgg(value as never)).rejects.toThrow();
      if (value === undefined) continue; // an absent option takes its default
      await expect(simulateSecAgg({ inputs: value as never })).rejects.toThrow();
      await expect(
        simulateSecAgg({ inputs, dropouts: { afterShareKeys: [value as number] } }),
      ).rejects.toThrow();
      if (typeof value !== 'function')
        await expect(
          simulateSecAgg({ inputs, maliciousServer: { rewriteSurvivors: value as never } }),
        ).rejects.toThrow();
      await expect(simulateSecAgg({ inputs, workers: value as number })).rejects.toThrow();
    }
    await expect(
      simulateSecAgg({ inputs: [new Uint32Array(2), new Uint32Array(3)] }),
    ).rejects.toThrow(RangeError);
    await expect(
      simulateSecAgg({ inputs, dropouts: { afterShareKeys: [1], duringUnmask: [1] } }),
    ).rejects.toThrow(RangeError);
  });
});
