/**
 * The acceptance run: encrypted FedAvg of 100 clients x 1e5 floats matches the
 * plaintext weighted mean to 1e-6 relative, within the reported error bound, with a single key
 * (raw decryption at n8192; flooded release at n8192-flood) and with a 3-of-5 threshold key
 * (every partial flooded at s = 40, n8192-flood). About a minute each on one core.
 */
import { describe, expect, it } from 'vitest';
import {
  combinePartialDecryptions,
  combinePublicKeyShares,
  createCkksContext,
  createThresholdParty,
} from '../../../src/he/index.ts';
import { type FedAvgOutcome, runFedAvg, runFedAvgWith } from '../../helpers/he-fedavg.ts';

function report(name: string, r: FedAvgOutcome): void {
  console.log(
    `${name}: max relative ${r.relativeError.toExponential(2)}, L2 relative ${r.l2RelativeError.toExponential(2)}, max error ${r.maxAbsError.toExponential(2)}, reported bound ${r.errorBound.toExponential(2)}, ${r.seconds.toFixed(1)} s`,
  );
}

describe('encrypted FedAvg at full size (100 clients x 1e5 floats)', () => {
  it('single key, raw decryption by the key holder (n8192)', async () => {
    using ctx = await createCkksContext('n8192');
    const keys = ctx.generateKeys();
    const r = runFedAvg(ctx, keys, 100, 100_000);
    report('single key, n8192, decrypt', r);
    expect(r.relativeError).toBeLessThan(1e-6);
    expect(r.maxAbsError).toBeLessThanOrEqual(r.errorBound);
  });

  it('single key, flooded release at s = 40 (n8192-flood)', async () => {
    using ctx = await createCkksContext('n8192-flood');
    const keys = ctx.generateKeys();
    const r = runFedAvgWith(
      ctx,
      (c) => (c % 2 === 0 ? keys.secretKey : keys.publicKey),
      (v) => ctx.decryptForRelease(v, keys.secretKey, { securityBits: 40 }),
      100,
      100_000,
    );
    report('single key, n8192-flood, decryptForRelease s = 40', r);
    expect(r.relativeError).toBeLessThan(1e-6);
    expect(r.maxAbsError).toBeLessThanOrEqual(r.errorBound);
  });

  it('3-of-5 threshold key, every partial flooded at s = 40 (n8192-flood)', async () => {
    using ctx = await createCkksContext('n8192-flood');
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
          set.map(
            (j) => parties[j - 1]?.partialDecrypt(v, set, { securityBits: 40 }) as Uint8Array,
          ),
          { parties: 5 },
        ),
      100,
      100_000,
    );
    report('3-of-5 threshold, n8192-flood, s = 40', r);
    expect(r.relativeError).toBeLessThan(1e-6);
    expect(r.maxAbsError).toBeLessThanOrEqual(r.errorBound);
    for (const p of parties) p.dispose();
  });
});
