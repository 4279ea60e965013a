/**
 * Every protection x privacy combination that makes sense, end to end with real cryptography:
 * without DP the result is the plaintext sum exactly (inputs on the grid); with DP (and CKKS)
 * the error is within what the plan predicts (describe().noise.sumVariance plus rounding, and
 * for CKKS the reported encryption error bound).
 */
import { describe, expect, it } from 'vitest';
import {
  type AggregationConfig,
  deterministicRngForTesting,
  planAggregation,
} from '../../../src/index.ts';

const n = 8;
const d = 48;
const rng = deterministicRngForTesting(new Uint8Array(32).fill(77));

/** Inputs on a 2^-6 grid with L2 norm below 1 (no clipping, exact under any scale >= 64). */
function inputs(): Float64Array[] {
  const r = deterministicRngForTesting(new Uint8Array(32).fill(3));
  return Array.from({ length: n }, () =>
    Float64Array.from(r(d), (b) => (Math.floor(b / 16) - 8) / 64),
  );
}

function chiSquareBounds(df: number): [number, number] {
  // Wilson-Hilferty quantiles at z = +-4.892 (two-sided alpha 1e-6)
  const z = 4.892;
  const a = 2 / (9 * df);
  return [df * (1 - a - z * Math.sqrt(a)) ** 3, df * (1 - a + z * Math.sqrt(a)) ** 3];
}

type Protection = AggregationConfig['protection'];
type Privacy = AggregationConfig['privacy'];
const dp = { epsilon: 8, delta: 1e-5 } as const;
const protections: [string, Protection][] = [
  ['none', { kind: 'none' }],
  ['shamir additive', { kind: 'shamir', servers: 2 }],
  ['shamir 2-of-3', { kind: 'shamir', servers: 3, threshold: 2 }],
  ['secagg', { kind: 'secagg' }],
  ['secagg+', { kind: 'secagg+', dropoutTolerance: 0.1 }],
  ['ckks single key', { kind: 'ckks' }],
  [
    'ckks threshold 2-of-3',
    { kind: 'ckks', keys: 'threshold', parties: 3, threshold: 2, floodingBits: 20 },
  ],
];
const privacies: [string, Privacy][] = [
  ['no DP', { kind: 'none' }],
  ['central DP', { kind: 'central-dp', ...dp }],
  ['distributed DP (DG, rotation)', { kind: 'distributed-dp', ...dp }],
  ['distributed DP (Skellam, rotation)', { kind: 'distributed-dp', mechanism: 'skellam', ...dp }],
  ['distributed DP (DG, no rotation)', { kind: 'distributed-dp', rotation: 'none', ...dp }],
  ['local DP', { kind: 'local-dp', ...dp }],
  [
    'local DP (pure, discrete Laplace)',
    { kind: 'local-dp', mechanism: 'discrete-laplace', epsilon: 8, delta: 0 },
  ],
];

function makesSense(protection: Protection, privacy: Privacy): boolean {
  if (privacy.kind === 'distributed-dp' && protection.kind === 'none') return false;
  if (protection.kind === 'ckks') {
    // CKKS never rotates (no ring to wrap); Skellam and the rotation variants are ring-only
    if (
      privacy.kind === 'distributed-dp' &&
      (privacy.rotation === 'none' || privacy.mechanism === 'skellam')
    )
      return false;
    if (privacy.kind === 'local-dp' && privacy.mechanism === 'discrete-laplace') return false;
    // keep the default project fast: threshold keys with no DP and distributed DP only
    if (
      protection.keys === 'threshold' &&
      privacy.kind !== 'none' &&
      privacy.kind !== 'distributed-dp'
    )
      return false;
  }
  return true;
}

describe('every protection x privacy combination, end to end', () => {
  const vectors = inputs();
  const exact = new Float64Array(d);
  for (const v of vectors)
    for (let j = 0; j < d; j++) exact[j] = (exact[j] as number) + (v[j] as number);
  for (const [pName, protection] of protections)
    for (const [qName, privacy] of privacies) {
      if (!makesSense(protection, privacy)) continue;
      it(`${pName} x ${qName}`, async () => {
        const plan = planAggregation({
          dimension: d,
          clients: { expected: n, minimum: n },
          clip: { l2: 1 },
          protection,
          privacy,
        });
        const desc = plan.describe();
        const res = await plan.simulate(vectors, { rng });
        expect(res.participants).toHaveLength(n);
        expect(res.clipped).toBe(0);
        if (privacy.kind === 'none' && protection.kind !== 'ckks') {
          expect([...res.sum]).toEqual([...exact]);
          return;
        }
        if (privacy.kind !== 'none') {
          expect(desc.privacy.cumulative.epsilon).toBeLessThanOrEqual(dp.epsilon);
          expect(res.privacy.cumulative.delta).toBe(
            privacy.mechanism === 'discrete-laplace' ? 0 : dp.delta,
          );
          expect(desc.noise.where).toBe(
            privacy.kind === 'central-dp'
              ? 'server'
              : privacy.kind === 'local-dp'
                ? 'local'
                : 'clients',
          );
        }
        const rotated =
          privacy.kind === 'distributed-dp' &&
          protection.kind !== 'ckks' &&
          privacy.rotation !== 'none';
        expect(desc.rotation.kind).toBe(rotated ? 'hadamard' : 'none');
        expect(desc.rotation.paddedDimension).toBe(rotated ? 64 : d);
        // predicted variance per coordinate of the sum: DP noise plus stochastic rounding
        const s = desc.noise.gridScale;
        const predicted =
          desc.noise.sumVariance + (desc.quantization === undefined ? 0 : n / (4 * s * s));
        let ss = 0;
        let worst = 0;
        for (let j = 0; j < d; j++) {
          const e = (res.sum[j] as number) - (exact[j] as number);
          ss += e * e;
          worst = Math.max(worst, Math.abs(e));
        }
        if (protection.kind === 'ckks') {
          const bound = res.encryptionErrorBound ?? Number.POSITIVE_INFINITY;
          expect(bound).toBeGreaterThan(0);
          // DP noise within 5.5 predicted standard deviations, plus the encryption error bound
          expect(worst).toBeLessThanOrEqual(5.5 * Math.sqrt(predicted) + bound);
          if (privacy.kind === 'none') return;
        }
        if (protection.kind === 'ckks' && protection.keys !== 'threshold') return; // 40-bit flooding dominates
        const [lo, hi] = chiSquareBounds(d);
        expect(ss / predicted).toBeGreaterThan(lo);
        expect(ss / predicted).toBeLessThan(hi);
      });
    }
});

describe('distributed DP with the rotation and a weighted mean', () => {
  it('the weight travels inside the rotated, noised vector; the mean stays within the predicted error', async () => {
    const vectors = inputs();
    const weights = vectors.map((_, i) => 1 + (i % 3));
    const plan = planAggregation({
      dimension: d,
      clients: { expected: n, minimum: n },
      clip: { l2: 1 },
      protection: { kind: 'secagg+', dropoutTolerance: 0.1 },
      privacy: { kind: 'distributed-dp', epsilon: 8, delta: 1e-5 },
      weights: { max: 3 },
    });
    const desc = plan.describe();
    expect(desc.protectedDimension).toBe(d + 1);
    expect(desc.rotation).toEqual({ kind: 'hadamard', paddedDimension: 64 });
    const res = await plan.simulate(vectors, { rng, weights });
    const std = Math.sqrt(desc.noise.sumVariance + n / (4 * desc.noise.gridScale ** 2));
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    expect(Math.abs(res.totalWeight - totalWeight)).toBeLessThan(5.5 * std);
    for (let j = 0; j < d; j++) {
      let exact = 0;
      for (const [i, v] of vectors.entries()) exact += (weights[i] as number) * (v[j] as number);
      expect(Math.abs((res.sum[j] as number) - exact)).toBeLessThan(5.5 * std);
    }
  });
});
