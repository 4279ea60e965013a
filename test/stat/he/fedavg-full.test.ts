import { describe, expect, it } from 'vitest';
import {
  combinePartialDecryptions,
  combinePublicKeyShares,
  createCkksContext,
  createThresholdParty,
} from '../../../src/he/index.ts';
import { runFedAvg, runFedAvgWith } from '../../helpers/he-fedavg.ts';

describe('encrypted FedAvg at full size (100 clients x 1e5 floats, single key)', () => {
  it('matches the plaintext weighted mean to 1e-6 relative, within the reported bound', async () => {
    using ctx = await createCkksContext('n8192');
    const keys = ctx.generateKeys();
    const r = runFedAvg(ctx, keys, 100, 100_000);
    console.log(
      `single-key FedAvg 100 x 1e5: relative ${r.relativeError.toExponential(2)}, L2 relative ${r.l2RelativeError.toExponential(2)}, max error ${r.maxAbsError.toExponential(2)}, bound ${r.errorBound.toExponential(2)}, ${r.seconds.toFixed(1)} s`,
    );
    expect(r.relativeError).toBeLessThan(1e-6);
    expect(r.maxAbsError).toBeLessThanOrEqual(r.errorBound);
  });
});

describe('encrypted FedAvg at full size under a 3-of-5 threshold key', () => {
  it('stays within the reported bound (flooding at s = 40 included) and reports its precision', async () => {
    using ctx = await createCkksContext('n8192');
    const seed = new Uint8Array(32).fill(5);
    const parties = [1, 2, 3, 4, 5].map((index) =>
      createThresholdParty(ctx, { parties: 5, threshold: 3, index, seed }),
    );
    using pk = combinePublicKeyShares(
      ctx,
      seed,
      parties.map((p) => p.publicKeyShare()),
    );
    const dealt = parties.map((p) => p.dealShares());
    for (const row of dealt)
      for (const [j, msg] of row.entries()) if (msg !== undefined) parties[j]?.receiveShare(msg);
    const set = [1, 3, 5];
    const r = runFedAvgWith(
      ctx,
      () => pk,
      (v) =>
        combinePartialDecryptions(
          ctx,
          v,
          set.map((j) => parties[j - 1]?.partialDecrypt(v, set) as Uint8Array),
          { parties: 5 },
        ),
      100,
      100_000,
    );
    console.log(
      `3-of-5 FedAvg 100 x 1e5: relative ${r.relativeError.toExponential(2)}, L2 relative ${r.l2RelativeError.toExponential(2)}, bound ${r.errorBound.toExponential(2)}, ${r.seconds.toFixed(1)} s`,
    );
    expect(r.maxAbsError).toBeLessThanOrEqual(r.errorBound);
  });
});
