/**
 * Shamir sharing of byte secrets in field-element form, for protocols that carry shares in
 * their own messages (secure aggregation shares its keys and seeds with these).
 * @module
 */
import { aBytes, aInteger, aOptions, type Rng, randomBytes } from '../core/index.ts';
import { packBytes, packedLength } from './pack.ts';
import { unpackOrThrow } from './split.ts';
import {
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
