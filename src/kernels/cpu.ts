/**
 * The `cpu` backend: the exact TypeScript reference every other backend is checked against.
 * @module
 */
import type { KernelBackend } from './backend.ts';
import { type BackendImpl, checkedBackend } from './_checked.ts';
import {
  addRange,
  addStreamRange,
  clampRange,
  expandRange,
  hadamardFull,
  maxAbsRange,
  noiseRange,
  quantizeRange,
  scaledSumSquaresRange,
  scaleRange,
  sumSquaresRange,
  weightedSumRange,
} from './reference.ts';

const reference: BackendImpl = {
  name: 'cpu' as const,
  device: 'main thread (TypeScript reference)',
  software: false,
  floatEpsilon: 2 ** -53,
  deviceOps: Object.freeze([
    'expandStream',
    'add',
    'sub',
    'addStream',
    'quantize',
    'binomialNoise',
    'addBinomialNoise',
    'norm',
    'clipL2',
    'clipLinf',
    'scale',
    'hadamard',
    'weightedSum',
  ]),
  expandStream: (stream, out) => expandRange(stream, out, 0, out.length),
  add: async (mask, a, b, out, sub) => addRange(mask, a, b, out, sub, 0, a.length),
  addStream: (mask, a, stream, out, sub) => addStreamRange(mask, a, stream, out, sub, 0, a.length),
  quantize: (values, scale, ringBits, stream, out) =>
    quantizeRange(values, scale, ringBits, stream, out, 0, values.length),
  binomialNoise: (trials, stream, out) =>
    noiseRange(trials, stream, { kind: 'int', out }, 0, out.length),
  addBinomialNoise: (mask, a, trials, stream, out) =>
    noiseRange(trials, stream, { kind: 'ring', mask, a, out }, 0, a.length),
  sumSquares: async (values, divisor) =>
    divisor === 1
      ? sumSquaresRange(values, 0, values.length)
      : scaledSumSquaresRange(values, divisor, 0, values.length),
  maxAbs: async (values) => maxAbsRange(values, 0, values.length),
  scale: async (values, factor, out) => scaleRange(values, factor, out, 0, values.length),
  clamp: async (values, bound, out) => clampRange(values, bound, out, 0, values.length),
  hadamard: (values, stream, out, inverse) => hadamardFull(values, stream, out, inverse),
  weightedSum: async (vectors, weights, out) =>
    weightedSumRange(vectors, weights, out, 0, out.length),
  dispose: () => {},
};

/** @internal The reference implementation, also used by other backends for host-side operations. */
export const cpuImpl: BackendImpl = Object.freeze(reference);

/**
 * The exact CPU reference backend: pure TypeScript on the calling thread, available everywhere.
 * It is fast on its own (native AES through node:crypto where available, a tight ChaCha20) and
 * defines the result every other backend must reproduce bit for bit (exact operations) or
 * within the stated tolerance (float operations).
 *
 * @returns a {@link KernelBackend} named `cpu`
 * @example
 * ```ts
 * import { createCpuBackend } from 'privagg/kernels';
 * const cpu = createCpuBackend();
 * const out = await cpu.add(8, new Uint32Array([250, 3]), new Uint32Array([10, 4]), new Uint32Array(2));
 * console.log(Array.from(out).join(',')); // 4,7
 * ```
 * @since 0.1.0
 * @public
 */
export function createCpuBackend(): KernelBackend {
  return checkedBackend(cpuImpl);
}
