import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CkksContext, type CkksKeyPair, createCkksContext } from '../../../src/he/index.ts';
import { coefficientBound, plaintextWords } from '../../../src/he/flood.ts';
import { NttHelper } from '../../../src/he/rns.ts';
import { deterministicRngForTesting } from '../../../src/index.ts';

let ctx: CkksContext;
let keys: CkksKeyPair;
beforeAll(async () => {
  ctx = await createCkksContext('n8192');
  keys = ctx.generateKeys();
});
afterAll(() => ctx.dispose());

/** Signed value of a residue modulo q (centred). */
function centred(w: bigint, q: bigint): number {
  return Number(w > q / 2n ? w - q : w);
}

describe('noise flooding of released decryptions (Li-Micciancio, LMSS22 calibration)', () => {
  const x = Float64Array.from({ length: 3000 }, (_, i) => Math.sin(i) / 4);

  it('the coefficient bound t holds for the error SEAL actually leaves (fresh, weighted sum)', () => {
    const seal = ctx._seal;
    const encoder = new seal.CKKSEncoder(ctx._context);
    const pt = new seal.Plaintext();
    const dec = new seal.Decryptor(ctx._context, keys.secretKey._key);
    using a = ctx.encrypt(x, keys.publicKey);
    using b = ctx.encrypt(x, keys.publicKey);
    using w = ctx.weightedSum([a, b], [0.25, 0.75]);
    const n = ctx.parameters.polyModulusDegree;
    for (const v of [a, w]) {
      const ct = v._cts[0] as Parameters<typeof dec.decrypt>[0];
      dec.decrypt(ct, pt);
      const got = plaintextWords(ctx, pt);
      // the exact message at the same scale and level, encoded by SEAL
      const level = ctx._levelOf(v);
      const pid = ct.parmsId();
      encoder.encode(x.subarray(0, ctx.slotCount), ct.scale(), pt);
      const evaluator = new seal.Evaluator(ctx._context);
      evaluator.plainModSwitchToInplace(pt, pid);
      const want = plaintextWords(ctx, pt);
      pid.delete();
      evaluator.delete();
      // back to coefficients: the first prime's residues, inverse NTT through SEAL
      const q = ctx._shape.primes[level]?.[0] as bigint;
      const diff = new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const d = (got[i] as bigint) - (want[i] as bigint);
        diff[i] = d < 0n ? d + q : d;
      }
      const x1 = new Float64Array(n);
      x1[1] = 1;
      const roots = NttHelper.of(ctx).forward(x1).subarray(0, n);
      const coeffs = firstCoefficients(diff, q, roots, 64);
      let max = 0;
      for (const c of coeffs) max = Math.max(max, Math.abs(centred(c, q)));
      const t = coefficientBound(v._noise, n, ct.scale(), 1, n);
      expect(max).toBeGreaterThan(0);
      expect(max).toBeLessThanOrEqual(t);
      // and not absurdly loose (64 of N coefficients observed)
      expect(t / max).toBeLessThan(100);
      console.log(`coefficient error: max ${max} of 64, bound t ${t.toFixed(0)}`);
    }
    for (const o of [encoder, pt, dec]) o.delete();
  });

  it('adds noise of the stated width; the bound covers it; width grows as 2^(s/2) sqrt(queries)', () => {
    using v = ctx.encrypt(x, keys.publicKey);
    const raw = ctx.decrypt(v, keys.secretKey);
    const r20 = ctx.decryptForRelease(v, keys.secretKey, { securityBits: 20 });
    const r40 = ctx.decryptForRelease(v, keys.secretKey, { securityBits: 40, queries: 4 });
    // t grows slowly with the number of released coefficients (union bound)
    const ratio = r40.floodingStd / r20.floodingStd / 2 ** 10 / 2;
    expect(ratio).toBeGreaterThan(1);
    expect(ratio).toBeLessThan(1.1);
    for (const r of [r20, r40]) {
      let sq = 0;
      for (let i = 0; i < x.length; i++) {
        expect(Math.abs((r.values[i] as number) - (x[i] as number))).toBeLessThanOrEqual(
          r.errorBound,
        );
        sq += ((r.values[i] as number) - (raw.values[i] as number)) ** 2;
      }
      // the empirical sd of the added noise is floodingStd within a few percent (3000 values)
      expect(Math.sqrt(sq / x.length) / r.floodingStd).toBeGreaterThan(0.9);
      expect(Math.sqrt(sq / x.length) / r.floodingStd).toBeLessThan(1.1);
    }
    expect(r40.securityBits).toBe(40);
    expect(r40.queries).toBe(4);
  });

  it('at n8192-flood a released FedAvg-sized aggregate keeps 1e-9 absolute precision at s = 40', async () => {
    using c = await createCkksContext('n8192-flood');
    const k = c.generateKeys();
    const xs = [0, 1, 2, 3].map((j) => x.map((v) => v + j / 100));
    const vs = xs.map((v) => c.encrypt(v, k.publicKey));
    using mean = c.weightedSum(vs, [0.25, 0.25, 0.25, 0.25]);
    for (const v of vs) v.dispose();
    const r = c.decryptForRelease(mean, k.secretKey);
    let max = 0;
    for (let i = 0; i < x.length; i++)
      max = Math.max(max, Math.abs((r.values[i] as number) - ((x[i] as number) + 0.015)));
    expect(max).toBeLessThanOrEqual(r.errorBound);
    expect(r.errorBound).toBeLessThan(1e-9);
    expect(r.floodingStd).toBeGreaterThan(0);
  });

  it('draws from the injected rng only (reproducible with a deterministic one)', () => {
    using v = ctx.encrypt(x.subarray(0, 50), keys.secretKey);
    const seed = new Uint8Array(32).fill(7);
    const a = ctx.decryptForRelease(v, keys.secretKey, { rng: deterministicRngForTesting(seed) });
    const b = ctx.decryptForRelease(v, keys.secretKey, { rng: deterministicRngForTesting(seed) });
    expect([...a.values]).toEqual([...b.values]);
    const c = ctx.decryptForRelease(v, keys.secretKey);
    expect([...a.values]).not.toEqual([...c.values]);
  });

  it('validates options', () => {
    using v = ctx.encrypt([1], keys.secretKey);
    expect(() => ctx.decryptForRelease(v, keys.secretKey, { securityBits: 0 })).toThrow(RangeError);
    expect(() => ctx.decryptForRelease(v, keys.secretKey, { queries: 0.5 })).toThrow(RangeError);
    expect(() => ctx.decryptForRelease(v, keys.secretKey, { rng: 1 } as never)).toThrow(TypeError);
    expect(() => ctx.decryptForRelease(v, keys.secretKey, { nope: 1 } as never)).toThrow(TypeError);
  });
});

/**
 * The first `count` coefficients modulo q of a polynomial given in SEAL's evaluation form
 * (residues at the roots NTT(X) lists): e_k = N^-1 sum_i v_i zeta_i^-k.
 */
function firstCoefficients(
  values: BigUint64Array,
  q: bigint,
  roots: BigUint64Array,
  count: number,
): bigint[] {
  const n = roots.length;
  const pow = (b: bigint, e: bigint): bigint => {
    let r = 1n;
    let x = b % q;
    for (let k = e; k > 0n; k >>= 1n) {
      if (k & 1n) r = (r * x) % q;
      x = (x * x) % q;
    }
    return r;
  };
  const out: bigint[] = new Array(count).fill(0n);
  for (let i = 0; i < n; i++) {
    const inv = pow(roots[i] as bigint, BigInt(2 * n - 1));
    let p = values[i] as bigint;
    for (let k = 0; k < count; k++) {
      out[k] = ((out[k] as bigint) + p) % q;
      p = (p * inv) % q;
    }
  }
  const nInv = pow(BigInt(n), q - 2n);
  return out.map((v) => (v * nInv) % q);
}
