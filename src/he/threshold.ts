/**
 * Threshold CKKS after Mouchet, Troncoso-Pastoriza, Bossuat and Hubaux, "Multiparty
 * Homomorphic Encryption from Ring-Learning-with-Errors" (PETS 2021), over node-seal.
 *
 * - Setup: all parties derive the common random polynomial `a` from a shared 32-byte seed.
 * - Key generation (N-of-N): party i samples a ternary secret `s_i` and an error `e_i` and
 *   publishes `b_i = -a s_i + e_i`; the collective public key is `(sum b_i, a)`, a key for the
 *   secret `s = sum s_i`. It loads as an ordinary SEAL public key, so clients encrypt
 *   unchanged.
 * - Decryption: for a ciphertext `(c0, c1)` party i publishes `h_i = c1 s_i + e'_i` with
 *   flooding noise `e'_i`; anyone combines `c0 + sum h_i = m + e + sum e'_i`.
 * - t-of-N: each party Shamir-shares its `s_i` (degree t - 1, independently in every NTT
 *   coefficient modulo every prime) to the others; party j's share of `s` is
 *   `sk_j = sum_i f_i(j)`, and a set T of t parties decrypts with `lambda_j sk_j` (Lagrange
 *   coefficients at 0 modulo each prime) in place of `s_j`.
 *
 * A party never releases two partial decryptions of the same ciphertext (it remembers the
 * SHA-256 of the `c1` half and level of every ciphertext it has partially decrypted: the
 * partial depends on nothing else).
 *
 * Why the Shamir sharing is done here and not with privagg/sharing: that module shares over
 * the fixed field GF(2^31 - 1), while these shares must live modulo each RNS prime of the key
 * level (40 to 60 bits, each congruent to 1 modulo 2N): a partial decryption multiplies the
 * share by `c1` modulo every prime, and Lagrange interpolation must recover `s` modulo each
 * of them. Shares of `s` modulo 2^31 - 1 would reconstruct `s + k (2^31 - 1)` for an unknown
 * integer polynomial `k` (a huge error once taken modulo the CKKS primes), and the NTT-form
 * residues of `s` are uniform modulo their primes, not field elements of GF(2^31 - 1). The
 * sharing here is the textbook scheme over each prime field Z_q (Horner evaluation at 1..N,
 * Lagrange coefficients at 0 that reject duplicate indices), tested against privagg/sharing's
 * Lagrange coefficients over GF(2^31 - 1) in test/unit/he/threshold.test.ts.
 * @module
 */
import {
  aBytes,
  aFunction,
  aInteger,
  aOptions,
  ByteReader,
  ByteWriter,
  PrivaggError,
  type Rng,
  randomBelowBigInt,
  randomBytes,
  sha256Digest,
  toHex,
} from '../core/index.ts';
import { sampleDiscreteGaussian } from '../dp/index.ts';
import type { CkksContext, CkksDecryption, CkksPublicKey, CkksVector } from './ckks.ts';
import { checkCiphertextBytes } from './envelope.ts';
import { decodeWords, floodingSampler, floodingSigma } from './flood.ts';
import { FFT_RELATIVE, secretEmbeddingBound, Z_2_40 } from './noise.ts';
import {
  CT_FIXED,
  ciphertextBytes,
  dataWords,
  NttHelper,
  polyAdd,
  polyMul,
  polyScale,
  polySub,
  polyTruncate,
  uniformFromSeed,
} from './rns.ts';
import { SEAL_NOISE_STD } from './params.ts';

const WIRE_VERSION = 1;
const TYPE_KEY_SHARE = 0x4b;
const TYPE_SECRET_SHARE = 0x4c;
const TYPE_PARTIAL = 0x4d;
const MAX_PARTIES = 1024;

function bad(what: string): PrivaggError {
  return new PrivaggError('MALFORMED_MESSAGE', what);
}

function wordsToBytes(words: BigUint64Array): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) view.setBigUint64(8 * i, words[i] as bigint, true);
  return out;
}

/** Read `k * n` words, each reduced modulo its prime. */
function readPoly(
  r: ByteReader,
  primes: readonly bigint[],
  n: number,
  what: string,
): BigUint64Array {
  const bytes = r.bytes(primes.length * n * 8, primes.length * n * 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new BigUint64Array(primes.length * n);
  for (let i = 0; i < primes.length; i++) {
    const q = primes[i] as bigint;
    for (let j = i * n; j < (i + 1) * n; j++) {
      const w = view.getBigUint64(8 * j, true);
      if (w >= q) throw bad(`${what}: coefficient not reduced`);
      out[j] = w;
    }
  }
  return out;
}

function modInverse(a: bigint, q: bigint): bigint {
  let [r0, r1] = [((a % q) + q) % q, q];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const t = r0 / r1;
    [r0, r1] = [r1, r0 - t * r1];
    [s0, s1] = [s1, s0 - t * s1];
  }
  if (r0 !== 1n) throw new PrivaggError('INVALID_PARAMETER', 'index not invertible modulo a prime');
  return ((s0 % q) + q) % q;
}

/** @internal Lagrange coefficient at 0 of party `j` in the set `set`, modulo each prime. */
export function lagrangeAtZero(
  j: number,
  set: readonly number[],
  primes: readonly bigint[],
): bigint[] {
  return primes.map((q) => {
    let num = 1n;
    let den = 1n;
    for (const m of set) {
      if (m === j) continue;
      num = (num * BigInt(m)) % q;
      den = (den * ((BigInt(m - j) % q) + q)) % q;
    }
    return (num * modInverse(den, q)) % q;
  });
}

/**
 * Options of {@link createThresholdParty}.
 * @since 0.1.0
 * @public
 */
export interface ThresholdPartyOptions {
  /** Number of key holders N (2 to 1024). */
  readonly parties: number;
  /** How many of them must take part in a decryption (t, 2 to N; N for N-of-N). */
  readonly threshold: number;
  /** This party's index, 1 to N. */
  readonly index: number;
  /** The shared 32-byte seed of the common random polynomial (public, agreed beforehand). */
  readonly seed: Uint8Array;
  /**
   * Randomness for the secret, errors, shares and flooding.
   * @defaultValue the CSPRNG ({@link index!randomBytes})
   */
  readonly rng?: Rng;
}

/**
 * Options of {@link ThresholdParty.partialDecrypt}.
 * @since 0.1.0
 * @public
 */
export interface PartialDecryptOptions {
  /**
   * Statistical security s of the flooding noise (see {@link ThresholdParty.partialDecrypt}).
   * @defaultValue 40
   */
  readonly securityBits?: number;
  /**
   * Number of related ciphertexts whose decryptions are released in total (alpha).
   * @defaultValue 1
   */
  readonly queries?: number;
}

interface Common {
  readonly ctx: CkksContext;
  readonly n: number;
  readonly keyPrimes: readonly bigint[];
  readonly parties: number;
  readonly threshold: number;
}

/**
 * One key holder of a threshold CKKS key. Holds its secret share in JS memory (zeroized by
 * `dispose()`, as far as JS allows).
 * @since 0.1.0
 * @public
 */
export class ThresholdParty {
  /** This party's index (1 to N). */
  readonly index: number;
  /** Number of key holders. */
  readonly parties: number;
  /** Decryption threshold. */
  readonly threshold: number;
  private readonly common: Common;
  private readonly rng: Rng;
  private secret: BigUint64Array; // s_i in NTT form, key level
  private keyShare: BigUint64Array | undefined; // sum_i f_i(index), t-of-N only
  private readonly received = new Set<number>();
  private readonly pending = new Map<number, BigUint64Array>();
  private readonly share: BigUint64Array; // b_i
  private readonly decrypted = new Set<string>();

  /** @internal Use {@link createThresholdParty}. */
  constructor(common: Common, index: number, seed: Uint8Array, rng: Rng) {
    this.common = common;
    this.index = index;
    this.parties = common.parties;
    this.threshold = common.threshold;
    this.rng = rng;
    const { n, keyPrimes } = common;
    const ntt = NttHelper.of(common.ctx);
    // ternary secret: each coefficient uniform in {-1, 0, 1}
    const s = new Float64Array(n);
    let filled = 0;
    while (filled < n) {
      for (const byte of rng(n)) {
        if (byte >= 255) continue;
        s[filled++] = (byte % 3) - 1;
        if (filled === n) break;
      }
    }
    // error: discrete Gaussian with sigma = 3.2 (SEAL's), from privagg/dp's exact sampler
    const e = Float64Array.from(sampleDiscreteGaussian(SEAL_NOISE_STD ** 2, n, rng));
    this.secret = ntt.forward(s);
    s.fill(0);
    const a = uniformFromSeed(seed, keyPrimes, n);
    const ne = ntt.forward(e);
    e.fill(0);
    this.share = polySub(ne, polyMul(a, this.secret, keyPrimes, n), keyPrimes, n);
  }

  private alive(): void {
    if (this.secret.length === 0) throw new PrivaggError('INVALID_PARAMETER', 'party disposed');
  }

  /**
   * This party's public-key share `b_i = -a s_i + e_i`, to broadcast.
   * @returns the share (privagg wire format)
   */
  publicKeyShare(): Uint8Array {
    this.alive();
    return new ByteWriter(this.share.length * 8 + 16)
      .header(WIRE_VERSION, TYPE_KEY_SHARE)
      .u16(this.index)
      .bytes(wordsToBytes(this.share))
      .finish();
  }

  /**
   * t-of-N only: Shamir shares of this party's secret for every party (index j at position
   * j - 1; this party's own share is kept). Send each to its party over a confidential,
   * authenticated channel.
   * @returns N messages, `undefined` at this party's own position
   * @throws {@link index!PrivaggError} `PROTOCOL_ABORTED` for an N-of-N key
   */
  dealShares(): (Uint8Array | undefined)[] {
    this.alive();
    if (this.threshold === this.parties)
      throw new PrivaggError('PROTOCOL_ABORTED', 'an N-of-N key needs no secret shares');
    const { n, keyPrimes } = this.common;
    // f(x) = s_i + sum_m r_m x^m, coefficient-wise modulo each prime
    const coeffs: BigUint64Array[] = [];
    for (let m = 1; m < this.threshold; m++) {
      const r = new BigUint64Array(keyPrimes.length * n);
      for (let i = 0; i < keyPrimes.length; i++) {
        const q = keyPrimes[i] as bigint;
        for (let j = i * n; j < (i + 1) * n; j++) r[j] = randomBelowBigInt(this.rng, q);
      }
      coeffs.push(r);
    }
    const out: (Uint8Array | undefined)[] = [];
    for (let j = 1; j <= this.parties; j++) {
      // Horner: f(j) = s + j (r1 + j (r2 + ...))
      let acc: BigUint64Array = new BigUint64Array(keyPrimes.length * n);
      const x = keyPrimes.map(() => BigInt(j));
      for (let m = coeffs.length - 1; m >= 0; m--)
        acc = polyScale(polyAdd(acc, coeffs[m] as BigUint64Array, keyPrimes, n), x, keyPrimes, n);
      const value = polyAdd(acc, this.secret, keyPrimes, n);
      if (j === this.index) {
        this.pending.set(this.index, value);
        out.push(undefined);
        continue;
      }
      out.push(
        new ByteWriter(value.length * 8 + 16)
          .header(WIRE_VERSION, TYPE_SECRET_SHARE)
          .u16(this.index)
          .u16(j)
          .bytes(wordsToBytes(value))
          .finish(),
      );
      value.fill(0n);
    }
    for (const c of coeffs) c.fill(0n);
    this.received.add(this.index);
    this.maybeFinishShares();
    return out;
  }

  /**
   * t-of-N only: take a share dealt by another party (checked: addressee, sender, size,
   * residues); duplicates are refused.
   * @param message - from {@link ThresholdParty.dealShares}
   * @throws {@link !TypeError} when `message` is not a `Uint8Array`
   * @throws {@link index!PrivaggError} `MALFORMED_MESSAGE` or `PROTOCOL_ABORTED`
   */
  receiveShare(message: Uint8Array): void {
    this.alive();
    aBytes('message', message);
    const { n, keyPrimes } = this.common;
    const r = new ByteReader(message);
    r.header(TYPE_SECRET_SHARE, [WIRE_VERSION]);
    const from = r.u16();
    const to = r.u16();
    const value = readPoly(r, keyPrimes, n, 'secret share');
    r.end();
    if (to !== this.index) throw bad('secret share: addressed to another party');
    if (from < 1 || from > this.parties || from === this.index)
      throw bad('secret share: sender out of range');
    if (this.received.has(from)) throw new PrivaggError('PROTOCOL_ABORTED', 'duplicate share');
    this.received.add(from);
    this.pending.set(from, value);
    this.maybeFinishShares();
  }

  private maybeFinishShares(): void {
    if (this.received.size !== this.parties) return;
    const { n, keyPrimes } = this.common;
    let sum: BigUint64Array = new BigUint64Array(keyPrimes.length * n);
    for (const v of this.pending.values()) {
      sum = polyAdd(sum, v, keyPrimes, n);
      v.fill(0n);
    }
    this.pending.clear();
    this.keyShare = sum;
  }

  /**
   * This party's partial decryption of every ciphertext of `vector`: `h = c1 k + e'`, where
   * `k` is `s_i` (N-of-N) or `lambda_j sk_j` for the participant set (t-of-N), and `e'` is
   * flooding noise.
   *
   * @remarks
   * **Flooding.** `e'` has independent discrete Gaussian coefficients (exact CKS20 sampler, from
   * the party's `rng`) of standard deviation `sigma = t sqrt(24 M) 2^(s/2)`, with `M` = N x the
   * ciphertexts of `vector` x `queries` released coefficients and `t` a bound on every
   * coefficient of the ciphertext's error (its secret being the sum of N ternary shares): the
   * calibration of Li, Micciancio, Schultz and Sorrell (CRYPTO 2022) that bounds the
   * Kullback-Leibler divergence between the released partials and ones simulated without the
   * key by `2^-s / 48` (s-bit security against key recovery; statistical distance at most
   * `2^-(s/2 + 3.3)`, so s = 74 for 2^-40). Every party floods to the full sigma on its own, so
   * the flooding holds even when the other participants collude with the combiner (as in
   * Mouchet et al., PETS 2021). See the flooding analysis in the module documentation of
   * {@link CkksContext.decryptForRelease}.
   *
   * **Precision cost.** The combined result carries t partials' flooding: per value a standard
   * deviation of `sqrt(t) sigma sqrt(N / 2) / scale`, about `s/2 + log2(t sqrt(12 M N t))` bits
   * below the scale. Measured (test/slow/he/fedavg-full.test.ts) on a FedAvg of 100 clients x
   * 1e5 floats, 3 of 5 parties, s = 40, `n8192-flood` (scale 2^80): maximum error 4.4e-10,
   * 2.5e-8 relative to the largest value of the mean. At `n8192` (scale 2^45) the same flooding
   * is 2^35 times larger than the data: use `n8192-flood` (or larger parameters) for threshold
   * keys.
   *
   * **Replays.** A partial decryption depends only on the level and `c1` of each ciphertext; a
   * party refuses any ciphertext whose `(level, c1)` it has already partially decrypted, so a
   * second request for the same ciphertext, or for one with the same `c1` and another `c0`,
   * cannot average the flooding away. Related ciphertexts (sums, multiples) are what `queries`
   * accounts for.
   *
   * @param vector - the vector to decrypt
   * @param participants - the indices taking part (all N for N-of-N, exactly t for t-of-N)
   * @param options - see {@link PartialDecryptOptions}
   * @returns the partial decryption (privagg wire format)
   * @throws {@link !TypeError} when an argument has the wrong type
   * @throws {@link !RangeError} when the participant set or an option is invalid, or the
   *   flooding this needs is wider than 2^48 (the exact sampler's range: use fewer queries, a
   *   lower s or larger parameters)
   * @throws {@link index!PrivaggError} `PROTOCOL_ABORTED` when a ciphertext was partially
   *   decrypted before, or t-of-N shares are missing
   */
  partialDecrypt(
    vector: CkksVector,
    participants: readonly number[],
    options: PartialDecryptOptions = {},
  ): Uint8Array {
    this.alive();
    const ctx: CkksContext = this.common.ctx;
    const n = this.common.n;
    ctx._checkVector(vector, 'vector');
    aOptions('options', options, ['securityBits', 'queries']);
    const securityBits = options.securityBits ?? 40;
    aInteger('options.securityBits', securityBits, 0, 128);
    const queries = options.queries ?? 1;
    aInteger('options.queries', queries, 1, 2 ** 40);
    const set = checkParticipants(participants, this.parties, this.threshold);
    if (!set.includes(this.index)) throw new RangeError('"participants" must include this party');
    let key: BigUint64Array;
    if (this.threshold === this.parties) key = this.secret;
    else {
      if (this.keyShare === undefined)
        throw new PrivaggError('PROTOCOL_ABORTED', 'secret shares from every party are missing');
      const { keyPrimes } = this.common;
      key = polyScale(this.keyShare, lagrangeAtZero(this.index, set, keyPrimes), keyPrimes, n);
    }
    const cts = ciphertextsOf(ctx, vector);
    for (const ct of cts)
      if (this.decrypted.has(ct.c1Digest))
        throw new PrivaggError(
          'PROTOCOL_ABORTED',
          'this party already released a partial decryption of one of these ciphertexts',
        );
    const flood = floodingSampler(
      ctx,
      floodingSigma(ctx, vector, this.parties, securityBits, queries),
      this.rng,
    );
    const w = new ByteWriter(1024).header(WIRE_VERSION, TYPE_PARTIAL);
    w.u16(this.index).u16(set.length);
    for (const j of set) w.u16(j);
    w.raw(f64(flood.sigma));
    w.u32(cts.length);
    for (const ct of cts) {
      const primes = ct.primes;
      const h = polyAdd(
        polyMul(ct.c1, polyTruncate(key, primes.length, n), primes, n),
        flood.next(primes.length),
        primes,
        n,
      );
      w.raw(ct.digestBytes).bytes(wordsToBytes(h));
    }
    // h depends on c1 only: a ciphertext that shares c1 (another c0) is the same query
    for (const ct of cts) this.decrypted.add(ct.c1Digest);
    return w.finish();
  }

  /** Zeroize the secret material (best effort in JS) and refuse further use. Idempotent. */
  dispose(): void {
    this.secret.fill(0n);
    this.keyShare?.fill(0n);
    for (const v of this.pending.values()) v.fill(0n);
    this.pending.clear();
    this.secret = new BigUint64Array(0);
  }

  /** Same as {@link ThresholdParty.dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function f64(x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, true);
  return b;
}

function checkParticipants(
  participants: readonly number[],
  parties: number,
  threshold: number,
): number[] {
  if (!Array.isArray(participants)) throw new TypeError('"participants" expected an array');
  const set = [...participants];
  for (const j of set) aInteger('participants[]', j, 1, parties);
  if (new Set(set).size !== set.length) throw new RangeError('"participants" has duplicates');
  if (set.length !== threshold)
    throw new RangeError(`"participants" expected exactly ${threshold} parties, got ${set.length}`);
  return set.sort((a, b) => a - b);
}

interface CtParts {
  digest: string;
  /** SHA-256 of the level and c1, what a partial decryption depends on. */
  c1Digest: string;
  digestBytes: Uint8Array;
  level: number;
  primes: readonly bigint[];
  c0: BigUint64Array;
  c1: BigUint64Array;
  scale: number;
}

function ciphertextsOf(ctx: CkksContext, vector: CkksVector): CtParts[] {
  const n = ctx.parameters.polyModulusDegree;
  return vector._cts.map((ct, i) => {
    const bytes = ctx._save(ct, 'ciphertext');
    const checked = checkCiphertextBytes(bytes, ctx._shape, {
      allowSeeded: false,
      polys: [2],
      what: `ciphertext ${i}`,
    });
    const primes = ctx._shape.primes[checked.level] as readonly bigint[];
    const words = dataWords(bytes, CT_FIXED);
    const k = primes.length;
    const digestBytes = sha256Digest(bytes);
    const c1 = words.slice(k * n, 2 * k * n);
    const c1Bytes = new Uint8Array(c1.buffer, c1.byteOffset, c1.byteLength);
    return {
      digest: toHex(digestBytes),
      c1Digest: `${checked.level}:${toHex(sha256Digest(c1Bytes))}`,
      digestBytes,
      level: checked.level,
      primes,
      c0: words.slice(0, k * n),
      c1,
      scale: checked.scale,
    };
  });
}

/**
 * Create a key holder: derives the common random polynomial from `seed`, samples the
 * party's secret and its public-key share.
 * @param ctx - the CKKS context every party and client uses
 * @param options - see {@link ThresholdPartyOptions}
 * @returns the party (dispose it to zeroize its secret)
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when an option is out of range
 * @example
 * ```ts
 * import { combinePartialDecryptions, combinePublicKeyShares, createCkksContext, createThresholdParty } from 'privagg/he';
 * using ctx = await createCkksContext('n8192');
 * const seed = new Uint8Array(32).fill(1); // agreed by the parties
 * const parties = [1, 2, 3].map((index) => createThresholdParty(ctx, { parties: 3, threshold: 3, index, seed }));
 * using pk = combinePublicKeyShares(ctx, seed, parties.map((p) => p.publicKeyShare()));
 * using v = ctx.encrypt([1.5, 2.5], pk);
 * const partials = parties.map((p) => p.partialDecrypt(v, [1, 2, 3], { securityBits: 0 }));
 * const { values } = combinePartialDecryptions(ctx, v, partials, { parties: 3 });
 * console.log([...values].map((x) => x.toFixed(3)).join(' ')); // 1.500 2.500
 * ```
 * @since 0.1.0
 * @public
 */
export function createThresholdParty(
  ctx: CkksContext,
  options: ThresholdPartyOptions,
): ThresholdParty {
  aOptions('options', options, ['parties', 'threshold', 'index', 'seed', 'rng']);
  aInteger('options.parties', options.parties, 2, MAX_PARTIES);
  aInteger('options.threshold', options.threshold, 2, options.parties);
  aInteger('options.index', options.index, 1, options.parties);
  aBytes('options.seed', options.seed, 32);
  const rng = options.rng ?? randomBytes;
  aFunction('options.rng', rng);
  const common: Common = {
    ctx,
    n: ctx.parameters.polyModulusDegree,
    keyPrimes: ctx._shape.primes[0] as readonly bigint[],
    parties: options.parties,
    threshold: options.threshold,
  };
  return new ThresholdParty(common, options.index, options.seed, rng);
}

/**
 * The collective public key from all N public-key shares: `(sum b_i, a)`. Each share is
 * checked (size, residues, distinct indices 1..N).
 * @param ctx - the CKKS context
 * @param seed - the shared seed of the common random polynomial
 * @param shares - every party's {@link ThresholdParty.publicKeyShare}
 * @returns an ordinary public key of `ctx`: clients encrypt with it unchanged
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link index!PrivaggError} `MALFORMED_MESSAGE` for a malformed or duplicate share
 * @since 0.1.0
 * @public
 */
export function combinePublicKeyShares(
  ctx: CkksContext,
  seed: Uint8Array,
  shares: readonly Uint8Array[],
): CkksPublicKey {
  aBytes('seed', seed, 32);
  if (!Array.isArray(shares) || shares.length < 2)
    throw new TypeError('"shares" expected an array of at least two shares');
  const n = ctx.parameters.polyModulusDegree;
  const primes = ctx._shape.primes[0] as readonly bigint[];
  const seen = new Set<number>();
  let b: BigUint64Array = new BigUint64Array(primes.length * n);
  for (const share of shares) {
    aBytes('shares[]', share);
    const r = new ByteReader(share);
    r.header(TYPE_KEY_SHARE, [WIRE_VERSION]);
    const index = r.u16();
    const poly = readPoly(r, primes, n, 'public key share');
    r.end();
    if (index < 1 || index > shares.length || seen.has(index))
      throw bad('public key share: index out of range or repeated');
    seen.add(index);
    b = polyAdd(b, poly, primes, n);
  }
  const a = uniformFromSeed(seed, primes, n);
  const raw = ciphertextBytes(
    ctx._shape.parmsIds[0] as readonly bigint[],
    n,
    primes.length,
    [b, a],
    1,
  );
  const wrapped = new ByteWriter(raw.length + 16).header(WIRE_VERSION, 0x49).bytes(raw).finish();
  return ctx.loadPublicKey(wrapped);
}

/**
 * Combine partial decryptions of `vector`: `c0 + sum h_i`, decoded. Each partial is checked
 * (size, residues, the participant set, one per participant, and that it decrypts exactly the
 * ciphertexts of `vector`, by SHA-256).
 * @param ctx - the CKKS context
 * @param vector - the vector that was partially decrypted
 * @param partials - one {@link ThresholdParty.partialDecrypt} result per participant
 * @param options - `parties`: N, the number of key holders
 * @returns the values and a bound on their error, flooding included
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link index!PrivaggError} `MALFORMED_MESSAGE` for a malformed or mismatched partial;
 *   `INSUFFICIENT_SHARES` when a participant's partial is missing
 * @since 0.1.0
 * @public
 */
export function combinePartialDecryptions(
  ctx: CkksContext,
  vector: CkksVector,
  partials: readonly Uint8Array[],
  options: { parties: number },
): CkksDecryption {
  ctx._checkVector(vector, 'vector');
  aOptions('options', options, ['parties']);
  aInteger('options.parties', options.parties, 2, MAX_PARTIES);
  if (!Array.isArray(partials)) throw new TypeError('"partials" expected an array');
  const n = ctx.parameters.polyModulusDegree;
  const cts = ciphertextsOf(ctx, vector);
  const sums = cts.map((ct) => ct.c0);
  let set: number[] | undefined;
  const seen = new Set<number>();
  let floodVar = 0;
  for (const msg of partials) {
    aBytes('partials[]', msg);
    const r = new ByteReader(msg);
    r.header(TYPE_PARTIAL, [WIRE_VERSION]);
    const index = r.u16();
    const count = r.u16();
    if (count < 2 || count > options.parties) throw bad('partial: participant count out of range');
    const s: number[] = [];
    for (let i = 0; i < count; i++) s.push(r.u16());
    const sigma = new DataView(r.raw(8).buffer).getFloat64(0, true);
    if (!Number.isFinite(sigma) || sigma < 0) throw bad('partial: bad flooding parameter');
    if (set === undefined) set = s;
    else if (set.join() !== s.join()) throw bad('partial: participant sets differ');
    if (!s.includes(index) || seen.has(index))
      throw bad('partial: sender not a participant or repeated');
    seen.add(index);
    if (r.u32() !== cts.length) throw bad('partial: ciphertext count mismatch');
    cts.forEach((ct, i) => {
      const digest = r.raw(32);
      if (toHex(digest) !== ct.digest) throw bad('partial: for other ciphertexts');
      const h = readPoly(r, ct.primes, n, 'partial');
      sums[i] = polyAdd(sums[i] as BigUint64Array, h, ct.primes, n);
    });
    r.end();
    floodVar += sigma * sigma;
  }
  if (set === undefined || seen.size !== set.length)
    throw new PrivaggError('INSUFFICIENT_SHARES', "a participant's partial decryption is missing");
  const first = cts[0] as CtParts;
  const out = decodeWords(ctx, vector, first.level, first.scale, sums);
  // the vector's own error (its secret is the sum of N shares) plus every party's flooding
  const { free, keyed, bias } = vector._noise;
  const bound =
    Z_2_40 *
      (Math.sqrt(free) +
        Math.sqrt(keyed) * secretEmbeddingBound(n) * options.parties +
        Math.sqrt((n / 2) * floodVar) / first.scale) +
    bias +
    vector.bound * FFT_RELATIVE;
  return Object.freeze({ values: out, errorBound: bound });
}
