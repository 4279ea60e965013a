/**
 * Verifiable secret sharing on the prime-order group ristretto255 (RFC 9496, via @noble/curves):
 * Feldman commitments (computationally hiding) and Pedersen commitments (perfectly hiding), so
 * each party checks its share against the dealer's broadcast and a bad share is attributed to its
 * sender. Secrets, shares and coefficients are scalars modulo the group order l (about 2^252).
 *
 * Encodings (version 1, little-endian, on the core codec):
 * ```
 * commitments: "PA" | 1 | 0x22 | scheme u8 (1 Feldman, 2 Pedersen) | threshold u32 | threshold x 32-byte points
 * share:       "PA" | 1 | 0x23 | scheme u8 | index u32 | value 32 bytes | (Pedersen) blinding 32 bytes
 * ```
 * @module
 */
import { pippenger } from '@noble/curves/abstract/curve.js';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import {
  aBigIntInRange,
  aInteger,
  aOptions,
  ByteReader,
  ByteWriter,
  PrivaggError,
  type Rng,
  randomBelowBigInt,
  randomBytes,
  utf8,
} from '../core/index.ts';
import { MAX_SHARES } from './shamir.ts';

type Point = InstanceType<typeof ristretto255.Point>;
const RPoint = ristretto255.Point;

/**
 * The order l of the ristretto255 group: VSS secrets, shares and blindings are integers in [0, l).
 * @since 0.1.0
 * @public
 */
export const VSS_GROUP_ORDER: bigint = RPoint.Fn.ORDER;
const L = VSS_GROUP_ORDER;

const COMMITMENTS_TYPE = 0x22;
const SHARE_TYPE = 0x23;
const VERSION = 1;
const SCHEMES = { feldman: 1, pedersen: 2 } as const;

/**
 * A VSS scheme: `'feldman'` commits to each coefficient a as a*G (binding; hides only secrets with
 * enough entropy), `'pedersen'` as a*G + b*H with a random blinding b (perfectly hiding).
 * @since 0.1.0
 * @public
 */
export type VssScheme = 'feldman' | 'pedersen';

let generatorH: Point | undefined;
/**
 * The second Pedersen generator H, hashed to the curve (RFC 9380 hash_to_ristretto255), so that
 * nobody knows its discrete logarithm to the base G.
 */
function pedersenH(): Point {
  generatorH ??= ristretto255_hasher.hashToCurve(utf8('privagg/sharing/pedersen/H'), {
    DST: 'privagg-v1-ristretto255-pedersen-generator',
  }) as Point;
  return generatorH;
}

function mod(x: bigint): bigint {
  const r = x % L;
  return r < 0n ? r + L : r;
}

function invScalar(x: bigint): bigint {
  let [a, b, u, v] = [mod(x), L, 1n, 0n];
  while (a !== 0n) {
    const q = b / a;
    [a, b] = [b - q * a, a];
    [u, v] = [v - q * u, u];
  }
  return mod(v);
}

/** s * G, also for s = 0 (noble's constant-time multiply refuses 0). */
function mulBase(s: bigint): Point {
  return s === 0n ? RPoint.ZERO : RPoint.BASE.multiply(s);
}

function mulH(s: bigint): Point {
  return s === 0n ? RPoint.ZERO : pedersenH().multiply(s);
}

function scalarToBytes(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function scalarFromBytes(bytes: Uint8Array, what: string): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  if (v >= L)
    throw new PrivaggError('MALFORMED_MESSAGE', `${what} is not a scalar below the group order`);
  return v;
}

/**
 * Options of {@link vssDeal}.
 * @since 0.1.0
 * @public
 */
export interface VssDealOptions {
  /**
   * Any `threshold` valid shares reconstruct; an integer in [1, shares].
   * @defaultValue required
   */
  readonly threshold: number;
  /**
   * How many shares (indices 1..shares); an integer in [threshold, {@link MAX_SHARES}].
   * @defaultValue required
   */
  readonly shares: number;
  /**
   * The commitment scheme.
   * @defaultValue `'pedersen'`
   */
  readonly scheme?: VssScheme;
}

/**
 * A dealing: the encoded shares (share i goes privately to party i) and the encoded commitments
 * (broadcast to everybody).
 * @since 0.1.0
 * @public
 */
export interface VssDealing {
  /** Encoded shares for indices 1..n, in order. */
  readonly shares: Uint8Array[];
  /** The encoded commitments, one group element per polynomial coefficient. */
  readonly commitments: Uint8Array;
}

interface DecodedShare {
  scheme: number;
  index: number;
  value: bigint;
  blinding: bigint;
}

interface DecodedCommitments {
  scheme: number;
  points: Point[];
}

function encodeShare(scheme: number, index: number, value: bigint, blinding?: bigint): Uint8Array {
  const w = new ByteWriter(80).header(VERSION, SHARE_TYPE).u8(scheme).u32(index);
  w.raw(scalarToBytes(value));
  if (blinding !== undefined) w.raw(scalarToBytes(blinding));
  return w.finish();
}

function bad(what: string, e: unknown): PrivaggError {
  if (e instanceof PrivaggError)
    return new PrivaggError(e.code, `${what}: ${e.message}`, { cause: e });
  return new PrivaggError('MALFORMED_MESSAGE', `${what}: invalid encoding`, { cause: e });
}

function decodeShare(bytes: unknown, what: string): DecodedShare {
  if (!(bytes instanceof Uint8Array) || !ArrayBuffer.isView(bytes))
    throw new TypeError(`"${what}" expected Uint8Array`);
  try {
    const r = new ByteReader(bytes, 128);
    r.header(SHARE_TYPE, [VERSION]);
    const scheme = r.u8();
    if (scheme !== SCHEMES.feldman && scheme !== SCHEMES.pedersen)
      throw new PrivaggError('MALFORMED_MESSAGE', `unknown scheme ${scheme}`);
    const index = r.u32InRange('index', 1, MAX_SHARES);
    const value = scalarFromBytes(r.raw(32), 'value');
    const blinding = scheme === SCHEMES.pedersen ? scalarFromBytes(r.raw(32), 'blinding') : 0n;
    r.end();
    return { scheme, index, value, blinding };
  } catch (e) {
    throw bad(what, e);
  }
}

function decodeCommitments(bytes: unknown): DecodedCommitments {
  if (!(bytes instanceof Uint8Array) || !ArrayBuffer.isView(bytes))
    throw new TypeError('"commitments" expected Uint8Array');
  try {
    const r = new ByteReader(bytes, 4 + 1 + 4 + 32 * MAX_SHARES);
    r.header(COMMITMENTS_TYPE, [VERSION]);
    const scheme = r.u8();
    if (scheme !== SCHEMES.feldman && scheme !== SCHEMES.pedersen)
      throw new PrivaggError('MALFORMED_MESSAGE', `unknown scheme ${scheme}`);
    const threshold = r.u32InRange('threshold', 1, MAX_SHARES);
    if (r.remaining !== 32 * threshold)
      throw new PrivaggError('MALFORMED_MESSAGE', 'commitment count does not match the threshold');
    const points: Point[] = [];
    for (let k = 0; k < threshold; k++) points.push(RPoint.fromBytes(r.raw(32)));
    r.end();
    return { scheme, points };
  } catch (e) {
    throw bad('commitments', e);
  }
}

/**
 * Deal a secret scalar t-of-n with verifiable secret sharing on ristretto255: Shamir shares over
 * the scalar field plus commitments to the polynomial(s) that let each party check its share.
 *
 * @remarks
 * Feldman (1987): commitments C_k = a_k G reveal a_0 G = secret * G, so the secret is hidden only
 * computationally and only when it has enough entropy (a random key, not a small number).
 * Pedersen (1991): C_k = a_k G + b_k H with a second random polynomial b; the commitments reveal
 * nothing about the secret, and binding rests on nobody knowing log_G H (H is hashed to the curve).
 * Randomness from `rng`: a_1..a_{t-1}, then (Pedersen) b_0..b_{t-1}, each uniform below l by
 * rejection sampling.
 *
 * @param secret - the secret, an integer in [0, l) ({@link VSS_GROUP_ORDER})
 * @param options - `threshold`, `shares` and `scheme`
 * @param rng - the randomness source (default: the CSPRNG {@link randomBytes})
 * @returns the encoded shares and commitments
 * @throws {@link !TypeError} when an argument has the wrong type or an option is unknown
 * @throws {@link !RangeError} when the secret or an option is out of range
 * @example
 * ```ts
 * import { vssDeal, vssVerify, vssReconstruct } from 'privagg/sharing';
 * const { shares, commitments } = vssDeal(123456789n, { threshold: 2, shares: 3 });
 * console.log(shares.every((s) => vssVerify(s, commitments))); // true
 * console.log(vssReconstruct(shares.slice(1), commitments).secret); // 123456789n
 * ```
 * @since 0.1.0
 * @public
 */
export function vssDeal(
  secret: bigint,
  options: VssDealOptions,
  rng: Rng = randomBytes,
): VssDealing {
  aBigIntInRange('secret', secret, 0n, L);
  aOptions('options', options, ['threshold', 'shares', 'scheme']);
  aInteger('shares', options.shares, 1, MAX_SHARES);
  aInteger('threshold', options.threshold, 1, options.shares);
  const scheme = options.scheme === undefined ? 'pedersen' : options.scheme;
  if (scheme !== 'feldman' && scheme !== 'pedersen')
    throw new TypeError(`"scheme" expected 'feldman' or 'pedersen', got ${String(scheme)}`);
  const t = options.threshold;
  const a: bigint[] = [secret];
  for (let k = 1; k < t; k++) a.push(randomBelowBigInt(rng, L));
  const b: bigint[] = [];
  if (scheme === 'pedersen') for (let k = 0; k < t; k++) b.push(randomBelowBigInt(rng, L));
  const code = SCHEMES[scheme];
  const w = new ByteWriter(9 + 32 * t).header(VERSION, COMMITMENTS_TYPE).u8(code).u32(t);
  for (let k = 0; k < t; k++) {
    let c = mulBase(a[k] as bigint);
    if (scheme === 'pedersen') c = c.add(mulH(b[k] as bigint));
    w.raw(c.toBytes());
  }
  const evalAt = (poly: bigint[], x: bigint): bigint => {
    let acc = 0n;
    for (let k = poly.length - 1; k >= 0; k--) acc = mod(acc * x + (poly[k] as bigint));
    return acc;
  };
  const shares: Uint8Array[] = [];
  for (let i = 1; i <= options.shares; i++) {
    const x = BigInt(i);
    shares.push(
      encodeShare(code, i, evalAt(a, x), scheme === 'pedersen' ? evalAt(b, x) : undefined),
    );
  }
  a.fill(0n);
  b.fill(0n);
  return { shares, commitments: w.finish() };
}

function verifyDecoded(share: DecodedShare, c: DecodedCommitments): boolean {
  if (share.scheme !== c.scheme)
    throw new PrivaggError('DOMAIN_MISMATCH', 'share and commitments use different schemes');
  // expected = sum_k C_k i^k, by Horner with public small multipliers
  const i = BigInt(share.index);
  const pts = c.points;
  let expected = pts[pts.length - 1] as Point;
  for (let k = pts.length - 2; k >= 0; k--)
    expected = expected.multiplyUnsafe(i).add(pts[k] as Point);
  let actual = mulBase(share.value);
  if (c.scheme === SCHEMES.pedersen) actual = actual.add(mulH(share.blinding));
  return actual.equals(expected);
}

/**
 * Verify many shares at once: with fresh random 128-bit weights r_j, check
 * sum_j r_j (s_j G + rho_j H) = sum_k (sum_j r_j i_j^k) C_k with one multi-scalar multiplication.
 * All valid shares always pass; a set containing an invalid share passes with probability at
 * most 2^-128. The weights come from the CSPRNG, never from an injected Rng (the dealer must not
 * predict them).
 */
function batchVerify(shares: readonly DecodedShare[], c: DecodedCommitments): boolean {
  if (shares.length === 0) return true;
  const weights = randomBytes(16 * shares.length);
  const t = c.points.length;
  const exps: bigint[] = new Array(t).fill(0n);
  let sumValue = 0n;
  let sumBlinding = 0n;
  for (const [j, d] of shares.entries()) {
    let r = 0n;
    for (let b = 0; b < 16; b++) r = (r << 8n) | BigInt(weights[16 * j + b] as number);
    sumValue = mod(sumValue + r * d.value);
    sumBlinding = mod(sumBlinding + r * d.blinding);
    const i = BigInt(d.index);
    let power = r;
    for (let k = 0; k < t; k++) {
      exps[k] = mod((exps[k] as bigint) + power);
      power = mod(power * i);
    }
  }
  weights.fill(0);
  let lhs = mulBase(sumValue);
  if (c.scheme === SCHEMES.pedersen) lhs = lhs.add(mulH(sumBlinding));
  const rhs = pippenger(RPoint, c.points, exps);
  return lhs.equals(rhs);
}

/**
 * Check one encoded share against the dealer's encoded commitments. A party that receives a
 * share failing this check holds proof that the dealer (the share's sender) cheated.
 *
 * @param share - an encoded share from {@link vssDeal}
 * @param commitments - the dealer's encoded commitments
 * @returns whether the share is consistent with the commitments
 * @throws {@link !TypeError} when an argument is not a `Uint8Array`
 * @throws {@link index.PrivaggError} `MALFORMED_MESSAGE` when either encoding is invalid (a bad
 * point, a scalar out of range, truncated or oversized); `DOMAIN_MISMATCH` when the schemes differ
 * @since 0.1.0
 * @public
 */
export function vssVerify(share: Uint8Array, commitments: Uint8Array): boolean {
  const c = decodeCommitments(commitments);
  return verifyDecoded(decodeShare(share, 'share'), c);
}

/**
 * The result of {@link vssReconstruct}.
 * @since 0.1.0
 * @public
 */
export interface VssReconstructResult {
  /** The secret scalar. */
  readonly secret: bigint;
  /** Indices of the shares that failed verification (ascending), attributed to their senders. */
  readonly badIndices: number[];
}

/**
 * Reconstruct a VSS secret: every share is verified against the commitments, the ones that fail
 * are set aside and named, and the secret is interpolated (over the scalar field) from the first
 * `threshold` valid shares. The shares are first checked together with one randomized batch
 * equation (a multi-scalar multiplication); only when that fails is each share checked alone,
 * to attribute the bad ones.
 *
 * @param shares - encoded shares (distinct indices)
 * @param commitments - the dealer's encoded commitments (their count is the threshold)
 * @returns the secret and the indices of the shares that failed verification
 * @throws {@link !TypeError} when an argument is not a `Uint8Array` (array)
 * @throws {@link index.PrivaggError} `MALFORMED_MESSAGE` for an undecodable share or commitments
 * or a repeated index; `DOMAIN_MISMATCH` when schemes differ; `INSUFFICIENT_SHARES` when fewer
 * than `threshold` shares verify
 * @since 0.1.0
 * @public
 */
export function vssReconstruct(
  shares: readonly Uint8Array[],
  commitments: Uint8Array,
): VssReconstructResult {
  if (!Array.isArray(shares)) throw new TypeError('"shares" expected an array of Uint8Array');
  if (shares.length > MAX_SHARES)
    throw new PrivaggError('MALFORMED_MESSAGE', `more than ${MAX_SHARES} shares given`);
  const c = decodeCommitments(commitments);
  const threshold = c.points.length;
  const decoded = shares.map((s: unknown, i) => decodeShare(s, `shares[${i}]`));
  const seen = new Set<number>();
  for (const d of decoded) {
    if (seen.has(d.index))
      throw new PrivaggError('MALFORMED_MESSAGE', `duplicate share index ${d.index}`);
    seen.add(d.index);
  }
  // a share of the wrong scheme is attributed to its sender like a wrong value
  const sameScheme = decoded.filter((d) => d.scheme === c.scheme);
  let good: DecodedShare[];
  if (batchVerify(sameScheme, c)) good = sameScheme;
  else good = sameScheme.filter((d) => verifyDecoded(d, c));
  const goodSet = new Set(good);
  const badIndices = decoded.filter((d) => !goodSet.has(d)).map((d) => d.index);
  badIndices.sort((x, y) => x - y);
  if (good.length < threshold)
    throw new PrivaggError(
      'INSUFFICIENT_SHARES',
      `${good.length} valid shares (${badIndices.length} failed verification), the threshold is ${threshold}`,
    );
  const base = good.slice(0, threshold);
  let secret = 0n;
  for (const [i, si] of base.entries()) {
    let num = 1n;
    let den = 1n;
    for (const [j, sj] of base.entries()) {
      if (i === j) continue;
      num = mod(num * -BigInt(sj.index));
      den = mod(den * BigInt(si.index - sj.index));
    }
    secret = mod(secret + si.value * num * invScalar(den));
  }
  return { secret, badIndices };
}
