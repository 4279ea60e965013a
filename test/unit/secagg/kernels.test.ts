/**
 * Secure aggregation's masks go through privagg/kernels: the choice of kernel backend (cpu,
 * workers, gpujs) never changes a sum, with dropouts (the server regenerates pair masks), and a
 * bad `kernels` option is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicRngForTesting } from '../../../src/index.ts';
import {
  createCpuBackend,
  createGpuJsBackend,
  createWorkersBackend,
  type KernelBackend,
} from '../../../src/kernels/index.ts';
import {
  planSecAgg,
  SecAggClient,
  SecAggServer,
  simulateSecAgg,
} from '../../../src/secagg/index.ts';
import { applyMasks, type MaskJob } from '../../../src/secagg/masks.ts';
import { addMasks } from '../../../src/secagg/pool.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const seeded = (tag: number) => deterministicRngForTesting(new Uint8Array(32).fill(tag));

function inputs(n: number, d: number, max: number): Uint32Array[] {
  const rng = seeded(77);
  return Array.from({ length: n }, () => {
    const raw = new Uint32Array(rng(4 * d).buffer);
    for (let j = 0; j < d; j++) raw[j] = (raw[j] as number) % (max + 1);
    return raw;
  });
}

const backends: { name: string; backend: KernelBackend }[] = [];
beforeAll(async () => {
  backends.push(
    { name: 'cpu', backend: createCpuBackend() },
    { name: 'workers', backend: createWorkersBackend({ threads: 2, minParallelWork: 0 }) },
    { name: 'gpujs', backend: await createGpuJsBackend({ mode: 'cpu' }) },
  );
});
afterAll(() => {
  for (const b of backends) b.backend.dispose();
});

describe('secagg through privagg/kernels', () => {
  it('masked vectors are bit-identical to the in-thread mask loop on every backend', async () => {
    const rng = seeded(9);
    const jobs: MaskJob[] = Array.from({ length: 5 }, (_, j) => ({
      key: rng(32),
      sign: j % 2 === 0 ? 1 : -1,
    }));
    for (const d of [1, 1000, 70_001]) {
      const x = new Uint32Array(rng(4 * d).buffer);
      const legacy = x.slice();
      await applyMasks(legacy, jobs, 32, 0);
      for (const { name, backend } of backends) {
        const got = x.slice();
        await addMasks(got, jobs, 32, d, undefined, undefined, backend);
        expect(got, `${name}, d = ${d}`).toEqual(legacy);
      }
    }
  });
  for (const modulusBits of [20, 32, 40])
    it(`every backend gives the same sum (k = ${modulusBits}, two dropouts)`, async () => {
      const n = 6;
      const d = 3001;
      const xs = inputs(n, d, 1000);
      const run = (kernels?: KernelBackend) =>
        simulateSecAgg({
          inputs: xs,
          modulusBits,
          maxInputValue: 1000,
          neighbors: 'all',
          threshold: 3,
          corruptFraction: 0,
          dropouts: { afterShareKeys: [1], duringUnmask: [4] },
          ...(kernels === undefined ? {} : { kernels }),
          rng: seeded(5),
        });
      const reference = await run();
      const expected = new Uint32Array(d);
      for (const i of reference.survivors)
        for (let j = 0; j < d; j++)
          expected[j] = (expected[j] as number) + ((xs[i] as Uint32Array)[j] as number);
      // wide rings (k > 32) come back as bigints
      const sum = Array.from(reference.sum as ArrayLike<number | bigint>, Number);
      expect(reference.survivors).toEqual([0, 2, 3, 4, 5]);
      expect(sum).toEqual(Array.from(expected));
      for (const { name, backend } of backends)
        expect(
          Array.from((await run(backend)).sum as ArrayLike<number | bigint>, Number),
          name,
        ).toEqual(sum);
    });
  it('refuses a kernels option that is not a backend', () => {
    const plan = planSecAgg({
      clients: 3,
      dimension: 2,
      neighbors: 'all',
      threshold: 2,
      corruptFraction: 0,
    });
    for (const { name, value } of HOSTILE_VALUES) {
      if (value === undefined) continue;
      const kernels = value as never;
      expect(() => new SecAggServer({ plan, kernels }), name).toThrow(TypeError);
      expect(
        () => new SecAggClient({ plan, id: 0, input: Uint32Array.of(1, 2), kernels }),
        name,
      ).toThrow(TypeError);
    }
  });
});
