import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findSecAggPlusParameters, type SecAggTier } from '../../../src/secagg/index.ts';

const vectors = JSON.parse(
  readFileSync(new URL('./fcp-graph-parameter-finder.json', import.meta.url), 'utf8'),
) as {
  source: string;
  cases: {
    clients: number;
    corruptFraction: number;
    dropoutRate: number;
    tier: SecAggTier;
    degree: number;
    maxThreshold: number;
    expectDifferent?: boolean;
  }[];
};

describe('SecAgg+ parameter finder against fcp graph_parameter_finder_test.cc', () => {
  expect(vectors.source).toMatch(/federated-compute/);
  for (const c of vectors.cases)
    it(`${c.clients} clients, corrupt ${c.corruptFraction}, dropout ${c.dropoutRate}, ${c.tier}`, () => {
      const r = findSecAggPlusParameters({
        clients: c.clients,
        corruptFraction: c.corruptFraction,
        dropoutRate: c.dropoutRate,
        tier: c.tier,
      });
      if (c.expectDifferent) {
        expect(r.neighbors).toBeGreaterThan(c.degree);
        return;
      }
      expect(r.neighbors).toBe(c.degree);
      expect(r.threshold).toBeLessThanOrEqual(c.maxThreshold);
      expect(r.threshold).toBeGreaterThanOrEqual(2);
      expect(r.complete).toBe(false);
    });
});
