import { describe, expect, it } from 'vitest';
import { createCkksContext } from '../../../src/he/index.ts';
import { codeOf } from '../../helpers/he.ts';
import { clientUpdate } from '../../helpers/he-fedavg.ts';

describe('n8192-compact: addition-only aggregation in under 12 bytes per value', () => {
  it('FedAvg with client-side weights matches to 1e-6 relative; seeded wire form <= 12 bytes/float', async () => {
    using ctx = await createCkksContext('n8192-compact');
    const keys = ctx.generateKeys();
    const clients = 20;
    const length = 4 * ctx.slotCount;
    const counts = Array.from({ length: clients }, (_, i) => 10 + i);
    const total = counts.reduce((a, b) => a + b, 0);
    const want = new Float64Array(length);
    const vs = [];
    let wireBytes = 0;
    for (let c = 0; c < clients; c++) {
      const w = (counts[c] as number) / total;
      const x = clientUpdate(c, length).map((v) => v * w);
      for (let i = 0; i < length; i++) want[i] = (want[i] as number) + (x[i] as number);
      // the declared bound scales with the weight, so the sum's bound stays within the headroom
      const wire = ctx.encryptToBytes(x, keys.secretKey, { bound: w });
      wireBytes = wire.length;
      vs.push(ctx.loadVector(wire));
    }
    expect(wireBytes / length).toBeLessThanOrEqual(12);
    using mean = ctx.sum(vs);
    for (const v of vs) v.dispose();
    const d = ctx.decrypt(mean, keys.secretKey);
    let err = 0;
    let mag = 0;
    for (let i = 0; i < length; i++) {
      err = Math.max(err, Math.abs((d.values[i] as number) - (want[i] as number)));
      mag = Math.max(mag, Math.abs(want[i] as number));
    }
    expect(err).toBeLessThanOrEqual(d.errorBound);
    expect(err / mag).toBeLessThan(1e-6);
    // no level for a weighted sum; the headroom (|value| <= 8) is enforced
    expect(codeOf(() => ctx.weightedSum([mean], [1]))).toBe('INVALID_PARAMETER');
    expect(codeOf(() => ctx.encrypt([9], keys.publicKey))).toBe('RangeError');
  });
});
