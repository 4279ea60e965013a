/**
 * Untrusted ciphertext and key bytes: truncated, extended, mutated, random and wrong-parameter
 * inputs are rejected with MALFORMED_MESSAGE or INVALID_PARAMETER (never another error, a crash
 * or a hang), and the context keeps working afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CkksContext, type CkksKeyPair, createCkksContext } from '../../../src/he/index.ts';
import { sealCall } from '../../../src/he/seal.ts';
import { writeVector } from '../../../src/he/wire.ts';
import { isPrivaggError } from '../../../src/index.ts';

let ctx: CkksContext;
let keys: CkksKeyPair;
let seeded: Uint8Array;
let full: Uint8Array;
/** The same public-key ciphertext in SEAL's own form (64-bit residues), still accepted. */
let sealForm: Uint8Array;
let publicKey: Uint8Array;
let secretKey: Uint8Array;
const x = [0.25, -0.5, 1, 2, 3];

beforeAll(async () => {
  ctx = await createCkksContext('n8192');
  keys = ctx.generateKeys();
  seeded = ctx.encryptToBytes(x, keys.secretKey);
  full = ctx.encryptToBytes(x, keys.publicKey);
  using v = ctx.loadVector(full);
  sealForm = writeVector(
    v.length,
    v.bound,
    v._noise,
    v._cts.map((ct) => ctx._save(ct, 'ciphertext')),
  );
  publicKey = keys.publicKey.serialize();
  secretKey = keys.secretKey.serialize();
});
afterAll(() => ctx.dispose());

const ACCEPTED = ['MALFORMED_MESSAGE', 'INVALID_PARAMETER'];

/** Load and dispose; returns 'ok' or the error code; any other failure fails the test. */
function attempt(load: (b: Uint8Array) => { dispose(): void }, bytes: Uint8Array): string {
  try {
    load(bytes).dispose();
    return 'ok';
  } catch (e) {
    if (!isPrivaggError(e)) throw e;
    expect(ACCEPTED).toContain(e.code);
    return e.code;
  }
}

const loaders = () => ({
  vector: (b: Uint8Array) => ctx.loadVector(b),
  publicKey: (b: Uint8Array) => ctx.loadPublicKey(b),
  secretKey: (b: Uint8Array) => ctx.loadSecretKey(b),
});

function stillWorks(): void {
  using v = ctx.encrypt(x, keys.publicKey);
  const { values, errorBound } = ctx.decrypt(v, keys.secretKey);
  for (let i = 0; i < x.length; i++)
    expect(Math.abs((values[i] as number) - (x[i] as number))).toBeLessThanOrEqual(errorBound);
}

describe('checked loading of untrusted bytes', () => {
  it('valid bytes load and decrypt', () => {
    for (const bytes of [seeded, full, sealForm]) {
      using v = ctx.loadVector(bytes);
      expect(v.length).toBe(x.length);
      const d = ctx.decrypt(v, keys.secretKey);
      expect(Math.abs((d.values[4] as number) - 3)).toBeLessThanOrEqual(d.errorBound);
    }
    using pk = ctx.loadPublicKey(publicKey);
    using sk = ctx.loadSecretKey(secretKey);
    using v = ctx.encrypt(x, pk);
    expect(ctx.decrypt(v, sk).values.length).toBe(x.length);
  });

  it('random bytes are rejected', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (bytes, withHeader) => {
        const b = bytes.slice();
        if (withHeader && b.length >= 4) b.set([0x50, 0x41, 1, 0x48]); // a plausible envelope
        for (const load of Object.values(loaders())) expect(attempt(load, b)).not.toBe('ok');
      }),
    );
    stillWorks();
  });

  it('every truncation and every extension is rejected', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('seeded', 'full', 'sealForm', 'publicKey', 'secretKey'),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (which, at, extra) => {
          const bytes = { seeded, full, sealForm, publicKey, secretKey }[which];
          const load =
            which === 'publicKey'
              ? loaders().publicKey
              : which === 'secretKey'
                ? loaders().secretKey
                : loaders().vector;
          const cut = Math.floor(at * (bytes.length - 1));
          expect(attempt(load, bytes.subarray(0, cut))).toBe('MALFORMED_MESSAGE');
          const longer = new Uint8Array(bytes.length + extra.length);
          longer.set(bytes);
          longer.set(extra, bytes.length);
          expect(attempt(load, longer)).toBe('MALFORMED_MESSAGE');
        },
      ),
    );
    stillWorks();
  });

  it('mutated headers and metadata are rejected or load as a well-formed ciphertext', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('seeded', 'full', 'sealForm'),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 255 }),
        (which, at, xor) => {
          const bytes = { seeded, full, sealForm }[which].slice();
          bytes[at] = (bytes[at] as number) ^ xor;
          attempt(loaders().vector, bytes);
        },
      ),
    );
    stillWorks();
  });

  it('oversized declarations (length, chunk count, blob size) are rejected before any allocation', () => {
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
    for (const base of [seeded, full, sealForm]) {
      const longer = base.slice();
      view(longer).setUint32(4, 2 ** 28, true); // length: 2^28 values in one chunk
      expect(attempt(loaders().vector, longer)).toBe('MALFORMED_MESSAGE');
      const beyond = base.slice();
      view(beyond).setUint32(4, 2 ** 31, true);
      view(beyond).setUint32(40, 2 ** 31 / ctx.slotCount, true); // consistent but past the cap
      expect(attempt(loaders().vector, beyond)).toBe('MALFORMED_MESSAGE');
      const blob = base.slice();
      view(blob).setUint32(44, 0xffffffff, true); // first blob claims 4 GiB
      expect(attempt(loaders().vector, blob)).toBe('MALFORMED_MESSAGE');
    }
    stillWorks();
  });

  it('an unreduced residue in a packed full ciphertext is rejected', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (at) => {
        // 128 set bits cover at least one whole residue (<= 60 bits), which then exceeds its prime
        const bytes = full.slice();
        const offset = 80 + Math.floor(at * (bytes.length - 100));
        bytes.fill(0xff, offset, offset + 16);
        expect(attempt(loaders().vector, bytes)).toBe('MALFORMED_MESSAGE');
      }),
      { numRuns: 30 },
    );
    stillWorks();
  });

  it('an unreduced residue in a packed seeded ciphertext is rejected', () => {
    // every packed residue field all ones exceeds its prime; the length stays exact
    const bytes = seeded.slice();
    bytes.fill(0xff, 200, bytes.length - 200);
    expect(attempt(loaders().vector, bytes)).toBe('MALFORMED_MESSAGE');
  });

  it('an unreduced residue anywhere in the data is rejected', () => {
    const dataStart = 300; // past every header of the first ciphertext
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (at) => {
        const bytes = sealForm.slice();
        const words = Math.floor((bytes.length - dataStart - 8) / 8);
        const offset = dataStart + 8 * Math.floor(at * words);
        // a word >= 2^63 exceeds every prime; the envelope keeps its length
        bytes.fill(0xff, offset, offset + 8);
        const code = attempt(loaders().vector, bytes);
        expect(code).toBe('MALFORMED_MESSAGE');
      }),
      { numRuns: 30 },
    );
    stillWorks();
  });

  it('bytes of other parameters are rejected', async () => {
    using other = await createCkksContext({
      polyModulusDegree: 8192,
      coeffModulusBits: [60, 40, 40, 60],
      scaleBits: 40,
    });
    const k = other.generateKeys();
    const foreign = other.encryptToBytes(x, k.secretKey);
    expect(attempt(loaders().vector, foreign)).toBe('MALFORMED_MESSAGE');
    expect(attempt(loaders().publicKey, k.publicKey.serialize())).toBe('MALFORMED_MESSAGE');
    expect(attempt(loaders().secretKey, k.secretKey.serialize())).toBe('MALFORMED_MESSAGE');
    using big = await createCkksContext('n16384');
    const kb = big.generateKeys();
    expect(attempt(loaders().vector, big.encryptToBytes(x, kb.publicKey))).toBe(
      'MALFORMED_MESSAGE',
    );
    stillWorks();
  });

  it('SEAL exceptions reaching the boundary become PrivaggErrors; 2000 of them leave the heap flat', () => {
    const seal = ctx._seal;
    const raw = new seal.Ciphertext();
    const heap = ctx.heapBytes;
    for (let i = 0; i < 2000; i++) {
      const e = (() => {
        try {
          sealCall(seal, 'MALFORMED_MESSAGE', 'raw load', () =>
            raw.loadFromArray(ctx._context, sealForm.subarray(8, 100)),
          );
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(isPrivaggError(e) && e.code).toBe('MALFORMED_MESSAGE');
      expect((e as Error).message).toMatch(/SEAL rejected it/);
    }
    raw.delete();
    expect(ctx.heapBytes).toBe(heap);
    stillWorks();
  });
});
