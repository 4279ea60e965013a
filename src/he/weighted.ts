/**
 * Weighted sums: the streaming accumulator {@link CkksWeightedSum} and its two SEAL steps
 * (plaintext multiply into one accumulator, then one rescale).
 * @module
 */
import type { Ciphertext } from 'node-seal/throws';
import { aFinite, PrivaggError } from '../core/index.ts';
import type { CkksContext } from './ckks.ts';
import { CkksVector, MAX_WEIGHT } from './handles.ts';
import { addNoise, type Noise, rescaleNoise, weightNoise } from './noise.ts';
import { basePrimeCount } from './params.ts';
import { sealCall } from './seal.ts';

/** One step of a weighted sum: acc (+)= w * v; returns the new accumulator. */
function weightedStep(
  ctx: CkksContext,
  acc: Ciphertext[] | undefined,
  v: CkksVector,
  w: number,
  level: number,
): Ciphertext[] {
  const seal = ctx._seal;
  const primes = ctx._shape.primes[level] as readonly bigint[];
  if (level + 1 >= ctx._shape.primes.length || primes.length <= basePrimeCount(ctx.parameters))
    throw new PrivaggError('INVALID_PARAMETER', 'weighted sum: no level left to rescale');
  const p = Number(primes[primes.length - 1] as bigint);
  if (Math.abs(w) * p < 1) throw new RangeError(`"weight" is too small to encode (|w| < 1/${p})`);
  if (acc === undefined) ctx._reserve(v._cts.length * ctx._ctBytes(level), 'weighted sum');
  const out = acc ?? [];
  const pt = ctx._scratch();
  const tmp = new seal.Ciphertext();
  const constant = new Float64Array(ctx.slotCount).fill(w);
  try {
    sealCall(seal, 'INVALID_PARAMETER', 'weighted sum', () => {
      ctx._encoder.encode(constant, p, pt);
      const pid = (v._cts[0] as Ciphertext).parmsId();
      try {
        ctx._evaluator.plainModSwitchToInplace(pt, pid);
      } finally {
        pid.delete();
      }
    });
    for (let c = 0; c < v._cts.length; c++) {
      const src = v._cts[c] as Ciphertext;
      if (acc === undefined) {
        const ct = ctx._track(new seal.Ciphertext(), ctx._ctBytes(level));
        out.push(ct);
        sealCall(seal, 'DOMAIN_MISMATCH', 'weighted sum', () =>
          ctx._evaluator.multiplyPlain(src, pt, ct),
        );
      } else {
        sealCall(seal, 'DOMAIN_MISMATCH', 'weighted sum', () => {
          ctx._evaluator.multiplyPlain(src, pt, tmp);
          ctx._evaluator.addInplace(out[c] as Ciphertext, tmp);
        });
      }
    }
  } catch (e) {
    if (acc === undefined) for (const ct of out) ctx._free(ct);
    throw e;
  } finally {
    tmp.delete();
  }
  return out;
}

/** Rescale an accumulator; returns the vector. */
function weightedFinish(
  ctx: CkksContext,
  acc: Ciphertext[],
  level: number,
  meta: { length: number; bound: number; noise: Noise },
): CkksVector {
  const seal = ctx._seal;
  try {
    for (const ct of acc)
      sealCall(seal, 'INVALID_PARAMETER', 'rescale', () => ctx._evaluator.rescaleToNextInplace(ct));
  } catch (e) {
    for (const ct of acc) ctx._free(ct);
    throw e;
  }
  const now = ctx._ctBytes(level + 1);
  for (const ct of acc) ctx._resize(ct, now);
  const outScale = (acc[0] as Ciphertext).scale();
  return new CkksVector(ctx, acc, {
    length: meta.length,
    bound: meta.bound,
    noise: rescaleNoise(meta.noise, ctx.parameters.polyModulusDegree, outScale),
  });
}

/**
 * A streaming weighted sum (see {@link CkksContext.createWeightedSum}).
 * @since 0.1.0
 * @public
 */
export class CkksWeightedSum {
  private readonly ctx: CkksContext;
  private acc: Ciphertext[] | undefined;
  private level = -1;
  private length = 0;
  private bound = 0;
  private noise: Noise = { free: 0, keyed: 0, bias: 0 };
  private count = 0;
  private done = false;
  /** @internal Use {@link CkksContext.createWeightedSum}. */
  constructor(ctx: CkksContext) {
    this.ctx = ctx;
  }
  /** Number of vectors added so far. */
  get size(): number {
    return this.count;
  }
  /**
   * Add `weight * vector` into the accumulator.
   * @param vector - a vector of the accumulator's context, same length and level as the others
   * @param weight - a finite nonzero weight, |weight| <= 2^20
   * @throws {@link !TypeError} when `vector` is not a {@link CkksVector}
   * @throws {@link !RangeError} when `weight` is out of range
   * @throws {@link index!PrivaggError} `DOMAIN_MISMATCH` for a mismatched vector; `OVERFLOW` past the
   *   headroom; `PROTOCOL_ABORTED` after `finish()`
   */
  add(vector: CkksVector, weight: number): void {
    if (this.done) throw new PrivaggError('PROTOCOL_ABORTED', 'this weighted sum is finished');
    this.ctx._checkVector(vector, 'vector');
    aFinite('weight', weight);
    if (weight === 0 || Math.abs(weight) > MAX_WEIGHT)
      throw new RangeError(`"weight" expected nonzero |weight| <= 2^20, got ${weight}`);
    const level = this.ctx._levelOf(vector);
    if (this.acc !== undefined) {
      if (vector.length !== this.length)
        throw new PrivaggError('DOMAIN_MISMATCH', 'weighted sum: lengths differ');
      if (level !== this.level)
        throw new PrivaggError('DOMAIN_MISMATCH', 'weighted sum: levels differ');
    }
    const bound = this.bound + Math.abs(weight) * vector.bound;
    this.ctx._checkHeadroom(bound, 'weighted sum');
    this.acc = weightedStep(this.ctx, this.acc, vector, weight, level);
    this.level = level;
    this.length = vector.length;
    this.bound = bound;
    this.noise = addNoise(
      this.noise,
      weightNoise(vector._noise, weight, vector.bound, this.ctx._lastPrime(level)),
    );
    this.count++;
  }
  /**
   * Rescale and return the weighted sum; the accumulator is then finished.
   * @returns the weighted sum, one level below its inputs
   * @throws {@link index!PrivaggError} `PROTOCOL_ABORTED` when nothing was added or already finished
   */
  finish(): CkksVector {
    if (this.done || this.acc === undefined)
      throw new PrivaggError('PROTOCOL_ABORTED', 'weighted sum: nothing to finish');
    this.done = true;
    const acc = this.acc;
    this.acc = undefined;
    return weightedFinish(this.ctx, acc, this.level, {
      length: this.length,
      bound: this.bound,
      noise: this.noise,
    });
  }
  /** Free the accumulator if it was not finished. Idempotent. */
  dispose(): void {
    this.done = true;
    if (this.acc !== undefined) for (const ct of this.acc) this.ctx._free(ct);
    this.acc = undefined;
  }
  /** Same as {@link CkksWeightedSum.dispose}. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
