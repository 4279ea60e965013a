/**
 * ChaCha20 block function (RFC 8439 §2.3), producing keystream words directly. Pure
 * TypeScript, constant time by construction (only add, rotate, xor on 32-bit words).
 * @module
 * @internal
 */

const C0 = 0x61707865;
const C1 = 0x3320646e;
const C2 = 0x79622d32;
const C3 = 0x6b206574;

/**
 * @internal Write `blocks` consecutive ChaCha20 blocks (16 words each, starting at block
 * `counter`) into `out` from word `outOffset`. `key` is 8 words and `nonce` 3 words, both read
 * little-endian from the RFC's byte strings. The caller keeps `counter + blocks <= 2^32`.
 */
export function chacha20Blocks(
  key: Uint32Array,
  nonce: Uint32Array,
  counter: number,
  out: Uint32Array,
  outOffset: number,
  blocks: number,
): void {
  const k0 = key[0] as number,
    k1 = key[1] as number,
    k2 = key[2] as number,
    k3 = key[3] as number;
  const k4 = key[4] as number,
    k5 = key[5] as number,
    k6 = key[6] as number,
    k7 = key[7] as number;
  const n0 = nonce[0] as number,
    n1 = nonce[1] as number,
    n2 = nonce[2] as number;
  for (let b = 0; b < blocks; b++) {
    const ctr = (counter + b) >>> 0;
    let x0 = C0,
      x1 = C1,
      x2 = C2,
      x3 = C3;
    let x4 = k0,
      x5 = k1,
      x6 = k2,
      x7 = k3,
      x8 = k4,
      x9 = k5,
      x10 = k6,
      x11 = k7;
    let x12 = ctr,
      x13 = n0,
      x14 = n1,
      x15 = n2;
    for (let r = 0; r < 10; r++) {
      // column rounds
      x0 = (x0 + x4) | 0;
      x12 ^= x0;
      x12 = (x12 << 16) | (x12 >>> 16);
      x8 = (x8 + x12) | 0;
      x4 ^= x8;
      x4 = (x4 << 12) | (x4 >>> 20);
      x0 = (x0 + x4) | 0;
      x12 ^= x0;
      x12 = (x12 << 8) | (x12 >>> 24);
      x8 = (x8 + x12) | 0;
      x4 ^= x8;
      x4 = (x4 << 7) | (x4 >>> 25);
      x1 = (x1 + x5) | 0;
      x13 ^= x1;
      x13 = (x13 << 16) | (x13 >>> 16);
      x9 = (x9 + x13) | 0;
      x5 ^= x9;
      x5 = (x5 << 12) | (x5 >>> 20);
      x1 = (x1 + x5) | 0;
      x13 ^= x1;
      x13 = (x13 << 8) | (x13 >>> 24);
      x9 = (x9 + x13) | 0;
      x5 ^= x9;
      x5 = (x5 << 7) | (x5 >>> 25);
      x2 = (x2 + x6) | 0;
      x14 ^= x2;
      x14 = (x14 << 16) | (x14 >>> 16);
      x10 = (x10 + x14) | 0;
      x6 ^= x10;
      x6 = (x6 << 12) | (x6 >>> 20);
      x2 = (x2 + x6) | 0;
      x14 ^= x2;
      x14 = (x14 << 8) | (x14 >>> 24);
      x10 = (x10 + x14) | 0;
      x6 ^= x10;
      x6 = (x6 << 7) | (x6 >>> 25);
      x3 = (x3 + x7) | 0;
      x15 ^= x3;
      x15 = (x15 << 16) | (x15 >>> 16);
      x11 = (x11 + x15) | 0;
      x7 ^= x11;
      x7 = (x7 << 12) | (x7 >>> 20);
      x3 = (x3 + x7) | 0;
      x15 ^= x3;
      x15 = (x15 << 8) | (x15 >>> 24);
      x11 = (x11 + x15) | 0;
      x7 ^= x11;
      x7 = (x7 << 7) | (x7 >>> 25);
      // diagonal rounds
      x0 = (x0 + x5) | 0;
      x15 ^= x0;
      x15 = (x15 << 16) | (x15 >>> 16);
      x10 = (x10 + x15) | 0;
      x5 ^= x10;
      x5 = (x5 << 12) | (x5 >>> 20);
      x0 = (x0 + x5) | 0;
      x15 ^= x0;
      x15 = (x15 << 8) | (x15 >>> 24);
      x10 = (x10 + x15) | 0;
      x5 ^= x10;
      x5 = (x5 << 7) | (x5 >>> 25);
      x1 = (x1 + x6) | 0;
      x12 ^= x1;
      x12 = (x12 << 16) | (x12 >>> 16);
      x11 = (x11 + x12) | 0;
      x6 ^= x11;
      x6 = (x6 << 12) | (x6 >>> 20);
      x1 = (x1 + x6) | 0;
      x12 ^= x1;
      x12 = (x12 << 8) | (x12 >>> 24);
      x11 = (x11 + x12) | 0;
      x6 ^= x11;
      x6 = (x6 << 7) | (x6 >>> 25);
      x2 = (x2 + x7) | 0;
      x13 ^= x2;
      x13 = (x13 << 16) | (x13 >>> 16);
      x8 = (x8 + x13) | 0;
      x7 ^= x8;
      x7 = (x7 << 12) | (x7 >>> 20);
      x2 = (x2 + x7) | 0;
      x13 ^= x2;
      x13 = (x13 << 8) | (x13 >>> 24);
      x8 = (x8 + x13) | 0;
      x7 ^= x8;
      x7 = (x7 << 7) | (x7 >>> 25);
      x3 = (x3 + x4) | 0;
      x14 ^= x3;
      x14 = (x14 << 16) | (x14 >>> 16);
      x9 = (x9 + x14) | 0;
      x4 ^= x9;
      x4 = (x4 << 12) | (x4 >>> 20);
      x3 = (x3 + x4) | 0;
      x14 ^= x3;
      x14 = (x14 << 8) | (x14 >>> 24);
      x9 = (x9 + x14) | 0;
      x4 ^= x9;
      x4 = (x4 << 7) | (x4 >>> 25);
    }
    const o = outOffset + 16 * b;
    out[o] = x0 + C0;
    out[o + 1] = x1 + C1;
    out[o + 2] = x2 + C2;
    out[o + 3] = x3 + C3;
    out[o + 4] = x4 + k0;
    out[o + 5] = x5 + k1;
    out[o + 6] = x6 + k2;
    out[o + 7] = x7 + k3;
    out[o + 8] = x8 + k4;
    out[o + 9] = x9 + k5;
    out[o + 10] = x10 + k6;
    out[o + 11] = x11 + k7;
    out[o + 12] = x12 + ctr;
    out[o + 13] = x13 + n0;
    out[o + 14] = x14 + n1;
    out[o + 15] = x15 + n2;
  }
}
