import { describe, expect, it } from 'vitest';
import {
  type AggregationConfig,
  deterministicRngForTesting,
  isPrivaggError,
  planAggregation,
} from '../../../src/index.ts';

const rng = deterministicRngForTesting(new Uint8Array(32).fill(31));

function config(
  kind: 'central-dp' | 'distributed-dp',
  protection: AggregationConfig['protection'],
): AggregationConfig {
  return {
    dimension: 20,
    clients: { expected: 12, minimum: 10 },
    clip: { l2: 1 },
    protection,
    privacy: { kind, epsilon: 4, delta: 1e-5 },
    accountant: { rounds: 3 },
  };
}

describe('plans with differential privacy', () => {
  it('meets the target over all rounds and refuses to run past the budget', async () => {
    for (const [kind, protection] of [
      ['central-dp', { kind: 'none' }],
      ['distributed-dp', { kind: 'shamir', servers: 2 }],
      ['distributed-dp', { kind: 'secagg+', dropoutTolerance: 0.15 }],
    ] as const) {
      const plan = planAggregation(config(kind, protection));
      const d = plan.describe();
      expect(d.privacy.cumulative.epsilon).toBeLessThanOrEqual(4);
      expect(d.privacy.cumulative.epsilon).toBeGreaterThan(3.5);
      expect(d.noise.where).toBe(kind === 'central-dp' ? 'server' : 'clients');
      const vectors = Array.from({ length: 12 }, (_, i) =>
        Float64Array.from({ length: 20 }, (_, j) => ((i + j) % 5) / 10),
      );
      let last = 0;
      for (let r = 1; r <= 3; r++) {
        const res = await plan.simulate(vectors, { rng, dropouts: [11] });
        expect(res.round).toBe(r);
        expect(res.privacy.cumulative.epsilon).toBeGreaterThan(last);
        // 11 survivors add more noise than the 10 the plan assumed: never more loss than planned
        expect(res.privacy.cumulative.epsilon).toBeLessThanOrEqual(
          d.privacy.perRound.epsilon * r + 1e-9,
        );
        last = res.privacy.cumulative.epsilon;
      }
      expect(last).toBeLessThanOrEqual(4);
      await expect(plan.simulate(vectors, { rng })).rejects.toSatisfy(
        (e: unknown) => isPrivaggError(e) && e.code === 'BUDGET_EXHAUSTED',
      );
    }
  });
  it('the noisy sum stays within a few predicted standard deviations of the exact sum', async () => {
    const plan = planAggregation({
      ...config('distributed-dp', { kind: 'secagg' }),
      accountant: { rounds: 1 },
    });
    const std = Math.sqrt(plan.describe().noise.sumVariance);
    const vectors = Array.from({ length: 12 }, () => Float64Array.from({ length: 20 }, () => 0.2));
    const res = await plan.simulate(vectors, { rng });
    for (const x of res.sum) expect(Math.abs(x - 12 * 0.2)).toBeLessThan(6 * std);
  });
  it('refuses a minimum cohort too small for the privacy target', () => {
    expect(() =>
      planAggregation({
        ...config('central-dp', { kind: 'none' }),
        clients: { expected: 3, minimum: 2 },
        privacy: { kind: 'central-dp', epsilon: 0.1, delta: 1e-6 },
      }),
    ).toThrow(/clients.minimum/);
  });
  it('refuses distributed DP without a protection that hides inputs', () => {
    expect(() => planAggregation(config('distributed-dp', { kind: 'none' }))).toThrow(
      /distributed-dp/,
    );
  });
});

describe('plans with CKKS', () => {
  it('sums under encryption within the reported error, and with central DP within the predicted noise', async () => {
    const vectors = Array.from({ length: 5 }, (_, i) =>
      Float64Array.from({ length: 30 }, (_, j) => ((i * 7 + j) % 11) / 20 - 0.25),
    );
    const exact = new Float64Array(30);
    for (const v of vectors)
      for (let j = 0; j < 30; j++) exact[j] = (exact[j] as number) + (v[j] as number);
    const plain = planAggregation({
      dimension: 30,
      clients: { expected: 5, minimum: 4 },
      clip: { linf: 1 },
      protection: { kind: 'ckks' },
      privacy: { kind: 'none' },
    });
    expect(plain.describe().protection.kind).toBe('ckks');
    const r = await plain.simulate(vectors, { rng });
    const bound = r.encryptionErrorBound ?? 0;
    expect(bound).toBeGreaterThan(0);
    for (let j = 0; j < 30; j++)
      expect(Math.abs((r.sum[j] as number) - (exact[j] as number))).toBeLessThanOrEqual(bound);
    const dp = planAggregation({
      dimension: 30,
      clients: { expected: 5, minimum: 5 },
      clip: { l2: 1 },
      protection: { kind: 'ckks' },
      privacy: { kind: 'central-dp', epsilon: 8, delta: 1e-5 },
    });
    const std = Math.sqrt(dp.describe().noise.sumVariance);
    const clipped = vectors.map((v) => {
      const n = Math.hypot(...v);
      return n > 1 ? v.map((x) => x / n) : v;
    });
    const exactClipped = new Float64Array(30);
    for (const v of clipped)
      for (let j = 0; j < 30; j++) exactClipped[j] = (exactClipped[j] as number) + (v[j] as number);
    const rd = await dp.simulate(vectors, { rng });
    for (let j = 0; j < 30; j++)
      expect(Math.abs((rd.sum[j] as number) - (exactClipped[j] as number))).toBeLessThan(
        6 * std + (rd.encryptionErrorBound ?? 0),
      );
    expect(rd.privacy.cumulative.epsilon).toBeLessThanOrEqual(8);
  });
  it('threshold keys need their parties, and a threshold no larger than the key holders', () => {
    const c = {
      dimension: 3,
      clients: { expected: 5, minimum: 5 },
      clip: { l2: 1 },
      privacy: { kind: 'none' },
    } as const;
    expect(() =>
      planAggregation({ ...c, protection: { kind: 'ckks', keys: 'threshold' } }),
    ).toThrow(/protection.parties/);
    expect(() =>
      planAggregation({
        ...c,
        protection: { kind: 'ckks', keys: 'threshold', parties: 3, threshold: 4 },
      }),
    ).toThrow(/protection.threshold/);
    expect(() => planAggregation({ ...c, protection: { kind: 'ckks', parties: 3 } })).toThrow(
      /keys: "threshold" only/,
    );
    const plan = planAggregation({
      ...c,
      protection: { kind: 'ckks', keys: 'threshold', parties: 3, threshold: 2 },
    });
    expect(plan.describe().protection).toMatchObject({
      keys: 'threshold',
      neighbors: 3,
      threshold: 2,
    });
  });
});

describe('refusals name the parameter', () => {
  it('CKKS refuses a cohort whose declared value bounds can exceed the headroom (OVERFLOW)', () => {
    try {
      planAggregation({
        dimension: 3,
        clients: { expected: 1000, minimum: 900 },
        clip: { l2: 10 },
        protection: { kind: 'ckks' },
        privacy: { kind: 'none' },
      });
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'OVERFLOW').toBe(true);
      expect((e as Error).message).toMatch(/clip bound or clients.expected/);
    }
    const ok = planAggregation({
      dimension: 3,
      clients: { expected: 100, minimum: 90 },
      clip: { l2: 10 },
      protection: { kind: 'ckks' },
      privacy: { kind: 'none' },
    });
    expect(ok.describe().protection.valueBound).toBe(10);
  });
  const base: AggregationConfig = config('distributed-dp', { kind: 'shamir', servers: 2 });
  it('PLD accounting is refused with the reason (discrete noise, continuous PLD)', () => {
    expect(() => planAggregation({ ...base, accountant: { kind: 'pld' } })).toThrow(
      /"accountant.kind" pld .*continuous Gaussian/,
    );
  });
  it('an epsilon that the dropout rate makes unreachable names privacy.epsilon and clients.minimum', () => {
    // 80% may drop: the distributed noise must be calibrated to 2 survivors of 10
    expect(() =>
      planAggregation({
        ...base,
        clients: { expected: 10, minimum: 2 },
        privacy: { kind: 'distributed-dp', epsilon: 1, delta: 1e-6 },
      }),
    ).toThrow(/"clients.minimum" \(2\).*"privacy.epsilon" 1.*dropout rate/);
  });
  it('the rotation needs an L2 clip and a ring; local DP and central DP take no rotation', () => {
    expect(() =>
      planAggregation({
        ...base,
        clip: { linf: 1 },
        privacy: { kind: 'distributed-dp', epsilon: 4, delta: 1e-5, rotation: 'hadamard' },
      }),
    ).toThrow(/"privacy.rotation"/);
    expect(() =>
      planAggregation({
        ...base,
        privacy: { kind: 'local-dp', epsilon: 4, delta: 1e-5, rotation: 'hadamard' },
      }),
    ).toThrow(/"privacy.rotation"/);
    // a linf clip simply does not rotate by default
    const linf = planAggregation({ ...base, clip: { linf: 0.25 } });
    expect(linf.describe().rotation).toEqual({ kind: 'none', paddedDimension: 20 });
  });
  it('pure epsilon (discrete Laplace) is for local DP only, and only it takes delta 0', async () => {
    expect(() =>
      planAggregation({
        ...base,
        privacy: { kind: 'distributed-dp', mechanism: 'discrete-laplace', epsilon: 4, delta: 0 },
      }),
    ).toThrow(/discrete-laplace is for local-dp only/);
    expect(() =>
      planAggregation({ ...base, privacy: { kind: 'local-dp', epsilon: 4, delta: 0 } }),
    ).toThrow(/"privacy.delta"/);
    const plan = planAggregation({
      ...base,
      protection: { kind: 'none' },
      privacy: { kind: 'local-dp', mechanism: 'discrete-laplace', epsilon: 3, delta: 0 },
    });
    const d = plan.describe();
    expect(d.privacy.perRound).toEqual({ epsilon: expect.closeTo(1, 9), delta: 0 });
    expect(d.privacy.cumulative.epsilon).toBeLessThanOrEqual(3);
    expect(d.noise.laplaceScale).toBeGreaterThan(0);
    // epsilons add over rounds, whatever the survivors; the budget covers exactly 3 rounds
    const vectors = Array.from({ length: 12 }, () => new Float64Array(20));
    for (let r = 1; r <= 3; r++) {
      const res = await plan.simulate(vectors, { rng, dropouts: [r] });
      expect(res.privacy.round.delta).toBe(0);
      expect(res.privacy.cumulative.epsilon).toBeCloseTo(r, 9);
      expect(res.privacy.cumulative.epsilon).toBeLessThanOrEqual(3);
    }
    await expect(plan.simulate(vectors, { rng })).rejects.toSatisfy(
      (e: unknown) => isPrivaggError(e) && e.code === 'BUDGET_EXHAUSTED',
    );
  });
  it('local DP needs no protection, and Skellam stays distributed-only', () => {
    const plan = planAggregation({
      ...base,
      protection: { kind: 'none' },
      privacy: { kind: 'local-dp', epsilon: 4, delta: 1e-5 },
    });
    const d = plan.describe();
    expect(d.noise.where).toBe('local');
    expect(d.protection.insecure).toBe(true);
    expect(d.privacy.accountant).toMatch(/per client/);
    expect(() =>
      planAggregation({
        ...base,
        privacy: { kind: 'local-dp', mechanism: 'skellam', epsilon: 4, delta: 1e-5 },
      }),
    ).toThrow(/skellam/);
  });
});

describe('plans with client sampling (RDP with amplification)', () => {
  it('meets the target with less noise than without sampling, and accounts each round', async () => {
    for (const [kind, protection] of [
      ['central-dp', { kind: 'none' }],
      ['distributed-dp', { kind: 'secagg' }],
    ] as const) {
      const base = {
        dimension: 10,
        clients: { expected: 12, minimum: 10 },
        clip: { l2: 1 },
        protection,
        privacy: { kind, epsilon: 2, delta: 1e-5 },
      } as const;
      const sampled = planAggregation({ ...base, accountant: { rounds: 4, samplingRate: 0.05 } });
      const full = planAggregation({ ...base, accountant: { rounds: 4 } });
      const d = sampled.describe();
      expect(d.privacy.accountant).toMatch(/RDP/);
      expect(d.privacy.cumulative.epsilon).toBeLessThanOrEqual(2);
      expect(d.noise.noiseMultiplier).toBeLessThan(full.describe().noise.noiseMultiplier);
      const vectors = Array.from({ length: 12 }, () =>
        Float64Array.from({ length: 10 }, () => 0.1),
      );
      let last = 0;
      for (let r = 0; r < 4; r++) {
        const res = await sampled.simulate(vectors, { rng });
        expect(res.privacy.cumulative.epsilon).toBeGreaterThan(last);
        last = res.privacy.cumulative.epsilon;
      }
      expect(last).toBeLessThanOrEqual(2);
      await expect(sampled.simulate(vectors, { rng })).rejects.toSatisfy(
        (e: unknown) => isPrivaggError(e) && e.code === 'BUDGET_EXHAUSTED',
      );
    }
  });
});

describe('plans with Skellam noise', () => {
  it('distributed Skellam meets the target with RDP accounting and stays near the exact sum', async () => {
    const plan = planAggregation({
      dimension: 16,
      clients: { expected: 12, minimum: 10 },
      clip: { l2: 1 },
      protection: { kind: 'secagg' },
      privacy: { kind: 'distributed-dp', mechanism: 'skellam', epsilon: 3, delta: 1e-5 },
      accountant: { rounds: 2 },
    });
    const d = plan.describe();
    expect(d.noise.mechanism).toBe('skellam');
    expect(d.privacy.accountant).toMatch(/Skellam/);
    expect(d.privacy.cumulative.epsilon).toBeLessThanOrEqual(3);
    expect(d.noise.perClientVariance).toBeLessThanOrEqual(2 ** 31);
    const vectors = Array.from({ length: 12 }, () => Float64Array.from({ length: 16 }, () => 0.05));
    const res = await plan.simulate(vectors, { rng });
    const std = Math.sqrt(d.noise.sumVariance);
    for (const x of res.sum) expect(Math.abs(x - 12 * 0.05)).toBeLessThan(6 * std);
    expect(res.privacy.cumulative.epsilon).toBeLessThanOrEqual(3);
  });
  it('Skellam is refused for central DP', () => {
    expect(() =>
      planAggregation({
        dimension: 4,
        clients: { expected: 5, minimum: 5 },
        clip: { l2: 1 },
        protection: { kind: 'none' },
        privacy: { kind: 'central-dp', mechanism: 'skellam', epsilon: 3, delta: 1e-5 },
      }),
    ).toThrow(/skellam/);
  });
});
