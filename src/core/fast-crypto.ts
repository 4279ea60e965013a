/**
 * Native fast paths for the public-key and AEAD primitives of `crypto.ts`: on Node they run on
 * `node:crypto` (OpenSSL), several times faster than the portable code; elsewhere they fall back
 * to the portable functions with the same results and the same error behaviour. Protocols that
 * run thousands of key agreements per round (secure aggregation) use these.
 * @module
 * @internal
 */
import type * as NodeCrypto from 'node:crypto';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  type KeyPair,
  sha256Digest,
  x25519PublicKey,
  x25519SharedSecret,
} from './crypto.ts';
import { PrivaggError } from './errors.ts';
import { nodeCrypto } from './node-builtins.ts';
import { drawBytes, type Rng, randomBytes } from './random.ts';
import { aBytes } from './validate.ts';

// DER prefixes of RFC 8410 keys: PKCS#8 private and SPKI public, followed by the 32 raw bytes
const X25519_PKCS8 = Uint8Array.of(
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
const ED25519_PKCS8 = Uint8Array.of(
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
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
);
const ED25519_SPKI = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
);

type NC = typeof NodeCrypto;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Unpadded base64url of public bytes (JWK import is the cheapest native key import). */
function base64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      B64URL[v >> 18] +
      (B64URL[(v >> 12) & 63] as string) +
      (B64URL[(v >> 6) & 63] as string) +
      (B64URL[v & 63] as string);
  }
  if (i < bytes.length) {
    const rest = bytes.length - i;
    const v = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out += (B64URL[v >> 18] as string) + (B64URL[(v >> 12) & 63] as string);
    if (rest === 2) out += B64URL[(v >> 6) & 63] as string;
  }
  return out;
}

function der(prefix: Uint8Array, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + 32);
  out.set(prefix);
  out.set(raw, prefix.length);
  return out;
}

function privateKey(nc: NC, prefix: Uint8Array, raw: Uint8Array): NodeCrypto.KeyObject {
  const d = der(prefix, raw);
  try {
    return nc.createPrivateKey({ key: d as Buffer, format: 'der', type: 'pkcs8' });
  } finally {
    d.fill(0);
  }
}

function publicRaw(key: NodeCrypto.KeyObject): Uint8Array {
  const spki = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

/** @internal The X25519 public key of a secret key ({@link x25519PublicKey}, natively on Node). */
export function x25519PublicKeyFast(secretKey: Uint8Array): Uint8Array {
  aBytes('secretKey', secretKey, 32);
  const nc = nodeCrypto();
  if (nc === undefined) return x25519PublicKey(secretKey);
  return publicRaw(nc.createPublicKey(privateKey(nc, X25519_PKCS8, secretKey)));
}

/** @internal A fresh X25519 key pair from `rng` (same key pair as `x25519KeyPair` for the same bytes). */
export function x25519KeyPairFast(rng: Rng = randomBytes): KeyPair {
  const secretKey = drawBytes(rng, 32);
  return { secretKey, publicKey: x25519PublicKeyFast(secretKey) };
}

/**
 * @internal X25519 shared secret ({@link x25519SharedSecret}, natively on Node). A low-order or
 * unusable peer key is `MALFORMED_MESSAGE`, never an all-zero secret.
 */
export function x25519SharedSecretFast(
  secretKey: Uint8Array,
  peerPublicKey: Uint8Array,
): Uint8Array {
  aBytes('peerPublicKey', peerPublicKey, 32);
  return x25519Agreement(secretKey)(peerPublicKey);
}

/** Imported X25519 public keys by their base64url text (public data), least recently used first. */
const publicKeyCache = new Map<string, NodeCrypto.KeyObject>();
const PUBLIC_KEY_CACHE_SIZE = 4096;

function importedX25519(nc: NC, publicKey: Uint8Array): NodeCrypto.KeyObject {
  const x = base64url(publicKey);
  const hit = publicKeyCache.get(x);
  if (hit !== undefined) {
    publicKeyCache.delete(x);
    publicKeyCache.set(x, hit);
    return hit;
  }
  const key = nc.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
  publicKeyCache.set(x, key);
  if (publicKeyCache.size > PUBLIC_KEY_CACHE_SIZE) {
    const oldest = publicKeyCache.keys().next().value as string;
    publicKeyCache.delete(oldest);
  }
  return key;
}

/**
 * @internal A key-agreement function for one X25519 secret key, reused across many peers (the
 * native key object is imported once). Same results and errors as {@link x25519SharedSecretFast}.
 */
export function x25519Agreement(secretKey: Uint8Array): (peerPublicKey: Uint8Array) => Uint8Array {
  aBytes('secretKey', secretKey, 32);
  const nc = nodeCrypto();
  if (nc === undefined) {
    const own = secretKey.slice();
    return (peer) => x25519SharedSecret(own, peer);
  }
  const priv = privateKey(nc, X25519_PKCS8, secretKey);
  return (peerPublicKey) => {
    aBytes('peerPublicKey', peerPublicKey, 32);
    let out: Uint8Array;
    try {
      const pub = importedX25519(nc, peerPublicKey);
      out = new Uint8Array(nc.diffieHellman({ privateKey: priv, publicKey: pub }));
    } catch (cause) {
      throw new PrivaggError(
        'MALFORMED_MESSAGE',
        'X25519 peer public key is of low order or invalid',
        { cause },
      );
    }
    let acc = 0;
    for (let i = 0; i < out.length; i++) acc |= out[i] as number;
    if (out.length !== 32 || acc === 0)
      throw new PrivaggError(
        'MALFORMED_MESSAGE',
        'X25519 peer public key is of low order or invalid',
      );
    return out;
  };
}

/** @internal The Ed25519 public key of a 32-byte seed ({@link ed25519PublicKey}, natively on Node). */
export function ed25519PublicKeyFast(secretKey: Uint8Array): Uint8Array {
  aBytes('secretKey', secretKey, 32);
  const nc = nodeCrypto();
  if (nc === undefined) return ed25519PublicKey(secretKey);
  return publicRaw(nc.createPublicKey(privateKey(nc, ED25519_PKCS8, secretKey)));
}

/** @internal A fresh Ed25519 key pair from `rng`. */
export function ed25519KeyPairFast(rng: Rng = randomBytes): KeyPair {
  const secretKey = drawBytes(rng, 32);
  return { secretKey, publicKey: ed25519PublicKeyFast(secretKey) };
}

/** @internal Ed25519 signature ({@link ed25519Sign}; RFC 8032 signatures are deterministic, so both paths agree). */
export function ed25519SignFast(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  aBytes('message', message);
  aBytes('secretKey', secretKey, 32);
  const nc = nodeCrypto();
  if (nc === undefined) return ed25519Sign(message, secretKey);
  return new Uint8Array(nc.sign(null, message, privateKey(nc, ED25519_PKCS8, secretKey)));
}

/**
 * @internal Verify an Ed25519 signature ({@link ed25519Verify}; OpenSSL's RFC 8032 checks on
 * Node). Malformed peer input returns `false`; only wrong argument types throw.
 */
export function ed25519VerifyFast(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  aBytes('signature', signature);
  aBytes('message', message);
  aBytes('publicKey', publicKey);
  const nc = nodeCrypto();
  if (nc === undefined) return ed25519Verify(signature, message, publicKey);
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    const pub = nc.createPublicKey({
      key: der(ED25519_SPKI, publicKey) as Buffer,
      format: 'der',
      type: 'spki',
    });
    return nc.verify(null, message, pub, signature);
  } catch {
    return false;
  }
}

/** @internal SHA-256 ({@link sha256Digest}), natively on Node. */
export function sha256DigestFast(data: Uint8Array): Uint8Array {
  aBytes('data', data);
  const nc = nodeCrypto();
  if (nc === undefined) return sha256Digest(data);
  return new Uint8Array(nc.createHash('sha256').update(data).digest());
}

/** @internal AES-256-GCM encryption ({@link aesGcmEncrypt}: ciphertext || 16-byte tag), natively on Node. */
export async function aesGcmEncryptFast(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  const nc = nodeCrypto();
  if (nc === undefined) return aesGcmEncrypt(key, nonce, plaintext, associatedData);
  aBytes('key', key, 32);
  aBytes('nonce', nonce, 12);
  aBytes('plaintext', plaintext);
  aBytes('associatedData', associatedData);
  const c = nc.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(associatedData);
  const body = c.update(plaintext);
  const last = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(body.length + last.length + 16);
  out.set(body);
  out.set(last, body.length);
  out.set(tag, body.length + last.length);
  return out;
}

/**
 * @internal AES-256-GCM decryption ({@link aesGcmDecrypt}), natively on Node. Any
 * authentication failure is `MALFORMED_MESSAGE`; no partial plaintext escapes.
 */
export async function aesGcmDecryptFast(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  const nc = nodeCrypto();
  if (nc === undefined) return aesGcmDecrypt(key, nonce, sealed, associatedData);
  aBytes('key', key, 32);
  aBytes('nonce', nonce, 12);
  aBytes('sealed', sealed);
  aBytes('associatedData', associatedData);
  if (sealed.length < 16)
    throw new PrivaggError('MALFORMED_MESSAGE', 'AES-GCM ciphertext shorter than its tag');
  const body = sealed.subarray(0, sealed.length - 16);
  let plain: Uint8Array | undefined;
  try {
    const d = nc.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    d.setAAD(associatedData);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const a = d.update(body);
    const b = d.final();
    plain = new Uint8Array(a.length + b.length);
    plain.set(a);
    plain.set(b, a.length);
    a.fill(0);
    return plain;
  } catch (cause) {
    plain?.fill(0);
    throw new PrivaggError('MALFORMED_MESSAGE', 'AES-GCM authentication failed', { cause });
  }
}
