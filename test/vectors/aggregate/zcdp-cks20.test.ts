/** The zCDP to (epsilon, delta) conversion used by plans, against CKS20's reference values. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zcdpToDelta as zcdpDelta, zcdpToEpsilon as zcdpEpsilon } from '../../../src/dp/index.ts';

const v = JSON.parse(readFileSync(new URL('./zcdp-cks20.json', import.meta.url), 'utf8')) as {
  delta: { rho: number; epsilon: number; delta: number }[];
  epsilon: { rho: number; delta: number; epsilon: number }[];
};

describe('cks20 cdp2adp conversion', () => {
  it('delta(rho, epsilon) matches to 1e-12 relative', () => {
    for (const t of v.delta)
      expect(Math.abs(zcdpDelta(t.rho, t.epsilon) / t.delta - 1)).toBeLessThan(1e-12);
  });
  it('epsilon(rho, delta) matches to 1e-12 relative and is never below it', () => {
    for (const t of v.epsilon) {
      const e = zcdpEpsilon(t.rho, t.delta);
      expect(Math.abs(e / t.epsilon - 1)).toBeLessThan(1e-12);
      expect(zcdpDelta(t.rho, e)).toBeLessThanOrEqual(t.delta);
    }
  });
  it('is tighter than the classic rho + 2 sqrt(rho log 1/delta) bound', () => {
    for (const t of v.epsilon)
      expect(zcdpEpsilon(t.rho, t.delta)).toBeLessThan(
        t.rho + 2 * Math.sqrt(t.rho * Math.log(1 / t.delta)),
      );
  });
});
