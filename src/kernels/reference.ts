/**
 * The exact reference kernels, written over index ranges `[start, end)` of whole arrays so the
 * `cpu` backend runs them on everything and the `workers` backend runs them shard by shard on
 * shared memory. Loops over secret data (masks, noise, quantized values) do not branch on it.
 * @module
 * @internal
 */
import { createKeystream, type Keystream } from '../core/index.ts';
import type { FloatArray, Stream } from './backend.ts';

/** Stream words per keystream call (256 KiB of scratch: fits L2, and amortizes the per-call cost of native AES-CTR, as secagg's mask loop does). */
const CHUNK = 1 << 16;
const TWO32 = 4294967296;

/** @internal The ring mask 2^k - 1 as an int32 bit pattern. */
export function maskOf(ringBits: number): number {
  return ringBits === 32 ? -1 : (2 ** ringBits - 1) | 0;
}

function keystream(stream: Stream): Keystream {
  return createKeystream(stream.key, { algorithm: stream.algorithm, nonce: stream.nonce });
}

async function fill(ks: Keystream, out: Uint32Array, wordOffset: number): Promise<void> {
  if (ks.syncAvailable) ks.fillWordsSync(out, wordOffset);
  else await ks.fillWords(out, wordOffset);
}

/** @internal `out[i] = W(i)` for i in [start, end). */
export async function expandRange(
  stream: Stream,
  out: Uint32Array,
  start: number,
  end: number,
): Promise<void> {
  if (end <= start) return;
  await fill(keystream(stream), out.subarray(start, end), stream.wordOffset + start);
}

/** @internal `out[i] = (a[i] + sign * b[i]) & mask` for i in [start, end); sign is 1 or -1. */
export function addRange(
  mask: number,
  a: Uint32Array,
  b: Uint32Array,
  out: Uint32Array,
  subtract: boolean,
  start: number,
  end: number,
): void {
  if (subtract)
    for (let i = start; i < end; i++) out[i] = ((a[i] as number) - (b[i] as number)) & mask;
  else for (let i = start; i < end; i++) out[i] = ((a[i] as number) + (b[i] as number)) & mask;
}

/**
 * Scratch for keystream words on the synchronous path, shared by every call on this thread: a
 * synchronous loop never yields, so no two calls use it at once. It is not zeroed after each
 * call (that cost ~5% of a mask; the next call overwrites it, and JavaScript guarantees no
 * erasure anyway), so the last mask's words stay in this thread's memory until then.
 */
let syncScratch: Uint32Array | undefined;
function scratchFor(n: number): Uint32Array {
  if (syncScratch === undefined || syncScratch.length < n)
    syncScratch = new Uint32Array(Math.max(n, 1024));
  return syncScratch;
}

function addWords(
  mask: number,
  a: Uint32Array,
  w: Uint32Array,
  out: Uint32Array,
  subtract: boolean,
  s: number,
  n: number,
): void {
  if (a === out) {
    // in place (the secure-aggregation mask loop): one array, one load per element
    const v = out.subarray(s, s + n);
    if (subtract) for (let j = 0; j < n; j++) v[j] = ((v[j] as number) - (w[j] as number)) & mask;
    else for (let j = 0; j < n; j++) v[j] = ((v[j] as number) + (w[j] as number)) & mask;
    return;
  }
  if (subtract)
    for (let j = 0; j < n; j++) out[s + j] = ((a[s + j] as number) - (w[j] as number)) & mask;
  else for (let j = 0; j < n; j++) out[s + j] = ((a[s + j] as number) + (w[j] as number)) & mask;
}

/** @internal `out[i] = (a[i] ± (W(i) & mask)) & mask` for i in [start, end). */
export async function addStreamRange(
  mask: number,
  a: Uint32Array,
  stream: Stream,
  out: Uint32Array,
  subtract: boolean,
  start: number,
  end: number,
): Promise<void> {
  const ks = keystream(stream);
  const size = Math.min(CHUNK, Math.max(0, end - start));
  if (ks.syncAvailable) {
    // no await anywhere: many small calls (one per mask) cost no allocation and no microtask
    const words = scratchFor(size);
    for (let s = start; s < end; s += CHUNK) {
      const n = Math.min(CHUNK, end - s);
      const w = words.subarray(0, n);
      ks.fillWordsSync(w, stream.wordOffset + s);
      addWords(mask, a, w, out, subtract, s, n);
    }
    return;
  }
  const words = new Uint32Array(size);
  for (let s = start; s < end; s += CHUNK) {
    const n = Math.min(CHUNK, end - s);
    const w = n === words.length ? words : words.subarray(0, n);
    await ks.fillWords(w, stream.wordOffset + s);
    addWords(mask, a, w, out, subtract, s, n);
  }
  words.fill(0);
}

/**
 * @internal Stochastic rounding for i in [start, end) (see `KernelBackend.quantize`). Returns
 * how many coordinates fell outside [-2^(k-1), 2^(k-1)); the caller rejects if any did.
 */
export async function quantizeRange(
  values: FloatArray,
  scale: number,
  ringBits: number,
  stream: Stream,
  out: Uint32Array,
  start: number,
  end: number,
): Promise<number> {
  const mask = maskOf(ringBits);
  const half = 2 ** (ringBits - 1);
  const ks = keystream(stream);
  const words = new Uint32Array(Math.min(CHUNK, Math.max(0, end - start)));
  let bad = 0;
  for (let s = start; s < end; s += CHUNK) {
    const n = Math.min(CHUNK, end - s);
    const w = n === words.length ? words : words.subarray(0, n);
    await fill(ks, w, stream.wordOffset + s);
    for (let j = 0; j < n; j++) {
      const y = (values[s + j] as number) * scale;
      const f = Math.floor(y);
      // (y - f) is exact, and so is the product with 2^32 (a power of two) and its ceiling
      const t = Math.ceil((y - f) * TWO32);
      const q = f + ((w[j] as number) < t ? 1 : 0);
      bad += (q < -half ? 1 : 0) | (q >= half ? 1 : 0) | (Number.isFinite(y) ? 0 : 1);
      out[s + j] = q & mask;
    }
  }
  words.fill(0);
  return bad;
}

/** @internal Number of set bits of a 32-bit word (branch-free). */
export function popcount32(word: number): number {
  let x = word - ((word >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * @internal Centered binomial noise for coordinates [start, end): written to `noise` when given,
 * else added to `a` into `out` modulo 2^k.
 */
export async function noiseRange(
  trials: number,
  stream: Stream,
  target:
    | { kind: 'int'; out: Int32Array }
    | { kind: 'ring'; mask: number; a: Uint32Array; out: Uint32Array },
  start: number,
  end: number,
): Promise<void> {
  const perCoord = Math.ceil(trials / 32);
  const lastBits = trials - 32 * (perCoord - 1);
  const lastMask = lastBits === 32 ? -1 : (1 << lastBits) - 1;
  const center = trials / 2;
  const coordsPerChunk = Math.max(1, Math.floor(CHUNK / perCoord));
  const ks = keystream(stream);
  const words = new Uint32Array(Math.min(coordsPerChunk, Math.max(0, end - start)) * perCoord);
  for (let s = start; s < end; s += coordsPerChunk) {
    const n = Math.min(coordsPerChunk, end - s);
    const w = n * perCoord === words.length ? words : words.subarray(0, n * perCoord);
    await fill(ks, w, stream.wordOffset + s * perCoord);
    const o = target.out;
    if (target.kind === 'int') {
      for (let j = 0; j < n; j++)
        o[s + j] = popcountRun(w, j * perCoord, perCoord, lastMask) - center;
    } else {
      const { a, mask } = target;
      for (let j = 0; j < n; j++)
        o[s + j] =
          ((a[s + j] as number) + popcountRun(w, j * perCoord, perCoord, lastMask) - center) & mask;
    }
  }
  words.fill(0);
}

/** Set bits in words [base, base + count), the last one masked. */
function popcountRun(w: Uint32Array, base: number, count: number, lastMask: number): number {
  let c = 0;
  const last = base + count - 1;
  for (let k = base; k < last; k++) c += popcount32(w[k] as number);
  return c + popcount32((w[last] as number) & lastMask);
}

/** @internal Sum of squares over [start, end), in order. */
export function sumSquaresRange(values: FloatArray, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) {
    const x = values[i] as number;
    s += x * x;
  }
  return s;
}

/** @internal Largest |x| over [start, end). */
export function maxAbsRange(values: FloatArray, start: number, end: number): number {
  let m = 0;
  for (let i = start; i < end; i++) m = Math.max(m, Math.abs(values[i] as number));
  return m;
}

/** @internal Sum of (x / divisor)^2 over [start, end), for vectors whose squares over/underflow. */
export function scaledSumSquaresRange(
  values: FloatArray,
  divisor: number,
  start: number,
  end: number,
): number {
  let s = 0;
  for (let i = start; i < end; i++) {
    const x = (values[i] as number) / divisor;
    s += x * x;
  }
  return s;
}

/** @internal `out[i] = factor * values[i]` over [start, end). */
export function scaleRange(
  values: FloatArray,
  factor: number,
  out: FloatArray,
  start: number,
  end: number,
): void {
  for (let i = start; i < end; i++) out[i] = (values[i] as number) * factor;
}

/** @internal Clamp to [-bound, bound] over [start, end); returns how many were clamped. */
export function clampRange(
  values: FloatArray,
  bound: number,
  out: FloatArray,
  start: number,
  end: number,
): number {
  let clamped = 0;
  for (let i = start; i < end; i++) {
    const x = values[i] as number;
    const y = Math.min(bound, Math.max(-bound, x));
    clamped += y === x ? 0 : 1;
    out[i] = y;
  }
  return clamped;
}

/** @internal `out[i] = sum_j w_j v_j[i]` over [start, end), summed in order of j. */
export function weightedSumRange(
  vectors: readonly FloatArray[],
  weights: ArrayLike<number>,
  out: FloatArray,
  start: number,
  end: number,
): void {
  const first = vectors[0] as FloatArray;
  const w0 = weights[0] as number;
  if (out !== first) for (let i = start; i < end; i++) out[i] = w0 * (first[i] as number);
  else for (let i = start; i < end; i++) out[i] = w0 * (first[i] as number);
  for (let j = 1; j < vectors.length; j++) {
    const v = vectors[j] as FloatArray;
    const w = weights[j] as number;
    for (let i = start; i < end; i++) out[i] = (out[i] as number) + w * (v[i] as number);
  }
}

/**
 * @internal Randomized Hadamard rotation over the whole vector (see `KernelBackend.hadamard`):
 * signs from bit i mod 32 of W(floor(i / 32)), an in-place fast Walsh-Hadamard transform, and
 * the 1/sqrt(d) normalisation.
 */
export async function hadamardFull(
  values: FloatArray,
  stream: Stream,
  out: FloatArray,
  inverse: boolean,
): Promise<void> {
  const d = values.length;
  const signs = new Uint32Array(Math.ceil(d / 32));
  await fill(keystream(stream), signs, stream.wordOffset);
  const applySigns = (): void => {
    for (let i = 0; i < d; i++) {
      const bit = ((signs[i >>> 5] as number) >>> (i & 31)) & 1;
      out[i] = (out[i] as number) * (1 - 2 * bit);
    }
  };
  if (out !== values) out.set(values);
  if (!inverse) applySigns();
  fwht(out);
  const norm = 1 / Math.sqrt(d);
  for (let i = 0; i < d; i++) out[i] = (out[i] as number) * norm;
  if (inverse) applySigns();
  signs.fill(0);
}

/** @internal In-place unnormalised fast Walsh-Hadamard transform (length a power of two). */
export function fwht(x: FloatArray): void {
  const d = x.length;
  for (let h = 1; h < d; h *= 2) {
    for (let i = 0; i < d; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const u = x[j] as number;
        const v = x[j + h] as number;
        x[j] = u + v;
        x[j + h] = u - v;
      }
    }
  }
}
