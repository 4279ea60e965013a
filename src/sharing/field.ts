/**
 * Arithmetic in the prime field GF(p) with the Mersenne prime p = 2^31 - 1, without BigInt.
 *
 * Elements are numbers in [0, p) stored in `Uint32Array`s. A product of two elements is formed
 * as two exact float products below 2^48 (one operand split into 15 + 16 bits, the other
 * multiplied by 2^16 through a 31-bit rotation, since 2^31 = 1 mod p) and folded with
 * 2^31 = 1; every intermediate is an integer below 2^53, so the doubles are exact. No branch
 * depends on element values (algorithmic constant time; the JIT gives no hard guarantee).
 * @module
 */
import { aInteger, aU32Array, drawWords, type Rng } from '../core/index.ts';

/**
 * The field modulus p = 2^31 - 1 (a Mersenne prime) of every Shamir and prime-field additive
 * share in `privagg/sharing`.
 *
 * @remarks
 * Chosen for speed in JavaScript: elements fit a `Uint32Array`, multiplication needs no BigInt,
 * and reduction is a shift and an add. Byte secrets are packed 30 bits per element (see
 * {@link bytesToFieldElements}), so a 32-byte key becomes 9 elements, each shared independently.
 * @since 0.1.0
 * @public
 */
export const FIELD_MODULUS = 2147483647;

const P = FIELD_MODULUS;
const MASK31 = 0x7fffffff;
const INV_TWO31 = 1 / 2147483648;

/**
 * @internal Fold a non-negative integer x < 2^53 with 2^31 = 1 (mod p): with h = floor(x / 2^31),
 * x - h p = (x mod 2^31) + h is congruent to x and below 2^31 + 2^22. Scaling by 2^-31 and
 * flooring are exact on doubles.
 */
export function fold(x: number): number {
  return x - Math.floor(x * INV_TWO31) * P;
}

/** @internal Reduce r in [0, 2^31 + 2^22) to [0, p), branch-free. */
export function reduce(r: number): number {
  const s = (r - P) | 0;
  return s + (P & (s >> 31));
}

/** @internal a * 2^16 mod p for a in [0, p): a rotation of the 31-bit word. */
export function rot16(a: number): number {
  return ((a << 16) & MASK31) | (a >>> 15);
}

/** @internal a * b mod p for a, b in [0, p) (unchecked). */
export function mulMod(a: number, b: number): number {
  return reduce(fold(rot16(a) * (b >>> 16) + a * (b & 0xffff)));
}

/** @internal a + b mod p for a, b in [0, p) (unchecked). */
export function addMod(a: number, b: number): number {
  return reduce(a + b);
}

/** @internal a - b mod p for a, b in [0, p) (unchecked). */
export function subMod(a: number, b: number): number {
  return reduce(a - b + P);
}

/** @internal a^e mod p by square-and-multiply over the public exponent `e` (a safe integer). */
export function powMod(a: number, e: number): number {
  let result = 1;
  let base = a;
  let k = e;
  while (k > 0) {
    if (k % 2 === 1) result = mulMod(result, base);
    base = mulMod(base, base);
    k = Math.floor(k / 2);
  }
  return result;
}

/** @internal a^-1 mod p for a in (0, p), by Fermat (a^(p-2)); 0 maps to 0. */
export function invMod(a: number): number {
  return powMod(a, P - 2);
}

/**
 * @internal Invert every element of `values` (all non-zero) with one exponentiation
 * (Montgomery's trick). Returns a new array.
 */
export function batchInvert(values: ArrayLike<number>): Uint32Array {
  const n = values.length;
  const prefix = new Uint32Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    acc = mulMod(acc, values[i] as number);
  }
  let inv = invMod(acc);
  const out = new Uint32Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = mulMod(inv, prefix[i] as number);
    inv = mulMod(inv, values[i] as number);
  }
  return out;
}

/** @internal Whether every element is below p, without branching per element on values. */
export function isFieldVector(v: Uint32Array): boolean {
  let bad = 0;
  // for x < 2^32: x >= p exactly when x or x + 1 has bit 31 set
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    bad |= x | (x + 1);
  }
  return bad >>> 31 === 0;
}

/**
 * @internal Uniform field elements from `rng`, as a stream: each 32-bit little-endian word is
 * masked to 31 bits and a value equal to p is discarded (probability 2^-31), the next word of
 * the stream taking its place. Writes `out.length` elements into `out`.
 */
export function randomFieldElements(rng: Rng, out: Uint32Array): Uint32Array {
  drawWords(rng, out.length, out);
  let filled = 0;
  let rejected = 0;
  for (let i = 0; i < out.length; i++) {
    const w = (out[i] as number) & MASK31;
    out[i] = w;
    rejected += +(w === P);
  }
  if (rejected === 0) return out;
  // rare path: compact the accepted values in stream order, then draw replacements one by one
  for (let i = 0; i < out.length; i++) {
    const w = out[i] as number;
    if (w !== P) out[filled++] = w;
  }
  const one = new Uint32Array(1);
  while (filled < out.length) {
    const w = (drawWords(rng, 1, one)[0] as number) & MASK31;
    if (w !== P) out[filled++] = w;
  }
  return out;
}

function aElement(name: string, x: unknown): asserts x is number {
  aInteger(name, x, 0, P - 1);
}

/**
 * Add two elements of GF(2^31 - 1).
 *
 * @param a - an integer in [0, p)
 * @param b - an integer in [0, p)
 * @returns (a + b) mod p
 * @throws {@link !TypeError} when an argument is not a number
 * @throws {@link !RangeError} when an argument is not an integer in [0, p)
 * @example
 * ```ts
 * import { fieldAdd, FIELD_MODULUS } from 'privagg/sharing';
 * console.log(fieldAdd(FIELD_MODULUS - 1, 5)); // 4
 * ```
 * @since 0.1.0
 * @public
 */
export function fieldAdd(a: number, b: number): number {
  aElement('a', a);
  aElement('b', b);
  return addMod(a, b);
}

/**
 * Subtract two elements of GF(2^31 - 1).
 *
 * @param a - an integer in [0, p)
 * @param b - an integer in [0, p)
 * @returns (a - b) mod p, in [0, p)
 * @throws {@link !TypeError} when an argument is not a number
 * @throws {@link !RangeError} when an argument is not an integer in [0, p)
 * @since 0.1.0
 * @public
 */
export function fieldSub(a: number, b: number): number {
  aElement('a', a);
  aElement('b', b);
  return subMod(a, b);
}

/**
 * Multiply two elements of GF(2^31 - 1), exactly, without BigInt.
 *
 * @param a - an integer in [0, p)
 * @param b - an integer in [0, p)
 * @returns (a * b) mod p
 * @throws {@link !TypeError} when an argument is not a number
 * @throws {@link !RangeError} when an argument is not an integer in [0, p)
 * @example
 * ```ts
 * import { fieldMul } from 'privagg/sharing';
 * console.log(fieldMul(2 ** 30, 4)); // 2
 * ```
 * @since 0.1.0
 * @public
 */
export function fieldMul(a: number, b: number): number {
  aElement('a', a);
  aElement('b', b);
  return mulMod(a, b);
}

/**
 * Multiplicative inverse in GF(2^31 - 1).
 *
 * @param a - an integer in [1, p)
 * @returns b with (a * b) mod p = 1
 * @throws {@link !TypeError} when `a` is not a number
 * @throws {@link !RangeError} when `a` is 0 or not an integer below p
 * @example
 * ```ts
 * import { fieldInv, fieldMul } from 'privagg/sharing';
 * console.log(fieldMul(fieldInv(12345), 12345)); // 1
 * ```
 * @since 0.1.0
 * @public
 */
export function fieldInv(a: number): number {
  aInteger('a', a, 1, P - 1);
  return invMod(a);
}

/** @internal Check a vector of field elements (TypeError / RangeError). */
export function aFieldVector(name: string, v: unknown, length?: number): asserts v is Uint32Array {
  aU32Array(name, v, length);
  if (!isFieldVector(v)) throw new RangeError(`"${name}" has elements outside [0, 2^31 - 1)`);
}
