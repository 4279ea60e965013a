/**
 * Identities and credentials of `privagg/fl`: Ed25519 key pairs for the server and clients, and
 * operator-issued tokens that bind a client id and a client public key until an expiry time.
 * Portable: Ed25519 runs natively on Node and on noble elsewhere.
 * @module
 */
import {
  ByteReader,
  ByteWriter,
  PrivaggError,
  aBytes,
  aInteger,
  aOptions,
  ed25519KeyPairFast,
  ed25519PublicKeyFast,
  ed25519SignFast,
  ed25519VerifyFast,
  equalBytes,
  fromHex,
  type Rng,
  randomBytes,
  toHex,
  utf8,
} from '../core/index.ts';
import { aClientId, MAX_CLIENT_ID_BYTES, MAX_TOKEN_BYTES, WIRE_VERSION } from './wire.ts';

/**
 * An Ed25519 identity: the 32-byte secret seed and its 32-byte public key.
 * @since 0.1.0
 * @public
 */
export interface Identity {
  /** The 32-byte secret seed (keep it secret). */
  readonly secretKey: Uint8Array;
  /** The 32-byte public key (pin it on clients, or register it on the server). */
  readonly publicKey: Uint8Array;
}

/**
 * Make a fresh Ed25519 identity for a server or a client.
 * @param rng - randomness (default: the CSPRNG)
 * @returns the key pair
 * @throws {@link !TypeError} when `rng` is not a function
 * @example
 * ```ts
 * import { generateIdentity } from 'privagg/fl';
 * const server = generateIdentity();
 * console.log(server.publicKey.length); // 32
 * ```
 * @since 0.1.0
 * @public
 */
export function generateIdentity(rng: Rng = randomBytes): Identity {
  if (typeof rng !== 'function') throw new TypeError('"rng" expected function');
  return ed25519KeyPairFast(rng);
}

/**
 * The identity of a 32-byte Ed25519 secret seed (to load a stored key).
 * @param secretKey - the 32-byte seed
 * @returns the key pair
 * @throws {@link !TypeError} when `secretKey` is not a `Uint8Array`
 * @throws {@link !RangeError} when it is not 32 bytes
 * @since 0.1.0
 * @public
 */
export function identityFromSecretKey(secretKey: Uint8Array): Identity {
  aBytes('secretKey', secretKey, 32);
  return { secretKey: secretKey.slice(), publicKey: ed25519PublicKeyFast(secretKey) };
}

/**
 * What a token says: this client id, with this public key, may join until `expiresAt`.
 * @since 0.1.0
 * @public
 */
export interface TokenClaims {
  /** The client id the server will know the client as (1 to 128 printable ASCII characters). */
  readonly clientId: string;
  /** The client's Ed25519 public key; the client proves it holds the secret key. */
  readonly publicKey: Uint8Array;
  /** Expiry, in milliseconds since the Unix epoch. */
  readonly expiresAt: number;
}

const TOKEN_TYPE = 32;
const TOKEN_DOMAIN = utf8('privagg-fl/v1 token');

function tokenBody(claims: TokenClaims, issuer: Uint8Array): Uint8Array {
  return new ByteWriter(256)
    .header(WIRE_VERSION, TOKEN_TYPE)
    .bytes(utf8(claims.clientId))
    .raw(claims.publicKey)
    .u64(claims.expiresAt)
    .raw(issuer)
    .finish();
}

/**
 * Issue a token (hex text) that lets one client join a server that trusts the issuer's key. The
 * token binds the client's public key, so it is useless without the client's secret key: a
 * copied token cannot be replayed by someone else.
 * @param claims - client id, client public key and expiry
 * @param issuerSecretKey - the issuer's 32-byte Ed25519 seed (by default servers trust their own identity as issuer)
 * @returns the token as lowercase hex
 * @throws {@link !TypeError} for wrong types or unknown keys in `claims`
 * @throws {@link !RangeError} for a bad client id, key length or expiry
 * @example
 * ```ts
 * import { generateIdentity, issueToken } from 'privagg/fl';
 * const server = generateIdentity();
 * const client = generateIdentity();
 * const token = issueToken({ clientId: 'alice', publicKey: client.publicKey, expiresAt: Date.now() + 3_600_000 }, server.secretKey);
 * console.log(typeof token); // string
 * ```
 * @since 0.1.0
 * @public
 */
export function issueToken(claims: TokenClaims, issuerSecretKey: Uint8Array): string {
  aOptions('claims', claims, ['clientId', 'publicKey', 'expiresAt']);
  aClientId('claims.clientId', claims.clientId);
  aBytes('claims.publicKey', claims.publicKey, 32);
  aInteger('claims.expiresAt', claims.expiresAt, 1);
  aBytes('issuerSecretKey', issuerSecretKey, 32);
  const body = tokenBody(claims, ed25519PublicKeyFast(issuerSecretKey));
  const signature = ed25519SignFast(concat(TOKEN_DOMAIN, body), issuerSecretKey);
  return toHex(concat(body, signature));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** @internal Token text to bytes (for the AUTH packet). */
export function tokenBytes(token: string): Uint8Array {
  if (typeof token !== 'string') throw new TypeError('"token" expected string');
  if (token.length > 2 * MAX_TOKEN_BYTES || !/^(?:[0-9a-f]{2})+$/.test(token))
    throw new RangeError('"token" expected the hex text issueToken returns');
  return fromHex(token);
}

/** @internal Why a token was refused (a metrics label), or its claims. */
export type TokenCheck =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly reason: string };

/** @internal Decode and verify untrusted token bytes against trusted issuers at time `now`. */
export function verifyToken(
  bytes: Uint8Array,
  issuers: readonly Uint8Array[],
  now: number,
): TokenCheck {
  let claims: TokenClaims;
  let issuer: Uint8Array;
  let body: Uint8Array;
  let signature: Uint8Array;
  try {
    if (bytes.length < 64 + 4) return { ok: false, reason: 'bad-token' };
    body = bytes.subarray(0, bytes.length - 64);
    signature = bytes.subarray(bytes.length - 64);
    const r = new ByteReader(body, MAX_TOKEN_BYTES);
    r.header(TOKEN_TYPE, [WIRE_VERSION]);
    const id = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(MAX_CLIENT_ID_BYTES, 1));
    aClientId('clientId', id);
    claims = { clientId: id, publicKey: r.raw(32), expiresAt: r.u64() };
    issuer = r.raw(32);
    r.end();
  } catch {
    return { ok: false, reason: 'bad-token' };
  }
  if (!issuers.some((k) => equalBytes(k, issuer))) return { ok: false, reason: 'unknown-issuer' };
  if (!ed25519VerifyFast(signature, concat(TOKEN_DOMAIN, body), issuer))
    return { ok: false, reason: 'bad-token-signature' };
  if (claims.expiresAt <= now) return { ok: false, reason: 'token-expired' };
  return { ok: true, claims };
}

/** @internal Thrown by the client when the server is not the pinned one. */
export function wrongServer(detail: string): PrivaggError {
  return new PrivaggError('UNAUTHENTICATED', `server identity check failed: ${detail}`);
}
