/**
 * Pins how privagg reads and writes SEAL 4.1's serialized polynomials (src/he/envelope.ts and
 * src/he/rns.ts): byte layouts rebuilt from parsed words are byte-identical to SEAL's, and the
 * NTT computed through the BFV twin is SEAL's CKKS evaluation form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CkksContext, createCkksContext } from '../../../src/he/index.ts';
import {
  CT_FIXED,
  ciphertextBytes,
  dataWords,
  NttHelper,
  PT_FIXED,
  plaintextBytes,
  polyAdd,
  polyMul,
  uniformFromSeed,
} from '../../../src/he/rns.ts';
import {
  packedBytes,
  packedFullBytes,
  packFull,
  packSeeded,
  unpackFull,
  unpackSeeded,
} from '../../../src/he/packed.ts';

let ctx: CkksContext;
let ntt: NttHelper;
let n: number;
let primes: readonly bigint[];
beforeAll(async () => {
  ctx = await createCkksContext('n8192');
  ntt = NttHelper.of(ctx);
  n = ctx.parameters.polyModulusDegree;
  primes = ctx._shape.primes[0] as readonly bigint[];
});
afterAll(() => ctx.dispose());

function pow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = b % m;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
  }
  return r;
}

function monomial(degree: number, coeff = 1): Float64Array {
  const c = new Float64Array(n);
  c[degree] = coeff;
  return c;
}

describe('SEAL 4.1 serialized polynomials', () => {
  it("a ciphertext rebuilt from its parsed words is byte-identical to SEAL's", () => {
    const keys = ctx.generateKeys();
    using v = ctx.encrypt([1, 2, 3], keys.publicKey);
    const ct = v._cts[0] as Parameters<CkksContext['_save']>[0];
    const bytes = ctx._save(ct, 'ciphertext');
    const words = dataWords(bytes, CT_FIXED);
    const k = 2; // data level of n8192
    expect(words.length).toBe(2 * k * n);
    const rebuilt = ciphertextBytes(
      ctx._shape.parmsIds[1] as readonly bigint[],
      n,
      k,
      [words.slice(0, k * n), words.slice(k * n)],
      2 ** 45,
    );
    expect(rebuilt).toEqual(bytes);
  });

  it("a plaintext rebuilt from its parsed words is byte-identical to SEAL's", () => {
    const seal = ctx._seal;
    const encoder = new seal.CKKSEncoder(ctx._context);
    const pt = new seal.Plaintext();
    encoder.encode(Float64Array.from([0.5, -1, 2]), 2 ** 30, pt);
    const bytes = pt.saveToArray(seal.ComprModeType.none) as Uint8Array;
    const pid = pt.parmsId();
    const rebuilt = plaintextBytes(
      [...(pid.values() as BigUint64Array)],
      dataWords(bytes, PT_FIXED),
      2 ** 30,
    );
    expect(rebuilt).toEqual(bytes);
    pid.delete();
    pt.delete();
    encoder.delete();
  });

  it('NTT(1) is 1 at every root; NTT(X) holds primitive 2N-th roots of unity, all distinct', () => {
    const one = ntt.forward(monomial(0));
    expect(one.every((w) => w === 1n)).toBe(true);
    const x = ntt.forward(monomial(1));
    for (let i = 0; i < primes.length; i++) {
      const q = primes[i] as bigint;
      const roots = x.slice(i * n, (i + 1) * n);
      expect(new Set(roots).size).toBe(n);
      for (const r of roots.slice(0, 16)) expect(pow(r, BigInt(n), q)).toBe(q - 1n);
    }
  });

  it('the transform is linear and negacyclic: X * X^(N-1) = -1, (1 - X) + X = 1', () => {
    const x = ntt.forward(monomial(1));
    const xn1 = ntt.forward(monomial(n - 1));
    const minusOne = ntt.forward(monomial(0, -1));
    expect(polyMul(x, xn1, primes, n)).toEqual(minusOne);
    const oneMinusX = ntt.forward(
      Float64Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === 1 ? -1 : 0)),
    );
    expect(polyAdd(oneMinusX, x, primes, n)).toEqual(ntt.forward(monomial(0)));
  });

  it('NTT of a small secret gives a working SEAL secret key (CKKS evaluation form)', () => {
    // s = 1 - X^5: build SEAL's secret key bytes from the words, derive a public key, round-trip
    const s = new Float64Array(n);
    s[0] = 1;
    s[5] = -1;
    const words = ntt.forward(s);
    const skBytes = plaintextBytes(ctx._shape.parmsIds[0] as readonly bigint[], words, 1);
    const seal = ctx._seal;
    const sk = new seal.SecretKey();
    sk.loadFromArray(ctx._context, skBytes);
    const kg = new seal.KeyGenerator(ctx._context, sk);
    const pk = kg.createPublicKey();
    const enc = new seal.Encryptor(ctx._context, pk);
    const dec = new seal.Decryptor(ctx._context, sk);
    const encoder = new seal.CKKSEncoder(ctx._context);
    const pt = new seal.Plaintext();
    const ct = new seal.Ciphertext();
    encoder.encode(Float64Array.from([3.25, -7.5]), 2 ** 40, pt);
    enc.encrypt(pt, ct);
    dec.decrypt(ct, pt);
    const out = encoder.decodeFloat64(pt) as Float64Array;
    expect(Math.abs((out[0] as number) - 3.25)).toBeLessThan(1e-6);
    expect(Math.abs((out[1] as number) + 7.5)).toBeLessThan(1e-6);
    for (const o of [sk, kg, pk, enc, dec, encoder, pt, ct]) o.delete();
  });

  it('the common random polynomial is determined by the seed and reduced', () => {
    const a = uniformFromSeed(new Uint8Array(32).fill(9), primes, n);
    const b = uniformFromSeed(new Uint8Array(32).fill(9), primes, n);
    const c = uniformFromSeed(new Uint8Array(32).fill(8), primes, n);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (let i = 0; i < primes.length; i++)
      for (let j = i * n; j < (i + 1) * n; j++)
        expect((a[j] as bigint) < (primes[i] as bigint)).toBe(true);
  });
});

describe('packed full ciphertexts', () => {
  it("pack then unpack gives back SEAL's bytes exactly, at every level", async () => {
    for (const preset of ['n8192', 'n8192-flood'] as const) {
      using c = await createCkksContext(preset);
      const keys = c.generateKeys();
      using v = c.encrypt([1, -2, 3.5], keys.publicKey);
      using w = c.weightedSum([v], [0.5]);
      const n = c.parameters.polyModulusDegree;
      for (const [level, x] of [
        [1, v],
        [2, w],
      ] as const) {
        const bytes = c._save(x._cts[0] as Parameters<CkksContext['_save']>[0], 'ciphertext');
        const levelPrimes = c._shape.primes[level] as readonly bigint[];
        const block = packFull(bytes, level, levelPrimes, n);
        expect(block.length).toBe(packedFullBytes(levelPrimes, n));
        expect(unpackFull(block, c._shape.parmsIds, c._shape.primes, n)).toEqual(bytes);
      }
      // and the public-key wire form is (sum of bits) / 2 bytes per value plus headers
      const bits = (c._shape.primes[1] as readonly bigint[]).reduce(
        (a, q) => a + q.toString(2).length,
        0,
      );
      const wire = c.encryptToBytes(new Float64Array(4 * c.slotCount), keys.publicKey);
      expect(wire.length / (4 * c.slotCount)).toBeLessThan(bits / 2 + 0.01);
    }
  });
});

describe('packed seeded ciphertexts', () => {
  it("pack then unpack gives back SEAL's seeded bytes exactly", async () => {
    for (const preset of ['n8192', 'n8192-compact'] as const) {
      using c = await createCkksContext(preset);
      const seal = c._seal;
      const keys = c.generateKeys();
      const encoder = new seal.CKKSEncoder(c._context);
      const encryptor = new seal.Encryptor(c._context, keys.publicKey._key, keys.secretKey._key);
      const pt = new seal.Plaintext();
      encoder.encode(Float64Array.from([1, -2, 3.5]), c.scale, pt);
      const s = encryptor.encryptSymmetricSerializable(pt);
      const bytes = s.saveToArray(seal.ComprModeType.none) as Uint8Array;
      const levelPrimes = c._shape.primes[1] as readonly bigint[];
      const n = c.parameters.polyModulusDegree;
      const block = packSeeded(bytes, 1, levelPrimes, n);
      expect(block.length).toBe(packedBytes(levelPrimes, n));
      expect(unpackSeeded(block, c._shape.parmsIds, c._shape.primes, n)).toEqual(bytes);
      for (const o of [s, pt, encryptor, encoder]) o.delete();
    }
  });
});
