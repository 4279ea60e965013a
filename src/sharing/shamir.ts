/**
 * Shamir t-of-n secret sharing of vectors of GF(2^31 - 1) elements: sharing with a blocked
 * Horner kernel, Lagrange coefficients in barycentric form (O(t^2) once per index set, O(t) per
 * evaluation point), and reconstruction of any coordinate range. This is the field-element API
 * that protocols (secure aggregation) build on; `split`/`combine` wrap it for byte secrets.
 * @module
 */
import { aInteger, aOptions, PrivaggError, type Rng, randomBytes } from '../core/index.ts';
import {
  aFieldVector,
  batchInvert,
  FIELD_MODULUS,
  fold,
  mulMod,
  randomFieldElements,
  reduce,
  rot16,
  subMod,
} from './field.ts';

const P = FIELD_MODULUS;

/**
 * The most shares one secret can be split into by {@link shamirShare} with `shares: n` (indices
 * 1..n) and by `split`. Explicit `indices` may be any distinct integers in [1, p).
 * @since 0.1.0
 * @public
 */
export const MAX_SHARES = 65535;

/**
 * One Shamir share in field-element form: the evaluation point `index` (a non-zero field
 * element, 1..n for shares made with `shares: n`) and the polynomial values at that point, one
 * field element per secret coordinate.
 * @since 0.1.0
 * @public
 */
export interface ShamirShare {
  /** The evaluation point, an integer in [1, 2^31 - 1). */
  readonly index: number;
  /** One element of GF(2^31 - 1) per secret coordinate. */
  readonly value: Uint32Array;
}

/**
 * Options of {@link shamirShare}. Give exactly one of `shares` and `indices`.
 * @since 0.1.0
 * @public
 */
export interface ShamirShareOptions {
  /**
   * Any `threshold` shares reconstruct; fewer reveal nothing (information-theoretically).
   * An integer in [1, number of shares]; 1 means every share equals the secret.
   * @defaultValue required
   */
  readonly threshold: number;
  /**
   * How many shares, with indices 1..shares; an integer in [threshold, {@link MAX_SHARES}].
   * @defaultValue required unless `indices` is given
   */
  readonly shares?: number;
  /**
   * Explicit evaluation points: distinct integers in [1, 2^31 - 1), at least `threshold` of them.
   * @defaultValue `1..shares`
   */
  readonly indices?: readonly number[];
}

/**
 * Options of {@link shamirReconstruct}.
 * @since 0.1.0
 * @public
 */
export interface ShamirReconstructOptions {
  /**
   * The threshold the secret was shared with.
   * @defaultValue required
   */
  readonly threshold: number;
  /**
   * First coordinate to reconstruct.
   * @defaultValue 0
   */
  readonly from?: number;
  /**
   * One past the last coordinate to reconstruct.
   * @defaultValue the share length
   */
  readonly to?: number;
}

/** @internal Check an index list: safe integers in [1, p), pairwise distinct (RangeError). */
export function aIndices(name: string, indices: unknown): asserts indices is readonly number[] {
  if (!Array.isArray(indices)) throw new TypeError(`"${name}" expected an array of integers`);
  const seen = new Set<number>();
  for (let i = 0; i < indices.length; i++) {
    const x: unknown = indices[i];
    aInteger(`${name}[${i}]`, x, 1, P - 1);
    if (seen.has(x)) throw new RangeError(`"${name}" has the duplicate index ${x}`);
    seen.add(x);
  }
}

/**
 * @internal Barycentric weights w_i = 1 / prod_{j != i} (x_i - x_j) for distinct points
 * (O(t^2) multiplications and one inversion).
 */
export function barycentricWeights(indices: readonly number[]): Uint32Array {
  const t = indices.length;
  const den = new Uint32Array(t);
  for (let i = 0; i < t; i++) {
    const xi = indices[i] as number;
    let acc = 1;
    for (let j = 0; j < t; j++) if (j !== i) acc = mulMod(acc, subMod(xi, indices[j] as number));
    den[i] = acc;
  }
  return batchInvert(den);
}

/**
 * @internal Lagrange coefficients at `at` for the points `indices` with barycentric `weights`
 * (O(t)): lambda_i = l(at) w_i / (at - x_i), where l(x) = prod (x - x_j).
 */
export function coefficientsAt(
  indices: readonly number[],
  weights: Uint32Array,
  at: number,
): Uint32Array {
  const t = indices.length;
  const out = new Uint32Array(t);
  const hit = indices.indexOf(at);
  if (hit >= 0) {
    out[hit] = 1;
    return out;
  }
  const diffs = new Uint32Array(t);
  let l = 1;
  for (let i = 0; i < t; i++) {
    diffs[i] = subMod(at, indices[i] as number);
    l = mulMod(l, diffs[i] as number);
  }
  const inv = batchInvert(diffs);
  for (let i = 0; i < t; i++) out[i] = mulMod(mulMod(l, weights[i] as number), inv[i] as number);
  return out;
}

/**
 * Lagrange coefficients for interpolating at `at` from the points `indices`: for any polynomial
 * f of degree below `indices.length`, f(at) = sum_i coefficients[i] * f(indices[i]) mod p.
 * Computed once per index set (O(t^2)) and reusable across every coordinate of a vector.
 *
 * @param indices - distinct integers in [1, 2^31 - 1)
 * @param at - the point to interpolate at, an integer in [0, 2^31 - 1); 0 gives the secret
 * @returns one coefficient per index, elements of GF(2^31 - 1)
 * @throws {@link !TypeError} when `indices` is not an array or `at` is not a number
 * @throws {@link !RangeError} when an index is zero, out of range or repeated, or `at` is out of range
 * @example
 * ```ts
 * import { lagrangeCoefficients } from 'privagg/sharing';
 * // f(x) = 5 + 3x: f(1) = 8, f(2) = 11, and f(0) = 2 * f(1) - f(2)
 * console.log([...lagrangeCoefficients([1, 2])].join()); // 2,2147483646
 * ```
 * @since 0.1.0
 * @public
 */
export function lagrangeCoefficients(indices: readonly number[], at = 0): Uint32Array {
  aIndices('indices', indices);
  aInteger('at', at, 0, P - 1);
  if (indices.length === 0) throw new RangeError('"indices" expected at least one index');
  return coefficientsAt(indices, barycentricWeights(indices), at);
}

/** The most Horner steps acc * x + c that stay exact from acc < 2^32: (x + 1)^group <= 2^21. */
function lazyGroup(x: number): number {
  let group = 1;
  while ((x + 1) ** (group + 1) <= 2 ** 21) group++;
  return group;
}

/** Coefficient words per block of coordinates in the sharing kernel (64 KiB). */
const BLOCK_WORDS = 16384;

/**
 * @internal Evaluate, for every coordinate j, the polynomial secret[j] + sum_k c_k[j] x^k at
 * each x of `indices`, writing `outs[s][j]`. Coefficients are drawn from `rng` block by block in
 * coordinate-major order (coordinate j's c_1..c_{t-1} are consecutive in the stream).
 */
export function shareKernel(
  secret: Uint32Array,
  threshold: number,
  indices: readonly number[],
  rng: Rng,
  outs: Uint32Array[],
): void {
  const d = secret.length;
  const m = threshold - 1;
  if (m === 0) {
    for (const out of outs) out.set(secret);
    return;
  }
  const block = Math.max(1, Math.floor(BLOCK_WORDS / m));
  const coef = new Uint32Array(block * m);
  for (let j0 = 0; j0 < d; j0 += block) {
    const len = Math.min(block, d - j0);
    const c = len === block ? coef : coef.subarray(0, len * m);
    randomFieldElements(rng, c);
    for (let s = 0; s < indices.length; s++) {
      const x = indices[s] as number;
      const out = outs[s] as Uint32Array;
      if (x < 65536) {
        // Lazy reduction: from acc < 2^32, `group` unreduced steps acc * x + c stay below
        // 2^32 (x + 1)^group <= 2^53, so one fold per group of steps keeps every value exact.
        const group = lazyGroup(x);
        for (let j = 0; j < len; j++) {
          const base = j * m;
          let acc = 0;
          let k = m - 1;
          while (k >= 0) {
            const stop = Math.max(k - group, -1);
            for (; k > stop; k--) acc = acc * x + (c[base + k] as number);
            acc = fold(acc);
          }
          out[j0 + j] = reduce(fold(acc * x + (secret[j0 + j] as number)));
        }
      } else {
        const xh = x >>> 16;
        const xl = x & 0xffff;
        for (let j = 0; j < len; j++) {
          const base = j * m;
          let acc = 0;
          for (let k = m - 1; k >= 0; k--)
            acc = reduce(fold(rot16(acc) * xh + acc * xl + (c[base + k] as number)));
          out[j0 + j] = reduce(fold(rot16(acc) * xh + acc * xl + (secret[j0 + j] as number)));
        }
      }
    }
    c.fill(0);
  }
}

/** Coordinates per block in the combination kernel. */
const COMBINE_BLOCK = 8192;

/**
 * @internal out[j - from] = sum_i coeffs[i] * values[i][j] mod p for j in [from, to). Products
 * are accumulated unreduced in doubles (each below 2^47.6) and folded every 16 terms.
 */
export function combineKernel(
  values: readonly Uint32Array[],
  coeffs: Uint32Array,
  from: number,
  to: number,
): Uint32Array {
  const len = to - from;
  const out = new Uint32Array(len);
  const acc = new Float64Array(Math.min(COMBINE_BLOCK, len));
  for (let j0 = 0; j0 < len; j0 += COMBINE_BLOCK) {
    const blen = Math.min(COMBINE_BLOCK, len - j0);
    acc.fill(0);
    for (let i = 0; i < values.length; i++) {
      const y = values[i] as Uint32Array;
      const lam = coeffs[i] as number;
      const lh = lam >>> 16;
      const ll = lam & 0xffff;
      const off = from + j0;
      for (let j = 0; j < blen; j++) {
        const v = y[off + j] as number;
        acc[j] = (acc[j] as number) + rot16(v) * lh + v * ll;
      }
      if ((i & 15) === 15) for (let j = 0; j < blen; j++) acc[j] = fold(acc[j] as number);
    }
    for (let j = 0; j < blen; j++) out[j0 + j] = reduce(fold(fold(acc[j] as number)));
    acc.fill(0);
  }
  return out;
}

function aShamirShareOptions(options: unknown): {
  threshold: number;
  indices: readonly number[];
} {
  aOptions('options', options, ['threshold', 'shares', 'indices']);
  const o = options as ShamirShareOptions;
  let indices: readonly number[];
  if (o.indices !== undefined) {
    if (o.shares !== undefined)
      throw new TypeError('"options" expected one of "shares" and "indices", not both');
    aIndices('indices', o.indices);
    indices = [...o.indices];
  } else {
    aInteger('shares', o.shares, 1, MAX_SHARES);
    indices = Array.from({ length: o.shares }, (_, i) => i + 1);
  }
  aInteger('threshold', o.threshold, 1, Math.max(1, indices.length));
  if (indices.length === 0) throw new RangeError('"indices" expected at least one index');
  return { threshold: o.threshold, indices };
}

/**
 * Share a vector of field elements t-of-n with Shamir's scheme over GF(2^31 - 1): each
 * coordinate gets its own random polynomial of degree `threshold - 1` whose constant term is the
 * secret coordinate, evaluated at each share's index.
 *
 * @remarks
 * Randomness: the `(threshold - 1) * secret.length` coefficients are read from `rng` as one
 * stream in coordinate-major order (coordinate 0's c_1..c_{t-1}, then coordinate 1's, ...), each
 * a little-endian 32-bit word masked to 31 bits, a value equal to p being skipped. So the shares
 * are a pure function of (secret, options, rng stream), which known-answer tests pin.
 * Runtime: O(n * t * d) field operations, BigInt-free; memory O(n * d) for the shares.
 *
 * @param secret - the secret coordinates, each in [0, 2^31 - 1)
 * @param options - `threshold` and either `shares` (indices 1..n) or explicit `indices`
 * @param rng - the randomness source (default: the CSPRNG {@link randomBytes})
 * @returns one {@link ShamirShare} per index, in index order given
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when an element or an option is out of range, or indices repeat
 * @example
 * ```ts
 * import { shamirShare, shamirReconstruct } from 'privagg/sharing';
 * import { deterministicRngForTesting } from 'privagg';
 * const rng = deterministicRngForTesting(new Uint8Array(32));
 * const shares = shamirShare(Uint32Array.of(7, 42), { threshold: 2, shares: 3 }, rng);
 * const back = shamirReconstruct([shares[2], shares[0]], { threshold: 2 });
 * console.log([...back].join()); // 7,42
 * ```
 * @since 0.1.0
 * @public
 */
export function shamirShare(
  secret: Uint32Array,
  options: ShamirShareOptions,
  rng: Rng = randomBytes,
): ShamirShare[] {
  aFieldVector('secret', secret);
  const { threshold, indices } = aShamirShareOptions(options);
  const outs = indices.map(() => new Uint32Array(secret.length));
  shareKernel(secret, threshold, indices, rng, outs);
  return indices.map((index, s) => ({ index, value: outs[s] as Uint32Array }));
}

/** @internal Validate a share list for reconstruction; returns the common length. */
export function aShareList(name: string, shares: unknown): number {
  if (!Array.isArray(shares)) throw new TypeError(`"${name}" expected an array of shares`);
  let length = -1;
  const seen = new Set<number>();
  for (let i = 0; i < shares.length; i++) {
    const s: unknown = shares[i];
    if (typeof s !== 'object' || s === null)
      throw new TypeError(`"${name}[${i}]" expected a share object`);
    const { index, value } = s as { index: unknown; value: unknown };
    aInteger(`${name}[${i}].index`, index, 1, P - 1);
    aFieldVector(`${name}[${i}].value`, value);
    if (seen.has(index)) throw new RangeError(`"${name}" has the duplicate index ${index}`);
    seen.add(index);
    if (length === -1) length = value.length;
    else if (value.length !== length)
      throw new RangeError(`"${name}" share lengths differ: ${value.length} vs ${length}`);
  }
  return length;
}

/**
 * @internal Interpolate coordinates [from, to) at 0 from the first `threshold` shares and, when
 * there are more, check that each extra share lies on the same polynomials (else
 * MALFORMED_MESSAGE). Inputs are validated by the caller.
 */
export function interpolateChecked(
  shares: readonly ShamirShare[],
  threshold: number,
  from: number,
  to: number,
): Uint32Array {
  const base = shares.slice(0, threshold);
  const indices = base.map((s) => s.index);
  const values = base.map((s) => s.value);
  const weights = barycentricWeights(indices);
  const secret = combineKernel(values, coefficientsAt(indices, weights, 0), from, to);
  let diff = 0;
  for (let e = threshold; e < shares.length; e++) {
    const extra = shares[e] as ShamirShare;
    const predicted = combineKernel(
      values,
      coefficientsAt(indices, weights, extra.index),
      from,
      to,
    );
    for (let j = 0; j < predicted.length; j++)
      diff |= (predicted[j] as number) ^ (extra.value[from + j] as number);
  }
  if (diff !== 0) {
    secret.fill(0);
    throw new PrivaggError(
      'MALFORMED_MESSAGE',
      `the ${shares.length} shares do not lie on one polynomial of degree < ${threshold}: at least one is corrupt`,
    );
  }
  return secret;
}

/**
 * Reconstruct coordinates `[from, to)` of a secret shared with {@link shamirShare}, by Lagrange
 * interpolation at 0. Uses the first `threshold` shares; any further shares are checked against
 * the polynomial they determine, so a corrupt share among more than `threshold` is detected.
 * (With exactly `threshold` shares a corrupt share cannot be detected; use
 * `robustReconstruct` or verifiable sharing for that.)
 *
 * @param shares - at least `threshold` shares with distinct indices and equal lengths
 * @param options - `threshold`, and the coordinate range `from`..`to`
 * @returns the secret coordinates `from`..`to - 1`
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when an index is zero, out of range or repeated, lengths differ,
 * or the range is outside the shares
 * @throws {@link index.PrivaggError} `INSUFFICIENT_SHARES` with fewer than `threshold` shares;
 * `MALFORMED_MESSAGE` when extra shares are inconsistent
 * @example
 * ```ts
 * import { shamirShare, shamirReconstruct } from 'privagg/sharing';
 * import { deterministicRngForTesting } from 'privagg';
 * const rng = deterministicRngForTesting(new Uint8Array(32));
 * const shares = shamirShare(Uint32Array.of(1, 2, 3, 4), { threshold: 3, shares: 5 }, rng);
 * const part = shamirReconstruct(shares.slice(1, 4), { threshold: 3, from: 1, to: 3 });
 * console.log([...part].join()); // 2,3
 * ```
 * @since 0.1.0
 * @public
 */
export function shamirReconstruct(
  shares: readonly ShamirShare[],
  options: ShamirReconstructOptions,
): Uint32Array {
  aOptions('options', options, ['threshold', 'from', 'to']);
  aInteger('threshold', options.threshold, 1, P - 1);
  const length = aShareList('shares', shares);
  if (shares.length < options.threshold)
    throw new PrivaggError(
      'INSUFFICIENT_SHARES',
      `${shares.length} shares given, the threshold is ${options.threshold}`,
    );
  const from = options.from === undefined ? 0 : options.from;
  aInteger('from', from, 0, length);
  const to = options.to === undefined ? length : options.to;
  aInteger('to', to, from, length);
  return interpolateChecked(shares, options.threshold, from, to);
}
