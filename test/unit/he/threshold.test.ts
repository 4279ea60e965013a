import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CkksContext,
  combinePartialDecryptions,
  combinePublicKeyShares,
  createCkksContext,
  createThresholdParty,
  type ThresholdParty,
} from '../../../src/he/index.ts';
import { CT_DATA_OFFSET } from '../../../src/he/envelope.ts';
import { lagrangeAtZero } from '../../../src/he/threshold.ts';
import { deterministicRngForTesting } from '../../../src/index.ts';
import { FIELD_MODULUS, lagrangeCoefficients } from '../../../src/sharing/index.ts';
import { codeOf, maxAbsDiff } from '../../helpers/he.ts';
import { clientUpdate } from '../../helpers/he-fedavg.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

let ctx: CkksContext;
const seed = new Uint8Array(32).fill(42);

beforeAll(async () => {
  ctx = await createCkksContext('n8192');
});
afterAll(() => ctx.dispose());

describe('threshold CKKS, N-of-N (Mouchet et al. 2021)', () => {
  let parties: ThresholdParty[];
  beforeAll(() => {
    parties = [1, 2, 3].map((index) =>
      createThresholdParty(ctx, { parties: 3, threshold: 3, index, seed }),
    );
  });

  it('clients encrypt under the collective key unchanged; partials combine to the sum', () => {
    using pk = combinePublicKeyShares(
      ctx,
      seed,
      parties.map((p) => p.publicKeyShare()),
    );
    const xs = [0, 1, 2].map((c) => clientUpdate(c, 6000));
    const vs = xs.map((x) => ctx.encrypt(x, pk));
    using agg = ctx.weightedSum(vs, [0.2, 0.3, 0.5]);
    for (const v of vs) v.dispose();
    const want = xs[0]?.map(
      (_, i) =>
        0.2 * (xs[0]?.[i] as number) + 0.3 * (xs[1]?.[i] as number) + 0.5 * (xs[2]?.[i] as number),
    ) as Float64Array;
    const partials = parties.map((p) => p.partialDecrypt(agg, [1, 2, 3]));
    const d = combinePartialDecryptions(ctx, agg, partials, { parties: 3 });
    expect(maxAbsDiff(d.values, want)).toBeLessThanOrEqual(d.errorBound);
    // a party never releases a second partial decryption of the same ciphertext
    expect(codeOf(() => parties[0]?.partialDecrypt(agg, [1, 2, 3]))).toBe('PROTOCOL_ABORTED');
    // every partial is needed
    expect(
      codeOf(() => combinePartialDecryptions(ctx, agg, partials.slice(0, 2), { parties: 3 })),
    ).toBe('INSUFFICIENT_SHARES');
  });

  it('the flooding noise is what the bound says (s = 40 floods far above the CKKS error)', () => {
    using pk = combinePublicKeyShares(
      ctx,
      seed,
      parties.map((p) => p.publicKeyShare()),
    );
    const x = clientUpdate(7, 3000);
    using v = ctx.encrypt(x, pk);
    using w = ctx.encrypt(x, pk);
    const loud = combinePartialDecryptions(
      ctx,
      v,
      parties.map((p) => p.partialDecrypt(v, [1, 2, 3], { securityBits: 40 })),
      { parties: 3 },
    );
    const quiet = combinePartialDecryptions(
      ctx,
      w,
      parties.map((p) => p.partialDecrypt(w, [1, 2, 3], { securityBits: 0 })),
      { parties: 3 },
    );
    expect(maxAbsDiff(loud.values, x)).toBeLessThanOrEqual(loud.errorBound);
    expect(maxAbsDiff(quiet.values, x)).toBeLessThanOrEqual(quiet.errorBound);
    // 2^20 more flooding: the observed error grows by about that factor
    expect(maxAbsDiff(loud.values, x) / maxAbsDiff(quiet.values, x)).toBeGreaterThan(2 ** 18);
  });

  it('partials of other ciphertexts, malformed shares and bad participant sets are rejected', () => {
    using pk = combinePublicKeyShares(
      ctx,
      seed,
      parties.map((p) => p.publicKeyShare()),
    );
    using a = ctx.encrypt([1], pk);
    using b = ctx.encrypt([1], pk);
    const pa = parties.map((p) => p.partialDecrypt(a, [1, 2, 3], { securityBits: 0 }));
    expect(codeOf(() => combinePartialDecryptions(ctx, b, pa, { parties: 3 }))).toBe(
      'MALFORMED_MESSAGE',
    );
    const truncated = (pa[0] as Uint8Array).subarray(0, 100);
    expect(codeOf(() => combinePartialDecryptions(ctx, a, [truncated], { parties: 3 }))).toBe(
      'MALFORMED_MESSAGE',
    );
    expect(
      codeOf(() =>
        combinePartialDecryptions(ctx, a, [pa[0], pa[0], pa[1]] as Uint8Array[], { parties: 3 }),
      ),
    ).toBe('MALFORMED_MESSAGE');
    const share = parties[0]?.publicKeyShare() as Uint8Array;
    expect(codeOf(() => combinePublicKeyShares(ctx, seed, [share, share, share]))).toBe(
      'MALFORMED_MESSAGE',
    );
    const flipped = share.slice();
    flipped.fill(0xff, 20, 28);
    expect(codeOf(() => combinePublicKeyShares(ctx, seed, [flipped, share]))).toBe(
      'MALFORMED_MESSAGE',
    );
    expect(codeOf(() => parties[1]?.partialDecrypt(b, [1, 2]))).toBe('RangeError');
    expect(codeOf(() => parties[1]?.partialDecrypt(b, [1, 1, 2]))).toBe('RangeError');
    expect(codeOf(() => parties[1]?.dealShares())).toBe('PROTOCOL_ABORTED');
  });
});

describe('threshold CKKS, 3-of-5 by Shamir sharing of the key shares', () => {
  it('any 3 parties decrypt; shares are checked; FedAvg stays within the reported bound', () => {
    const rngFor = (i: number) => deterministicRngForTesting(new Uint8Array(32).fill(100 + i));
    const parties = [1, 2, 3, 4, 5].map((index) =>
      createThresholdParty(ctx, { parties: 5, threshold: 3, index, seed, rng: rngFor(index) }),
    );
    using pk = combinePublicKeyShares(
      ctx,
      seed,
      parties.map((p) => p.publicKeyShare()),
    );
    const dealt = parties.map((p) => p.dealShares());
    // a share addressed to someone else, or delivered twice, is refused
    expect(codeOf(() => parties[0]?.receiveShare(dealt[1]?.[2] as Uint8Array))).toBe(
      'MALFORMED_MESSAGE',
    );
    for (const row of dealt)
      for (const [j, msg] of row.entries()) if (msg !== undefined) parties[j]?.receiveShare(msg);
    expect(codeOf(() => parties[0]?.receiveShare(dealt[1]?.[0] as Uint8Array))).toBe(
      'PROTOCOL_ABORTED',
    );

    // FedAvg of 10 clients x 5000 floats under the 3-of-5 key
    const clients = 10;
    const length = 5000;
    const weights = Array.from({ length: clients }, (_, i) => (i + 1) / 55);
    const want = new Float64Array(length);
    using acc = ctx.createWeightedSum();
    using acc2 = ctx.createWeightedSum();
    for (let c = 0; c < clients; c++) {
      const x = clientUpdate(c, length);
      for (let i = 0; i < length; i++)
        want[i] = (want[i] as number) + (weights[c] as number) * (x[i] as number);
      using v = ctx.loadVector(ctx.encryptToBytes(x, pk));
      acc.add(v, weights[c] as number);
      using v2 = ctx.loadVector(ctx.encryptToBytes(x, pk));
      acc2.add(v2, weights[c] as number);
    }
    using mean = acc.finish();
    using again = acc2.finish();
    const decryptWith = (set: number[], v: typeof mean) => {
      const partials = set.map(
        (j) =>
          parties[j - 1]?.partialDecrypt(v, set, { securityBits: 20, queries: 2 }) as Uint8Array,
      );
      return combinePartialDecryptions(ctx, v, partials, { parties: 5 });
    };
    const d1 = decryptWith([1, 2, 3], mean);
    expect(maxAbsDiff(d1.values, want)).toBeLessThanOrEqual(d1.errorBound);
    // party 2 refuses to decrypt the same ciphertext again, even for another subset
    expect(codeOf(() => decryptWith([2, 4, 5], mean))).toBe('PROTOCOL_ABORTED');
    // the same aggregate from fresh client ciphertexts is a new ciphertext
    const d2 = decryptWith([2, 4, 5], again);
    expect(maxAbsDiff(d2.values, want)).toBeLessThanOrEqual(d2.errorBound);
    for (const p of parties) p.dispose();
  });
});

describe('replays and the Shamir arithmetic', () => {
  it('a ciphertext with the same c1 and another c0 is refused like the same ciphertext', () => {
    const parties = [1, 2].map((index) =>
      createThresholdParty(ctx, { parties: 2, threshold: 2, index, seed }),
    );
    using pk = combinePublicKeyShares(
      ctx,
      seed,
      parties.map((p) => p.publicKeyShare()),
    );
    using v = ctx.encrypt([1, 2, 3], pk);
    parties[0]?.partialDecrypt(v, [1, 2], { securityBits: 0 });
    // rewrite the first residue of c0 (the envelope's first blob starts at byte 48)
    const bytes = v.serialize();
    bytes.fill(0, 48 + CT_DATA_OFFSET + 24, 48 + CT_DATA_OFFSET + 32);
    using twin = ctx.loadVector(bytes);
    expect(codeOf(() => parties[0]?.partialDecrypt(twin, [1, 2]))).toBe('PROTOCOL_ABORTED');
    // the other party has not decrypted it yet
    expect(parties[1]?.partialDecrypt(twin, [1, 2], { securityBits: 0 })).toBeInstanceOf(
      Uint8Array,
    );
    for (const p of parties) p.dispose();
  });

  it('Lagrange coefficients at 0 match privagg/sharing over GF(2^31 - 1) and reconstruct modulo each prime', () => {
    const p31 = BigInt(FIELD_MODULUS);
    for (const set of [
      [1, 2, 3],
      [2, 4, 5],
      [1, 3, 4, 5, 7],
    ]) {
      const fromSharing = lagrangeCoefficients(set);
      set.forEach((j, i) => {
        expect(lagrangeAtZero(j, set, [p31])[0]).toBe(BigInt(fromSharing[i] as number));
      });
      // f(x) = 5 + 7x + 11x^2 (+ 13x^3 + 17x^4) modulo the key primes: sum lambda_j f(j) = 5
      const primes = ctx._shape.primes[0] as readonly bigint[];
      const coeffs = [5n, 7n, 11n, 13n, 17n].slice(0, set.length);
      primes.forEach((q, i) => {
        let acc = 0n;
        for (const j of set) {
          let fj = 0n;
          for (const c of [...coeffs].reverse()) fj = (fj * BigInt(j) + c) % q;
          acc = (acc + (lagrangeAtZero(j, set, primes)[i] as bigint) * fj) % q;
        }
        expect(acc).toBe(5n);
      });
    }
  });
});

describe('threshold: hostile arguments', () => {
  it('every entry point throws a documented error class', () => {
    const party = createThresholdParty(ctx, { parties: 2, threshold: 2, index: 1, seed });
    using v = ctx.encrypt([1], ctx.generateKeys().publicKey);
    for (const { value } of HOSTILE_VALUES) {
      const bad = value as never;
      for (const fn of [
        () => createThresholdParty(ctx, bad),
        () => createThresholdParty(ctx, { parties: bad, threshold: 2, index: 1, seed }),
        () => createThresholdParty(ctx, { parties: 2, threshold: bad, index: 1, seed }),
        () => createThresholdParty(ctx, { parties: 2, threshold: 2, index: bad, seed }),
        () => createThresholdParty(ctx, { parties: 2, threshold: 2, index: 1, seed: bad }),
        () => combinePublicKeyShares(ctx, bad, []),
        () => combinePublicKeyShares(ctx, seed, bad),
        () => combinePartialDecryptions(ctx, bad, [], { parties: 2 }),
        () => combinePartialDecryptions(ctx, v, bad, { parties: 2 }),
        () => combinePartialDecryptions(ctx, v, [], bad),
        () => party.partialDecrypt(bad, [1, 2]),
        () => party.partialDecrypt(v, bad),
        () => party.receiveShare(bad),
      ]) {
        const code = codeOf(fn);
        expect(['TypeError', 'RangeError', 'MALFORMED_MESSAGE', 'INSUFFICIENT_SHARES']).toContain(
          code,
        );
      }
    }
    party.dispose();
    expect(codeOf(() => party.publicKeyShare())).toBe('INVALID_PARAMETER');
  });
});
