/**
 * The two secrets each client Shamir-shares (its 32-byte self-mask seed and its 32-byte masking
 * secret key), in the compact form the protocol sends: the 256 bits are packed into 9 elements
 * of GF(2^31 - 1) (30 bits each, `privagg/sharing`), and a share is just its 9 values (36 bytes).
 * Its evaluation point is implicit: the holder's 1-based position in the owner's sorted holder
 * list, which every party derives from the public graph.
 * @module
 * @internal
 */
import { malformed, type Rng } from '../core/index.ts';
import {
  bytesToFieldElements,
  FIELD_MODULUS,
  fieldElementsToBytes,
  packedLength,
  shamirReconstruct,
  shamirShare,
} from '../sharing/index.ts';

/** @internal Bytes of a shared secret. */
export const SECRET_BYTES = 32;
/** @internal Field elements per share. */
export const SHARE_ELEMENTS: number = packedLength(SECRET_BYTES);
/** @internal Bytes of one share on the wire. */
export const SHARE_BYTES: number = 4 * SHARE_ELEMENTS;

/** @internal Shares of `secret` for holders 1..holders (index i + 1 is `out[i]`), as bytes. */
export function splitSecret(
  secret: Uint8Array,
  threshold: number,
  holders: number,
  rng: Rng,
): Uint8Array[] {
  const packed = bytesToFieldElements(secret);
  const shares = shamirShare(packed, { threshold, shares: holders }, rng);
  packed.fill(0);
  return shares.map((s) => {
    const bytes = new Uint8Array(SHARE_BYTES);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < SHARE_ELEMENTS; i++) view.setUint32(4 * i, s.value[i] as number, true);
    s.value.fill(0);
    return bytes;
  });
}

/** @internal Decode a share, checking its length and that every element lies in the field. */
export function shareValue(bytes: Uint8Array): Uint32Array {
  if (bytes.length !== SHARE_BYTES)
    throw malformed(`share of ${bytes.length} bytes, expected ${SHARE_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(SHARE_ELEMENTS);
  let bad = 0;
  for (let i = 0; i < SHARE_ELEMENTS; i++) {
    const x = view.getUint32(4 * i, true);
    bad |= x >= FIELD_MODULUS ? 1 : 0;
    out[i] = x;
  }
  if (bad !== 0) throw malformed('share has elements outside the field');
  return out;
}

/**
 * @internal Reconstruct a secret from shares `{ index, share }` (at least `threshold`; with one
 * more, the extra share is checked against the others, so a single corrupt share is caught).
 * Throws `INSUFFICIENT_SHARES` or `MALFORMED_MESSAGE`.
 */
export function combineSecret(
  shares: readonly { index: number; share: Uint8Array }[],
  threshold: number,
): Uint8Array {
  const used = shares
    .slice(0, threshold + 1)
    .map((s) => ({ index: s.index, value: shareValue(s.share) }));
  const packed = shamirReconstruct(used, { threshold });
  try {
    return fieldElementsToBytes(packed, SECRET_BYTES);
  } catch (cause) {
    throw malformed(`shares reconstruct an invalid secret: ${(cause as Error).message}`);
  } finally {
    packed.fill(0);
    for (const u of used) u.value.fill(0);
  }
}
