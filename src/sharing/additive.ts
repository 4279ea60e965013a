/**
 * Additive n-of-n secret sharing of vectors, over the ring Z_{2^k} (k in 1..32) and over the
 * prime field GF(2^31 - 1): sharing, combination, re-sharing to a new set of parties, and the
 * conversion of Shamir shares into additive shares.
 * @module
 */
import {
  aInteger,
  aOptions,
  aRingBits,
  aU32Array,
  aWideRingBits,
  drawWords,
  isRingVector,
  isWideRingVector,
  PrivaggError,
  type Rng,
  randomBytes,
  ringAdd,
  ringMask,
  ringSub,
  type WideRingVector,
  wideAdd,
  wideSub,
  wideZeros,
} from '../core/index.ts';
import { aFieldVector, FIELD_MODULUS, randomFieldElements, reduce } from './field.ts';
import {
  aShareList,
  barycentricWeights,
  coefficientsAt,
  combineKernel,
  type ShamirShare,
} from './shamir.ts';

/** The most additive shares of one secret (a narrow or wide ring, or the field). */
const MAX_ADDITIVE_SHARES = 1 << 20;

/**
 * The modulus of an additive sharing: the ring Z_{2^k} with `{ ringBits: k }` (1 <= k <= 32),
 * or the prime field GF(2^31 - 1) with `'field'`.
 * @since 0.1.0
 * @public
 */
export type AdditiveModulus =
  | {
      /** k, the ring Z_{2^k}: an integer in [1, 32]. */
      readonly ringBits: number;
    }
  | 'field';

/**
 * Options of {@link additiveShare} and {@link additiveReshare}.
 * @since 0.1.0
 * @public
 */
export interface AdditiveShareOptions {
  /**
   * How many shares; all of them are needed to reconstruct. An integer in [1, 2^20].
   * @defaultValue required
   */
  readonly shares: number;
  /**
   * `{ ringBits: k }` for Z_{2^k} (1 <= k <= 32), or `'field'` for GF(2^31 - 1).
   * @defaultValue required
   */
  readonly modulus: AdditiveModulus;
}

function aModulus(modulus: unknown): AdditiveModulus {
  if (modulus === 'field') return modulus;
  aOptions('modulus', modulus, ['ringBits']);
  aRingBits((modulus as { ringBits: unknown }).ringBits);
  return modulus as AdditiveModulus;
}

function aElements(
  name: string,
  modulus: AdditiveModulus,
  v: unknown,
  length?: number,
): asserts v is Uint32Array {
  if (modulus === 'field') {
    aFieldVector(name, v, length);
    return;
  }
  aU32Array(name, v, length);
  if (!isRingVector(modulus.ringBits, v))
    throw new RangeError(`"${name}" has elements outside Z_2^${modulus.ringBits}`);
}

function aShareOptions(options: unknown): { modulus: AdditiveModulus; shares: number } {
  aOptions('options', options, ['shares', 'modulus']);
  const o = options as AdditiveShareOptions;
  const modulus = aModulus(o.modulus);
  aInteger('shares', o.shares, 1, MAX_ADDITIVE_SHARES);
  return { modulus, shares: o.shares };
}

/** Check a non-empty list of equal-length vectors under the modulus; returns it typed. */
function aVectorList(name: string, modulus: AdditiveModulus, list: unknown): Uint32Array[] {
  if (!Array.isArray(list)) throw new TypeError(`"${name}" expected an array of Uint32Array`);
  if (list.length === 0) throw new PrivaggError('INSUFFICIENT_SHARES', 'no shares given');
  const first: unknown = list[0];
  aElements(`${name}[0]`, modulus, first);
  for (let i = 1; i < list.length; i++) aElements(`${name}[${i}]`, modulus, list[i], first.length);
  return list as Uint32Array[];
}

/** out = a + b under the modulus. */
function addInto(modulus: AdditiveModulus, a: Uint32Array, b: Uint32Array, out: Uint32Array): void {
  if (modulus !== 'field') {
    ringAdd(modulus.ringBits, a, b, out);
    return;
  }
  for (let i = 0; i < a.length; i++) out[i] = reduce((a[i] as number) + (b[i] as number));
}

/** out = a - b under the modulus. */
function subInto(modulus: AdditiveModulus, a: Uint32Array, b: Uint32Array, out: Uint32Array): void {
  if (modulus !== 'field') {
    ringSub(modulus.ringBits, a, b, out);
    return;
  }
  for (let i = 0; i < a.length; i++)
    out[i] = reduce((a[i] as number) - (b[i] as number) + FIELD_MODULUS);
}

function randomInto(modulus: AdditiveModulus, rng: Rng, out: Uint32Array): void {
  if (modulus === 'field') {
    randomFieldElements(rng, out);
    return;
  }
  drawWords(rng, out.length, out);
  const mask = ringMask(modulus.ringBits);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) & mask;
}

function shareUnchecked(
  modulus: AdditiveModulus,
  secret: Uint32Array,
  shares: number,
  rng: Rng,
): Uint32Array[] {
  const out: Uint32Array[] = [];
  const last = secret.slice();
  for (let s = 0; s < shares - 1; s++) {
    const r = new Uint32Array(secret.length);
    randomInto(modulus, rng, r);
    subInto(modulus, last, r, last);
    out.push(r);
  }
  out.push(last);
  return out;
}

/**
 * Split a vector into `shares` additive shares that sum to it (mod 2^k, or mod p): every share
 * but the last is uniformly random, the last is the secret minus their sum, so any `shares - 1`
 * of them are jointly uniform and reveal nothing.
 *
 * @remarks
 * Randomness: shares 0..n-2 are drawn from `rng` in order: for the ring, `4 * length` bytes each
 * read as little-endian words masked to k bits; for the field, as `shamirShare` draws elements.
 *
 * @param secret - elements below 2^k (ring) or p (field)
 * @param options - `shares` and `modulus`
 * @param rng - the randomness source (default: the CSPRNG {@link randomBytes})
 * @returns `shares` vectors of the secret's length
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when an element or option is out of range
 * @example
 * ```ts
 * import { additiveShare, additiveCombine } from 'privagg/sharing';
 * const modulus = { ringBits: 16 };
 * const shares = additiveShare(Uint32Array.of(1, 65535), { shares: 3, modulus });
 * console.log([...additiveCombine(shares, { modulus })].join()); // 1,65535
 * ```
 * @since 0.1.0
 * @public
 */
export function additiveShare(
  secret: Uint32Array,
  options: AdditiveShareOptions,
  rng: Rng = randomBytes,
): Uint32Array[] {
  const { modulus, shares } = aShareOptions(options);
  aElements('secret', modulus, secret);
  return shareUnchecked(modulus, secret, shares, rng);
}

/**
 * Options of {@link additiveCombine}.
 * @since 0.1.0
 * @public
 */
export interface AdditiveCombineOptions {
  /**
   * `{ ringBits: k }` for Z_{2^k}, or `'field'` for GF(2^31 - 1).
   * @defaultValue required
   */
  readonly modulus: AdditiveModulus;
}

/**
 * Sum additive shares (all of them) back into the secret; also adds shares of different
 * secrets into a share of their sum.
 *
 * @param shares - one or more vectors of equal length, elements below 2^k (ring) or p (field)
 * @param options - `modulus`
 * @returns their sum under the modulus
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when lengths differ or an element is out of range
 * @throws {@link index.PrivaggError} `INSUFFICIENT_SHARES` when `shares` is empty
 * @since 0.1.0
 * @public
 */
export function additiveCombine(
  shares: readonly Uint32Array[],
  options: AdditiveCombineOptions,
): Uint32Array {
  aOptions('options', options, ['modulus']);
  const modulus = aModulus(options.modulus);
  const list = aVectorList('shares', modulus, shares);
  const acc = (list[0] as Uint32Array).slice();
  for (let i = 1; i < list.length; i++) addInto(modulus, acc, list[i] as Uint32Array, acc);
  return acc;
}

/**
 * Re-share an additive sharing to a new set of parties: each of the n old shares is split into
 * `shares` sub-shares (old party i sends sub-share j to new party j), and new party j's share is
 * the sum of the sub-shares it received. The result is a fresh `shares`-of-`shares` sharing of the
 * same secret, independent of the old one.
 *
 * @param oldShares - the current shares, equal lengths, elements in range
 * @param options - the new number of `shares` and the `modulus`
 * @param rng - the randomness source (default: the CSPRNG {@link randomBytes})
 * @returns the new shares
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when lengths differ or an element or option is out of range
 * @throws {@link index.PrivaggError} `INSUFFICIENT_SHARES` when `oldShares` is empty
 * @example
 * ```ts
 * import { additiveShare, additiveReshare, additiveCombine } from 'privagg/sharing';
 * const modulus = 'field';
 * const three = additiveShare(Uint32Array.of(123), { shares: 3, modulus });
 * const five = additiveReshare(three, { shares: 5, modulus });
 * console.log(five.length, additiveCombine(five, { modulus })[0]); // 5 123
 * ```
 * @since 0.1.0
 * @public
 */
export function additiveReshare(
  oldShares: readonly Uint32Array[],
  options: AdditiveShareOptions,
  rng: Rng = randomBytes,
): Uint32Array[] {
  const { modulus, shares } = aShareOptions(options);
  const list = aVectorList('oldShares', modulus, oldShares);
  const length = (list[0] as Uint32Array).length;
  const fresh = Array.from({ length: shares }, () => new Uint32Array(length));
  for (const old of list) {
    const subs = shareUnchecked(modulus, old, shares, rng);
    for (let j = 0; j < shares; j++) {
      addInto(modulus, fresh[j] as Uint32Array, subs[j] as Uint32Array, fresh[j] as Uint32Array);
      (subs[j] as Uint32Array).fill(0);
    }
  }
  return fresh;
}

/**
 * Turn `threshold` Shamir shares into additive shares of the same secret over GF(2^31 - 1):
 * party i multiplies its share by its Lagrange coefficient for the chosen index set, so the
 * returned vectors sum (mod p) to the secret. Used to hand a Shamir-shared value to an n-of-n
 * protocol among the chosen parties.
 *
 * @param shares - exactly the parties taking part (at least one), distinct indices, equal lengths
 * @returns one additive share per input share, in the same order
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when an index is zero, out of range or repeated, or lengths differ
 * @throws {@link index.PrivaggError} `INSUFFICIENT_SHARES` when `shares` is empty
 * @example
 * ```ts
 * import { shamirShare, shamirToAdditive, additiveCombine } from 'privagg/sharing';
 * const shares = shamirShare(Uint32Array.of(99), { threshold: 2, shares: 4 });
 * const additive = shamirToAdditive([shares[1], shares[3]]);
 * console.log(additiveCombine(additive, { modulus: 'field' })[0]); // 99
 * ```
 * @since 0.1.0
 * @public
 */
export function shamirToAdditive(shares: readonly ShamirShare[]): Uint32Array[] {
  aShareList('shares', shares);
  if (shares.length === 0) throw new PrivaggError('INSUFFICIENT_SHARES', 'no shares given');
  const indices = shares.map((s) => s.index);
  const lambda = coefficientsAt(indices, barycentricWeights(indices), 0);
  return shares.map((s, i) =>
    combineKernel([s.value], Uint32Array.of(lambda[i] as number), 0, s.value.length),
  );
}

/**
 * A vector modulo 2^k for 33 <= k <= 62 as two 32-bit limbs: element i is
 * `hi[i] * 2^32 + lo[i]` (the layout of the core's wide ring vectors).
 * @since 0.1.0
 * @public
 */
export interface WideVector {
  /** Low 32 bits of each element. */
  readonly lo: Uint32Array;
  /** High k - 32 bits of each element. */
  readonly hi: Uint32Array;
}

/**
 * Options of {@link additiveShareWide} and {@link additiveReshareWide}.
 * @since 0.1.0
 * @public
 */
export interface WideShareOptions {
  /**
   * How many shares; an integer in [1, 2^20].
   * @defaultValue required
   */
  readonly shares: number;
  /**
   * k, the ring Z_{2^k}: an integer in [33, 62].
   * @defaultValue required
   */
  readonly ringBits: number;
}

function aWide(name: string, ringBits: number, v: unknown, length?: number): WideRingVector {
  if (typeof v !== 'object' || v === null) throw new TypeError(`"${name}" expected { lo, hi }`);
  const { lo, hi } = v as { lo: unknown; hi: unknown };
  aU32Array(`${name}.lo`, lo, length);
  aU32Array(`${name}.hi`, hi, lo.length);
  const w: WideRingVector = { ringBits, lo, hi };
  if (!isWideRingVector(w)) throw new RangeError(`"${name}" has elements outside Z_2^${ringBits}`);
  return w;
}

function aWideOptions(options: unknown): { shares: number; ringBits: number } {
  aOptions('options', options, ['shares', 'ringBits']);
  const o = options as WideShareOptions;
  aWideRingBits(o.ringBits);
  aInteger('shares', o.shares, 1, MAX_ADDITIVE_SHARES);
  return { shares: o.shares, ringBits: o.ringBits };
}

function wideShareUnchecked(secret: WideRingVector, shares: number, rng: Rng): WideVector[] {
  const { ringBits } = secret;
  const out: WideVector[] = [];
  const last = wideZeros(ringBits, secret.lo.length);
  last.lo.set(secret.lo);
  last.hi.set(secret.hi);
  const hiMask = (2 ** (ringBits - 32) - 1) | 0;
  for (let s = 0; s < shares - 1; s++) {
    const r = wideZeros(ringBits, secret.lo.length);
    drawWords(rng, r.lo.length, r.lo);
    drawWords(rng, r.hi.length, r.hi);
    for (let i = 0; i < r.hi.length; i++) r.hi[i] = (r.hi[i] as number) & hiMask;
    wideSub(last, r, last);
    out.push({ lo: r.lo, hi: r.hi });
  }
  out.push({ lo: last.lo, hi: last.hi });
  return out;
}

/**
 * Split a vector modulo 2^k, 33 <= k <= 62, into `shares` additive shares (see
 * {@link additiveShare}; randomness: per share but the last, `4 * length` bytes of low limbs then
 * `4 * length` bytes of high limbs masked to k - 32 bits).
 *
 * @param secret - the vector as `{ lo, hi }` limbs, elements below 2^k
 * @param options - `shares` and `ringBits`
 * @param rng - the randomness source (default: the CSPRNG {@link randomBytes})
 * @returns `shares` wide vectors that sum to the secret modulo 2^k
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when an element or option is out of range
 * @example
 * ```ts
 * import { additiveShareWide, additiveCombineWide } from 'privagg/sharing';
 * const secret = { lo: Uint32Array.of(5), hi: Uint32Array.of(7) }; // 7 * 2^32 + 5
 * const shares = additiveShareWide(secret, { shares: 4, ringBits: 40 });
 * const sum = additiveCombineWide(shares, { ringBits: 40 });
 * console.log(sum.hi[0], sum.lo[0]); // 7 5
 * ```
 * @since 0.1.0
 * @public
 */
export function additiveShareWide(
  secret: WideVector,
  options: WideShareOptions,
  rng: Rng = randomBytes,
): WideVector[] {
  const { shares, ringBits } = aWideOptions(options);
  return wideShareUnchecked(aWide('secret', ringBits, secret), shares, rng);
}

function aWideList(name: string, ringBits: number, list: unknown): WideRingVector[] {
  if (!Array.isArray(list)) throw new TypeError(`"${name}" expected an array of { lo, hi }`);
  if (list.length === 0) throw new PrivaggError('INSUFFICIENT_SHARES', 'no shares given');
  const first = aWide(`${name}[0]`, ringBits, list[0]);
  return [
    first,
    ...list
      .slice(1)
      .map((v: unknown, i) => aWide(`${name}[${i + 1}]`, ringBits, v, first.lo.length)),
  ];
}

/**
 * Sum wide additive shares modulo 2^k (33 <= k <= 62).
 *
 * @param shares - one or more `{ lo, hi }` vectors of equal length, elements below 2^k
 * @param options - `ringBits`
 * @returns the sum
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when lengths differ or an element is out of range
 * @throws {@link index.PrivaggError} `INSUFFICIENT_SHARES` when `shares` is empty
 * @since 0.1.0
 * @public
 */
export function additiveCombineWide(
  shares: readonly WideVector[],
  options: { readonly ringBits: number },
): WideVector {
  aOptions('options', options, ['ringBits']);
  aWideRingBits(options.ringBits);
  const list = aWideList('shares', options.ringBits, shares);
  const acc = wideZeros(options.ringBits, (list[0] as WideRingVector).lo.length);
  for (const v of list) wideAdd(acc, v, acc);
  return { lo: acc.lo, hi: acc.hi };
}

/**
 * Re-share a wide additive sharing to `shares` new parties, as {@link additiveReshare} does.
 *
 * @param oldShares - the current shares
 * @param options - the new number of `shares` and `ringBits`
 * @param rng - the randomness source (default: the CSPRNG {@link randomBytes})
 * @returns the new shares
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when lengths differ or an element or option is out of range
 * @throws {@link index.PrivaggError} `INSUFFICIENT_SHARES` when `oldShares` is empty
 * @since 0.1.0
 * @public
 */
export function additiveReshareWide(
  oldShares: readonly WideVector[],
  options: WideShareOptions,
  rng: Rng = randomBytes,
): WideVector[] {
  const { shares, ringBits } = aWideOptions(options);
  const list = aWideList('oldShares', ringBits, oldShares);
  const length = (list[0] as WideRingVector).lo.length;
  const fresh = Array.from({ length: shares }, () => wideZeros(ringBits, length));
  for (const old of list) {
    const subs = wideShareUnchecked(old, shares, rng);
    for (let j = 0; j < shares; j++) {
      const sub = subs[j] as WideVector;
      wideAdd(fresh[j] as WideRingVector, { ringBits, lo: sub.lo, hi: sub.hi }, fresh[j]);
      sub.lo.fill(0);
      sub.hi.fill(0);
    }
  }
  return fresh.map((f) => ({ lo: f.lo, hi: f.hi }));
}
