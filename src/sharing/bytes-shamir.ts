/**
 * Shamir sharing of byte secrets in field-element form, for protocols that carry shares in
 * their own messages (secure aggregation shares its keys and seeds with these).
 * @module
 */
import {
  aBytes,
  aInteger,
  aOptions,
  ByteReader,
  ByteWriter,
  MAX_MESSAGE_BYTES,
  PrivaggError,
  type Rng,
  randomBytes,
} from '../core/index.ts';
import { FIELD_MODULUS, isFieldVector } from './field.ts';
import { packBytes, packedLength } from './pack.ts';
import { unpackOrThrow } from './split.ts';
import {
  aShareList,
  type ShamirShare,
  type ShamirShareOptions,
  shamirReconstruct,
  shamirShare,
} from './shamir.ts';

/**
 * Options of {@link reconstructBytes}.
 * @since 0.1.0
 * @public
 */
export interface ReconstructBytesOptions {
  /**
   * The threshold the secret was shared with.
   * @defaultValue required
   */
  readonly threshold: number;
  /**
   * Length of the secret in bytes.
   * @defaultValue required
   */
  readonly byteLength: number;
}

/**
 * Share a byte secret (for example a 32-byte seed or X25519 private key) t-of-n in field-element
 * form: the bytes are packed with `bytesToFieldElements` (a 32-byte key is 9 elements) and shared
 * with {@link shamirShare}. Each share is `{ index, value }`; reconstruct with
 * {@link reconstructBytes} from any `threshold` of them.
 *
 * @param secret - the secret bytes
 * @param options - `threshold` and either `shares` (indices 1..n) or explicit `indices`
 * @param rng - the randomness source (default: the CSPRNG {@link randomBytes})
 * @returns one share per index
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when an option is out of range or indices repeat
 * @example
 * ```ts
 * import { shareBytes, reconstructBytes } from 'privagg/sharing';
 * import { deterministicRngForTesting } from 'privagg';
 * const rng = deterministicRngForTesting(new Uint8Array(32));
 * const seed = new Uint8Array(32).fill(0xab);
 * const shares = shareBytes(seed, { threshold: 3, indices: [11, 22, 33, 44] }, rng);
 * const back = reconstructBytes([shares[3], shares[1], shares[0]], { threshold: 3, byteLength: 32 });
 * console.log(back.every((b) => b === 0xab)); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function shareBytes(
  secret: Uint8Array,
  options: ShamirShareOptions,
  rng: Rng = randomBytes,
): ShamirShare[] {
  aBytes('secret', secret);
  const packed = packBytes(secret);
  try {
    return shamirShare(packed, options, rng);
  } finally {
    packed.fill(0);
  }
}

/**
 * Reconstruct a byte secret shared with {@link shareBytes} from at least `threshold` shares
 * (extra shares are checked for consistency, as {@link shamirReconstruct} does).
 *
 * @param shares - at least `threshold` shares with distinct indices
 * @param options - `threshold` and the secret's `byteLength`
 * @returns the secret bytes
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when an index is zero, out of range or repeated, or a share's
 * length does not match `byteLength`
 * @throws {@link index.PrivaggError} `INSUFFICIENT_SHARES` with fewer than `threshold` shares;
 * `MALFORMED_MESSAGE` when the shares are inconsistent or reconstruct an invalid packing
 * @since 0.1.0
 * @public
 */
export function reconstructBytes(
  shares: readonly ShamirShare[],
  options: ReconstructBytesOptions,
): Uint8Array {
  aOptions('options', options, ['threshold', 'byteLength']);
  aInteger('byteLength', options.byteLength, 0, 2 ** 32);
  const count = packedLength(options.byteLength);
  for (const [i, s] of (Array.isArray(shares) ? shares : []).entries()) {
    const v = (s as { value?: unknown } | null)?.value;
    if (v instanceof Uint32Array && v.length !== count)
      throw new RangeError(`"shares[${i}].value" expected ${count} elements, got ${v.length}`);
  }
  return unpackOrThrow(
    shamirReconstruct(shares, { threshold: options.threshold }),
    options.byteLength,
  );
}

const FIELD_SHARE_TYPE = 0x24;
const FIELD_SHARE_VERSION = 1;

/**
 * Encode a field-element share (`{ index, value }`) for transport, for example to encrypt it to
 * its recipient: `"PA" | version 1 | type 0x24 | index u32 | count u32 | count x u32 element`.
 * Unlike `split` shares it carries no threshold or split identifier: the protocol binds those
 * (for example in the encryption's associated data).
 *
 * @param share - a share with an index in [1, 2^31 - 1) and elements below p
 * @returns the encoding
 * @throws {@link !TypeError} when `share` is not a share object
 * @throws {@link !RangeError} when the index or an element is out of range
 * @example
 * ```ts
 * import { encodeFieldShare, decodeFieldShare } from 'privagg/sharing';
 * const bytes = encodeFieldShare({ index: 3, value: Uint32Array.of(7, 8) });
 * console.log(bytes.length, decodeFieldShare(bytes, { maxElements: 2 }).index); // 20 3
 * ```
 * @since 0.1.0
 * @public
 */
export function encodeFieldShare(share: ShamirShare): Uint8Array {
  aShareList('share', [share]);
  return new ByteWriter(12 + 4 * share.value.length)
    .header(FIELD_SHARE_VERSION, FIELD_SHARE_TYPE)
    .u32(share.index)
    .u32Array(share.value)
    .finish();
}

/**
 * Options of {@link decodeFieldShare}.
 * @since 0.1.0
 * @public
 */
export interface DecodeFieldShareOptions {
  /**
   * Refuse shares with more elements than this (bounds the allocation for untrusted input).
   * @defaultValue required
   */
  readonly maxElements: number;
}

/**
 * Decode a share made by {@link encodeFieldShare}, validating it as untrusted input.
 *
 * @param bytes - the encoding
 * @param options - `maxElements`, the largest element count accepted
 * @returns the share
 * @throws {@link !TypeError} when `bytes` is not a `Uint8Array` or an option is unknown
 * @throws {@link !RangeError} when `maxElements` is out of range
 * @throws {@link index.PrivaggError} `MALFORMED_MESSAGE` when the encoding is invalid, truncated,
 * oversized, has a zero or out-of-range index, or an element outside the field
 * @since 0.1.0
 * @public
 */
export function decodeFieldShare(bytes: Uint8Array, options: DecodeFieldShareOptions): ShamirShare {
  aOptions('options', options, ['maxElements']);
  aInteger('maxElements', options.maxElements, 0, MAX_MESSAGE_BYTES / 4 - 3);
  if (!(bytes instanceof Uint8Array) || !ArrayBuffer.isView(bytes))
    throw new TypeError('"bytes" expected Uint8Array');
  const r = new ByteReader(bytes, 12 + 4 * options.maxElements);
  r.header(FIELD_SHARE_TYPE, [FIELD_SHARE_VERSION]);
  const index = r.u32InRange('index', 1, FIELD_MODULUS - 1);
  const value = r.u32Array(options.maxElements);
  r.end();
  if (!isFieldVector(value))
    throw new PrivaggError('MALFORMED_MESSAGE', 'share has elements outside the field');
  return { index, value };
}
