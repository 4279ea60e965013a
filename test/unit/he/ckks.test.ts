import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CkksContext,
  type CkksKeyPair,
  CkksVector,
  createCkksContext,
} from '../../../src/he/index.ts';
import { deterministicRngForTesting, isPrivaggError } from '../../../src/index.ts';
import { sealCall } from '../../../src/he/seal.ts';
import { maxAbsDiff } from '../../helpers/he.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

let ctx: CkksContext;
let keys: CkksKeyPair;

function randomVector(length: number, seedByte: number, scale = 1): Float64Array {
  const rng = deterministicRngForTesting(new Uint8Array(32).fill(seedByte));
  const words = new Uint32Array(rng(4 * length).buffer);
  return Float64Array.from(words, (w) => ((w / 2 ** 32) * 2 - 1) * scale);
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

beforeAll(async () => {
  ctx = await createCkksContext('n8192');
  keys = ctx.generateKeys();
});
afterAll(() => ctx.dispose());

describe('lazy loading', () => {
  it('importing privagg/he loads no WebAssembly; creating a context does', () => {
    const entry = new URL('../../../src/he/index.ts', import.meta.url).href;
    const code = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ resolve(s, c, next) { if (s.startsWith('node-seal')) seen.push(s); return next(s, c); } });
      const he = await import(${JSON.stringify(entry)});
      console.log(seen.length);
      (await he.createCkksContext('n8192')).dispose();
      console.log(seen.length > 0);
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
    });
    expect(out.trim().split('\n')).toEqual(['0', 'true']);
  });
});

describe('encrypt / decrypt', () => {
  it('round-trips vectors of any length under public and secret keys, within the bound', () => {
    for (const length of [0, 1, 4095, 4096, 4097, 10_000]) {
      const x = randomVector(length, length % 251);
      for (const key of [keys.publicKey, keys.secretKey]) {
        using v = ctx.encrypt(x, key);
        expect(v.length).toBe(length);
        const { values, errorBound } = ctx.decrypt(v, keys.secretKey);
        expect(values.length).toBe(length);
        expect(maxAbsDiff(values, x)).toBeLessThanOrEqual(errorBound);
        expect(errorBound).toBeLessThan(1e-6);
      }
    }
  });
  it('accepts number[] and Float32Array', () => {
    using a = ctx.encrypt([1, 2, 3], keys.publicKey);
    using b = ctx.encrypt(new Float32Array([1, 2, 3]), keys.publicKey);
    const da = ctx.decrypt(a, keys.secretKey);
    const db = ctx.decrypt(b, keys.secretKey);
    expect(maxAbsDiff(da.values, [1, 2, 3])).toBeLessThan(da.errorBound);
    expect(maxAbsDiff(db.values, [1, 2, 3])).toBeLessThan(db.errorBound);
  });
  it('declared bounds are checked and enter the metadata', () => {
    using v = ctx.encrypt([0.5, -3], keys.publicKey);
    expect(v.bound).toBe(4);
    using w = ctx.encrypt([0.5, -3], keys.publicKey, { bound: 3 });
    expect(w.bound).toBe(3);
    expect(() => ctx.encrypt([0.5, -3], keys.publicKey, { bound: 2 })).toThrow(RangeError);
    // headroom of n8192: q0 60 bits - scale 40 bits
    expect(() => ctx.encrypt([2 ** 30], keys.publicKey)).toThrow(RangeError);
  });
});

describe('add, sum, weighted sum', () => {
  it('add and sum match plaintext within the reported bound', () => {
    const xs = [1, 2, 3].map((s) => randomVector(5000, s, 10));
    const vs = xs.map((x) => ctx.encrypt(x, keys.publicKey));
    using s2 = ctx.add(vs[0] as CkksVector, vs[1] as CkksVector);
    using s3 = ctx.sum(vs);
    const want2 = xs[0]?.map((v, i) => v + (xs[1]?.[i] as number)) as Float64Array;
    const want3 = want2.map((v, i) => v + (xs[2]?.[i] as number));
    const d2 = ctx.decrypt(s2, keys.secretKey);
    const d3 = ctx.decrypt(s3, keys.secretKey);
    expect(maxAbsDiff(d2.values, want2)).toBeLessThanOrEqual(d2.errorBound);
    expect(maxAbsDiff(d3.values, want3)).toBeLessThanOrEqual(d3.errorBound);
    expect(s3.bound).toBe(3 * 16);
    for (const v of vs) v.dispose();
  });
  it('weighted sum (plaintext multiply + rescale) matches within the bound', () => {
    const xs = [4, 5, 6, 7].map((s) => randomVector(9000, s));
    const weights = [0.1, 0.2, 0, 0.7];
    const vs = xs.map((x, i) => ctx.encrypt(x, i % 2 === 0 ? keys.publicKey : keys.secretKey));
    using ws = ctx.weightedSum(vs, weights);
    const want = new Float64Array(9000);
    xs.forEach((x, j) => {
      for (let i = 0; i < x.length; i++)
        want[i] = (want[i] as number) + (weights[j] as number) * (x[i] as number);
    });
    const d = ctx.decrypt(ws, keys.secretKey);
    expect(maxAbsDiff(d.values, want)).toBeLessThanOrEqual(d.errorBound);
    expect(d.errorBound).toBeLessThan(1e-6);
    // no level left after one rescale at n8192
    expect(() => ctx.weightedSum([ws], [1])).toThrow(/no level left/);
    // mixing levels is a domain mismatch
    const e = caught(() => ctx.add(ws, vs[0] as CkksVector));
    expect(isPrivaggError(e) && e.code).toBe('DOMAIN_MISMATCH');
    for (const v of vs) v.dispose();
  });
  it('rejects bad weights', () => {
    using v = ctx.encrypt([1], keys.publicKey);
    expect(() => ctx.weightedSum([v], [0])).toThrow(RangeError);
    expect(() => ctx.weightedSum([v], [Number.NaN])).toThrow(RangeError);
    expect(() => ctx.weightedSum([v], [2 ** 21])).toThrow(RangeError);
    expect(() => ctx.weightedSum([v], [1, 2])).toThrow(RangeError);
    expect(() => ctx.weightedSum([], [])).toThrow(RangeError);
  });
});

describe('ownership and disposal', () => {
  it('dispose frees every SEAL object the context created', async () => {
    const c = await createCkksContext('n8192');
    const base = c.liveObjectCount;
    const k = c.generateKeys();
    const v = c.encrypt(randomVector(9000, 9), k.publicKey);
    using w = c.encrypt(randomVector(9000, 9), k.secretKey);
    expect(c.liveObjectCount).toBeGreaterThan(base);
    v.dispose();
    v.dispose(); // idempotent
    expect(v.disposed).toBe(true);
    expect(() => c.decrypt(v, k.secretKey)).toThrow(/disposed/);
    k.publicKey.dispose();
    k.secretKey.dispose();
    w.dispose();
    expect(c.liveObjectCount).toBe(base);
    expect(c.liveObjectBytes).toBe(0);
    c.dispose();
    expect(c.liveObjectCount).toBe(0);
    expect(() => c.generateKeys()).toThrow(/disposed/);
  });
  it('objects of another context are refused with DOMAIN_MISMATCH', async () => {
    using other = await createCkksContext('n8192');
    const k = other.generateKeys();
    const e = caught(() => ctx.encrypt([1], k.publicKey));
    expect(isPrivaggError(e) && e.code).toBe('DOMAIN_MISMATCH');
  });
  it('the memory budget refuses work that would exceed it', async () => {
    using small = await createCkksContext('n8192', { maxLiveBytes: 2 ** 20 });
    const k = small.generateKeys();
    const e = caught(() => small.encrypt(new Float64Array(4096 * 4), k.publicKey));
    expect(isPrivaggError(e) && e.code).toBe('OVERFLOW');
  });
});

describe('hostile arguments', () => {
  it('every public method throws TypeError/RangeError for hostile values', () => {
    using v = ctx.encrypt([1, 2], keys.publicKey);
    for (const { value } of HOSTILE_VALUES) {
      const isVec = Array.isArray(value) || ArrayBuffer.isView(value);
      if (!isVec) expect(() => ctx.encrypt(value as never, keys.publicKey)).toThrow();
      expect(() => ctx.encrypt([1], value as never)).toThrow(TypeError);
      expect(() => ctx.add(v, value as never)).toThrow(TypeError);
      expect(() => ctx.decrypt(value as never, keys.secretKey)).toThrow(TypeError);
      expect(() => ctx.decrypt(v, value as never)).toThrow(TypeError);
      expect(() => ctx.loadVector(value as never)).toThrow(TypeError);
      expect(() => ctx.weightedSum(value as never, [1])).toThrow(Error);
      try {
        ctx.encrypt(value as never, keys.publicKey).dispose();
      } catch (e) {
        expect(e instanceof TypeError || e instanceof RangeError).toBe(true);
      }
    }
    expect(v).toBeInstanceOf(CkksVector);
  });
});

describe('a trapped SEAL instance is fatal for its contexts only', () => {
  it('after a WebAssembly trap the context refuses work; a fresh context works', async () => {
    const c = await createCkksContext('n8192', { freshInstance: true });
    const k = c.generateKeys();
    const e = caught(() =>
      sealCall(c._seal, 'INVALID_PARAMETER', 'simulated', () => {
        throw new WebAssembly.RuntimeError('memory access out of bounds');
      }),
    );
    expect(isPrivaggError(e) && e.code).toBe('BACKEND_UNAVAILABLE');
    const refused = caught(() => c.encrypt([1], k.publicKey));
    expect(isPrivaggError(refused) && refused.code).toBe('BACKEND_UNAVAILABLE');
    using d = await createCkksContext('n8192');
    const kd = d.generateKeys();
    using v = d.encrypt([1], kd.publicKey);
    expect(d.decrypt(v, kd.secretKey).values.length).toBe(1);
  });
});
