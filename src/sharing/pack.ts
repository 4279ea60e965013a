/**
 * Packing byte strings into GF(2^31 - 1) elements, 30 bits per element, and back.
 * @module
 */
import { aBytes, aInteger, aU32Array } from '../core/index.ts';

const MASK30 = 0x3fffffff;

/**
 * How many field elements {@link bytesToFieldElements} makes of `byteLength` bytes:
 * ceil(8 * byteLength / 30).
 *
 * @param byteLength - a safe integer >= 0
 * @returns the element count
 * @throws {@link !TypeError} when `byteLength` is not a number
 * @throws {@link !RangeError} when `byteLength` is negative, fractional or unsafe
 * @example
 * ```ts
 * import { packedLength } from 'privagg/sharing';
 * console.log(packedLength(32)); // 9
 * ```
 * @since 0.1.0
 * @public
 */
export function packedLength(byteLength: number): number {
  aInteger('byteLength', byteLength, 0, 2 ** 48);
  return Math.ceil((8 * byteLength) / 30);
}

/** @internal Pack without validation: 15-byte groups become 4 elements, the tail bit by bit. */
export function packBytes(bytes: Uint8Array): Uint32Array {
  const n = bytes.length;
  const out = new Uint32Array(Math.ceil((8 * n) / 30));
  const groups = Math.floor(n / 15);
  for (let g = 0; g < groups; g++) {
    const i = 15 * g;
    const o = 4 * g;
    const b3 = bytes[i + 3] as number;
    const b7 = bytes[i + 7] as number;
    const b11 = bytes[i + 11] as number;
    out[o] =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((b3 & 0x3f) << 24);
    out[o + 1] =
      (b3 >>> 6) |
      ((bytes[i + 4] as number) << 2) |
      ((bytes[i + 5] as number) << 10) |
      ((bytes[i + 6] as number) << 18) |
      ((b7 & 0xf) << 26);
    out[o + 2] =
      (b7 >>> 4) |
      ((bytes[i + 8] as number) << 4) |
      ((bytes[i + 9] as number) << 12) |
      ((bytes[i + 10] as number) << 20) |
      ((b11 & 0x3) << 28);
    out[o + 3] =
      (b11 >>> 2) |
      ((bytes[i + 12] as number) << 6) |
      ((bytes[i + 13] as number) << 14) |
      ((bytes[i + 14] as number) << 22);
  }
  for (let i = 15 * groups; i < n; i++) {
    const b = bytes[i] as number;
    const bit = 8 * i;
    const q = Math.floor(bit / 30);
    const r = bit - 30 * q;
    out[q] = (out[q] as number) | ((b << r) & MASK30);
    if (r > 22) out[q + 1] = (out[q + 1] as number) | (b >>> (30 - r));
  }
  return out;
}

/**
 * @internal Unpack into `byteLength` bytes; returns undefined when an element is >= 2^30 or the
 * padding bits past 8 * byteLength are not zero (checked without branching per element).
 */
export function unpackBytes(elements: Uint32Array, byteLength: number): Uint8Array | undefined {
  if (elements.length !== Math.ceil((8 * byteLength) / 30)) return undefined;
  const out = new Uint8Array(byteLength);
  const groups = Math.floor(byteLength / 15);
  for (let g = 0; g < groups; g++) {
    const i = 15 * g;
    const o = 4 * g;
    const l0 = elements[o] as number;
    const l1 = elements[o + 1] as number;
    const l2 = elements[o + 2] as number;
    const l3 = elements[o + 3] as number;
    out[i] = l0;
    out[i + 1] = l0 >>> 8;
    out[i + 2] = l0 >>> 16;
    out[i + 3] = (l0 >>> 24) | (l1 << 6);
    out[i + 4] = l1 >>> 2;
    out[i + 5] = l1 >>> 10;
    out[i + 6] = l1 >>> 18;
    out[i + 7] = (l1 >>> 26) | (l2 << 4);
    out[i + 8] = l2 >>> 4;
    out[i + 9] = l2 >>> 12;
    out[i + 10] = l2 >>> 20;
    out[i + 11] = (l2 >>> 28) | (l3 << 2);
    out[i + 12] = l3 >>> 6;
    out[i + 13] = l3 >>> 14;
    out[i + 14] = l3 >>> 22;
  }
  for (let i = 15 * groups; i < byteLength; i++) {
    const bit = 8 * i;
    const q = Math.floor(bit / 30);
    const r = bit - 30 * q;
    let v = (elements[q] as number) >>> r;
    if (r > 22) v |= (elements[q + 1] as number) << (30 - r);
    out[i] = v;
  }
  let bad = 0;
  for (let k = 0; k < elements.length; k++) bad |= (elements[k] as number) >>> 30;
  const used = 8 * byteLength - 30 * (elements.length - 1);
  if (elements.length > 0 && used < 30) bad |= (elements[elements.length - 1] as number) >>> used;
  if (bad !== 0) {
    out.fill(0);
    return undefined;
  }
  return out;
}

/**
 * Pack bytes into field elements of GF(2^31 - 1), 30 bits per element, least significant bit
 * first (bit b of the input is bit b mod 30 of element floor(b / 30); byte i supplies bits
 * 8i..8i+7, least significant first). Every element is below 2^30 < p, so any byte string fits.
 *
 * @param bytes - the bytes to pack
 * @returns ceil(8 * length / 30) elements
 * @throws {@link !TypeError} when `bytes` is not a `Uint8Array`
 * @example
 * ```ts
 * import { bytesToFieldElements } from 'privagg/sharing';
 * console.log([...bytesToFieldElements(Uint8Array.of(1, 2, 3, 4))].join()); // 67305985,0
 * ```
 * @since 0.1.0
 * @public
 */
export function bytesToFieldElements(bytes: Uint8Array): Uint32Array {
  aBytes('bytes', bytes);
  return packBytes(bytes);
}

/**
 * Unpack field elements made by {@link bytesToFieldElements} back into `byteLength` bytes.
 *
 * @param elements - exactly ceil(8 * byteLength / 30) elements, each below 2^30
 * @param byteLength - the length of the packed byte string
 * @returns the bytes
 * @throws {@link !TypeError} when `elements` is not a `Uint32Array` or `byteLength` not a number
 * @throws {@link !RangeError} when the count is wrong, an element is >= 2^30 or padding bits are set
 * @example
 * ```ts
 * import { bytesToFieldElements, fieldElementsToBytes } from 'privagg/sharing';
 * const bytes = Uint8Array.of(9, 8, 7);
 * console.log([...fieldElementsToBytes(bytesToFieldElements(bytes), 3)].join()); // 9,8,7
 * ```
 * @since 0.1.0
 * @public
 */
export function fieldElementsToBytes(elements: Uint32Array, byteLength: number): Uint8Array {
  aU32Array('elements', elements);
  const count = packedLength(byteLength);
  if (elements.length !== count)
    throw new RangeError(`"elements" expected ${count} elements, got ${elements.length}`);
  const out = unpackBytes(elements, byteLength);
  if (out === undefined)
    throw new RangeError('"elements" is not a packing of bytes (element >= 2^30 or padding set)');
  return out;
}
