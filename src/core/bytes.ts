/**
 * Byte helpers: concatenation, constant-time comparison, zeroization, word views.
 * @module
 * @internal
 */
import { aBytes } from './validate.ts';

/** @internal Whether this host stores multi-byte integers little-endian (every platform we know does). */
export const IS_LITTLE_ENDIAN: boolean =
  new Uint8Array(new Uint32Array([0x11223344]).buffer)[0] === 0x44;

/** @internal Concatenate byte arrays into a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const [i, p] of parts.entries()) {
    aBytes(`parts[${i}]`, p);
    total += p.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * @internal Compare two byte arrays in time that depends only on their lengths: an XOR accumulate
 * with no early exit (algorithmic constant time; the JIT gives no hard guarantee).
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  aBytes('a', a);
  aBytes('b', b);
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * @internal Overwrite secret buffers with zeros. JavaScript cannot promise that no copy survives
 * (the engine may have moved or copied the memory); this clears the copy we own.
 */
export function clean(...arrays: ArrayBufferView[]): void {
  for (const a of arrays) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0);
}

/** @internal Read little-endian 32-bit words from bytes (length must be a multiple of 4). */
export function bytesToWordsLE(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 4 !== 0)
    throw new RangeError(`"bytes" length must be a multiple of 4, got ${bytes.length}`);
  const out = new Uint32Array(bytes.length / 4);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getUint32(4 * i, true);
  return out;
}

/** @internal Write 32-bit words as little-endian bytes. */
export function wordsToBytesLE(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) dv.setUint32(4 * i, words[i] as number, true);
  return out;
}

/** @internal Byte view of a typed array's memory (no copy). */
export function u8view(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** @internal UTF-8 encode. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** @internal Lower-case hex of bytes (for public values and tests only). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** @internal Parse hex (whitespace ignored). */
export function fromHex(hex: string): Uint8Array {
  const h = hex.replace(/\s+/g, '');
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h))
    throw new RangeError('"hex" expected an even number of hex digits');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
