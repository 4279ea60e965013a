import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  deterministicRngForTesting,
  ed25519KeyPair,
  ed25519Sign,
  ed25519Verify,
  equalBytes,
  isPrivaggError,
  x25519KeyPair,
  x25519SharedSecret,
  x25519SharedSecretFast,
  aesGcmDecryptFast,
  toHex,
  fromHex,
} from '../../../src/core/index.ts';

const rng = deterministicRngForTesting(new Uint8Array(32).fill(9));

describe('x25519', () => {
  it('both sides derive the same secret', () => {
    const a = x25519KeyPair(rng);
    const b = x25519KeyPair(rng);
    expect(
      equalBytes(
        x25519SharedSecret(a.secretKey, b.publicKey),
        x25519SharedSecret(b.secretKey, a.publicKey),
      ),
    ).toBe(true);
  });
  it('the native (OpenSSL) and portable (noble) paths agree on random and non-canonical keys', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (sk, pk) => {
          let native: string;
          let portable: string;
          try {
            native = toHex(x25519SharedSecretFast(sk, pk));
          } catch (e) {
            native = isPrivaggError(e) ? e.code : 'other';
          }
          try {
            portable = toHex(x25519SharedSecret(sk, pk));
          } catch (e) {
            portable = isPrivaggError(e) ? e.code : 'other';
          }
          expect(native).toBe(portable);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('a low-order peer key is MALFORMED_MESSAGE, never an all-zero secret', () => {
    const a = x25519KeyPair(rng);
    // u = 0, u = 1, and the order-8 points listed in RFC 7748's security considerations
    const lowOrder = [
      new Uint8Array(32),
      Uint8Array.of(1, ...new Uint8Array(31)),
      fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
      fromHex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'),
    ];
    for (const bad of lowOrder)
      for (const f of [x25519SharedSecret, x25519SharedSecretFast]) {
        try {
          f(a.secretKey, bad);
          expect.unreachable();
        } catch (e) {
          expect(isPrivaggError(e) && e.code === 'MALFORMED_MESSAGE').toBe(true);
        }
      }
  });
});

describe('ed25519', () => {
  it('verify returns false (not throws) on malformed peer signatures and keys', () => {
    const kp = ed25519KeyPair(rng);
    const msg = Uint8Array.of(1, 2, 3);
    const sig = ed25519Sign(msg, kp.secretKey);
    expect(ed25519Verify(sig, msg, kp.publicKey)).toBe(true);
    expect(ed25519Verify(sig.subarray(0, 63), msg, kp.publicKey)).toBe(false);
    expect(ed25519Verify(new Uint8Array(64).fill(0xff), msg, kp.publicKey)).toBe(false);
    expect(ed25519Verify(sig, msg, new Uint8Array(32).fill(0xff))).toBe(false);
    expect(ed25519Verify(sig, Uint8Array.of(1, 2, 4), kp.publicKey)).toBe(false);
    expect(() => ed25519Verify('sig' as never, msg, kp.publicKey)).toThrow(TypeError);
  });
});

describe('aes-256-gcm', () => {
  const key = rng(32);
  const nonce = rng(12);
  it('binds the associated data: any change is MALFORMED_MESSAGE', async () => {
    const aad = Uint8Array.of(1, 2, 3);
    const sealed = await aesGcmEncrypt(key, nonce, Uint8Array.of(42), aad);
    expect(await aesGcmDecrypt(key, nonce, sealed, aad)).toEqual(Uint8Array.of(42));
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [nonce, sealed, Uint8Array.of(1, 2, 4)],
      [rng(12), sealed, aad],
      [nonce, sealed.map((b, i) => (i === 0 ? b ^ 1 : b)), aad],
      [nonce, sealed.subarray(0, 5), aad],
    ];
    for (const [n, s, a] of cases)
      for (const decrypt of [aesGcmDecrypt, aesGcmDecryptFast])
        await expect(decrypt(key, n, s, a)).rejects.toSatisfy(
          (e: unknown) => isPrivaggError(e) && e.code === 'MALFORMED_MESSAGE',
        );
  });
  it('rejects wrong key and nonce lengths with RangeError', async () => {
    await expect(
      aesGcmEncrypt(key.subarray(0, 16), nonce, new Uint8Array(1), new Uint8Array(0)),
    ).rejects.toThrow(RangeError);
    await expect(
      aesGcmEncrypt(key, nonce.subarray(0, 8), new Uint8Array(1), new Uint8Array(0)),
    ).rejects.toThrow(RangeError);
  });
});
