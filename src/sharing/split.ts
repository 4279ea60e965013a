/**
 * Shamir t-of-n sharing of byte secrets (keys, seeds, files) with a versioned share encoding:
 * `split` and `combine`, and `parseShare` to read a share's public header.
 *
 * Share encoding, version 1 (all integers little-endian; built on the core codec):
 * ```
 * "PA" | version u8 = 1 | type u8 = 0x21 | field u8 = 1 (GF(2^31 - 1), 30 bits per element)
 * | splitId 16 bytes | threshold u32 | index u32 | byteLength u32
 * | element count u32 = ceil(8 * byteLength / 30) | elements u32 each < 2^31 - 1
 * ```
 * @module
 */
import {
  aBytes,
  aInteger,
  aOptions,
  ByteReader,
  bytesToWordsLE,
  IS_LITTLE_ENDIAN,
  ByteWriter,
  drawBytes,
  equalBytes,
  PrivaggError,
  type Rng,
  randomBytes,
} from '../core/index.ts';
import { isFieldVector } from './field.ts';
import { packBytes, packedLength, unpackBytes } from './pack.ts';
import { interpolateChecked, MAX_SHARES, type ShamirShare, shareKernel } from './shamir.ts';

/** Message type byte of an encoded Shamir share. */
const SHARE_TYPE = 0x21;
const SHARE_VERSION = 1;
const FIELD_M31_30 = 1;
const SPLIT_ID_BYTES = 16;

/**
 * The largest secret `split` accepts: 64 MiB.
 * @since 0.1.0
 * @public
 */
export const MAX_SECRET_BYTES: number = 64 * 1024 * 1024;

const HEADER_BYTES = 4 + 1 + SPLIT_ID_BYTES + 4 + 4 + 4 + 4;

/**
 * Options of {@link split}.
 * @since 0.1.0
 * @public
 */
export interface SplitOptions {
  /**
   * Any `threshold` shares reconstruct the secret; fewer reveal nothing about it.
   * An integer in [2, shares].
   * @defaultValue required
   */
  readonly threshold: number;
  /**
   * How many shares to make (indices 1..shares); an integer in [threshold, {@link MAX_SHARES}].
   * @defaultValue required
   */
  readonly shares: number;
}

/**
 * The public header of an encoded share, as {@link parseShare} reads it.
 * @since 0.1.0
 * @public
 */
export interface ShareInfo {
  /** Encoding version (1). */
  readonly version: number;
  /** Random 16-byte identifier common to all shares of one split. */
  readonly splitId: Uint8Array;
  /** The threshold the secret was split with. */
  readonly threshold: number;
  /** This share's evaluation point, in [1, {@link MAX_SHARES}]. */
  readonly index: number;
  /** Length of the secret in bytes. */
  readonly byteLength: number;
}

interface DecodedShare extends ShareInfo {
  readonly value: Uint32Array;
}

function encodeShare(
  splitId: Uint8Array,
  threshold: number,
  index: number,
  byteLength: number,
  value: Uint32Array,
): Uint8Array {
  return new ByteWriter(HEADER_BYTES + 4 * value.length)
    .header(SHARE_VERSION, SHARE_TYPE)
    .u8(FIELD_M31_30)
    .raw(splitId)
    .u32(threshold)
    .u32(index)
    .u32(byteLength)
    .u32Array(value)
    .finish();
}

function decodeShare(bytes: unknown, which: string): DecodedShare {
  if (!(bytes instanceof Uint8Array) || !ArrayBuffer.isView(bytes))
    throw new TypeError(`"${which}" expected Uint8Array`);
  try {
    const r = new ByteReader(bytes, HEADER_BYTES + 4 * packedLength(MAX_SECRET_BYTES));
    const version = r.header(SHARE_TYPE, [SHARE_VERSION]);
    const field = r.u8();
    if (field !== FIELD_M31_30)
      throw new PrivaggError('MALFORMED_MESSAGE', `unknown field ${field}`);
    const splitId = r.raw(SPLIT_ID_BYTES);
    const threshold = r.u32InRange('threshold', 2, MAX_SHARES);
    const index = r.u32InRange('index', 1, MAX_SHARES);
    const byteLength = r.u32InRange('byteLength', 1, MAX_SECRET_BYTES);
    const count = packedLength(byteLength);
    if (r.remaining !== 4 + 4 * count)
      throw new PrivaggError('MALFORMED_MESSAGE', 'share length does not match its byteLength');
    if (r.u32() !== count)
      throw new PrivaggError('MALFORMED_MESSAGE', 'element count does not match byteLength');
    // one copy of the element bytes, viewed as words (the copy is fresh, so aligned)
    const raw = r.raw(4 * count);
    r.end();
    const value = IS_LITTLE_ENDIAN
      ? new Uint32Array(raw.buffer, raw.byteOffset, count)
      : bytesToWordsLE(raw);
    if (!isFieldVector(value))
      throw new PrivaggError('MALFORMED_MESSAGE', 'share has elements outside the field');
    return { version, splitId, threshold, index, byteLength, value };
  } catch (e) {
    if (e instanceof PrivaggError)
      throw new PrivaggError(e.code, `${which}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Split a byte secret into `shares` Shamir shares, any `threshold` of which reconstruct it with
 * {@link combine}; fewer than `threshold` reveal nothing about it (only its length).
 *
 * @remarks
 * The secret is packed 30 bits per element into GF(2^31 - 1) (a 32-byte key is 9 elements) and
 * each element is shared with its own random polynomial, all evaluated at 1..shares; the field
 * is chosen for speed (see `FIELD_MODULUS`). Each share is encoded with a version, the
 * threshold, its index and a random 16-byte split identifier, so shares of different splits
 * cannot be combined by mistake. Randomness is read from `rng` in this order: the split
 * identifier (16 bytes), then the polynomial coefficients as `shamirShare` documents.
 *
 * @param secret - 1 to {@link MAX_SECRET_BYTES} bytes
 * @param options - `threshold` (>= 2) and `shares` (<= {@link MAX_SHARES})
 * @param rng - the randomness source (default: the CSPRNG {@link randomBytes})
 * @returns `shares` encoded shares, for indices 1..shares in order
 * @throws {@link !TypeError} when `secret` is not a `Uint8Array` or `options` is not valid
 * @throws {@link !RangeError} when the secret length, threshold or share count is out of range
 * @example
 * ```ts
 * import { split, combine } from 'privagg/sharing';
 * import { deterministicRngForTesting } from 'privagg';
 * const rng = deterministicRngForTesting(new Uint8Array(32));
 * const key = new TextEncoder().encode('correct horse battery staple');
 * const shares = split(key, { threshold: 3, shares: 5 }, rng);
 * console.log(new TextDecoder().decode(combine([shares[4], shares[0], shares[2]]))); // correct horse battery staple
 * ```
 * @since 0.1.0
 * @public
 */
export function split(
  secret: Uint8Array,
  options: SplitOptions,
  rng: Rng = randomBytes,
): Uint8Array[] {
  aBytes('secret', secret);
  aInteger('secret.length', secret.length, 1, MAX_SECRET_BYTES);
  aOptions('options', options, ['threshold', 'shares']);
  aInteger('shares', options.shares, 2, MAX_SHARES);
  aInteger('threshold', options.threshold, 2, options.shares);
  const { threshold, shares } = options;
  const splitId = drawBytes(rng, SPLIT_ID_BYTES).slice();
  const packed = packBytes(secret);
  const indices = Array.from({ length: shares }, (_, i) => i + 1);
  const outs = indices.map(() => new Uint32Array(packed.length));
  shareKernel(packed, threshold, indices, rng, outs);
  packed.fill(0);
  const encoded = indices.map((index, s) =>
    encodeShare(splitId, threshold, index, secret.length, outs[s] as Uint32Array),
  );
  for (const o of outs) o.fill(0);
  return encoded;
}

/**
 * Read the public header of an encoded share (version, split identifier, threshold, index,
 * secret length), validating the whole encoding.
 *
 * @param share - an encoded share from {@link split}
 * @returns the header fields
 * @throws {@link !TypeError} when `share` is not a `Uint8Array`
 * @throws {@link index.PrivaggError} `MALFORMED_MESSAGE` when the encoding is invalid, truncated or oversized
 * @example
 * ```ts
 * import { split, parseShare } from 'privagg/sharing';
 * const shares = split(new Uint8Array(32), { threshold: 2, shares: 3 });
 * console.log(parseShare(shares[1]).index); // 2
 * ```
 * @since 0.1.0
 * @public
 */
export function parseShare(share: Uint8Array): ShareInfo {
  const { version, splitId, threshold, index, byteLength } = decodeShare(share, 'share');
  return { version, splitId, threshold, index, byteLength };
}

/**
 * Reconstruct a secret from encoded shares made by {@link split}. At least `threshold` shares
 * are needed; with more, the extra shares are checked against the others and any inconsistency
 * (a corrupt or forged share) is refused rather than silently producing a wrong secret. With
 * exactly `threshold` shares a corrupt share is detected only when it yields an invalid packing;
 * use `robustReconstruct` or verifiable sharing to detect or correct it always.
 *
 * @param shares - encoded shares of one split, in any order
 * @returns the secret
 * @throws {@link !TypeError} when `shares` is not an array of `Uint8Array`
 * @throws {@link index.PrivaggError} `MALFORMED_MESSAGE` when a share is malformed, indices repeat, or
 * the shares are inconsistent; `DOMAIN_MISMATCH` when shares come from different splits;
 * `INSUFFICIENT_SHARES` with fewer than the threshold
 * @example
 * ```ts
 * import { split, combine } from 'privagg/sharing';
 * const shares = split(Uint8Array.of(1, 2, 3), { threshold: 2, shares: 4 });
 * console.log([...combine(shares.slice(2))].join()); // 1,2,3
 * ```
 * @since 0.1.0
 * @public
 */
export function combine(shares: readonly Uint8Array[]): Uint8Array {
  const { list, threshold, byteLength } = decodeSplit(shares);
  const packed = interpolateChecked(list, threshold, 0, (list[0] as ShamirShare).value.length);
  for (const d of list) d.value.fill(0);
  return unpackOrThrow(packed, byteLength);
}

/** @internal Decode shares of one split: checks encoding, split identity, duplicates, count. */
export function decodeSplit(shares: unknown): {
  list: ShamirShare[];
  threshold: number;
  byteLength: number;
} {
  if (!Array.isArray(shares)) throw new TypeError('"shares" expected an array of Uint8Array');
  if (shares.length === 0) throw new PrivaggError('INSUFFICIENT_SHARES', 'no shares given');
  if (shares.length > MAX_SHARES)
    throw new PrivaggError('MALFORMED_MESSAGE', `more than ${MAX_SHARES} shares given`);
  const decoded = shares.map((s: unknown, i) => decodeShare(s, `shares[${i}]`));
  const first = decoded[0] as DecodedShare;
  const seen = new Set<number>();
  for (const d of decoded) {
    if (
      !equalBytes(d.splitId, first.splitId) ||
      d.threshold !== first.threshold ||
      d.byteLength !== first.byteLength
    )
      throw new PrivaggError('DOMAIN_MISMATCH', 'shares come from different splits');
    if (seen.has(d.index))
      throw new PrivaggError('MALFORMED_MESSAGE', `duplicate share index ${d.index}`);
    seen.add(d.index);
  }
  if (decoded.length < first.threshold)
    throw new PrivaggError(
      'INSUFFICIENT_SHARES',
      `${decoded.length} shares given, the threshold is ${first.threshold}`,
    );
  return {
    list: decoded.map((d) => ({ index: d.index, value: d.value })),
    threshold: first.threshold,
    byteLength: first.byteLength,
  };
}

/** @internal Unpack a reconstructed secret (zeroing `packed`), MALFORMED_MESSAGE if invalid. */
export function unpackOrThrow(packed: Uint32Array, byteLength: number): Uint8Array {
  const secret = unpackBytes(packed, byteLength);
  packed.fill(0);
  if (secret === undefined)
    throw new PrivaggError(
      'MALFORMED_MESSAGE',
      'the shares reconstruct an invalid packing: at least one share is corrupt',
    );
  return secret;
}
