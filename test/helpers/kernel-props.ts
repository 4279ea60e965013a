/**
 * Every backend that runs here against the cpu reference on random inputs: exact operations bit
 * for bit, float operations within the tolerance `KernelBackend` states, clipping never above
 * the bound (checked in exact rational arithmetic).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCpuBackend,
  type FloatArray,
  type KernelBackend,
  type StreamSpec,
} from '../../src/kernels/index.ts';
import { exactL2AtMost } from './kernels.ts';

const cpu = createCpuBackend();

const numRuns = 25;
const stream = (): fc.Arbitrary<StreamSpec> =>
  fc.record({
    key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    algorithm: fc.constantFrom('chacha20' as const, 'aes-256-ctr' as const),
    wordOffset: fc.integer({ min: 0, max: 2 ** 30 }),
  });
const u32s = (n: number) =>
  fc.uint32Array({ minLength: n, maxLength: n }).map((a) => Uint32Array.from(a));
const lengthAndTwo = fc.integer({ min: 0, max: 3000 }).chain((n) => fc.tuple(u32s(n), u32s(n)));
const floats = (min: number, max: number) =>
  fc
    .array(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), { maxLength: 3000 })
    .map((a) => Float64Array.from(a));

function withNonce(s: StreamSpec): StreamSpec {
  return { ...s, nonce: new Uint8Array(s.algorithm === 'aes-256-ctr' ? 16 : 12).fill(9) };
}

function closeTo(a: FloatArray, b: FloatArray, tol: (i: number) => number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs((a[i] as number) - (b[i] as number));
    if (!(err <= tol(i))) expect.fail(`element ${i}: error ${err} above tolerance ${tol(i)}`);
  }
}

/** Register the property tests of one backend (made lazily) against the cpu reference. */
export function propertySuite(
  name: string,
  get: () => KernelBackend | Promise<KernelBackend>,
): void {
  describe(`${name} matches the cpu reference`, () => {
    let backend: KernelBackend;
    beforeAll(async () => {
      backend = await get();
    });
    it('expandStream, add, sub and addStream are bit-identical', async () => {
      await fc.assert(
        fc.asyncProperty(
          lengthAndTwo,
          stream(),
          fc.integer({ min: 1, max: 32 }),
          fc.boolean(),
          async ([a, b], s, k, sub) => {
            const n = a.length;
            const spec = withNonce(s);
            expect(await backend.expandStream(spec, new Uint32Array(n))).toEqual(
              await cpu.expandStream(spec, new Uint32Array(n)),
            );
            expect(await backend.add(k, a, b, new Uint32Array(n))).toEqual(
              await cpu.add(k, a, b, new Uint32Array(n)),
            );
            expect(await backend.sub(k, a, b, new Uint32Array(n))).toEqual(
              await cpu.sub(k, a, b, new Uint32Array(n)),
            );
            expect(await backend.addStream(k, a, spec, new Uint32Array(n), sub)).toEqual(
              await cpu.addStream(k, a, spec, new Uint32Array(n), sub),
            );
          },
        ),
        { numRuns },
      );
    });
    it('binomial noise and quantization are bit-identical', async () => {
      await fc.assert(
        fc.asyncProperty(
          floats(-1000, 1000),
          stream(),
          fc.integer({ min: 1, max: 200 }).map((t) => 2 * t),
          fc.double({ min: 1e-3, max: 1e5, noNaN: true }),
          async (values, s, trials, scale) => {
            const n = values.length;
            const spec = withNonce(s);
            expect(await backend.binomialNoise(trials, spec, new Int32Array(n))).toEqual(
              await cpu.binomialNoise(trials, spec, new Int32Array(n)),
            );
            const a = Uint32Array.from(values, (x) => Math.abs(Math.trunc(x)));
            expect(await backend.addBinomialNoise(20, a, trials, spec, new Uint32Array(n))).toEqual(
              await cpu.addBinomialNoise(20, a, trials, spec, new Uint32Array(n)),
            );
            const opts = { scale, ringBits: 32 };
            expect(await backend.quantize(values, opts, spec, new Uint32Array(n))).toEqual(
              await cpu.quantize(values, opts, spec, new Uint32Array(n)),
            );
          },
        ),
        { numRuns },
      );
    });
    it('norms, scale and weighted sums agree within the stated tolerance', async () => {
      await fc.assert(
        fc.asyncProperty(
          floats(-1e6, 1e6),
          fc.double({ min: -1e3, max: 1e3, noNaN: true }),
          fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 4 }),
          async (values, factor, weights) => {
            const n = values.length;
            const eps = Math.max(backend.floatEpsilon, 2 ** -53);
            for (const kind of ['l2', 'linf'] as const) {
              const ref = await cpu.norm(values, kind);
              const got = await backend.norm(values, kind);
              expect(Math.abs(got - ref)).toBeLessThanOrEqual((2 * n + 4) * eps * ref);
            }
            const ref = await cpu.scale(values, factor, new Float64Array(n));
            closeTo(
              await backend.scale(values, factor, new Float64Array(n)),
              ref,
              (i) => 2 * eps * Math.abs(ref[i] as number),
            );
            const vectors = weights.map((_, j) => values.map((x) => x / (j + 1)));
            const sumAbs = new Float64Array(n);
            for (const [j, v] of vectors.entries())
              for (let i = 0; i < n; i++)
                sumAbs[i] =
                  (sumAbs[i] as number) + Math.abs((weights[j] as number) * (v[i] as number));
            const refSum = await cpu.weightedSum(vectors, weights, new Float64Array(n));
            closeTo(
              await backend.weightedSum(vectors, weights, new Float64Array(n)),
              refSum,
              (i) => 2 * (weights.length + 1) * eps * (sumAbs[i] as number),
            );
          },
        ),
        { numRuns },
      );
    });
    it('clipping never exceeds the bound (exact rational check) and matches cpu', async () => {
      await fc.assert(
        fc.asyncProperty(
          floats(-1e3, 1e3),
          fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
          fc.boolean(),
          async (values, bound, f32) => {
            const n = values.length;
            const out = f32 ? new Float32Array(n) : new Float64Array(n);
            const r = await backend.clipL2(values, bound, out);
            expect(exactL2AtMost(out, bound)).toBe(true);
            const ref = await cpu.clipL2(
              values,
              bound,
              f32 ? new Float32Array(n) : new Float64Array(n),
            );
            expect(r.clipped).toBe(ref.clipped);
            const linf = await backend.clipLinf(values, bound, out);
            for (const x of out) expect(Math.abs(x)).toBeLessThanOrEqual(bound);
            expect(linf.clipped).toBe(values.filter((x) => Math.abs(x) > bound).length);
          },
        ),
        { numRuns },
      );
    });
    it('hadamard agrees within (log2 d + 2) eps ||x|| and inverts', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 12 }), stream(), async (log, s) => {
          const d = 2 ** log;
          const values = Float64Array.from({ length: d }, (_, i) => Math.sin(i + log) * 10);
          const spec = withNonce(s);
          const ref = await cpu.hadamard(values, spec, new Float64Array(d));
          const got = await backend.hadamard(values, spec, new Float64Array(d));
          const norm = await cpu.norm(values, 'l2');
          const eps = Math.max(backend.floatEpsilon, 2 ** -53);
          closeTo(got, ref, () => 2 * (log + 2) * eps * norm);
          const back = await backend.hadamard(got, spec, new Float64Array(d), true);
          closeTo(back, values, () => 4 * (log + 2) * eps * norm);
        }),
        { numRuns: 10 },
      );
    });
  });
}
