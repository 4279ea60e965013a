/**
 * The argument-checking layer: every backend implements the unchecked {@link BackendImpl} and is
 * wrapped by {@link checkedBackend}, so all backends validate inputs, reject and clip the same way.
 * @module
 * @internal
 */
import { PrivaggError, aFinite, aInteger, aRingBits, aU32Array } from '../core/index.ts';
import {
  type ClipResult,
  type FloatArray,
  type KernelBackend,
  type KernelBackendName,
  type Stream,
  aBound,
  aFiniteEntries,
  aFloatArray,
  aQuantizeOptions,
  aRingOperands,
  aTrials,
  checkStream,
  noiseWords,
} from './backend.ts';
import { maskOf } from './reference.ts';

/** @internal What a backend implements, on validated arguments. */
export interface BackendImpl {
  readonly name: KernelBackendName;
  readonly device: string;
  readonly software: boolean;
  readonly floatEpsilon: number;
  readonly deviceOps: readonly string[];
  /**
   * Most squares the backend adds up in its own precision before the partial sums are added in
   * binary64 (its norm's error grows with this, not with d). @defaultValue the vector's length
   */
  readonly normBlock?: number;
  expandStream(stream: Stream, out: Uint32Array): Promise<void>;
  add(mask: number, a: Uint32Array, b: Uint32Array, out: Uint32Array, sub: boolean): Promise<void>;
  addStream(
    mask: number,
    a: Uint32Array,
    stream: Stream,
    out: Uint32Array,
    sub: boolean,
  ): Promise<void>;
  /** Returns how many coordinates left the signed range. */
  quantize(
    values: FloatArray,
    scale: number,
    ringBits: number,
    stream: Stream,
    out: Uint32Array,
  ): Promise<number>;
  binomialNoise(trials: number, stream: Stream, out: Int32Array): Promise<void>;
  addBinomialNoise(
    mask: number,
    a: Uint32Array,
    trials: number,
    stream: Stream,
    out: Uint32Array,
  ): Promise<void>;
  /** Sum of (x / divisor)^2. */
  sumSquares(values: FloatArray, divisor: number): Promise<number>;
  maxAbs(values: FloatArray): Promise<number>;
  scale(values: FloatArray, factor: number, out: FloatArray): Promise<void>;
  /** Returns how many coordinates were clamped. */
  clamp(values: FloatArray, bound: number, out: FloatArray): Promise<number>;
  hadamard(values: FloatArray, stream: Stream, out: FloatArray, inverse: boolean): Promise<void>;
  weightedSum(
    vectors: readonly FloatArray[],
    weights: ArrayLike<number>,
    out: FloatArray,
  ): Promise<void>;
  dispose(): void;
}

/** Squares below this sum may have lost terms to underflow: recompute scaled. */
const TINY = 2 ** -900;

/** @internal The L2 norm through an implementation, robust to overflow and underflow. */
export async function l2Norm(impl: BackendImpl, values: FloatArray): Promise<number> {
  const s = await impl.sumSquares(values, 1);
  if (Number.isFinite(s) && s >= TINY) return Math.sqrt(s);
  const m = await impl.maxAbs(values);
  if (m === 0) return 0;
  return m * Math.sqrt(await impl.sumSquares(values, m));
}

/**
 * @internal The clipping margin: with unit roundoff `eps` for the norm and `outEps` for the
 * output's rounding, scaling by `(bound / norm) * (1 - margin)` keeps the exact norm of the
 * rounded output at most `bound` (the computed sum of d squares is within (d+1) eps of the exact
 * one, and the division, the factor and each output rounding add at most one eps each). A
 * backend that sums squares in blocks of B in its precision and adds the blocks in binary64
 * passes d = B + 4 (the block's error, the two roundings of its binary32 input and the
 * binary64 additions of up to 2^28 / B partial sums, below one eps).
 */
export function clipMargin(d: number, eps: number, outEps: number): number {
  return (d + 8) * eps + 2 * outEps;
}

function unitRoundoff(a: FloatArray): number {
  return a instanceof Float32Array ? 2 ** -24 : 2 ** -53;
}

function disposedError(name: string): PrivaggError {
  return new PrivaggError('BACKEND_UNAVAILABLE', `the ${name} kernel backend was disposed`);
}

/** @internal Wrap an implementation with argument checks and the shared clipping logic. */
export function checkedBackend(impl: BackendImpl): KernelBackend {
  let disposed = false;
  const live = (): void => {
    if (disposed) throw disposedError(impl.name);
  };
  const floatIn = (name: string, values: unknown, out: unknown, length?: number): FloatArray => {
    const v = aFloatArray(name, values, length);
    aFiniteEntries(name, v);
    aFloatArray('out', out, v.length);
    return v;
  };
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    impl.dispose();
  };
  const backend: KernelBackend = {
    name: impl.name,
    device: impl.device,
    software: impl.software,
    floatEpsilon: impl.floatEpsilon,
    deviceOps: Object.freeze([...impl.deviceOps]),
    async expandStream(stream, out) {
      aU32Array('out', out);
      const s = checkStream('stream', stream, out.length);
      live();
      await impl.expandStream(s, out);
      return out;
    },
    async add(ringBits, a, b, out) {
      aRingOperands(ringBits, a, b, out);
      live();
      await impl.add(maskOf(ringBits), a, b, out, false);
      return out;
    },
    async sub(ringBits, a, b, out) {
      aRingOperands(ringBits, a, b, out);
      live();
      await impl.add(maskOf(ringBits), a, b, out, true);
      return out;
    },
    async addStream(ringBits, a, stream, out, subtract = false) {
      aRingBits(ringBits);
      aU32Array('a', a);
      aU32Array('out', out, a.length);
      if (typeof subtract !== 'boolean')
        throw new TypeError('"subtract" expected boolean or undefined');
      const s = checkStream('stream', stream, a.length);
      live();
      await impl.addStream(maskOf(ringBits), a, s, out, subtract);
      return out;
    },
    async quantize(values, options, stream, out) {
      const v = aFloatArray('values', values);
      aFiniteEntries('values', v);
      aQuantizeOptions(options);
      aU32Array('out', out, v.length);
      const s = checkStream('stream', stream, v.length);
      live();
      const bad = await impl.quantize(v, options.scale, options.ringBits, s, out);
      if (bad > 0)
        throw new PrivaggError(
          'OVERFLOW',
          `${bad} scaled value(s) do not fit the signed range of ${options.ringBits} ring bits; lower the scale or clip the input`,
        );
      return out;
    },
    async binomialNoise(trials, stream, out) {
      aTrials(trials);
      if (!(out instanceof Int32Array) || !ArrayBuffer.isView(out))
        throw new TypeError('"out" expected Int32Array');
      const s = checkStream('stream', stream, out.length * noiseWords(trials));
      live();
      await impl.binomialNoise(trials, s, out);
      return out;
    },
    async addBinomialNoise(ringBits, a, trials, stream, out) {
      aRingBits(ringBits);
      aU32Array('a', a);
      aTrials(trials);
      aU32Array('out', out, a.length);
      const s = checkStream('stream', stream, a.length * noiseWords(trials));
      live();
      await impl.addBinomialNoise(maskOf(ringBits), a, trials, s, out);
      return out;
    },
    async norm(values, kind) {
      const v = aFloatArray('values', values);
      aFiniteEntries('values', v);
      if (kind !== 'l2' && kind !== 'linf')
        throw new RangeError(`"kind" expected 'l2' or 'linf', got ${String(kind)}`);
      live();
      return kind === 'l2' ? l2Norm(impl, v) : impl.maxAbs(v);
    },
    async clipL2(values, bound, out): Promise<ClipResult> {
      const v = floatIn('values', values, out);
      aBound('bound', bound);
      live();
      const norm = await l2Norm(impl, v);
      const terms = Math.min(v.length, impl.normBlock ?? v.length);
      const margin = clipMargin(terms, impl.floatEpsilon, unitRoundoff(out));
      if (margin >= 0.5)
        throw new PrivaggError(
          'INVALID_PARAMETER',
          `vector of length ${v.length} is too long to clip with a guaranteed bound in this backend's precision`,
        );
      if (norm <= bound * (1 - margin)) {
        if (out !== v) await impl.scale(v, 1, out);
        return { norm, factor: 1, clipped: 0 };
      }
      const factor = (bound / norm) * (1 - margin);
      await impl.scale(v, factor, out);
      return { norm, factor, clipped: 1 };
    },
    async clipLinf(values, bound, out): Promise<ClipResult> {
      const v = floatIn('values', values, out);
      aBound('bound', bound);
      live();
      const norm = await impl.maxAbs(v);
      // a bound not representable in a Float32Array output is first rounded down
      const b = out instanceof Float32Array ? f32Below(bound) : bound;
      const clipped = await impl.clamp(v, b, out);
      return { norm, factor: 1, clipped };
    },
    async scale(values, factor, out) {
      const v = floatIn('values', values, out);
      aFinite('factor', factor);
      live();
      await impl.scale(v, factor, out);
      return out;
    },
    async hadamard(values, stream, out, inverse = false) {
      const v = floatIn('values', values, out);
      const d = v.length;
      aInteger('values.length', d, 1, 2 ** 28);
      if ((d & (d - 1)) !== 0)
        throw new RangeError(`"values" length must be a power of two, got ${d}`);
      if (typeof inverse !== 'boolean')
        throw new TypeError('"inverse" expected boolean or undefined');
      const s = checkStream('stream', stream, Math.ceil(d / 32));
      live();
      await impl.hadamard(v, s, out, inverse);
      return out;
    },
    async weightedSum(vectors, weights, out) {
      if (!Array.isArray(vectors) || vectors.length === 0)
        throw new TypeError('"vectors" expected a non-empty array of Float64Array or Float32Array');
      const first = aFloatArray('vectors[0]', vectors[0]);
      for (let j = 0; j < vectors.length; j++) {
        const v = aFloatArray(`vectors[${j}]`, vectors[j], first.length);
        aFiniteEntries(`vectors[${j}]`, v);
      }
      if (
        (!Array.isArray(weights) && !(weights instanceof Float64Array)) ||
        weights.length !== vectors.length
      )
        throw new TypeError('"weights" expected one number per vector (array or Float64Array)');
      for (let j = 0; j < weights.length; j++) aFinite(`weights[${j}]`, weights[j]);
      aFloatArray('out', out, first.length);
      for (let j = 1; j < vectors.length; j++)
        if (vectors[j] === out)
          throw new RangeError('"out" may alias only vectors[0] in weightedSum');
      live();
      await impl.weightedSum(vectors, weights, out);
      return out;
    },
    dispose,
    [Symbol.dispose]: dispose,
  };
  return Object.freeze(backend);
}

/** The largest binary32 value <= x (x finite, > 0). */
function f32Below(x: number): number {
  const f = Math.fround(x);
  if (f <= x) return f;
  // step one binary32 ulp down
  const buf = new Float32Array([f]);
  const bits = new Uint32Array(buf.buffer);
  bits[0] = (bits[0] as number) - 1;
  return buf[0] as number;
}
