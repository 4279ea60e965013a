/**
 * The {@link KernelBackend} interface shared by every kernel backend, the exact definitions of
 * its operations, and the one argument-checking layer every backend goes through.
 * @module
 */
import {
  aBytes,
  aFinite,
  aInteger,
  aOptions,
  aRingBits,
  aU32Array,
  type KeystreamAlgorithm,
} from '../core/index.ts';

/**
 * The backends privagg ships: `cpu` (exact TypeScript reference), `workers` (worker threads over
 * shared memory), `webgpu` (WGSL compute shaders) and `gpujs` (gpu.js: binary32 float operations
 * and exact ring addition on 16-bit limbs).
 * @since 0.1.0
 * @public
 */
export type KernelBackendName = 'cpu' | 'workers' | 'webgpu' | 'gpujs';

/**
 * A vector of reals: `Float64Array` or `Float32Array`.
 * @since 0.1.0
 * @public
 */
export type FloatArray = Float64Array | Float32Array;

/**
 * Where a keystream starts: a 256-bit key (from the CSPRNG), the cipher, its nonce and the first
 * 32-bit word used. Word `j` of the stream is, for ChaCha20 (RFC 8439, block counter starting at
 * 0), word `j mod 16` of block `floor(j / 16)`; for AES-256-CTR (NIST SP 800-38A, 128-bit
 * big-endian counter starting at the nonce), bytes `4j..4j+3` of the keystream read
 * little-endian. Every operation that consumes randomness names exactly which words it reads, so
 * all backends produce the same output from the same stream.
 * @since 0.1.0
 * @public
 */
export interface StreamSpec {
  /** 32 bytes; draw it from the CSPRNG and never reuse it for another vector. */
  readonly key: Uint8Array;
  /** @defaultValue `'chacha20'` (the cipher every backend computes on its own device) */
  readonly algorithm?: 'chacha20' | 'aes-256-ctr';
  /** 12 bytes for ChaCha20, 16 (the initial counter block) for AES. @defaultValue zeros */
  readonly nonce?: Uint8Array;
  /** The first stream word used. @defaultValue `0` */
  readonly wordOffset?: number;
}

/**
 * The outcome of a clipping operation.
 * @since 0.1.0
 * @public
 */
export interface ClipResult {
  /** The norm of the input as the backend computed it. */
  readonly norm: number;
  /** The factor the input was multiplied by (1 when it was already within the bound). */
  readonly factor: number;
  /** For L2: 1 if the input was scaled down, else 0. For Linf: how many coordinates were clamped. */
  readonly clipped: number;
}

/**
 * Fixed-point quantization parameters for {@link KernelBackend.quantize}.
 * @since 0.1.0
 * @public
 */
export interface QuantizeOptions {
  /** Multiplier applied before rounding; finite and > 0. */
  readonly scale: number;
  /** Ring size k in [1, 32]. */
  readonly ringBits: number;
}

/**
 * Bulk vector arithmetic for secure aggregation and differential privacy. Every operation is
 * asynchronous, writes into a caller-provided output buffer of the input's length and resolves
 * to it; element-wise operations allow `out` to be the same array as an input.
 *
 * **Exact operations** are bit-identical on every backend (checked against the `cpu` reference).
 * With `m = 2^k - 1` and `W(j)` the stream words of a {@link StreamSpec} from its `wordOffset`:
 * - `expandStream`: `out[i] = W(i)`.
 * - `add` / `sub`: `out[i] = (a[i] ± b[i]) mod 2^k`.
 * - `addStream`: `out[i] = (a[i] ± (W(i) & m)) mod 2^k` (adding or removing a pairwise mask).
 * - `quantize`: `y = values[i] * scale` (in binary64), `f = floor(y)`, `t = ceil((y - f) * 2^32)`,
 *   `out[i] = (f + (W(i) < t ? 1 : 0)) mod 2^k`: stochastic rounding with
 *   `P(round up) = t / 2^32`, at most 2^-32 above `y - f` as computed (and within 2^-31 of
 *   the exact fractional part: `y - f` rounds only for small negative `y`).
 * - `binomialNoise`: with `T` trials (even) and `w = ceil(T / 32)` words per coordinate,
 *   `out[i] = popcount(W(i*w)) + ... + popcount(W(i*w + w - 1) & lastMask) - T/2`, a centered
 *   Binomial(T, 1/2) sample (variance T/4) from exactly `w` words: no rejection, no floating
 *   point, a fixed budget per coordinate. Sums of independent samples stay centered binomial,
 *   which is what distributed DP needs (the binomial mechanism).
 * - `addBinomialNoise`: `out[i] = (a[i] + binomialNoise[i]) mod 2^k`.
 *
 * **Float operations** compute in the backend's precision (`floatEpsilon`, the unit roundoff:
 * 2^-53 for binary64 backends) and agree with the `cpu` reference within: a norm to a relative
 * `(d + 2) * floatEpsilon`; `scale` and `weightedSum` per element to
 * `(n + 1) * floatEpsilon * sum_j |w_j x_j[i]|`; `hadamard` per element to
 * `(log2(d) + 2) * floatEpsilon * ||x||_2`. Clipping is conservative on every backend: the exact
 * real-number norm of the output never exceeds the bound.
 * @since 0.1.0
 * @public
 */
export interface KernelBackend {
  /** Which backend this is. */
  readonly name: KernelBackendName;
  /** A description of the device or threads that compute. */
  readonly device: string;
  /** Whether a GPU backend runs on a software device (llvmpipe, SwiftShader); false for cpu and workers. */
  readonly software: boolean;
  /**
   * Unit roundoff of the float operations (2^-53 for binary64; 2^-23 for `gpujs`, which rounds
   * its inputs to binary32 on upload and then computes in binary32).
   */
  readonly floatEpsilon: number;
  /** Operations computed on the device; the others run the cpu reference on the host. */
  readonly deviceOps: readonly string[];

  /**
   * Keystream words: `out[i] = W(i)`.
   * @param stream - the keystream
   * @param out - receives the words
   * @returns `out`
   */
  expandStream(stream: StreamSpec, out: Uint32Array): Promise<Uint32Array>;
  /**
   * `out = a + b mod 2^k`.
   * @param ringBits - k in [1, 32]
   * @param a - first operand
   * @param b - second operand
   * @param out - result (may be `a` or `b`)
   * @returns `out`
   */
  add(ringBits: number, a: Uint32Array, b: Uint32Array, out: Uint32Array): Promise<Uint32Array>;
  /**
   * `out = a - b mod 2^k`.
   * @param ringBits - k in [1, 32]
   * @param a - minuend
   * @param b - subtrahend
   * @param out - result (may be `a` or `b`)
   * @returns `out`
   */
  sub(ringBits: number, a: Uint32Array, b: Uint32Array, out: Uint32Array): Promise<Uint32Array>;
  /**
   * Add (or with `subtract`, remove) the mask `W(i) & m`: `out = a ± mask mod 2^k`.
   * @param ringBits - k in [1, 32]
   * @param a - the vector to mask
   * @param stream - the mask's keystream
   * @param out - result (may be `a`)
   * @param subtract - remove the mask instead of adding it
   * @returns `out`
   */
  addStream(
    ringBits: number,
    a: Uint32Array,
    stream: StreamSpec,
    out: Uint32Array,
    subtract?: boolean,
  ): Promise<Uint32Array>;
  /**
   * Stochastic rounding of `values * scale` into Z_{2^k}, one stream word per coordinate.
   * @param values - finite reals
   * @param options - scale and ring size
   * @param stream - the rounding randomness
   * @param out - receives the ring elements (its contents are unspecified if this rejects)
   * @returns `out`
   */
  quantize(
    values: FloatArray,
    options: QuantizeOptions,
    stream: StreamSpec,
    out: Uint32Array,
  ): Promise<Uint32Array>;
  /**
   * Centered Binomial(trials, 1/2) samples.
   * @param trials - an even integer in [2, 2^20]
   * @param stream - the noise randomness (`ceil(trials / 32)` words per coordinate)
   * @param out - receives the samples
   * @returns `out`
   */
  binomialNoise(trials: number, stream: StreamSpec, out: Int32Array): Promise<Int32Array>;
  /**
   * `out = a + centered Binomial(trials, 1/2) noise mod 2^k`.
   * @param ringBits - k in [1, 32]
   * @param a - the vector to perturb
   * @param trials - an even integer in [2, 2^20]
   * @param stream - the noise randomness
   * @param out - result (may be `a`)
   * @returns `out`
   */
  addBinomialNoise(
    ringBits: number,
    a: Uint32Array,
    trials: number,
    stream: StreamSpec,
    out: Uint32Array,
  ): Promise<Uint32Array>;
  /**
   * The L2 or L-infinity norm.
   * @param values - finite reals
   * @param kind - `'l2'` or `'linf'`
   * @returns the norm
   */
  norm(values: FloatArray, kind: 'l2' | 'linf'): Promise<number>;
  /**
   * Scale down to L2 norm at most `bound` (guaranteed for the exact norm of `out`).
   * @param values - finite reals
   * @param bound - finite, > 0
   * @param out - result (may be `values`)
   * @returns the norm, the factor applied and whether it clipped
   */
  clipL2(values: FloatArray, bound: number, out: FloatArray): Promise<ClipResult>;
  /**
   * Clamp every coordinate to [-bound, bound] (exact).
   * @param values - finite reals
   * @param bound - finite, > 0
   * @param out - result (may be `values`)
   * @returns the norm, factor 1, and how many coordinates were clamped
   */
  clipLinf(values: FloatArray, bound: number, out: FloatArray): Promise<ClipResult>;
  /**
   * `out = factor * values`.
   * @param values - finite reals
   * @param factor - finite
   * @param out - result (may be `values`)
   * @returns `out`
   */
  scale(values: FloatArray, factor: number, out: FloatArray): Promise<FloatArray>;
  /**
   * Randomized Hadamard rotation `out = H D x / sqrt(d)` with random signs `D` (bit `i mod 32`
   * of `W(floor(i / 32))` set means -1), or its inverse `D H x / sqrt(d)`. Orthogonal, so it
   * keeps the L2 norm. `d` must be a power of two (pad with zeros).
   * @param values - finite reals, length a power of two
   * @param stream - the sign randomness
   * @param out - result (may be `values`)
   * @param inverse - apply the inverse rotation
   * @returns `out`
   */
  hadamard(
    values: FloatArray,
    stream: StreamSpec,
    out: FloatArray,
    inverse?: boolean,
  ): Promise<FloatArray>;
  /**
   * `out[i] = sum_j weights[j] * vectors[j][i]`, summed in order of j.
   * @param vectors - at least one vector, all of one length
   * @param weights - one finite weight per vector
   * @param out - result
   * @returns `out`
   */
  weightedSum(
    vectors: readonly FloatArray[],
    weights: ArrayLike<number>,
    out: FloatArray,
  ): Promise<FloatArray>;
  /** Release threads, devices and buffers. The backend is unusable afterwards. */
  dispose(): void;
  /** Same as `dispose()`. */
  [Symbol.dispose](): void;
}

/** @internal A stream spec after validation: every field present. */
export interface Stream {
  readonly key: Uint8Array;
  readonly algorithm: KeystreamAlgorithm;
  readonly nonce: Uint8Array;
  readonly wordOffset: number;
}

/** ChaCha20 streams hold 2^32 blocks of 16 words. */
const CHACHA_WORDS = 2 ** 36;

/**
 * @internal Check a {@link StreamSpec} that will be read for `words` words.
 * @throws TypeError or RangeError for a bad spec or a range past the stream's end
 */
export function checkStream(name: string, spec: unknown, words: number): Stream {
  aOptions(name, spec, ['key', 'algorithm', 'nonce', 'wordOffset']);
  const s = spec as StreamSpec;
  aBytes(`${name}.key`, s.key, 32);
  const algorithm = s.algorithm === undefined ? 'chacha20' : s.algorithm;
  if (algorithm !== 'chacha20' && algorithm !== 'aes-256-ctr')
    throw new RangeError(
      `"${name}.algorithm" expected 'chacha20' or 'aes-256-ctr', got ${String(algorithm)}`,
    );
  const nonceLength = algorithm === 'chacha20' ? 12 : 16;
  const nonce = s.nonce === undefined ? new Uint8Array(nonceLength) : s.nonce;
  aBytes(`${name}.nonce`, nonce, nonceLength);
  const wordOffset = s.wordOffset === undefined ? 0 : s.wordOffset;
  aInteger(`${name}.wordOffset`, wordOffset);
  const limit = algorithm === 'chacha20' ? CHACHA_WORDS : Number.MAX_SAFE_INTEGER;
  if (wordOffset + words > limit)
    throw new RangeError(`"${name}" range of ${words} words from its offset exceeds the stream`);
  return { key: s.key, algorithm, nonce, wordOffset };
}

/** @internal Check a float vector (finite entries) of an optional exact length. */
export function aFloatArray(name: string, value: unknown, length?: number): FloatArray {
  if (!(value instanceof Float64Array) && !(value instanceof Float32Array))
    throw new TypeError(`"${name}" expected Float64Array or Float32Array`);
  if (!ArrayBuffer.isView(value)) throw new TypeError(`"${name}" expected a typed array`);
  if (length !== undefined && value.length !== length)
    throw new RangeError(`"${name}" expected length ${length}, got ${value.length}`);
  return value;
}

/** @internal Reject non-finite entries (NaN/Infinity) without echoing values. */
export function aFiniteEntries(name: string, values: FloatArray): void {
  let bad = 0;
  for (let i = 0; i < values.length; i++) bad += Number.isFinite(values[i] as number) ? 0 : 1;
  if (bad > 0) throw new RangeError(`"${name}" has ${bad} non-finite entries`);
}

/** @internal Check a noise trial count. */
export function aTrials(trials: unknown): asserts trials is number {
  aInteger('trials', trials, 2, 2 ** 20);
  if (trials % 2 !== 0) throw new RangeError(`"trials" expected an even integer, got ${trials}`);
}

/** @internal Words per coordinate of binomial noise. */
export function noiseWords(trials: number): number {
  return Math.ceil(trials / 32);
}

/** @internal Check a finite bound > 0. */
export function aBound(name: string, value: unknown): asserts value is number {
  aFinite(name, value);
  if (!(value > 0)) throw new RangeError(`"${name}" expected > 0, got ${value}`);
}

/** @internal Check quantize options. */
export function aQuantizeOptions(options: unknown): asserts options is QuantizeOptions {
  aOptions('options', options, ['scale', 'ringBits']);
  const o = options as QuantizeOptions;
  aBound('options.scale', o.scale);
  aRingBits(o.ringBits);
}

/** @internal Two u32 operands and an output of one length. */
export function aRingOperands(
  ringBits: unknown,
  a: unknown,
  b: unknown,
  out: unknown,
): asserts ringBits is number {
  aRingBits(ringBits);
  aU32Array('a', a);
  aU32Array('b', b, a.length);
  aU32Array('out', out, a.length);
}
