import { describe, expect, it } from 'vitest';
import { type AggregationConfig, planAggregation } from '../../../src/index.ts';
import { clientSeed, type Fault, serverSeed, transportRound } from '../../helpers/rounds.ts';

const N = 200;
const D = 100_000;

const config: AggregationConfig = {
  dimension: D,
  clients: { expected: N, minimum: 150 },
  clip: { l2: 1 },
  protection: { kind: 'secagg+', dropoutTolerance: 0.2 },
  privacy: { kind: 'distributed-dp', epsilon: 2, delta: 1e-5 },
};
const vectors = Array.from({ length: N }, (_, i) => {
  const v = new Float64Array(D);
  for (let j = 0; j < D; j++) v[j] = (((i * 31 + j * 17) % 101) - 50) / 50 / Math.sqrt(D);
  return v;
});
function same(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

describe('a round of 200 clients over the in-memory transport', () => {
  it('with clients disconnecting at three stages: the same result as simulate with those dropouts', async () => {
    const stages = {
      afterAdvertiseKeys: [3, 50, 77],
      afterShareKeys: [10, 120],
      afterMaskedInput: [199],
    };
    const faults = new Map<number, Fault>();
    for (const i of stages.afterAdvertiseKeys) faults.set(i, { mode: 'disconnect', afterSends: 2 });
    for (const i of stages.afterShareKeys) faults.set(i, { mode: 'disconnect', afterSends: 3 });
    for (const i of stages.afterMaskedInput) faults.set(i, { mode: 'disconnect', afterSends: 4 });
    const { result } = await transportRound(planAggregation(config), vectors, {
      faults,
      round: { stageTimeoutMs: 300_000 },
    });
    const sim = await planAggregation(config).simulate(vectors, {
      dropouts: stages,
      clientRng: clientSeed,
      serverRng: serverSeed(),
    });
    expect(result.participants).toHaveLength(N - 5);
    expect(sim.participants).toHaveLength(N - 5);
    expect(same(result.sum, sim.sum)).toBe(true);
    expect(result.privacy).toEqual(sim.privacy);
  });

  it('SecAgg+ with distributed DP, d = 1e5: equals the in-process simulation of the same plan and seeds', async () => {
    const t0 = performance.now();
    const { result, outcomes } = await transportRound(planAggregation(config), vectors, {
      round: { stageTimeoutMs: 300_000 },
    });
    const transportMs = performance.now() - t0;
    const t1 = performance.now();
    const sim = await planAggregation(config).simulate(vectors, {
      clientRng: clientSeed,
      serverRng: serverSeed(),
    });
    const simulateMs = performance.now() - t1;
    console.log(
      `200 clients, d=1e5, SecAgg+ with distributed DP: transport ${(transportMs / 1000).toFixed(1)} s, simulate ${(simulateMs / 1000).toFixed(1)} s`,
    );
    expect(result.participants).toHaveLength(N);
    expect(outcomes.every((o) => o.status === 'completed')).toBe(true);
    expect(result.sum.length).toBe(D);
    expect(same(result.sum, sim.sum)).toBe(true);
    expect(result.privacy).toEqual(sim.privacy);
  });
});
