/**
 * The aggregate API's ring additions (`none`, additive sharing) and secure aggregation's masks
 * run through privagg/kernels: the backend never changes a sum (cpu, workers, gpujs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregationConfig } from '../../../src/aggregate/config.ts';
import type { PlanDescription } from '../../../src/aggregate/plan.ts';
import { normalizeDropouts, secureSum } from '../../../src/aggregate/protect.ts';
import { secaggInputRange } from '../../../src/aggregate/quantize.ts';
import { deterministicRngForTesting } from '../../../src/index.ts';
import {
  createCpuBackend,
  createGpuJsBackend,
  createWorkersBackend,
  type KernelBackend,
} from '../../../src/kernels/index.ts';
import { planSecAgg } from '../../../src/secagg/index.ts';

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
