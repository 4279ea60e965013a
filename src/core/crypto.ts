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

/**
 * @internal X25519 shared secret. A low-order (or otherwise unusable) peer key is untrusted
 * input and gets `MALFORMED_MESSAGE`, never an all-zero secret.
 */
export function x25519SharedSecret(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
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

/** @internal AES-256-GCM encryption; returns ciphertext || 16-byte tag. The nonce must never repeat under a key. */
export async function aesGcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  aBytes('nonce', nonce, 12);
  aBytes('plaintext', plaintext);
  aBytes('associatedData', associatedData);
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
): Promise<Uint8Array> {
  aBytes('nonce', nonce, 12);
  aBytes('sealed', sealed);
  aBytes('associatedData', associatedData);
  if (sealed.length < 16)
    throw new PrivaggError('MALFORMED_MESSAGE', 'AES-GCM ciphertext shorter than its tag');
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
