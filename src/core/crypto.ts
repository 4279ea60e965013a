/**
 * Crypto building blocks shared by the modules: X25519 (RFC 7748), Ed25519 (RFC 8032),
 * HKDF-SHA256 (RFC 5869) on the audited noble packages, and AES-256-GCM with associated data
 * (NIST SP 800-38D) on WebCrypto.
 * @module
 * @internal
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { PrivaggError } from './errors.ts';
import { nodeCrypto } from './node-builtins.ts';
import { drawBytes, type Rng, randomBytes } from './random.ts';
import { aBytes, aInteger } from './validate.ts';

/** @internal A key pair: 32-byte secret and 32-byte public key. */
export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** @internal A fresh X25519 key pair from `rng`. */
export function x25519KeyPair(rng: Rng = randomBytes): KeyPair {
  const secretKey = drawBytes(rng, 32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

/** @internal The X25519 public key of a 32-byte secret key. */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  aBytes('secretKey', secretKey, 32);
  return x25519.getPublicKey(secretKey);
}

// DER prefixes that wrap a raw 32-byte X25519 key for node:crypto (RFC 8410 PKCS#8 and SPKI)
const X25519_PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
);
const X25519_SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x03,
  0x21,
  0x00,
);

function withPrefix(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix);
  out.set(key, prefix.length);
  return out;
}

/**
 * @internal X25519 shared secret: OpenSSL through node:crypto where available (about 8x faster
 * than the portable path), noble otherwise; both follow RFC 7748 and agree bit for bit. A
 * low-order (or otherwise unusable) peer key is untrusted input and gets `MALFORMED_MESSAGE`,
 * never an all-zero secret.
 */
export function x25519SharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  aBytes('secretKey', secretKey, 32);
  aBytes('peerPublicKey', peerPublicKey, 32);
  const nc = nodeCrypto();
  try {
    if (nc !== undefined) {
      const der = withPrefix(X25519_PKCS8_PREFIX, secretKey);
      const privateKey = nc.createPrivateKey({ key: der as never, format: 'der', type: 'pkcs8' });
      der.fill(0);
      const publicKey = nc.createPublicKey({
        key: withPrefix(X25519_SPKI_PREFIX, peerPublicKey) as never,
        format: 'der',
        type: 'spki',
      });
      const shared = new Uint8Array(nc.diffieHellman({ privateKey, publicKey }));
      let any = 0;
      for (const b of shared) any |= b;
      if (any === 0) throw new Error('all-zero shared secret');
      return shared;
    }
    return x25519.getSharedSecret(secretKey, peerPublicKey);
  } catch (cause) {
    throw new PrivaggError(
      'MALFORMED_MESSAGE',
      'X25519 peer public key is of low order or invalid',
      { cause },
    );
  }
}

/** @internal The portable (noble) X25519 path, for cross-checking the native one. */
export function x25519SharedSecretPortable(
  secretKey: Uint8Array,
  peerPublicKey: Uint8Array,
): Uint8Array {
  aBytes('secretKey', secretKey, 32);
  aBytes('peerPublicKey', peerPublicKey, 32);
  try {
    return x25519.getSharedSecret(secretKey, peerPublicKey);
  } catch (cause) {
    throw new PrivaggError(
      'MALFORMED_MESSAGE',
      'X25519 peer public key is of low order or invalid',
      { cause },
    );
  }
}

/** @internal A fresh Ed25519 key pair from `rng` (the secret key is the RFC 8032 32-byte seed). */
export function ed25519KeyPair(rng: Rng = randomBytes): KeyPair {
  const secretKey = drawBytes(rng, 32);
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

/** @internal The Ed25519 public key of a 32-byte secret seed. */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  aBytes('secretKey', secretKey, 32);
  return ed25519.getPublicKey(secretKey);
}

/** @internal Ed25519 signature (64 bytes, deterministic per RFC 8032). */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  aBytes('message', message);
  aBytes('secretKey', secretKey, 32);
  return ed25519.sign(message, secretKey);
}

/**
 * @internal Verify an Ed25519 signature (strict RFC 8032 / ZIP-215 rules as noble applies them).
 * A malformed signature or key from a peer returns `false`; only wrong argument types throw.
 */
export function ed25519Verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  aBytes('signature', signature);
  aBytes('message', message);
  aBytes('publicKey', publicKey);
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** @internal HKDF-SHA256 (RFC 5869) of `length` bytes (at most 255 * 32). */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  aBytes('ikm', ikm);
  aBytes('salt', salt);
  aBytes('info', info);
  aInteger('length', length, 1, 255 * 32);
  return hkdf(sha256, ikm, salt, info, length);
}

/** @internal SHA-256. */
export function sha256Digest(data: Uint8Array): Uint8Array {
  aBytes('data', data);
  return sha256(data);
}

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (s === undefined)
    throw new PrivaggError('BACKEND_UNAVAILABLE', 'WebCrypto (crypto.subtle) is not available');
  return s;
}

type Buf = Uint8Array<ArrayBuffer>;
function own(b: Uint8Array): Buf {
  return b.slice() as Buf;
}

async function gcmKey(key: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  aBytes('key', key, 32);
  return subtle().importKey('raw', own(key), { name: 'AES-GCM' }, false, [usage]);
}

/**
 * @internal AES-256-GCM encryption; returns ciphertext || 16-byte tag. The nonce must never
 * repeat under a key. Node's OpenSSL is used where available (`backend: 'webcrypto'` forces the
 * portable path, for tests).
 */
export async function aesGcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
  backend: 'auto' | 'webcrypto' = 'auto',
): Promise<Uint8Array> {
  aBytes('nonce', nonce, 12);
  aBytes('plaintext', plaintext);
  aBytes('associatedData', associatedData);
  const nc = backend === 'auto' ? nodeCrypto() : undefined;
  if (nc !== undefined) {
    aBytes('key', key, 32);
    const c = nc.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(associatedData);
    const head = c.update(plaintext);
    const tail = c.final();
    const out = new Uint8Array(head.length + tail.length + 16);
    out.set(head);
    out.set(tail, head.length);
    out.set(c.getAuthTag(), head.length + tail.length);
    return out;
  }
  const k = await gcmKey(key, 'encrypt');
  const ct = await subtle().encrypt(
    { name: 'AES-GCM', iv: own(nonce), additionalData: own(associatedData), tagLength: 128 },
    k,
    own(plaintext),
  );
  return new Uint8Array(ct);
}

/**
 * @internal AES-256-GCM decryption of ciphertext || tag. Any authentication failure (wrong key,
 * nonce, associated data, or tampered bytes) is `MALFORMED_MESSAGE`; no partial plaintext escapes.
 */
export async function aesGcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
  backend: 'auto' | 'webcrypto' = 'auto',
): Promise<Uint8Array> {
  aBytes('nonce', nonce, 12);
  aBytes('sealed', sealed);
  aBytes('associatedData', associatedData);
  if (sealed.length < 16)
    throw new PrivaggError('MALFORMED_MESSAGE', 'AES-GCM ciphertext shorter than its tag');
  const nc = backend === 'auto' ? nodeCrypto() : undefined;
  if (nc !== undefined) {
    aBytes('key', key, 32);
    try {
      const d = nc.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
      d.setAAD(associatedData);
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      const head = d.update(sealed.subarray(0, sealed.length - 16));
      const tail = d.final(); // throws on a bad tag; nothing is returned before this point
      const out = new Uint8Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      return out;
    } catch (cause) {
      throw new PrivaggError('MALFORMED_MESSAGE', 'AES-GCM authentication failed', { cause });
    }
  }
  const k = await gcmKey(key, 'decrypt');
  try {
    const pt = await subtle().decrypt(
      { name: 'AES-GCM', iv: own(nonce), additionalData: own(associatedData), tagLength: 128 },
      k,
      own(sealed),
    );
    return new Uint8Array(pt);
  } catch (cause) {
    throw new PrivaggError('MALFORMED_MESSAGE', 'AES-GCM authentication failed', { cause });
  }
}
