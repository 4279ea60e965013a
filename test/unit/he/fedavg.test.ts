import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CkksContext, type CkksKeyPair, createCkksContext } from '../../../src/he/index.ts';
import { runFedAvg } from '../../helpers/he-fedavg.ts';

// The full-size run (100 clients x 1e5 floats, about 15 s) is in test/stat/he/fedavg-full.test.ts.
describe('encrypted FedAvg (20 clients x 2e4 floats, single key)', () => {
  let ctx: CkksContext;
  let keys: CkksKeyPair;
  beforeAll(async () => {
    ctx = await createCkksContext('n8192');
    keys = ctx.generateKeys();
  });
  afterAll(() => ctx.dispose());
  it('matches the plaintext weighted mean to 1e-6 relative, within the reported bound', () => {
    const r = runFedAvg(ctx, keys, 20, 20_000);
    expect(r.relativeError).toBeLessThan(1e-6);
    expect(r.maxAbsError).toBeLessThanOrEqual(r.errorBound);
    expect(ctx.liveObjectBytes).toBe(2 * 3 * 8192 * 8 * 1.5); // only the keys remain
  });
});
