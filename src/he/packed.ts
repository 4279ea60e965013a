/**
 * The packed wire form of seeded ciphertexts: SEAL's seeded ciphertext stores each residue of
 * `c0` in a 64-bit word and the uniform `c1` as a 64-byte seed. Here each residue takes only
 * the bit length of its prime, so a ciphertext at a level with primes of `b_0 .. b_{k-1}` bits
 * costs `N (b_0 + ... + b_{k-1}) / 8` bytes plus 82, about `(sum b_i) / 4` bytes per value.
 *
 * Block layout (little-endian): `level u8 | scale f64 | prng_type u8 | seed 64 bytes |
 * residues`, residues prime-major, each packed least-significant bit first. Unpacking rebuilds
 * SEAL's exact byte layout (pinned by tests), which then goes through the same checks as any
 * other ciphertext before SEAL parses it.
 * @module
 * @internal
 */
import { PrivaggError } from '../core/index.ts';
import { CT_DATA_OFFSET, PRNG_INFO_BYTES, SEAL_HEADER_BYTES } from './envelope.ts';
import { writeSealHeader } from './rns.ts';

const FIXED = 1 + 8 + 1 + 64;

function bitsOf(q: bigint): number {
  return q.toString(2).length;
}

/** @internal Bytes of a packed block at a level. */
export function packedBytes(primes: readonly bigint[], n: number): number {
  let bits = 0;
  for (const q of primes) bits += bitsOf(q);
  return FIXED + (n * bits) / 8;
}

/**
 * @internal Pack a seeded SEAL ciphertext (already checked by checkCiphertextBytes with
 * `seeded: true` at `level`).
 */
export function packSeeded(
  seal: Uint8Array,
  level: number,
  primes: readonly bigint[],
  n: number,
): Uint8Array {
  const view = new DataView(seal.buffer, seal.byteOffset, seal.length);
  const out = new Uint8Array(packedBytes(primes, n));
  const ov = new DataView(out.buffer);
  out[0] = level;
  ov.setFloat64(1, view.getFloat64(SEAL_HEADER_BYTES + 32 + 1 + 24, true), true);
  const dataStart = CT_DATA_OFFSET + SEAL_HEADER_BYTES + 8;
  const prng = dataStart + 8 * primes.length * n;
  out[9] = seal[prng + SEAL_HEADER_BYTES] as number;
  out.set(seal.subarray(prng + SEAL_HEADER_BYTES + 1, prng + PRNG_INFO_BYTES), 10);
  // bit writer on numbers: accumulator below 2^40
  let p = FIXED;
  let acc = 0;
  let accBits = 0;
  const put = (value: number, bits: number) => {
    acc += value * 2 ** accBits;
    accBits += bits;
    while (accBits >= 8) {
      out[p++] = acc % 256;
      acc = Math.floor(acc / 256);
      accBits -= 8;
    }
  };
  let w = dataStart;
  for (const q of primes) {
    const bits = bitsOf(q);
    for (let j = 0; j < n; j++, w += 8) {
      const lo = view.getUint32(w, true);
      const hi = view.getUint32(w + 4, true);
      put(lo, Math.min(32, bits));
      if (bits > 32) put(hi, bits - 32);
    }
  }
  return out;
}

/**
 * @internal Rebuild SEAL's seeded ciphertext bytes from a packed block. Residues are not
 * range-checked here (checkCiphertextBytes does it next); sizes are.
 */
export function unpackSeeded(
  block: Uint8Array,
  parmsIds: readonly (readonly bigint[])[],
  primesByLevel: readonly (readonly bigint[])[],
  n: number,
): Uint8Array {
  if (block.length < FIXED)
    throw new PrivaggError('MALFORMED_MESSAGE', 'packed ciphertext: truncated');
  const level = block[0] as number;
  if (level < 1 || level >= parmsIds.length)
    throw new PrivaggError('MALFORMED_MESSAGE', 'packed ciphertext: level out of range');
  const primes = primesByLevel[level] as readonly bigint[];
  if (block.length !== packedBytes(primes, n))
    throw new PrivaggError('MALFORMED_MESSAGE', 'packed ciphertext: wrong length');
  const bv = new DataView(block.buffer, block.byteOffset, block.length);
  const k = primes.length;
  const count = k * n;
  const size = CT_DATA_OFFSET + SEAL_HEADER_BYTES + 8 + 8 * count + PRNG_INFO_BYTES;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  writeSealHeader(view, 0, size);
  let p = SEAL_HEADER_BYTES;
  for (const w of parmsIds[level] as readonly bigint[]) {
    view.setBigUint64(p, w, true);
    p += 8;
  }
  view.setUint8(p, 1);
  p += 1;
  for (const x of [2, n, k]) {
    view.setBigUint64(p, BigInt(x), true);
    p += 8;
  }
  view.setFloat64(p, bv.getFloat64(1, true), true);
  p += 8;
  view.setBigUint64(p, 1n, true);
  p += 8;
  writeSealHeader(view, p, SEAL_HEADER_BYTES + 8 + 8 * count);
  view.setBigUint64(p + SEAL_HEADER_BYTES, BigInt(count), true);
  p += SEAL_HEADER_BYTES + 8;
  // bit reader
  let r = FIXED;
  let acc = 0;
  let accBits = 0;
  const take = (bits: number): number => {
    while (accBits < bits) {
      acc += (block[r++] as number) * 2 ** accBits;
      accBits += 8;
    }
    const v = acc % 2 ** bits;
    acc = Math.floor(acc / 2 ** bits);
    accBits -= bits;
    return v;
  };
  for (const q of primes) {
    const bits = bitsOf(q);
    for (let j = 0; j < n; j++, p += 8) {
      view.setUint32(p, take(Math.min(32, bits)), true);
      view.setUint32(p + 4, bits > 32 ? take(bits - 32) : 0, true);
    }
  }
  writeSealHeader(view, p, PRNG_INFO_BYTES);
  out[p + SEAL_HEADER_BYTES] = block[9] as number;
  out.set(block.subarray(10, FIXED), p + SEAL_HEADER_BYTES + 1);
  return out;
}
