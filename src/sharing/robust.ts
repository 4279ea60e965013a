/**
 * Robust Shamir reconstruction: Reed-Solomon decoding (Gao's algorithm) over GF(2^31 - 1) that
 * detects corrupt shares, corrects up to floor((n - t) / 2) of them and names their indices.
 * @module
 */
import { aInteger, aOptions, PrivaggError } from '../core/index.ts';
import { addMod, FIELD_MODULUS, invMod, mulMod, subMod } from './field.ts';
import {
  aShareList,
  barycentricWeights,
  coefficientsAt,
  combineKernel,
  type ShamirShare,
} from './shamir.ts';
import { decodeSplit, unpackOrThrow } from './split.ts';

const P = FIELD_MODULUS;

/** A polynomial as coefficients, lowest degree first, with no trailing zero (zero is []). */
type Poly = number[];

function trim(a: Poly): Poly {
  while (a.length > 0 && a[a.length - 1] === 0) a.pop();
  return a;
}

function polySub(a: Poly, b: Poly): Poly {
  const out: Poly = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(subMod(a[i] ?? 0, b[i] ?? 0));
  return trim(out);
}

function polyMul(a: Poly, b: Poly): Poly {
  if (a.length === 0 || b.length === 0) return [];
  const out: Poly = new Array(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++)
      out[i + j] = addMod(out[i + j] as number, mulMod(a[i] as number, b[j] as number));
  return trim(out);
}

/** Quotient and remainder of a / b (b non-zero). */
function polyDivMod(a: Poly, b: Poly): [Poly, Poly] {
  const rem = a.slice();
  const db = b.length - 1;
  if (rem.length - 1 < db) return [[], trim(rem)];
  const inv = invMod(b[db] as number);
  const q: Poly = new Array(rem.length - db).fill(0);
  for (let i = rem.length - 1; i >= db; i--) {
    const c = mulMod(rem[i] as number, inv);
    q[i - db] = c;
    if (c === 0) continue;
    for (let j = 0; j <= db; j++)
      rem[i - db + j] = subMod(rem[i - db + j] as number, mulMod(c, b[j] as number));
  }
  return [trim(q), trim(rem.slice(0, db))];
}

function polyEval(a: Poly, x: number): number {
  let acc = 0;
  for (let i = a.length - 1; i >= 0; i--) acc = addMod(mulMod(acc, x), a[i] as number);
  return acc;
}

/**
 * @internal Gao's decoder for a Reed-Solomon code with evaluation points `xs` (distinct, non-zero)
 * and message polynomials of degree < k: returns the message polynomial when the received word
 * `ys` is within floor((n - k) / 2) errors of a codeword, else undefined.
 * (S. Gao, "A new algorithm for decoding Reed-Solomon codes", 2003.)
 */
export function gaoDecode(
  xs: readonly number[],
  ys: readonly number[],
  k: number,
): Poly | undefined {
  const n = xs.length;
  // g0 = prod (x - x_i)
  let g0: Poly = [1];
  for (const x of xs) g0 = polyMul(g0, [subMod(0, x), 1]);
  // g1 interpolates (x_i, y_i): sum y_i w_i g0 / (x - x_i)
  const w = barycentricWeights(xs);
  const g1acc: number[] = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    const [q] = polyDivMod(g0, [subMod(0, xs[i] as number), 1]);
    const c = mulMod(ys[i] as number, w[i] as number);
    for (let j = 0; j < q.length; j++)
      g1acc[j] = addMod(g1acc[j] as number, mulMod(c, q[j] as number));
  }
  let r0 = g0;
  let r1 = trim(g1acc);
  let v0: Poly = [];
  let v1: Poly = [1];
  // partial extended Euclid: stop once deg r1 < (n + k) / 2
  while (r1.length - 1 >= (n + k) / 2) {
    const [q, r] = polyDivMod(r0, r1);
    [r0, r1] = [r1, r];
    [v0, v1] = [v1, polySub(v0, polyMul(q, v1))];
  }
  if (v1.length === 0) return undefined;
  const [f, rem] = polyDivMod(r1, v1);
  if (rem.length !== 0 || f.length > k) return undefined;
  return f;
}

/**
 * @internal The first coordinate in which the shares do not lie on polynomials of degree
 * < threshold (checked exactly: the first `threshold` shares predict every other share), or -1.
 */
export function firstInconsistent(shares: readonly ShamirShare[], threshold: number): number {
  const base = shares.slice(0, threshold);
  const indices = base.map((s) => s.index);
  const values = base.map((s) => s.value);
  const weights = barycentricWeights(indices);
  const length = base[0]?.value.length ?? 0;
  let first = -1;
  for (let e = threshold; e < shares.length; e++) {
    const extra = shares[e] as ShamirShare;
    const end = first === -1 ? length : first;
    const predicted = combineKernel(values, coefficientsAt(indices, weights, extra.index), 0, end);
    for (let j = 0; j < end; j++)
      if (predicted[j] !== extra.value[j]) {
        first = j;
        break;
      }
  }
  return first;
}

/**
 * Options of {@link robustReconstruct}.
 * @since 0.1.0
 * @public
 */
export interface RobustReconstructOptions {
  /**
   * The threshold the secret was shared with.
   * @defaultValue required
   */
  readonly threshold: number;
  /**
   * The most corrupt shares to correct, in [0, floor((n - threshold) / 2)]. Fewer corrections
   * buy more detection: with e = maxErrors, any n - threshold - e corrupt shares are always
   * detected (never silently mis-corrected).
   * @defaultValue floor((n - threshold) / 2)
   */
  readonly maxErrors?: number;
}

/**
 * The result of {@link robustReconstruct}.
 * @since 0.1.0
 * @public
 */
export interface RobustResult {
  /** The reconstructed secret coordinates. */
  readonly secret: Uint32Array;
  /** Indices of the shares found corrupt (ascending; empty when all were consistent). */
  readonly badIndices: number[];
}

/**
 * Reconstruct a secret shared with `shamirShare` from n >= threshold shares of which some may be
 * corrupt, naming the corrupt ones. The shares are first checked exactly (every share must lie on
 * the polynomials the others determine); on a mismatch, the offending coordinate is decoded as a
 * Reed-Solomon codeword with Gao's algorithm over all n shares, the shares it finds wrong are set
 * aside, and the check repeats on the rest.
 *
 * @remarks
 * Guarantee (e = `maxErrors`): if at most e shares are corrupt, the true secret is returned and
 * `badIndices` names exactly the corrupt shares that differ from their true value; if at most
 * n - threshold - e shares are corrupt, the result is the true secret or an error, never a wrong
 * secret. With e = 0 this is pure detection of up to n - threshold corrupt shares.
 * Runtime: O(d (n - t) t) for the check, plus O(n^2) per decoded coordinate.
 *
 * @param shares - at least `threshold` shares with distinct indices and equal lengths
 * @param options - `threshold` and optionally `maxErrors`
 * @returns the secret and the corrupt share indices
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when an index is zero, out of range or repeated, lengths differ, or
 * `maxErrors` is out of range
 * @throws {@link index.PrivaggError} `INSUFFICIENT_SHARES` with fewer than `threshold` shares,
 * or when the corruption is detected but exceeds what `maxErrors` allows to correct
 * @example
 * ```ts
 * import { shamirShare, robustReconstruct } from 'privagg/sharing';
 * import { deterministicRngForTesting } from 'privagg';
 * const rng = deterministicRngForTesting(new Uint8Array(32));
 * const shares = shamirShare(Uint32Array.of(10, 20, 30), { threshold: 3, shares: 7 }, rng);
 * shares[4].value[1] ^= 1; // share 5 lies about one coordinate
 * shares[1].value[0] ^= 9; // share 2 too
 * const { secret, badIndices } = robustReconstruct(shares, { threshold: 3 });
 * console.log([...secret].join(), badIndices.join()); // 10,20,30 2,5
 * ```
 * @since 0.1.0
 * @public
 */
export function robustReconstruct(
  shares: readonly ShamirShare[],
  options: RobustReconstructOptions,
): RobustResult {
  aOptions('options', options, ['threshold', 'maxErrors']);
  aInteger('threshold', options.threshold, 1, P - 1);
  aShareList('shares', shares);
  const threshold = options.threshold;
  const n = shares.length;
  if (n < threshold)
    throw new PrivaggError(
      'INSUFFICIENT_SHARES',
      `${n} shares given, the threshold is ${threshold}`,
    );
  const correctable = Math.floor((n - threshold) / 2);
  const maxErrors = options.maxErrors === undefined ? correctable : options.maxErrors;
  aInteger('maxErrors', maxErrors, 0, correctable);
  const xs = shares.map((s) => s.index);
  const bad = new Set<number>();
  for (;;) {
    const good = shares.filter((s) => !bad.has(s.index));
    const j = firstInconsistent(good, threshold);
    if (j === -1) {
      const base = good.slice(0, threshold);
      const indices = base.map((s) => s.index);
      const secret = combineKernel(
        base.map((s) => s.value),
        coefficientsAt(indices, barycentricWeights(indices), 0),
        0,
        base[0]?.value.length ?? 0,
      );
      return { secret, badIndices: [...bad].sort((a, b) => a - b) };
    }
    const ys = shares.map((s) => s.value[j] as number);
    const f = gaoDecode(xs, ys, threshold);
    const before = bad.size;
    if (f !== undefined)
      for (let i = 0; i < n; i++)
        if (polyEval(f, xs[i] as number) !== ys[i]) bad.add(xs[i] as number);
    if (f === undefined || bad.size === before || bad.size > maxErrors)
      throw new PrivaggError(
        'INSUFFICIENT_SHARES',
        `corrupt shares detected, more than the ${maxErrors} that ${n} shares at threshold ${threshold} are set to correct`,
      );
  }
}

/**
 * The result of {@link robustCombine}.
 * @since 0.1.0
 * @public
 */
export interface RobustCombineResult {
  /** The reconstructed secret. */
  readonly secret: Uint8Array;
  /** Indices of the shares found corrupt (ascending; empty when all were consistent). */
  readonly badIndices: number[];
}

/**
 * Like `combine`, but tolerant of corrupt share values: reconstructs a byte secret from encoded
 * shares of one split with {@link robustReconstruct}, correcting up to floor((n - t) / 2) corrupt
 * shares and naming them. Shares that do not decode at all still fail with `MALFORMED_MESSAGE`
 * (check them one by one with `parseShare` first to drop them).
 *
 * @param shares - encoded shares of one split
 * @param options - optionally `maxErrors` (see {@link RobustReconstructOptions})
 * @returns the secret and the corrupt share indices
 * @throws {@link !TypeError} when `shares` is not an array of `Uint8Array` or an option is unknown
 * @throws {@link !RangeError} when `maxErrors` is out of range
 * @throws {@link index.PrivaggError} `MALFORMED_MESSAGE` for an undecodable share or duplicate
 * indices; `DOMAIN_MISMATCH` for mixed splits; `INSUFFICIENT_SHARES` with fewer shares than the
 * threshold or more corruption than can be corrected
 * @example
 * ```ts
 * import { split, robustCombine } from 'privagg/sharing';
 * import { deterministicRngForTesting } from 'privagg';
 * const rng = deterministicRngForTesting(new Uint8Array(32));
 * const shares = split(Uint8Array.of(1, 2, 3), { threshold: 2, shares: 5 }, rng);
 * shares[3][shares[3].length - 1] ^= 0x10; // corrupt one share's last element
 * const { secret, badIndices } = robustCombine(shares);
 * console.log([...secret].join(), badIndices.join()); // 1,2,3 4
 * ```
 * @since 0.1.0
 * @public
 */
export function robustCombine(
  shares: readonly Uint8Array[],
  options: { readonly maxErrors?: number } = {},
): RobustCombineResult {
  aOptions('options', options, ['maxErrors']);
  const { list, threshold, byteLength } = decodeSplit(shares);
  const robustOptions =
    options.maxErrors === undefined ? { threshold } : { threshold, maxErrors: options.maxErrors };
  const { secret, badIndices } = robustReconstruct(list, robustOptions);
  for (const d of list) d.value.fill(0);
  return { secret: unpackOrThrow(secret, byteLength), badIndices };
}
