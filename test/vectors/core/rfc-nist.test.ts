/** Known-answer tests for the core crypto building blocks against their published vectors. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  createKeystream,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  fromHex,
  hkdfSha256,
  toHex,
  wordsToBytesLE,
  x25519PublicKey,
  x25519SharedSecret,
  x25519SharedSecretFast,
  aesGcmEncryptFast,
  aesGcmDecryptFast,
} from '../../../src/core/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON vector files
const load = (name: string): any =>
  JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'));

describe('rfc7748 x25519', () => {
  const v = load('x25519-rfc7748.json');
  it('5.2 scalar multiplication', () => {
    for (const t of v.scalarMult) {
      expect(toHex(x25519SharedSecret(fromHex(t.scalar), fromHex(t.u)))).toBe(t.output);
      expect(toHex(x25519SharedSecretFast(fromHex(t.scalar), fromHex(t.u)))).toBe(t.output);
    }
  });
  it('6.1 Diffie-Hellman: public keys and shared secret', () => {
    const d = v.diffieHellman;
    expect(toHex(x25519PublicKey(fromHex(d.alicePrivate)))).toBe(d.alicePublic);
    expect(toHex(x25519PublicKey(fromHex(d.bobPrivate)))).toBe(d.bobPublic);
    expect(toHex(x25519SharedSecret(fromHex(d.alicePrivate), fromHex(d.bobPublic)))).toBe(d.shared);
    expect(toHex(x25519SharedSecret(fromHex(d.bobPrivate), fromHex(d.alicePublic)))).toBe(d.shared);
  });
});

describe('rfc8032 ed25519', () => {
  for (const t of load('ed25519-rfc8032.json').tests) {
    it(`7.1 ${t.name}`, () => {
      const sk = fromHex(t.secretKey);
      const msg = fromHex(t.message);
      expect(toHex(ed25519PublicKey(sk))).toBe(t.publicKey);
      expect(toHex(ed25519Sign(msg, sk))).toBe(t.signature);
      expect(ed25519Verify(fromHex(t.signature), msg, fromHex(t.publicKey))).toBe(true);
      const tampered = fromHex(t.signature);
      tampered[0] = (tampered[0] as number) ^ 1;
      expect(ed25519Verify(tampered, msg, fromHex(t.publicKey))).toBe(false);
    });
  }
});

describe('rfc5869 hkdf-sha256', () => {
  for (const t of load('hkdf-rfc5869.json').tests) {
    it(`appendix ${t.name}`, () => {
      expect(toHex(hkdfSha256(fromHex(t.ikm), fromHex(t.salt), fromHex(t.info), t.length))).toBe(
        t.okm,
      );
    });
  }
});

describe('rfc8439 chacha20 keystream', () => {
  const v = load('chacha20-rfc8439.json');
  it('2.3.2 block function (counter 1 = words 16..31)', () => {
    const ks = createKeystream(fromHex(v.block.key), {
      algorithm: 'chacha20',
      nonce: fromHex(v.block.nonce),
    });
    const words = ks.fillWordsSync(new Uint32Array(16), 16 * v.block.counter);
    expect(toHex(wordsToBytesLE(words))).toBe(v.block.serialized);
  });
  it('2.4.2 encryption of the sunscreen text', () => {
    const e = v.encryption;
    const pt = new TextEncoder().encode(e.plaintextUtf8);
    const ks = createKeystream(fromHex(e.key), { algorithm: 'chacha20', nonce: fromHex(e.nonce) });
    const stream = wordsToBytesLE(ks.fillWordsSync(new Uint32Array(Math.ceil(pt.length / 4)), 16));
    expect(toHex(pt.map((b, i) => b ^ (stream[i] as number)))).toBe(e.ciphertext);
  });
});

describe('sp800-38a F.5.5 CTR-AES256', () => {
  const v = load('aes256ctr-sp800-38a.json');
  for (const backend of ['node', 'webcrypto'] as const) {
    it(`${backend} backend: output blocks, ciphertext, and seeking`, async () => {
      const ks = createKeystream(fromHex(v.key), { nonce: fromHex(v.initialCounter), backend });
      expect(ks.backend).toBe(backend);
      const stream = wordsToBytesLE(await ks.fillWords(new Uint32Array(16)));
      expect(toHex(stream)).toBe(v.outputBlocks.join(''));
      const pt = fromHex(v.plaintext);
      expect(toHex(pt.map((b, i) => b ^ (stream[i] as number)))).toBe(v.ciphertext);
      // any block, any word offset, without the earlier ones
      for (let offset = 0; offset < 16; offset++) {
        const part = await ks.fillWords(new Uint32Array(16 - offset), offset);
        expect(toHex(wordsToBytesLE(part))).toBe(v.outputBlocks.join('').slice(8 * offset));
      }
    });
  }
});

describe('sp800-38d AES-256-GCM (McGrew-Viega test cases)', () => {
  const impls = [
    ['WebCrypto', aesGcmEncrypt, aesGcmDecrypt],
    ['node:crypto', aesGcmEncryptFast, aesGcmDecryptFast],
  ] as const;
  for (const [name, encrypt, decrypt] of impls) {
    for (const t of load('aes256gcm-sp800-38d.json').tests) {
      it(`${t.name} (${name})`, async () => {
        const sealed = await encrypt(
          fromHex(t.key),
          fromHex(t.iv),
          fromHex(t.plaintext),
          fromHex(t.aad),
        );
        expect(toHex(sealed)).toBe(t.ciphertext + t.tag);
        const opened = await decrypt(fromHex(t.key), fromHex(t.iv), sealed, fromHex(t.aad));
        expect(toHex(opened)).toBe(t.plaintext);
      });
    }
  }
});
