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
import { IS_LITTLE_ENDIAN, PrivaggError } from '../core/index.ts';
import { CT_DATA_OFFSET, PRNG_INFO_BYTES, SEAL_HEADER_BYTES } from './envelope.ts';
import { writeSealHeader } from './rns.ts';

const FIXED = 1 + 8 + 1 + 64;

/** Little-endian 32-bit words of `bytes` (a copy, aligned). */
function le32(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(bytes.length >>> 2);
  if (IS_LITTLE_ENDIAN) new Uint8Array(words.buffer).set(bytes.subarray(0, words.length * 4));
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < words.length; i++) words[i] = view.getUint32(4 * i, true);
  }
  return words;
}

/** The little-endian bytes of 32-bit words. */
function bytesLE(words: Uint32Array): Uint8Array {
  if (IS_LITTLE_ENDIAN) return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(4 * i, words[i] as number, true);
  return out;
}

function bitsOf(q: bigint): number {
  return q.toString(2).length;
}

/** Pack residues (32-bit halves, prime-major, `polys` polynomials) to their primes' bit lengths. */
function packResidues(
  src: Uint32Array,
  primes: readonly bigint[],
  n: number,
  polys: number,
): Uint32Array {
  let bits = 0;
  for (const q of primes) bits += bitsOf(q);
  const dst = new Uint32Array((polys * n * bits) / 32);
  let wi = 0;
  let cur = 0;
  let curBits = 0;
  let si = 0;
  for (let poly = 0; poly < polys; poly++) {
    for (const q of primes) {
      const bits = bitsOf(q);
      // each residue as its low min(32, bits) bits, then its high bits - 32 bits if any
      const lowBits = Math.min(32, bits);
      const hiBits = bits - 32;
      for (let j = 0; j < n; j++, si += 2) {
        const lo = src[si] as number;
        cur = (cur | (curBits === 32 ? 0 : lo << curBits)) >>> 0;
        if (curBits + lowBits >= 32) {
          dst[wi++] = cur;
          cur = curBits === 0 ? 0 : lo >>> (32 - curBits);
          curBits = curBits + lowBits - 32;
        } else curBits += lowBits;
        if (hiBits > 0) {
          const hi = src[si + 1] as number;
          cur = (cur | (hi << curBits)) >>> 0;
          if (curBits + hiBits >= 32) {
            dst[wi++] = cur;
            cur = curBits === 0 ? 0 : hi >>> (32 - curBits);
            curBits = curBits + hiBits - 32;
          } else curBits += hiBits;
        }
      }
    }
  }
  return dst;
}

/** Unpack residues packed by packResidues into 32-bit halves (`polys` polynomials). */
function unpackResidues(
  block: Uint8Array,
  primes: readonly bigint[],
  n: number,
  polys: number,
): Uint32Array {
  // bit reader over 32-bit little-endian words, into 32-bit halves (the reads are inlined: a
  // closure per residue made this seven times slower than packing)
  const src = le32(block);
  const dst = new Uint32Array(2 * polys * primes.length * n);
  let ri = 0;
  let cur = 0;
  let curBits = 0;
  let di = 0;
  for (let poly = 0; poly < polys; poly++) {
    for (const q of primes) {
      const bits = bitsOf(q);
      const lowBits = Math.min(32, bits);
      const hiBits = bits - 32;
      for (let j = 0; j < n; j++, di += 2) {
        // low half: lowBits bits
        if (curBits >= lowBits) {
          dst[di] = lowBits === 32 ? cur : cur & (2 ** lowBits - 1);
          cur = lowBits === 32 ? 0 : cur >>> lowBits;
          curBits -= lowBits;
        } else {
          const next = src[ri++] as number;
          const need = lowBits - curBits;
          const low = need === 32 ? next : next & (2 ** need - 1);
          dst[di] = curBits === 0 ? low : (cur | (low << curBits)) >>> 0;
          cur = need === 32 ? 0 : next >>> need;
          curBits = 32 - need;
        }
        if (hiBits <= 0) continue;
        // high half: hiBits (< 32) bits
        if (curBits >= hiBits) {
          dst[di + 1] = cur & (2 ** hiBits - 1);
          cur >>>= hiBits;
          curBits -= hiBits;
        } else {
          const next = src[ri++] as number;
          const need = hiBits - curBits;
          const low = next & (2 ** need - 1);
          dst[di + 1] = curBits === 0 ? low : (cur | (low << curBits)) >>> 0;
          cur = next >>> need;
          curBits = 32 - need;
        }
      }
    }
  }
  return dst;
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
  // residues as 32-bit halves (aligned copy; words are little-endian on the wire)
  const src = le32(seal.subarray(dataStart, dataStart + 8 * primes.length * n));
  const dst = packResidues(src, primes, n, 1);
  out.set(bytesLE(dst), FIXED);
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
  const dst = unpackResidues(block.subarray(FIXED), primes, n, 1);
  out.set(bytesLE(dst), p);
  p += 8 * count;
  writeSealHeader(view, p, PRNG_INFO_BYTES);
  out[p + SEAL_HEADER_BYTES] = block[9] as number;
  out.set(block.subarray(10, FIXED), p + SEAL_HEADER_BYTES + 1);
  return out;
}

const FULL_FIXED = 1 + 8;

/** @internal Bytes of a packed full (two-polynomial) block at a level. */
export function packedFullBytes(primes: readonly bigint[], n: number): number {
  let bits = 0;
  for (const q of primes) bits += bitsOf(q);
  return FULL_FIXED + (2 * n * bits) / 8;
}

/**
 * @internal Pack a full (not seeded) two-polynomial SEAL ciphertext at `level`: `level u8 |
 * scale f64 | residues of c0 then c1`, each residue at its prime's bit length. Public-key
 * ciphertexts cannot be seeded (their c1 is not uniform from a seed), so this is their compact
 * form: `(sum of the level's prime bits) / 2` bytes per value instead of 16 per prime.
 */
export function packFull(
  seal: Uint8Array,
  level: number,
  primes: readonly bigint[],
  n: number,
): Uint8Array {
  const view = new DataView(seal.buffer, seal.byteOffset, seal.length);
  const out = new Uint8Array(packedFullBytes(primes, n));
  const ov = new DataView(out.buffer);
  out[0] = level;
  ov.setFloat64(1, view.getFloat64(SEAL_HEADER_BYTES + 32 + 1 + 24, true), true);
  const dataStart = CT_DATA_OFFSET + SEAL_HEADER_BYTES + 8;
  const src = le32(seal.subarray(dataStart, dataStart + 16 * primes.length * n));
  out.set(bytesLE(packResidues(src, primes, n, 2)), FULL_FIXED);
  return out;
}

/**
 * @internal Rebuild SEAL's bytes of a full ciphertext from a packed block (sizes checked here,
 * residues by checkCiphertextBytes next).
 */
export function unpackFull(
  block: Uint8Array,
  parmsIds: readonly (readonly bigint[])[],
  primesByLevel: readonly (readonly bigint[])[],
  n: number,
): Uint8Array {
  if (block.length < FULL_FIXED)
    throw new PrivaggError('MALFORMED_MESSAGE', 'packed ciphertext: truncated');
  const level = block[0] as number;
  if (level < 1 || level >= parmsIds.length)
    throw new PrivaggError('MALFORMED_MESSAGE', 'packed ciphertext: level out of range');
  const primes = primesByLevel[level] as readonly bigint[];
  if (block.length !== packedFullBytes(primes, n))
    throw new PrivaggError('MALFORMED_MESSAGE', 'packed ciphertext: wrong length');
  const k = primes.length;
  const count = 2 * k * n;
  const size = CT_DATA_OFFSET + SEAL_HEADER_BYTES + 8 + 8 * count;
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
  view.setFloat64(p, new DataView(block.buffer, block.byteOffset, 9).getFloat64(1, true), true);
  p += 8;
  view.setBigUint64(p, 1n, true);
  p += 8;
  writeSealHeader(view, p, SEAL_HEADER_BYTES + 8 + 8 * count);
  view.setBigUint64(p + SEAL_HEADER_BYTES, BigInt(count), true);
  p += SEAL_HEADER_BYTES + 8;
  // the halves are little-endian 64-bit words already: SEAL's data array, byte for byte
  out.set(bytesLE(unpackResidues(block.subarray(FULL_FIXED), primes, n, 2)), p);
  return out;
}
