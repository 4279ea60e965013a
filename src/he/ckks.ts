/**
 * The CKKS context: keys, encryption of float vectors chunked over slots, addition, weighted
 * sums, decryption with a reported error bound, serialization and checked loading, and
 * deterministic release of every SEAL object.
 * @module
 */
import type {
  Ciphertext,
  CKKSEncoder,
  Decryptor,
  EncryptionParameters,
  Encryptor,
  Evaluator,
  MainModule,
  Plaintext,
  SEALContext,
} from 'node-seal/throws';
import {
  aFinite,
  aFiniteVector,
  aInteger,
  aFunction,
  aOptions,
  PrivaggError,
  type Rng,
  randomBytes,
} from '../core/index.ts';
import { decodeWords, floodingSampler, floodingSigma, plaintextWords } from './flood.ts';
import {
  type CkksDecryption,
  type CkksKeyPair,
  CkksPublicKey,
  type CkksReleasedDecryption,
  CkksSecretKey,
  CkksVector,
  MAX_WEIGHT,
  TYPE_VECTOR_PACKED,
  TYPE_VECTOR_PACKED_FULL,
} from './handles.ts';
import { packFull, packSeeded } from './packed.ts';
import { CkksWeightedSum } from './weighted.ts';
import { polyAdd } from './rns.ts';
import type { CiphertextShape } from './envelope.ts';
import { baseBits, type CkksParameters, type CkksPresetName, checkParameters } from './params.ts';
import { isPoisoned, loadSeal, type SealRuntime, sealCall } from './seal.ts';
import {
  loadPublicKeyFrom,
  loadSecretKeyFrom,
  loadVectorFrom,
  MAX_VALUES,
  writeVector,
} from './wire.ts';
import { addNoise, freshNoise, type Noise, Z_2_40 } from './noise.ts';

/** Objects SEAL allocates and JS must free. */
interface Deletable {
  delete(): void;
  isDeleted(): boolean;
}

export type { CkksDecryption, CkksKeyPair, CkksReleasedDecryption };
export { CkksKey, CkksPublicKey, CkksSecretKey, CkksVector } from './handles.ts';
export { CkksWeightedSum } from './weighted.ts';

/**
 * Options of {@link createCkksContext}.
 * @since 0.1.0
 * @public
 */
export interface CkksContextOptions {
  /**
   * Use a separate SEAL WebAssembly instance (its own heap) instead of the shared one.
   * @defaultValue false
   */
  readonly freshInstance?: boolean;
  /**
   * Budget for the bytes of SEAL objects this context keeps alive; an operation that would
   * exceed it is refused with an `OVERFLOW` {@link index!PrivaggError} (SEAL spins forever when its
   * 4 GiB heap is exhausted, so the limit is enforced before allocating).
   * @defaultValue 2^31 (2 GiB)
   */
  readonly maxLiveBytes?: number;
}

/**
 * Options of {@link CkksContext.encrypt}.
 * @since 0.1.0
 * @public
 */
export interface CkksEncryptOptions {
  /**
   * A public upper bound on |value| that the ciphertext declares (it enters the reported error
   * bound of weighted sums). It is checked against the values.
   * @defaultValue the smallest power of two >= max |value| (at least 1)
   */
  readonly bound?: number;
}

/**
 * A CKKS context over one parameter set: it owns every SEAL object it creates and frees them
 * all in {@link CkksContext.dispose} (or at the end of a `using` block). Make one with
 * {@link createCkksContext}.
 *
 * Scale and levels (as in SEAL's `4_ckks_basics.cpp`): values are encoded at scale
 * `2^scaleBits` and encrypted at the first data level (all primes but the special one). A
 * weighted sum multiplies each ciphertext by its weight encoded at the scale of the last prime
 * of the current level and rescales by that prime, which brings the scale back to about
 * `2^scaleBits` and uses up one level; additions keep the level.
 * @since 0.1.0
 * @public
 */
export class CkksContext {
  /** The parameters. */
  readonly parameters: CkksParameters;
  /** Values per ciphertext (N / 2). */
  readonly slotCount: number;
  /** The encoding scale 2^scaleBits. */
  readonly scale: number;
  /** @internal */
  readonly _rt: SealRuntime;
  /** @internal */
  readonly _seal: MainModule;
  private readonly live = new Set<Deletable>();
  private readonly sizes = new Map<Deletable, number>();
  private liveBytes = 0;
  private readonly maxLiveBytes: number;
  private readonly parms: EncryptionParameters;
  /** @internal */
  readonly _context: SEALContext;
  private readonly encoder: CKKSEncoder;
  private readonly evaluator: Evaluator;
  /** @internal Levels from the key level (0) down to the last data level. */
  readonly _shape: CiphertextShape & { keyLevel: number };
  private disposedFlag = false;

  /** @internal Use {@link createCkksContext}. */
  constructor(rt: SealRuntime, parameters: CkksParameters, maxLiveBytes: number) {
    this._rt = rt;
    const seal = rt.seal;
    this._seal = seal;
    this.parameters = parameters;
    this.maxLiveBytes = maxLiveBytes;
    const n = parameters.polyModulusDegree;
    this.slotCount = n / 2;
    this.scale = 2 ** parameters.scaleBits;
    const own = <T extends Deletable>(x: T): T => this.track(x, 0);
    try {
      this.parms = own(new seal.EncryptionParameters(seal.SchemeType.ckks));
      this.parms.setPolyModulusDegree(n);
      const coeff = own(seal.CoeffModulus.Create(n, Int32Array.from(parameters.coeffModulusBits)));
      this.parms.setCoeffModulus(coeff);
      this._context = own(new seal.SEALContext(this.parms, true, seal.SecLevelType.tc128));
    } catch (e) {
      this.dispose();
      throw sealCallError(seal, e, 'CKKS parameters');
    }
    if (!this._context.parametersSet()) {
      this.dispose();
      throw new PrivaggError(
        'INVALID_PARAMETER',
        `CKKS parameters: SEAL rejected N = ${n}, primes ${parameters.coeffModulusBits.join('/')} bits`,
      );
    }
    const parmsIds: bigint[][] = [];
    const primes: bigint[][] = [];
    let data = own(this._context.keyContextData());
    for (;;) {
      const pid = own(data.parmsId());
      parmsIds.push([...(pid.values() as BigUint64Array)]);
      const dp = own(data.parms());
      const vec = own(dp.coeffModulus());
      const ms = seal.jsArrayFromVecModulus(vec) as bigint[];
      primes.push([...ms]);
      if (data.chainIndex() === 0) break;
      data = own(data.nextContextData());
    }
    this._shape = { parmsIds, primes, polyModulusDegree: n, keyLevel: 0 };
    this.encoder = own(new seal.CKKSEncoder(this._context));
    this.scratch = own(new seal.Plaintext());
    this.evaluator = own(new seal.Evaluator(this._context));
  }

  private track<T extends Deletable>(x: T, bytes: number): T {
    this.live.add(x);
    if (bytes > 0) {
      this.sizes.set(x, bytes);
      this.liveBytes += bytes;
    }
    return x;
  }

  /** @internal Track a SEAL object (and its size against the budget). */
  _track<T extends Deletable>(x: T, bytes: number): T {
    return this.track(x, bytes);
  }

  /** @internal Refuse work on a disposed or trapped context. */
  _alive(): void {
    this.alive();
  }

  /** @internal Refuse an allocation past the memory budget. */
  _reserve(bytes: number, what: string): void {
    this.reserve(bytes, what);
  }

  /** @internal Bytes of a ciphertext at a level. */
  _ctBytes(level: number, polys = 2): number {
    return this.ctBytes(level, polys);
  }

  /** @internal Free one tracked object. */
  _free(x: Deletable): void {
    if (!this.live.delete(x)) return;
    const b = this.sizes.get(x);
    if (b !== undefined) {
      this.liveBytes -= b;
      this.sizes.delete(x);
    }
    if (!x.isDeleted()) x.delete();
  }

  private alive(): void {
    if (this.disposedFlag)
      throw new PrivaggError('INVALID_PARAMETER', 'this CKKS context was disposed');
    if (isPoisoned(this._seal))
      throw new PrivaggError(
        'BACKEND_UNAVAILABLE',
        'the SEAL instance of this context trapped (out of memory or abort); make a new context',
      );
  }

  private reserve(bytes: number, what: string): void {
    if (this.liveBytes + bytes > this.maxLiveBytes)
      throw new PrivaggError(
        'OVERFLOW',
        `${what}: ${bytes} more bytes of SEAL objects would exceed this context's budget of ${this.maxLiveBytes}`,
      );
  }

  private ctBytes(level: number, polys = 2): number {
    return polys * this.parameters.polyModulusDegree * 8 * (this._shape.primes[level]?.length ?? 0);
  }

  private owns(x: { _ctx: CkksContext }, name: string): void {
    if (x._ctx !== this)
      throw new PrivaggError('DOMAIN_MISMATCH', `"${name}" belongs to another CKKS context`);
  }

  /** Bytes of SEAL objects (ciphertexts, keys) this context currently keeps alive. */
  get liveObjectBytes(): number {
    return this.liveBytes;
  }

  /** Number of SEAL objects this context currently keeps alive (its own helpers included). */
  get liveObjectCount(): number {
    return this.live.size;
  }

  /**
   * Size of the SEAL WebAssembly memory in bytes (it only grows: a flat value over many
   * operations means no leak), or `undefined` where the memory could not be captured.
   */
  get heapBytes(): number | undefined {
    return this._rt.memory?.buffer.byteLength;
  }

  /**
   * Generate a fresh key pair from SEAL's CSPRNG.
   * @returns the secret and public key
   * @throws {@link index!PrivaggError} `INVALID_PARAMETER` when the context was disposed
   */
  generateKeys(): CkksKeyPair {
    this.alive();
    const seal = this._seal;
    const keyBytes = this.ctBytes(0);
    this.reserve(keyBytes * 2, 'key generation');
    return sealCall(seal, 'INVALID_PARAMETER', 'key generation', () => {
      const kg = new seal.KeyGenerator(this._context);
      try {
        const sk = this.track(kg.secretKey(), keyBytes / 2);
        const pk = this.track(kg.createPublicKey(), keyBytes);
        return { secretKey: new CkksSecretKey(this, sk), publicKey: new CkksPublicKey(this, pk) };
      } finally {
        kg.delete();
      }
    });
  }

  /**
   * Encrypt a vector of any length, chunked over `slotCount` values per ciphertext (the last
   * chunk padded with zeros). With a public key this is public-key encryption; with a secret
   * key it is symmetric encryption (smaller fresh error; see {@link CkksContext.encryptToBytes}
   * for the seeded, half-size wire form).
   *
   * @param values - finite numbers
   * @param key - a public or secret key of this context
   * @param options - see {@link CkksEncryptOptions}
   * @returns the encrypted vector
   * @throws {@link !TypeError} when `values` is not a numeric vector or `key` is not a key
   * @throws {@link !RangeError} when a value is not finite, |value| exceeds `bound`, or
   *   `bound` exceeds the headroom of the parameters
   * @throws {@link index!PrivaggError} `DOMAIN_MISMATCH` for a key of another context; `OVERFLOW`
   *   past the memory budget
   * @example
   * ```ts
   * import { createCkksContext } from 'privagg/he';
   * using ctx = await createCkksContext('n8192');
   * const { secretKey, publicKey } = ctx.generateKeys();
   * using a = ctx.encrypt([1.5, -2, 3], publicKey);
   * using b = ctx.encrypt([0.5, 2, 1], publicKey);
   * using sum = ctx.add(a, b);
   * const { values, errorBound } = ctx.decrypt(sum, secretKey);
   * console.log([...values].map((v) => Math.round(v * 1e6) / 1e6).join(' ')); // 2 0 4
   * console.log(errorBound < 1e-6); // true
   * ```
   * @since 0.1.0
   */
  encrypt(
    values: ArrayLike<number>,
    key: CkksPublicKey | CkksSecretKey,
    options: CkksEncryptOptions = {},
  ): CkksVector {
    this.alive();
    const { bound, symmetric } = this.checkEncrypt(values, key, options);
    const seal = this._seal;
    const chunks = Math.max(1, Math.ceil(values.length / this.slotCount));
    this.reserve(chunks * this.ctBytes(1), 'encryption');
    const cts: Ciphertext[] = [];
    const encryptor = this.makeEncryptor(key);
    const pt = this.scratchPlaintext();
    const buf = new Float64Array(this.slotCount);
    try {
      for (let c = 0; c < chunks; c++) {
        this.fillChunk(values, c, buf);
        const ct = this.track(new seal.Ciphertext(), this.ctBytes(1));
        cts.push(ct);
        sealCall(seal, 'INVALID_PARAMETER', 'encryption', () => {
          this.encoder.encode(buf, this.scale, pt);
          if (symmetric) encryptor.encryptSymmetric(pt, ct);
          else encryptor.encrypt(pt, ct);
        });
      }
    } catch (e) {
      for (const ct of cts) this._free(ct);
      throw e;
    }
    return new CkksVector(this, cts, {
      length: values.length,
      bound,
      noise: this.freshNoise(symmetric, bound),
    });
  }

  /**
   * Encrypt straight to privagg's wire format. With a secret key the ciphertexts are seeded
   * (a 64-byte seed stands in for the uniform half of each ciphertext) and their residues are
   * packed to the bit lengths of their primes: `(sum of data-prime bits) / 4` bytes per value,
   * 25.6 at `n8192`, 11.8 at `n8192-compact`, 36.3 at `n8192-flood`. With a public key (the
   * only choice under a threshold key) both polynomials are sent, packed the same way: `(sum
   * of data-prime bits) / 2` bytes per value, 50 at `n8192` and 72.5 at `n8192-flood` (SEAL's
   * own form takes 16 bytes per prime: 64 and 96). Load with {@link CkksContext.loadVector}.
   *
   * @param values - finite numbers
   * @param key - a public or secret key of this context
   * @param options - see {@link CkksEncryptOptions}
   * @returns the serialized vector
   * @throws {@link !TypeError} as {@link CkksContext.encrypt}
   * @throws {@link !RangeError} as {@link CkksContext.encrypt}
   * @throws {@link index!PrivaggError} as {@link CkksContext.encrypt}
   * @since 0.1.0
   */
  encryptToBytes(
    values: ArrayLike<number>,
    key: CkksPublicKey | CkksSecretKey,
    options: CkksEncryptOptions = {},
  ): Uint8Array {
    this.alive();
    const { bound, symmetric } = this.checkEncrypt(values, key, options);
    const seal = this._seal;
    const chunks = Math.max(1, Math.ceil(values.length / this.slotCount));
    const encryptor = this.makeEncryptor(key);
    const pt = this.scratchPlaintext();
    const buf = new Float64Array(this.slotCount);
    const blobs: Uint8Array[] = [];
    for (let c = 0; c < chunks; c++) {
      this.fillChunk(values, c, buf);
      blobs.push(
        sealCall(seal, 'INVALID_PARAMETER', 'encryption', () => {
          this.encoder.encode(buf, this.scale, pt);
          const s = symmetric
            ? encryptor.encryptSymmetricSerializable(pt)
            : encryptor.encryptSerializable(pt);
          try {
            return s.saveToArray(seal.ComprModeType.none) as Uint8Array;
          } finally {
            s.delete();
          }
        }),
      );
    }
    const noise = this.freshNoise(symmetric, bound);
    // residues packed to their primes' bit lengths (first data level); seeded: c0 and a seed
    const primes = this._shape.primes[1] as readonly bigint[];
    const n = this.parameters.polyModulusDegree;
    if (!symmetric) {
      const packed = blobs.map((b) => packFull(b, 1, primes, n));
      return writeVector(values.length, bound, noise, packed, TYPE_VECTOR_PACKED_FULL);
    }
    const packed = blobs.map((b) => packSeeded(b, 1, primes, n));
    return writeVector(values.length, bound, noise, packed, TYPE_VECTOR_PACKED);
  }

  private checkEncrypt(
    values: ArrayLike<number>,
    key: CkksPublicKey | CkksSecretKey,
    options: CkksEncryptOptions,
  ): { bound: number; symmetric: boolean } {
    aFiniteVector('values', values);
    if (values.length > MAX_VALUES)
      throw new RangeError(`"values" expected at most ${MAX_VALUES} values, got ${values.length}`);
    if (!(key instanceof CkksPublicKey) && !(key instanceof CkksSecretKey))
      throw new TypeError('"key" expected a CkksPublicKey or CkksSecretKey');
    this.owns(key, 'key');
    if (key._key.isDeleted()) throw new PrivaggError('INVALID_PARAMETER', '"key" was disposed');
    aOptions('options', options, ['bound']);
    let max = 0;
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] as number));
    let bound: number;
    if (options.bound === undefined) bound = Math.max(1, 2 ** Math.ceil(Math.log2(max || 1)));
    else {
      aFinite('options.bound', options.bound);
      bound = options.bound;
      if (!(bound > 0)) throw new RangeError(`"options.bound" expected > 0, got ${bound}`);
      if (max > bound) throw new RangeError('"values" exceed the declared "options.bound"');
    }
    const headroom = this.headroom;
    if (bound > headroom)
      throw new RangeError(
        `"values" bound ${bound} exceeds the headroom of these parameters (${headroom})`,
      );
    return { bound, symmetric: key instanceof CkksSecretKey };
  }

  /** The key's encryptor, made once and cached on the key (freed with it). */
  private makeEncryptor(key: CkksPublicKey | CkksSecretKey): Encryptor {
    if (key._encryptor !== undefined && !key._encryptor.isDeleted()) return key._encryptor;
    const seal = this._seal;
    const enc = sealCall(seal, 'INVALID_PARAMETER', 'encryptor', () => {
      if (key instanceof CkksPublicKey) return new seal.Encryptor(this._context, key._key);
      // SEAL's encryptor needs a public key; derive it from the secret key (never used here)
      const kg = new seal.KeyGenerator(this._context, key._key);
      try {
        const pk = kg.createPublicKey();
        try {
          return new seal.Encryptor(this._context, pk, key._key);
        } finally {
          pk.delete();
        }
      } finally {
        kg.delete();
      }
    });
    key._encryptor = this.track(enc, 0);
    return enc;
  }

  private fillChunk(values: ArrayLike<number>, c: number, buf: Float64Array): void {
    const start = c * this.slotCount;
    const end = Math.min(values.length, start + this.slotCount);
    if (values instanceof Float64Array) buf.set(values.subarray(start, end));
    else for (let i = start; i < end; i++) buf[i - start] = values[i] as number;
    buf.fill(0, end - start);
  }

  /** The error of a fresh ciphertext. */
  private freshNoise(symmetric: boolean, bound: number): Noise {
    const key = this._shape.primes[0] as readonly bigint[];
    const special = Number(key[key.length - 1] as bigint);
    return freshNoise(this.parameters.polyModulusDegree, this.scale, symmetric, special, bound);
  }

  /** Largest |value| a decryption can represent: 2^(bits of the base primes - scaleBits - 2). */
  get headroom(): number {
    return 2 ** (baseBits(this.parameters) - this.parameters.scaleBits - 2);
  }

  private checkHeadroom(bound: number, what: string): void {
    if (bound > this.headroom)
      throw new PrivaggError(
        'OVERFLOW',
        `${what}: the result's bound ${bound} exceeds the headroom ${this.headroom} of these parameters`,
      );
  }

  /**
   * The element-wise sum of two vectors of the same length and level.
   * @param a - a vector of this context
   * @param b - a vector of this context
   * @returns a new vector
   * @throws {@link !TypeError} when an argument is not a {@link CkksVector}
   * @throws {@link index!PrivaggError} `DOMAIN_MISMATCH` for vectors of different lengths, levels or
   *   contexts; `INVALID_PARAMETER` for a disposed vector
   * @since 0.1.0
   */
  add(a: CkksVector, b: CkksVector): CkksVector {
    this.alive();
    this.checkVector(a, 'a');
    this.checkVector(b, 'b');
    if (a.length !== b.length)
      throw new PrivaggError('DOMAIN_MISMATCH', `lengths differ (${a.length} and ${b.length})`);
    if (this.levelOf(a) !== this.levelOf(b))
      throw new PrivaggError('DOMAIN_MISMATCH', 'addition: levels differ');
    this.checkHeadroom(a.bound + b.bound, 'addition');
    const seal = this._seal;
    const level = this.levelOf(a);
    this.reserve(a._cts.length * this.ctBytes(level), 'addition');
    const out: Ciphertext[] = [];
    try {
      for (let i = 0; i < a._cts.length; i++) {
        const ct = this.track(new seal.Ciphertext(), this.ctBytes(level));
        out.push(ct);
        sealCall(seal, 'DOMAIN_MISMATCH', 'addition', () =>
          this.evaluator.add(a._cts[i] as Ciphertext, b._cts[i] as Ciphertext, ct),
        );
      }
    } catch (e) {
      for (const ct of out) this._free(ct);
      throw e;
    }
    return new CkksVector(this, out, {
      length: a.length,
      bound: a.bound + b.bound,
      noise: addNoise(a._noise, b._noise),
    });
  }

  /**
   * Add `b` into `target` in place (no new ciphertexts: the cheap way to accumulate many
   * vectors). `target`'s metadata is not updated; use {@link CkksContext.sum} to keep it exact.
   * @internal
   */
  private addInto(target: Ciphertext[], b: CkksVector): void {
    for (let i = 0; i < target.length; i++)
      sealCall(this._seal, 'DOMAIN_MISMATCH', 'addition', () =>
        this.evaluator.addInplace(target[i] as Ciphertext, b._cts[i] as Ciphertext),
      );
  }

  /**
   * The element-wise sum of many vectors (one accumulator, added in place).
   * @param vectors - at least one vector, all of the same length and level
   * @returns a new vector
   * @throws {@link !TypeError} when `vectors` is not an array of {@link CkksVector}
   * @throws {@link !RangeError} when `vectors` is empty
   * @throws {@link index!PrivaggError} `DOMAIN_MISMATCH` for mismatched vectors
   * @since 0.1.0
   */
  sum(vectors: readonly CkksVector[]): CkksVector {
    this.alive();
    if (!Array.isArray(vectors)) throw new TypeError('"vectors" expected an array');
    if (vectors.length === 0) throw new RangeError('"vectors" expected at least one vector');
    for (const [i, v] of vectors.entries()) this.checkVector(v, `vectors[${i}]`);
    const first = vectors[0] as CkksVector;
    const level = this.levelOf(first);
    let bound = 0;
    let noise: Noise = { free: 0, keyed: 0, bias: 0 };
    for (const v of vectors) {
      if (v.length !== first.length) throw new PrivaggError('DOMAIN_MISMATCH', 'lengths differ');
      if (this.levelOf(v) !== level) throw new PrivaggError('DOMAIN_MISMATCH', 'levels differ');
      bound += v.bound;
      noise = addNoise(noise, v._noise);
    }
    this.checkHeadroom(bound, 'sum');
    this.reserve(first._cts.length * this.ctBytes(level), 'sum');
    const acc = first._cts.map((ct) => this.track(ct.clone(), this.ctBytes(level)));
    try {
      for (let j = 1; j < vectors.length; j++) this.addInto(acc, vectors[j] as CkksVector);
    } catch (e) {
      for (const ct of acc) this._free(ct);
      throw e;
    }
    return new CkksVector(this, acc, { length: first.length, bound, noise });
  }

  /**
   * The weighted sum `sum_i weights[i] * vectors[i]`: each vector is multiplied by its weight
   * (a plaintext constant encoded at the scale of the prime about to be dropped), the products
   * are added, and the result is rescaled once, which uses one level. FedAvg: weights
   * `n_i / sum(n)` give the weighted mean. For many vectors arriving over time use
   * {@link CkksContext.createWeightedSum}, which holds one accumulator instead of every input.
   *
   * @param vectors - at least one vector, all of the same length and level, with a level left
   * @param weights - one finite weight per vector, |weight| <= 2^20; a zero weight skips its vector
   * @returns a new vector one level lower
   * @throws {@link !TypeError} when the arguments have the wrong types
   * @throws {@link !RangeError} when the counts differ, a weight is out of range, or all are zero
   * @throws {@link index!PrivaggError} `DOMAIN_MISMATCH` for mismatched vectors; `INVALID_PARAMETER`
   *   when no level is left for the rescale; `OVERFLOW` past the headroom
   * @since 0.1.0
   */
  weightedSum(vectors: readonly CkksVector[], weights: ArrayLike<number>): CkksVector {
    this.alive();
    if (!Array.isArray(vectors)) throw new TypeError('"vectors" expected an array');
    aFiniteVector('weights', weights);
    if (vectors.length === 0) throw new RangeError('"vectors" expected at least one vector');
    if (weights.length !== vectors.length)
      throw new RangeError(`"weights" expected ${vectors.length} weights, got ${weights.length}`);
    for (const [i, v] of vectors.entries()) this.checkVector(v, `vectors[${i}]`);
    let any = false;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i] as number;
      if (Math.abs(w) > MAX_WEIGHT)
        throw new RangeError(`"weights" expected |weight| <= 2^20, got ${w} at index ${i}`);
      if (w !== 0) any = true;
    }
    if (!any) throw new RangeError('"weights" expected at least one nonzero weight');
    using acc = this.createWeightedSum();
    for (let i = 0; i < vectors.length; i++)
      if (weights[i] !== 0) acc.add(vectors[i] as CkksVector, weights[i] as number);
    return acc.finish();
  }

  /**
   * A streaming weighted sum: add `(vector, weight)` pairs one at a time (each is multiplied
   * and added into one accumulator, so only the accumulator stays alive), then `finish()`
   * rescales once. The error of the result is that of {@link CkksContext.weightedSum}.
   * @returns an empty accumulator (dispose it if not finished)
   * @throws {@link index!PrivaggError} `INVALID_PARAMETER` when the context was disposed
   * @example
   * ```ts
   * import { createCkksContext } from 'privagg/he';
   * using ctx = await createCkksContext('n8192');
   * const { secretKey, publicKey } = ctx.generateKeys();
   * using acc = ctx.createWeightedSum();
   * for (const [x, w] of [[[1, 2], 0.25], [[3, 4], 0.75]] as const) {
   *   using v = ctx.encrypt(x, publicKey);
   *   acc.add(v, w);
   * }
   * using mean = acc.finish();
   * const { values } = ctx.decrypt(mean, secretKey);
   * console.log([...values].map((v) => v.toFixed(6)).join(' ')); // 2.500000 3.500000
   * ```
   * @since 0.1.0
   */
  createWeightedSum(): CkksWeightedSum {
    this.alive();
    return new CkksWeightedSum(this);
  }

  /** @internal The encoder. */
  get _encoder(): CKKSEncoder {
    return this.encoder;
  }

  /** @internal The evaluator. */
  get _evaluator(): Evaluator {
    return this.evaluator;
  }

  /** @internal The shared scratch plaintext. */
  _scratch(): Plaintext {
    return this.scratchPlaintext();
  }

  /** @internal Account a tracked object's new size (after a rescale). */
  _resize(x: Deletable, bytes: number): void {
    if (!this.live.has(x)) return;
    this.liveBytes += bytes - (this.sizes.get(x) ?? 0);
    this.sizes.set(x, bytes);
  }

  /** @internal */
  _levelOf(v: CkksVector): number {
    return this.levelOf(v);
  }

  /** @internal */
  _checkVector(v: unknown, name: string): asserts v is CkksVector {
    this.checkVector(v, name);
  }

  /** @internal */
  _checkHeadroom(bound: number, what: string): void {
    this.checkHeadroom(bound, what);
  }

  /** @internal */
  _lastPrime(level: number): number {
    const primes = this._shape.primes[level] as readonly bigint[];
    return Number(primes[primes.length - 1] as bigint);
  }

  /**
   * Decrypt a vector and report a bound on its error. The values carry the raw CKKS error,
   * which depends on the secret key: this is for the key holders themselves. Anything that
   * leaves them goes through {@link CkksContext.decryptForRelease} (noise flooding against the
   * Li-Micciancio attack).
   * @param vector - a vector of this context
   * @param secretKey - the secret key it was encrypted under
   * @returns the values and the error bound
   * @throws {@link !TypeError} when an argument has the wrong type
   * @throws {@link index!PrivaggError} `DOMAIN_MISMATCH` for objects of another context
   * @since 0.1.0
   */
  decrypt(vector: CkksVector, secretKey: CkksSecretKey): CkksDecryption {
    const dec = this.decryptorOf(vector, secretKey);
    const seal = this._seal;
    const out = new Float64Array(vector.length);
    const pt = this.scratchPlaintext();
    for (let c = 0; c < vector._cts.length; c++) {
      const slots = sealCall(seal, 'DOMAIN_MISMATCH', 'decryption', () => {
        dec.decrypt(vector._cts[c] as Ciphertext, pt);
        return this.encoder.decodeFloat64(pt) as Float64Array;
      });
      const start = c * this.slotCount;
      const take = Math.min(this.slotCount, vector.length - start);
      out.set(slots.subarray(0, take), start);
    }
    return Object.freeze({ values: out, errorBound: vector.errorBound });
  }

  /** Checks, then the key's decryptor, made once and cached on the key (freed with it). */
  private decryptorOf(vector: CkksVector, secretKey: CkksSecretKey): Decryptor {
    this.alive();
    this.checkVector(vector, 'vector');
    if (!(secretKey instanceof CkksSecretKey))
      throw new TypeError('"secretKey" expected a CkksSecretKey');
    this.owns(secretKey, 'secretKey');
    if (secretKey._key.isDeleted())
      throw new PrivaggError('INVALID_PARAMETER', '"secretKey" was disposed');
    const seal = this._seal;
    let decryptor = secretKey._decryptor;
    if (decryptor === undefined || decryptor.isDeleted()) {
      decryptor = this.track(
        sealCall(
          seal,
          'INVALID_PARAMETER',
          'decryptor',
          (): Decryptor => new seal.Decryptor(this._context, secretKey._key),
        ),
        0,
      );
      secretKey._decryptor = decryptor;
    }
    return decryptor;
  }

  /**
   * Decrypt for release beyond the key holders, with noise flooding against the
   * Li-Micciancio key-recovery attack (Eurocrypt 2021): a CKKS decryption `m + e` reveals the
   * error `e`, which is a function of the secret key. Every coefficient of the decrypted
   * plaintext polynomial gets independent discrete Gaussian noise (drawn exactly, CKS20, from
   * the CSPRNG `rng`) before it is decoded.
   *
   * @remarks
   * **Statistical security.** With `M` = N x (ciphertexts of the vector) x `queries` released
   * coefficients (`queries`: how many related decryptions are released in total, alpha) and `t`
   * a bound on every coefficient of the error (from the tracked noise; failure 2^-40), the noise
   * has standard deviation `sigma = t sqrt(24 M) 2^(s/2)`: the Kullback-Leibler divergence
   * between the released values and values simulated without the key is at most `2^-s / 48`,
   * which is s-bit security against key recovery (Li, Micciancio, Schultz and Sorrell, CRYPTO
   * 2022), and a statistical distance of at most `2^-(s/2 + 3.3)` (Pinsker): choose s = 74 for
   * a distance of 2^-40.
   *
   * **Precision cost.** Each value gets noise of standard deviation
   * {@link CkksReleasedDecryption.floodingStd} `= sigma sqrt(N / 2) / scale`, about
   * `s/2 + log2(t sqrt(12 M N))` bits below the scale. At s = 40, for a sum of 100 vectors of
   * 1e5 values at `n8192` (scale 2^45) it is about 8e-3; for a FedAvg (weighted mean) of 100
   * clients x 1e5 floats at `n8192-flood` (scale 2^80) about 3e-11, measured maximum error
   * 1e-10 (6e-9 relative; test/slow/he/fedavg-full.test.ts). Use `n8192-flood` for results that
   * are released.
   *
   * **Runtime.** About 10 microseconds per coefficient (the exact sampler at these widths).
   *
   * @param vector - a vector of this context
   * @param secretKey - the secret key
   * @param options - `securityBits` (s, default 40, 1 to 128), `queries` (alpha, default 1),
   *   `rng` (default the CSPRNG)
   * @returns the flooded values, the error bound including the flooding, and the noise used
   * @throws {@link !TypeError} when an argument has the wrong type
   * @throws {@link !RangeError} when an option is out of range, or the flooding this needs is
   *   wider than 2^48 (use larger parameters or fewer queries)
   * @throws {@link index!PrivaggError} as {@link CkksContext.decrypt}
   * @since 0.1.0
   */
  decryptForRelease(
    vector: CkksVector,
    secretKey: CkksSecretKey,
    options: { securityBits?: number; queries?: number; rng?: Rng } = {},
  ): CkksReleasedDecryption {
    aOptions('options', options, ['securityBits', 'queries', 'rng']);
    const securityBits = options.securityBits ?? 40;
    aInteger('options.securityBits', securityBits, 1, 128);
    const queries = options.queries ?? 1;
    aInteger('options.queries', queries, 1, 2 ** 40);
    const rng = options.rng ?? randomBytes;
    aFunction('options.rng', rng);
    const dec = this.decryptorOf(vector, secretKey);
    const seal = this._seal;
    const n = this.parameters.polyModulusDegree;
    const level = this.levelOf(vector);
    const primes = this._shape.primes[level] as readonly bigint[];
    const scale = (vector._cts[0] as Ciphertext).scale();
    const wanted = floodingSigma(this, vector, 1, securityBits, queries);
    const flood = floodingSampler(this, wanted, rng);
    const pt = this.scratchPlaintext();
    const polys = vector._cts.map((ct) => {
      const words = sealCall(seal, 'DOMAIN_MISMATCH', 'decryption', () => {
        dec.decrypt(ct, pt);
        return plaintextWords(this, pt);
      });
      const flooded = polyAdd(words, flood.next(primes.length), primes, n);
      words.fill(0n);
      return flooded;
    });
    const values = decodeWords(this, vector, level, scale, polys);
    const floodingStd = (flood.sigma * Math.sqrt(n / 2)) / scale;
    return Object.freeze({
      values,
      errorBound: vector.errorBound + Z_2_40 * floodingStd,
      floodingStd,
      securityBits,
      queries,
    });
  }

  private checkVector(v: unknown, name: string): asserts v is CkksVector {
    if (!(v instanceof CkksVector)) throw new TypeError(`"${name}" expected a CkksVector`);
    this.owns(v, name);
    if (v.disposed) throw new PrivaggError('INVALID_PARAMETER', `"${name}" was disposed`);
  }

  private levelOf(v: CkksVector): number {
    // a vector's ciphertexts never change level, so the level is read from SEAL once
    if (v._level !== undefined) return v._level;
    const pid = (v._cts[0] as Ciphertext).parmsId();
    try {
      const w = pid.values() as BigUint64Array;
      v._level = this._shape.parmsIds.findIndex((ids) => ids.every((x, i) => x === w[i]));
      return v._level;
    } finally {
      pid.delete();
    }
  }

  /** @internal Save a SEAL object (uncompressed). */
  _save(x: { saveToArray(m: never): unknown; isDeleted(): boolean }, what: string): Uint8Array {
    this.alive();
    if (x.isDeleted()) throw new PrivaggError('INVALID_PARAMETER', `${what} was disposed`);
    return sealCall(this._seal, 'INVALID_PARAMETER', `saving the ${what}`, () =>
      x.saveToArray(this._seal.ComprModeType.none as never),
    ) as Uint8Array;
  }

  /** @internal */
  _serializeVector(v: CkksVector): Uint8Array {
    this.checkVector(v, 'vector');
    const level = this.levelOf(v);
    const primes = this._shape.primes[level] as readonly bigint[];
    const n = this.parameters.polyModulusDegree;
    const blobs = v._cts.map((ct) => packFull(this._save(ct, 'ciphertext'), level, primes, n));
    return writeVector(v.length, v.bound, v._noise, blobs, TYPE_VECTOR_PACKED_FULL);
  }

  /**
   * Load a vector from untrusted bytes (any wire form: SEAL ciphertexts, packed seeded or
   * packed full ones, which are first rebuilt into SEAL's layout). Everything is checked before
   * SEAL parses a byte: the envelope (version, type, lengths, trailing bytes), the chunk count against the length,
   * each SEAL object's header (magic, version 4.1, no compression, exact declared size), its
   * parameters (parms_id of a data level of this context, NTT form, two polynomials, degree,
   * modulus count, scale), and every residue against its prime; all ciphertexts must share a
   * level and a scale. Memory is bounded by the byte length and this context's budget.
   *
   * @param bytes - the serialized vector (from {@link CkksVector.serialize} or
   *   {@link CkksContext.encryptToBytes})
   * @returns the vector
   * @throws {@link !TypeError} when `bytes` is not a `Uint8Array`
   * @throws {@link index!PrivaggError} `MALFORMED_MESSAGE` for anything malformed or of other
   *   parameters; `OVERFLOW` past the memory budget
   * @since 0.1.0
   */
  loadVector(bytes: Uint8Array): CkksVector {
    return loadVectorFrom(this, bytes);
  }

  /**
   * Load a public key from untrusted bytes (checked like {@link CkksContext.loadVector}: key
   * level, two polynomials, residues reduced, not seeded).
   * @param bytes - from {@link CkksPublicKey.serialize}
   * @returns the key
   * @throws {@link !TypeError} when `bytes` is not a `Uint8Array`
   * @throws {@link index!PrivaggError} `MALFORMED_MESSAGE` for malformed bytes or other parameters
   * @since 0.1.0
   */
  loadPublicKey(bytes: Uint8Array): CkksPublicKey {
    return loadPublicKeyFrom(this, bytes);
  }

  /**
   * Load a secret key from bytes (checked: exact size, key level, residues reduced).
   * @param bytes - from {@link CkksSecretKey.serialize}
   * @returns the key
   * @throws {@link !TypeError} when `bytes` is not a `Uint8Array`
   * @throws {@link index!PrivaggError} `MALFORMED_MESSAGE` for malformed bytes or other parameters
   * @since 0.1.0
   */
  loadSecretKey(bytes: Uint8Array): CkksSecretKey {
    return loadSecretKeyFrom(this, bytes);
  }

  /**
   * A plaintext reused by every operation (JS is single-threaded and no operation re-enters
   * another): encoding into an already-sized plaintext skips an allocation per ciphertext.
   */
  private scratchPlaintext(): Plaintext {
    if (this.scratch === undefined || this.scratch.isDeleted())
      this.scratch = this.track(new this._seal.Plaintext(), 0);
    return this.scratch;
  }
  private scratch: Plaintext | undefined;

  /** @internal Let this context own (and free on dispose) a SEAL object made elsewhere. */
  _adopt<T extends Deletable>(x: T): T {
    this.alive();
    return this.track(x, 0);
  }

  /** @internal Per-context cache for helpers (the threshold NTT helper). */
  readonly _cache: Map<string, unknown> = new Map();

  /**
   * Free every SEAL object this context created (keys, vectors, its own helpers). Idempotent.
   * Using any of them afterwards throws.
   */
  dispose(): void {
    this.disposedFlag = true;
    this._cache.clear();
    // free in reverse creation order: dependents before the context itself
    for (const x of [...this.live].reverse()) if (!x.isDeleted()) x.delete();
    this.live.clear();
    this.sizes.clear();
    this.liveBytes = 0;
  }

  /** Same as {@link CkksContext.dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function sealCallError(seal: MainModule, e: unknown, what: string): PrivaggError {
  try {
    sealCall(seal, 'INVALID_PARAMETER', what, () => {
      throw e;
    });
  } catch (mapped) {
    return mapped as PrivaggError;
  }
  return new PrivaggError('INVALID_PARAMETER', what);
}

/**
 * Create a CKKS context: loads node-seal on first use (WebAssembly; nothing loads at import
 * time), checks the parameters (types and ranges here, then SEAL's own validation at 128-bit
 * security), and precomputes the encoder and evaluator.
 *
 * @param parameters - a preset name from {@link CKKS_PRESETS} or explicit {@link CkksParameters}
 * @param options - see {@link CkksContextOptions}
 * @returns the context (dispose it, or hold it with `using`)
 * @throws {@link !TypeError} when `parameters` or `options` have the wrong shape
 * @throws {@link !RangeError} when a parameter is out of range or exceeds the 128-bit bound
 * @throws {@link index!PrivaggError} `INVALID_PARAMETER` when SEAL rejects the parameters;
 *   `BACKEND_UNAVAILABLE` when node-seal cannot load
 * @example
 * ```ts
 * import { createCkksContext } from 'privagg/he';
 * using ctx = await createCkksContext('n8192');
 * console.log(ctx.slotCount); // 4096
 * ```
 * @since 0.1.0
 * @public
 */
export async function createCkksContext(
  parameters: CkksPresetName | CkksParameters,
  options: CkksContextOptions = {},
): Promise<CkksContext> {
  const params = checkParameters(parameters);
  aOptions('options', options, ['freshInstance', 'maxLiveBytes']);
  const fresh = options.freshInstance ?? false;
  if (typeof fresh !== 'boolean') throw new TypeError('"options.freshInstance" expected boolean');
  const maxLiveBytes = options.maxLiveBytes ?? 2 ** 31;
  aInteger('options.maxLiveBytes', maxLiveBytes, 1, 2 ** 32);
  const rt = await loadSeal(fresh);
  return new CkksContext(rt, params, maxLiveBytes);
}

/** @internal For tests: the prime chain of a context. */
export function primesOf(ctx: CkksContext): readonly (readonly bigint[])[] {
  return ctx._shape.primes;
}
