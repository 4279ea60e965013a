/**
 * The noise a plan adds has the variance the plan predicts (chi-square test on the sample
 * variance over repeated rounds, two-sided alpha about 1e-6), for central and distributed DP.
 */
import { describe, expect, it } from 'vitest';
import { planAggregation } from '../../src/index.ts';

function chiSquareBounds(df: number): [number, number] {
  // Wilson-Hilferty quantiles at z = +-4.892 (two-sided alpha 1e-6)
  const z = 4.892;
  const a = 2 / (9 * df);
  return [df * (1 - a - z * Math.sqrt(a)) ** 3, df * (1 - a + z * Math.sqrt(a)) ** 3];
}

describe('plan noise variance matches describe().noise.sumVariance', () => {
  for (const [kind, protection, mechanism, rotation] of [
    ['central-dp', { kind: 'none' }, 'discrete-gaussian', 'none'],
    ['distributed-dp', { kind: 'shamir', servers: 2 }, 'discrete-gaussian', 'none'],
    ['distributed-dp', { kind: 'shamir', servers: 2 }, 'skellam', 'none'],
    ['distributed-dp', { kind: 'shamir', servers: 2 }, 'discrete-gaussian', 'hadamard'],
    ['distributed-dp', { kind: 'secagg' }, 'skellam', 'hadamard'],
    ['local-dp', { kind: 'none' }, 'discrete-gaussian', 'none'],
    ['local-dp', { kind: 'secagg+', dropoutTolerance: 0.1 }, 'discrete-laplace', 'none'],
    [
      'distributed-dp',
      { kind: 'ckks', keys: 'threshold', parties: 2, floodingBits: 16 },
      'discrete-gaussian',
      'none',
    ],
  ] as const) {
    it(`${kind} (${mechanism}, rotation ${rotation}) with ${protection.kind}`, async () => {
      const ckks = protection.kind === 'ckks';
      const n = 8;
      const d = ckks ? 1000 : 2000;
      const rounds = ckks ? 3 : 10;
      const plan = planAggregation({
        dimension: d,
        clients: { expected: n, minimum: n },
        clip: { l2: 1 },
        protection,
        privacy:
          kind === 'distributed-dp'
            ? { kind, mechanism, epsilon: 50, delta: 1e-5, ...(ckks ? {} : { rotation }) }
            : { kind, mechanism, epsilon: 50, delta: mechanism === 'discrete-laplace' ? 0 : 1e-5 },
        accountant: { rounds },
      });
      expect(plan.describe().rotation.kind).toBe(rotation);
      const variance = plan.describe().noise.sumVariance;
      const vectors = Array.from({ length: n }, () => new Float64Array(d));
      let ss = 0;
      for (let r = 0; r < rounds; r++) {
        const res = await plan.simulate(vectors);
        for (const x of res.sum) ss += x * x;
      }
      const df = rounds * d;
      const [lo, hi] = chiSquareBounds(df);
      expect(ss / variance).toBeGreaterThan(lo);
      expect(ss / variance).toBeLessThan(hi);
    });
  }
});
