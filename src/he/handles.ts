/**
 * The handles a {@link CkksContext} gives out: keys, encrypted vectors and the streaming
 * weighted sum. Each holds SEAL objects owned by its context and frees them in `dispose()`.
 * @module
 */
import type { Ciphertext, Decryptor, Encryptor, PublicKey, SecretKey } from 'node-seal/throws';
import { ByteWriter } from '../core/index.ts';
import type { CkksContext } from './ckks.ts';
import { type Noise, noiseBound } from './noise.ts';

/** @internal Wire type of a serialized vector (privagg message type byte). */
export const TYPE_VECTOR = 0x48;
/** @internal Wire type of a vector of packed seeded ciphertexts (packed.ts). */
export const TYPE_VECTOR_PACKED = 0x4e;
/** @internal Wire type of a vector of packed full (two-polynomial) ciphertexts (packed.ts). */
export const TYPE_VECTOR_PACKED_FULL = 0x4f;
/** @internal */
export const TYPE_PUBLIC_KEY = 0x49;
/** @internal */
export const TYPE_SECRET_KEY = 0x4a;
/** @internal */
export const WIRE_VERSION = 1;
/** @internal Largest |weight| of a weighted sum. */
export const MAX_WEIGHT: number = 2 ** 20;

/**
 * The result of {@link CkksContext.decrypt}.
 * @since 0.1.0
 * @public
 */
export interface CkksDecryption {
  /** The decrypted values. */
  readonly values: Float64Array;
  /**
   * Bound on |decrypted - exact| for every value (see {@link CkksVector.errorBound}).
   */
  readonly errorBound: number;
}

/**
 * What a key handle shares: the SEAL object, its owning context, a cached encryptor.
 * @since 0.1.0
 * @public
 */
export abstract class CkksKey<K extends SecretKey | PublicKey = SecretKey | PublicKey> {
  /** @internal */
  readonly _key: K;
  /** @internal */
  readonly _ctx: CkksContext;
  /** @internal Cached encryptor. */
  _encryptor: Encryptor | undefined;
  /** @internal */
  abstract readonly _wireType: number;
  /** @internal */
  abstract readonly _what: string;
  /** @internal */
  constructor(ctx: CkksContext, key: K) {
    this._ctx = ctx;
    this._key = key;
  }
  /**
   * The key in privagg's wire format (a SEAL 4.1 key inside a versioned envelope). A secret
   * key's bytes are secret: store and send them only over protected channels.
   * @returns the bytes
   * @throws {@link index!PrivaggError} `INVALID_PARAMETER` when the key was disposed
   */
  serialize(): Uint8Array {
    const raw = this._ctx._save(this._key, this._what);
    return new ByteWriter(raw.length + 8).header(WIRE_VERSION, this._wireType).bytes(raw).finish();
  }
  /** Free the SEAL objects. Idempotent. */
  dispose(): void {
    if (this._encryptor !== undefined) this._ctx._free(this._encryptor);
    this._ctx._free(this._key);
  }
  /** Same as {@link CkksKey.dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * The result of {@link CkksContext.decryptForRelease}.
 * @since 0.1.0
 * @public
 */
export interface CkksReleasedDecryption extends CkksDecryption {
  /** Standard deviation of the flooding noise added to each value (value units). */
  readonly floodingStd: number;
  /** The statistical security parameter s. */
  readonly securityBits: number;
  /** The number of related decryptions (alpha) the noise was calibrated for. */
  readonly queries: number;
}

/**
 * A secret key (held by key holders only). Free it with `dispose()` or `using`.
 * @since 0.1.0
 * @public
 */
export class CkksSecretKey extends CkksKey<SecretKey> {
  /** @internal Cached decryptor. */
  _decryptor: Decryptor | undefined;
  /** @internal */
  readonly _wireType: number = TYPE_SECRET_KEY;
  /** Free the SEAL objects (key, cached encryptor and decryptor). Idempotent. */
  override dispose(): void {
    if (this._decryptor !== undefined) this._ctx._free(this._decryptor);
    super.dispose();
  }
  /** @internal */
  readonly _what: string = 'secret key';
}

/**
 * A public key (anyone may encrypt with it). Free it with `dispose()` or `using`.
 * @since 0.1.0
 * @public
 */
export class CkksPublicKey extends CkksKey<PublicKey> {
  /** @internal */
  readonly _wireType: number = TYPE_PUBLIC_KEY;
  /** @internal */
  readonly _what: string = 'public key';
}

/**
 * An encrypted vector of `length` floats, stored as `ceil(length / slotCount)` ciphertexts.
 * Carries public metadata: its length, a declared bound on |value| and the tracked error
 * behind {@link CkksVector.errorBound}. Free it with `dispose()` or `using`.
 * @since 0.1.0
 * @public
 */
export class CkksVector {
  /** Number of values. */
  readonly length: number;
  /** Public upper bound on |value| (sums and weighted sums combine the inputs' bounds). */
  readonly bound: number;
  /** @internal The tracked error (see noise.ts). */
  readonly _noise: Noise;
  /** @internal */
  readonly _cts: Ciphertext[];
  /** @internal */
  readonly _ctx: CkksContext;
  /** @internal The level, read once (see CkksContext.levelOf). */
  _level: number | undefined;
  /** @internal */
  constructor(
    ctx: CkksContext,
    cts: Ciphertext[],
    meta: { length: number; bound: number; noise: Noise },
  ) {
    this._ctx = ctx;
    this._cts = cts;
    this.length = meta.length;
    this.bound = meta.bound;
    this._noise = Object.freeze({ ...meta.noise });
  }
  /**
   * Bound on |decrypted - exact| for every value this vector decrypts to. It tracks every
   * error term through the operations: fresh encryption error, encoding rounding, weight
   * rounding and rescale rounding. Random terms are bounded at a 2^-40 tail per value under the
   * standard CKKS heuristic (a slot of a polynomial with independent coefficients is close to
   * Gaussian); the secret key's contribution `max |s(zeta)|` is bounded rigorously
   * (Hoeffding, union over slots, failure 2^-40 over key generation). It is typically 5 to 20
   * times the largest error actually observed.
   */
  get errorBound(): number {
    return noiseBound(this._noise, this._ctx.parameters.polyModulusDegree, this.bound);
  }
  /** Whether {@link CkksVector.dispose} was called. */
  get disposed(): boolean {
    return this._cts.length === 0 || (this._cts[0] as Ciphertext).isDeleted();
  }
  /**
   * The vector in privagg's wire format: a versioned envelope with the metadata and each
   * ciphertext's residues packed to the bit lengths of their primes (the packed full form;
   * {@link CkksContext.loadVector} also reads plain SEAL 4.1 objects).
   * @returns the bytes
   * @throws {@link index!PrivaggError} `INVALID_PARAMETER` when the vector was disposed
   */
  serialize(): Uint8Array {
    return this._ctx._serializeVector(this);
  }
  /** Free every ciphertext. Idempotent. */
  dispose(): void {
    for (const ct of this._cts) this._ctx._free(ct);
  }
  /** Same as {@link CkksVector.dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * A generated key pair.
 * @since 0.1.0
 * @public
 */
export interface CkksKeyPair {
  /** The secret key. */
  readonly secretKey: CkksSecretKey;
  /** The matching public key. */
  readonly publicKey: CkksPublicKey;
}
