/**
 * Clipping that keeps its promise after floating-point rounding: L2 and L-infinity clipping,
 * per-example batches, and adaptive clipping (Andrew et al. 2021).
 * @module
 */
import {
  aFiniteVector,
  aFunction,
  aInteger,
  aNumberInRange,
  randomBytes,
  type Rng,
} from '../../core/index.ts';
import { aPositive, aRequired } from '../_validate.ts';
import { bufferWords, LazyUniform, WordSource } from '../samplers/_exact.ts';
import { gaussianOne, gaussianPlan } from '../samplers/discrete.ts';

const U = 2 ** -53;

/**
 * A guaranteed upper bound on the exact L2 norm squared of `v` (float sum of squares plus the
 * worst-case rounding of d products and d additions: gamma_(d+1) = (d+1)u / (1 - (d+1)u)).
 */
function normSquaredUpper(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    s += x * x;
  }
  const n = v.length + 1;
  const gamma = (n * U) / (1 - n * U);
  return s * (1 + gamma) * (1 + 4 * U) + Number.MIN_VALUE;
}

/**
 * The result of a clipping.
 * @since 0.1.0
 * @public
 */
export interface ClipResult {
  /** The clipped copy of the input. */
  readonly vector: Float64Array;
  /** Whether the input was scaled down. */
  readonly clipped: boolean;
  /** The input's L2 (or L-infinity) norm, in doubles. */
  readonly norm: number;
}

/**
 * Scale `vector` down to L2 norm at most `bound`, with the bound guaranteed on the exact norm of
 * the returned doubles (the scale factor carries a margin for rounding and is re-checked).
 *
 * @param vector - finite numbers (`Float64Array`, `Float32Array` or `number[]`)
 * @param bound - the L2 bound, finite and > 0
 * @returns a {@link ClipResult}
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when a value is not finite or bound <= 0
 * @remarks Casacuberta et al. (CCS 2022) show that naive clipping can exceed its bound after
 * rounding, which breaks the sensitivity a DP guarantee rests on.
 * @example
 * ```ts
 * import { clipL2 } from 'privagg/dp';
 * const { vector, clipped } = clipL2([3, 4], 1);
 * console.log(clipped, Math.hypot(...vector) <= 1); // true true
 * ```
 * @since 0.1.0
 * @public
 */
export function clipL2(vector: ArrayLike<number>, bound: number): ClipResult {
  aFiniteVector('vector', vector);
  aPositive('bound', bound);
  const out = Float64Array.from(vector);
  // a bound on bound^2 from below
  const limit = bound * bound * (1 - 4 * U);
  let s = 0;
  for (let i = 0; i < out.length; i++) s += (out[i] as number) ** 2;
  const norm = Math.sqrt(s);
  if (normSquaredUpper(out) <= limit) return { vector: out, clipped: false, norm };
  let factor = (bound / norm) * (1 - (out.length + 8) * 2 * U);
  for (;;) {
    for (let i = 0; i < out.length; i++) out[i] = (vector[i] as number) * factor;
    if (normSquaredUpper(out) <= limit) return { vector: out, clipped: true, norm };
    factor *= 1 - 2 ** -40;
  }
}

/**
 * Clamp every coordinate of `vector` to [-bound, bound] (exact: no rounding happens).
 *
 * @param vector - finite numbers
 * @param bound - the L-infinity bound, finite and > 0
 * @returns a {@link ClipResult} (`norm` is the input's largest absolute value)
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when a value is not finite or bound <= 0
 * @example
 * ```ts
 * import { clipLinf } from 'privagg/dp';
 * console.log(Array.from(clipLinf([3, -0.5, -9], 1).vector)); // [ 1, -0.5, -1 ]
 * ```
 * @since 0.1.0
 * @public
 */
export function clipLinf(vector: ArrayLike<number>, bound: number): ClipResult {
  aFiniteVector('vector', vector);
  aPositive('bound', bound);
  const out = Float64Array.from(vector);
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    const x = out[i] as number;
    norm = Math.max(norm, Math.abs(x));
    if (x > bound) out[i] = bound;
    else if (x < -bound) out[i] = -bound;
  }
  return { vector: out, clipped: norm > bound, norm };
}

/**
 * The result of a batch clipping.
 * @since 0.1.0
 * @public
 */
export interface BatchClipResult {
  /** The clipped copies, in order. */
  readonly vectors: Float64Array[];
  /** How many inputs were scaled down. */
  readonly clippedCount: number;
}

/**
 * Per-example (or per-client) L2 clipping of a batch, reporting how many were clipped.
 *
 * @param vectors - the examples' vectors
 * @param bound - the L2 bound, finite and > 0
 * @returns the clipped vectors and the number clipped
 * @throws {@link !TypeError} when an argument has the wrong type
 * @throws {@link !RangeError} when a value is not finite or bound <= 0
 * @example
 * ```ts
 * import { clipL2Batch } from 'privagg/dp';
 * console.log(clipL2Batch([[3, 4], [0.1, 0]], 1).clippedCount); // 1
 * ```
 * @since 0.1.0
 * @public
 */
export function clipL2Batch(vectors: readonly ArrayLike<number>[], bound: number): BatchClipResult {
  if (!Array.isArray(vectors)) throw new TypeError('"vectors" expected an array of vectors');
  aPositive('bound', bound);
  let clippedCount = 0;
  const out = vectors.map((v) => {
    const r = clipL2(v, bound);
    if (r.clipped) clippedCount++;
    return r.vector;
  });
  return { vectors: out, clippedCount };
}

/**
 * Options of {@link AdaptiveClipNorm}.
 * @since 0.1.0
 * @public
 */
export interface AdaptiveClipOptions {
  /** The starting clip norm C, > 0. */
  readonly initialNorm: number;
  /** The target fraction gamma of clients whose update norm is at most C, in (0, 1). @defaultValue 0.5 */
  readonly targetQuantile?: number;
  /** The geometric learning rate eta, > 0. @defaultValue 0.2 */
  readonly learningRate?: number;
  /** Standard deviation sigma_b of the discrete Gaussian noise on the count of unclipped clients, > 0. */
  readonly countNoiseStddev: number;
}

/**
 * Adaptive clipping norm (Andrew, Thakkar, McMahan, Ramaswamy 2021): each round the clients
 * report whether their update norm was at most C, the server adds discrete Gaussian noise to the
 * count and moves C geometrically toward the target quantile: C <- C exp(-eta (b - gamma)),
 * b the noisy fraction.
 *
 * @remarks
 * **Privacy guarantee**: each update releases a count of sensitivity 1 (add/remove one client)
 * with N_Z(0, sigma_b^2) noise: `rhoPerUpdate` = 1 / (2 sigma_b^2) zCDP, to compose with the
 * main mechanism. **Citations**: Andrew et al., NeurIPS 2021, Algorithm 1 (geometric update).
 * @example
 * ```ts
 * import { AdaptiveClipNorm } from 'privagg/dp';
 * import { deterministicRngForTesting } from 'privagg';
 * const clip = new AdaptiveClipNorm({ initialNorm: 1, countNoiseStddev: 1 }, deterministicRngForTesting(new Uint8Array(32)));
 * // all 1000 clients were below the norm: the norm shrinks
 * console.log(clip.update(1000, 1000) < 1); // true
 * ```
 * @since 0.1.0
 * @public
 */
export class AdaptiveClipNorm {
  /** The current clip norm. */
  norm: number;
  /** zCDP cost of one {@link AdaptiveClipNorm.update}. */
  readonly rhoPerUpdate: number;
  private readonly gamma: number;
  private readonly eta: number;
  private readonly sigma2: number;
  private readonly rng: Rng;

  /**
   * @param options - {@link AdaptiveClipOptions}
   * @param rng - the randomness source (CSPRNG by default)
   * @throws {@link !TypeError} when options are missing, of the wrong type or unknown
   * @throws {@link !RangeError} when a value is out of range
   */
  constructor(options: AdaptiveClipOptions, rng: Rng = randomBytes) {
    aRequired<AdaptiveClipOptions>(
      'options',
      options,
      ['initialNorm', 'countNoiseStddev'],
      ['targetQuantile', 'learningRate'],
    );
    const { initialNorm, countNoiseStddev, targetQuantile = 0.5, learningRate = 0.2 } = options;
    aPositive('initialNorm', initialNorm);
    aNumberInRange('countNoiseStddev', countNoiseStddev, 0, 2 ** 20, { min: true });
    aNumberInRange('targetQuantile', targetQuantile, 0, 1, { min: true, max: true });
    aPositive('learningRate', learningRate);
    aFunction('rng', rng);
    this.norm = initialNorm;
    this.gamma = targetQuantile;
    this.eta = learningRate;
    this.sigma2 = countNoiseStddev * countNoiseStddev;
    this.rhoPerUpdate = 1 / (2 * this.sigma2);
    this.rng = rng;
  }

  /**
   * One round: noise the count of clients at or below the norm and update the norm.
   * @param unclippedCount - how many clients had update norm <= the current norm
   * @param clients - how many clients reported (the expected cohort size may be used instead)
   * @returns the new norm
   * @throws {@link !RangeError} when the counts are not integers with unclippedCount <= clients
   * @throws {@link !TypeError} when a count is not a number
   */
  update(unclippedCount: number, clients: number): number {
    aInteger('clients', clients, 1);
    aInteger('unclippedCount', unclippedCount, 0, clients);
    const src = new WordSource(this.rng, bufferWords(1));
    const noise = gaussianOne(src, new LazyUniform(), gaussianPlan(this.sigma2));
    src.wipe();
    const fraction = (unclippedCount + noise) / clients;
    this.norm *= Math.exp(-this.eta * (fraction - this.gamma));
    return this.norm;
  }
}
