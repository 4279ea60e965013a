/**
 * The aggregate API's ring additions (`none`, additive sharing), secure aggregation's masks and
 * the distributed-DP rotation run through privagg/kernels: the backend never changes a sum
 * (cpu, workers), or changes it only within its float precision (gpujs's binary32 rotation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregationConfig } from '../../../src/aggregate/config.ts';
import type { PlanDescription } from '../../../src/aggregate/plan.ts';
import { normalizeDropouts, secureSum } from '../../../src/aggregate/protect.ts';
import { secaggInputRange } from '../../../src/aggregate/quantize.ts';
import {
  createMemoryTransport,
  deterministicRngForTesting,
  planAggregation,
} from '../../../src/index.ts';
import {
  createCpuBackend,
  createGpuJsBackend,
  createWorkersBackend,
  type KernelBackend,
} from '../../../src/kernels/index.ts';
import { planSecAgg } from '../../../src/secagg/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';
import { clientSeed, serverSeed, transportRound } from '../../helpers/rounds.ts';

const seeded = (tag: number) => deterministicRngForTesting(new Uint8Array(32).fill(tag));
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

describe('secureSum through privagg/kernels', () => {
  const n = 5;
  const d = 2049;
  const k = 24;
  const encoded = (): Uint32Array[] => {
    const rng = seeded(3);
    return Array.from({ length: n }, () => {
      const e = new Uint32Array(rng(4 * d).buffer);
      // signed values in [-1000, 1000] encoded mod 2^k
      for (let j = 0; j < d; j++) e[j] = (((e[j] as number) % 2001) - 1000) & (2 ** k - 1);
      return e;
    });
  };
  const description = {
    quantization: { ringBits: k, scale: 1, clientBound: 1000, sumBound: 5000, wrapProbability: 0 },
    protectedDimension: d,
    rotation: { kind: 'none', paddedDimension: d },
  } as unknown as PlanDescription;
  const { maxInputValue, offset } = secaggInputRange(k, n);
  const cases: [string, AggregationConfig['protection']][] = [
    ['none', { kind: 'none' }],
    ['additive sharing', { kind: 'shamir', servers: 3 }],
    ['secagg', { kind: 'secagg' } as AggregationConfig['protection']],
  ];
  for (const [label, protection] of cases)
    it(`${label}: every backend gives the default's sum`, async () => {
      const config = { protection } as AggregationConfig;
      const secagg =
        protection.kind === 'secagg'
          ? {
              plan: planSecAgg({
                clients: n,
                dimension: d,
                modulusBits: k,
                maxInputValue,
                neighbors: 'all',
                threshold: 3,
                corruptFraction: 0,
              }),
              offset,
            }
          : undefined;
      const dropouts = normalizeDropouts([2], n);
      const reference = await secureSum(
        config,
        description,
        secagg,
        encoded(),
        dropouts,
        seeded(8),
      );
      const xs = encoded();
      const expected = new Uint32Array(d);
      for (const i of reference.participants)
        for (let j = 0; j < d; j++)
          expected[j] =
            ((expected[j] as number) + ((xs[i] as Uint32Array)[j] as number)) & (2 ** k - 1);
      expect(reference.participants).toEqual([0, 1, 3, 4]);
      expect(reference.sum).toEqual(expected);
      for (const { name, backend } of backends) {
        const r = await secureSum(
          config,
          description,
          secagg,
          encoded(),
          dropouts,
          seeded(8),
          backend,
        );
        expect(r.sum, name).toEqual(reference.sum);
      }
    });
});

describe('plans run on the kernels they are given', () => {
  const n = 6;
  const d = 300; // padded to 512 by the rotation
  const cfg: AggregationConfig = {
    dimension: d,
    clients: { expected: n, minimum: 5 },
    clip: { l2: 1 },
    protection: { kind: 'secagg+', dropoutTolerance: 0.2 },
    privacy: { kind: 'distributed-dp', epsilon: 8, delta: 1e-5 },
    accountant: { rounds: 4 },
  };
  const vectors = (): Float64Array[] => {
    const rng = seeded(11);
    return Array.from({ length: n }, () =>
      Float64Array.from(new Uint32Array(rng(4 * d).buffer), (w) => (w / 2 ** 32 - 0.5) / 10),
    );
  };
  const run = (kernels?: KernelBackend) =>
    planAggregation(cfg).simulate(vectors(), {
      dropouts: { afterShareKeys: [2] },
      clientRng: clientSeed,
      serverRng: serverSeed(),
      ...(kernels === undefined ? {} : { kernels }),
    });

  it('simulate: the rotation, masks and ring sums give the default bits on cpu and workers, and gpujs within binary32', async () => {
    expect(planAggregation(cfg).describe().rotation.paddedDimension).toBe(512);
    const reference = await run();
    for (const { name, backend } of backends) {
      const r = await run(backend);
      expect(r.participants, name).toEqual(reference.participants);
      if (backend.floatEpsilon === 2 ** -53) expect([...r.sum], name).toEqual([...reference.sum]);
      else {
        // a binary32 rotation moves each coordinate of the rotated vectors by about
        // (log2 d + 2) 2^-23 of their norm (1): far below one quantization step
        let worst = 0;
        for (let j = 0; j < d; j++)
          worst = Math.max(worst, Math.abs((r.sum[j] as number) - (reference.sum[j] as number)));
        expect(worst, name).toBeLessThan(1e-3);
        // and the backend did run the rotation (binary32 leaves its trace in the sum)
        expect(worst, name).toBeGreaterThan(0);
      }
    }
  });

  it('rounds over a transport with kernels on the server and the clients equal simulate', async () => {
    const workers = backends.find((b) => b.name === 'workers')?.backend as KernelBackend;
    const sim = await planAggregation(cfg).simulate(vectors(), {
      clientRng: clientSeed,
      serverRng: serverSeed(),
    });
    const { result } = await transportRound(planAggregation(cfg), vectors(), {
      server: { kernels: workers },
      client: { kernels: workers },
    });
    expect([...result.sum]).toEqual([...sim.sum]);
  });

  it('refuses a kernels option that is not a backend, naming it', () => {
    const plan = planAggregation(cfg);
    const transport = createMemoryTransport();
    for (const { name, value } of HOSTILE_VALUES) {
      if (value === undefined) continue;
      expect(() => plan.server(transport.server, { kernels: value as never }), name).toThrow(
        /options\.kernels/,
      );
      expect(
        () => plan.client('c', transport.connect('c'), { kernels: value as never }),
        name,
      ).toThrow(/options\.kernels/);
    }
    return expect(plan.simulate(vectors(), { kernels: {} as never })).rejects.toThrow(TypeError);
  });
});
