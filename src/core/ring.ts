/**
 * Vector arithmetic in the ring Z_{2^k}: `Uint32Array` for k in [1, 32], and a two-limb
 * representation ({@link WideRingVector}) for k in [33, 62]. All loops are branch-free over the
 * element values (algorithmic constant time) because masked vectors are secret.
 * @module
 * @internal
 */
import { PrivaggError } from './errors.ts';
import { aInteger, aU32Array } from './validate.ts';

const TWO32 = 4294967296;

/** @internal A vector modulo 2^k for 33 <= k <= 62: element i is `hi[i] * 2^32 + lo[i]`. */
export interface WideRingVector {
  readonly ringBits: number;
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
}

/** @internal Check `ringBits` for the narrow representation. */
export function aRingBits(ringBits: unknown): asserts ringBits is number {
  aInteger('ringBits', ringBits, 1, 32);
}

/** @internal Check `ringBits` for the wide representation. */
export function aWideRingBits(ringBits: unknown): asserts ringBits is number {
  aInteger('ringBits', ringBits, 33, 62);
}

/** @internal The mask 2^k - 1 as an int32 bit pattern (k = 32 gives -1). */
export function ringMask(ringBits: number): number {
  aRingBits(ringBits);
  return ringBits === 32 ? -1 : (2 ** ringBits - 1) | 0;
}

function sameLength(a: Uint32Array, b: Uint32Array): void {
  if (a.length !== b.length)
    throw new RangeError(`vector lengths differ: ${a.length} vs ${b.length}`);
}

function output(out: Uint32Array | undefined, length: number): Uint32Array {
  if (out === undefined) return new Uint32Array(length);
  aU32Array('out', out, length);
  return out;
}

/**
 * @internal Whether every element is < 2^k (untrusted vectors are checked with this). Returns
 * the check without branching per element on values.
 */
export function isRingVector(ringBits: number, v: Uint32Array): boolean {
  aRingBits(ringBits);
  aU32Array('v', v);
  if (ringBits === 32) return true;
  let high = 0;
  const inv = ~ringMask(ringBits);
  for (let i = 0; i < v.length; i++) high |= (v[i] as number) & inv;
  return high === 0;
}

/** @internal Reject a vector with elements >= 2^k as `MALFORMED_MESSAGE`. */
export function aRingVector(name: string, ringBits: number, v: Uint32Array): void {
  if (!isRingVector(ringBits, v))
    throw new PrivaggError('MALFORMED_MESSAGE', `"${name}" has elements outside Z_2^${ringBits}`);
}

/** @internal `out = a + b mod 2^k`. `out` may alias `a` or `b`. */
export function ringAdd(
  ringBits: number,
  a: Uint32Array,
  b: Uint32Array,
  out?: Uint32Array,
): Uint32Array {
  const mask = ringMask(ringBits);
  sameLength(a, b);
  const o = output(out, a.length);
  for (let i = 0; i < a.length; i++) o[i] = ((a[i] as number) + (b[i] as number)) & mask;
  return o;
}

/** @internal `out = a - b mod 2^k`. */
export function ringSub(
  ringBits: number,
  a: Uint32Array,
  b: Uint32Array,
  out?: Uint32Array,
): Uint32Array {
  const mask = ringMask(ringBits);
  sameLength(a, b);
  const o = output(out, a.length);
  for (let i = 0; i < a.length; i++) o[i] = ((a[i] as number) - (b[i] as number)) & mask;
  return o;
}

/** @internal `out = -a mod 2^k`. */
export function ringNeg(ringBits: number, a: Uint32Array, out?: Uint32Array): Uint32Array {
  const mask = ringMask(ringBits);
  const o = output(out, a.length);
  for (let i = 0; i < a.length; i++) o[i] = -(a[i] as number) & mask;
  return o;
}

/** @internal `out = c * a mod 2^k` for an integer scalar `c` (any safe integer; reduced mod 2^32 first). */
export function ringScale(
  ringBits: number,
  a: Uint32Array,
  c: number,
  out?: Uint32Array,
): Uint32Array {
  const mask = ringMask(ringBits);
  aInteger('c', c, Number.MIN_SAFE_INTEGER);
  const c32 = Number(BigInt.asUintN(32, BigInt(c))) | 0;
  const o = output(out, a.length);
  for (let i = 0; i < a.length; i++) o[i] = Math.imul(a[i] as number, c32) & mask;
  return o;
}

/** @internal Sum of vectors mod 2^k (at least one vector). */
export function ringSum(ringBits: number, vectors: readonly Uint32Array[]): Uint32Array {
  aRingBits(ringBits);
  const first = vectors[0];
  if (first === undefined) throw new RangeError('"vectors" expected at least one vector');
  const acc = first.slice();
  for (let j = 1; j < vectors.length; j++) ringAdd(ringBits, acc, vectors[j] as Uint32Array, acc);
  return acc;
}

/** @internal A zero wide vector. */
export function wideZeros(ringBits: number, length: number): WideRingVector {
  aWideRingBits(ringBits);
  aInteger('length', length);
  return { ringBits, lo: new Uint32Array(length), hi: new Uint32Array(length) };
}

function wideCheck(a: WideRingVector, b: WideRingVector): void {
  aWideRingBits(a.ringBits);
  if (a.ringBits !== b.ringBits)
    throw new RangeError(`ring sizes differ: ${a.ringBits} vs ${b.ringBits}`);
  sameLength(a.lo, b.lo);
  sameLength(a.hi, b.hi);
  sameLength(a.lo, a.hi);
}

/** @internal `out = a + b mod 2^k` for wide vectors (`out` may alias). */
export function wideAdd(
  a: WideRingVector,
  b: WideRingVector,
  out?: WideRingVector,
): WideRingVector {
  wideCheck(a, b);
  const o = out ?? wideZeros(a.ringBits, a.lo.length);
  wideCheck(a, o);
  const hiMask = (2 ** (a.ringBits - 32) - 1) | 0;
  for (let i = 0; i < a.lo.length; i++) {
    const s = (a.lo[i] as number) + (b.lo[i] as number);
    const carry = (s / TWO32) | 0;
    o.lo[i] = s;
    o.hi[i] = ((a.hi[i] as number) + (b.hi[i] as number) + carry) & hiMask;
  }
  return o;
}

/** @internal `out = a - b mod 2^k` for wide vectors. */
export function wideSub(
  a: WideRingVector,
  b: WideRingVector,
  out?: WideRingVector,
): WideRingVector {
  wideCheck(a, b);
  const o = out ?? wideZeros(a.ringBits, a.lo.length);
  wideCheck(a, o);
  const hiMask = (2 ** (a.ringBits - 32) - 1) | 0;
  for (let i = 0; i < a.lo.length; i++) {
    const s = (a.lo[i] as number) - (b.lo[i] as number);
    const borrow = -Math.floor(s / TWO32);
    o.lo[i] = s;
    o.hi[i] = ((a.hi[i] as number) - (b.hi[i] as number) - borrow) & hiMask;
  }
  return o;
}

/** @internal `out = -a mod 2^k` for wide vectors. */
export function wideNeg(a: WideRingVector, out?: WideRingVector): WideRingVector {
  return wideSub(wideZeros(a.ringBits, a.lo.length), a, out);
}

/** @internal Whether every element of a wide vector is < 2^k. */
export function isWideRingVector(v: WideRingVector): boolean {
  aWideRingBits(v.ringBits);
  aU32Array('lo', v.lo);
  aU32Array('hi', v.hi, v.lo.length);
  const inv = ~((2 ** (v.ringBits - 32) - 1) | 0);
  let high = 0;
  for (let i = 0; i < v.hi.length; i++) high |= (v.hi[i] as number) & inv;
  return high === 0;
}

/** @internal Wide vector from bigints, each reduced mod 2^k. */
export function wideFromBigInts(ringBits: number, values: readonly bigint[]): WideRingVector {
  const v = wideZeros(ringBits, values.length);
  for (let i = 0; i < values.length; i++) {
    const x = BigInt.asUintN(ringBits, values[i] as bigint);
    v.lo[i] = Number(x & 0xffffffffn);
    v.hi[i] = Number(x >> 32n);
  }
  return v;
}

/** @internal Wide vector to bigints in [0, 2^k). */
export function wideToBigInts(v: WideRingVector): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < v.lo.length; i++)
    out.push((BigInt(v.hi[i] as number) << 32n) | BigInt(v.lo[i] as number));
  return out;
}
