import { describe, expect, it } from 'vitest';
import { createCkksContext } from '../../../src/he/index.ts';
import { runFedAvg } from '../../helpers/he-fedavg.ts';

describe('encrypted FedAvg at full size (100 clients x 1e5 floats, single key)', () => {
  it('matches the plaintext weighted mean to 1e-6 relative, within the reported bound', async () => {
    using ctx = await createCkksContext('n8192');
    const keys = ctx.generateKeys();
    const r = runFedAvg(ctx, keys, 100, 100_000);
    expect(r.relativeError).toBeLessThan(1e-6);
    expect(r.maxAbsError).toBeLessThanOrEqual(r.errorBound);
  });
});
