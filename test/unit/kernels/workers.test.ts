import { afterAll, describe, expect, it } from 'vitest';
import { isPrivaggError } from '../../../src/core/index.ts';
import {
  createCpuBackend,
  createSharedVector,
  createWebGpuBackend,
  createWorkersBackend,
} from '../../../src/kernels/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const cpu = createCpuBackend();
const workers = createWorkersBackend({ threads: 2, minParallelWork: 0 });
afterAll(() => workers.dispose());
const key = new Uint8Array(32).fill(9);

describe('workers backend', () => {
  it('works in place on private (non-shared) memory, through scratch copies', async () => {
    const n = 5000;
    const a = Uint32Array.from({ length: n }, (_, i) => i * 3);
    const expected = await cpu.addStream(16, a, { key }, new Uint32Array(n));
    await workers.addStream(16, a, { key }, a);
    expect(a).toEqual(expected);
    const x = Float64Array.from({ length: n }, (_, i) => i / 7);
    const y = Float64Array.from({ length: n }, (_, i) => -i);
    const ref = await cpu.weightedSum([x, y], [2, 3], new Float64Array(n));
    await workers.weightedSum([x, y], [2, 3], x);
    expect(x).toEqual(ref);
  });
  it('works in place on shared memory', async () => {
    const a = createSharedVector(Uint32Array, 3000).fill(7);
    const b = createSharedVector(Uint32Array, 3000).fill(0xfffffffa);
    await workers.add(32, a, b, a);
    expect(a.every((v) => v === 1)).toBe(true);
  });
  it('leaves small work on the calling thread and gives the same answer', async () => {
    const w = createWorkersBackend({ threads: 2 });
    const out = await w.binomialNoise(32, { key }, new Int32Array(10));
    expect(out).toEqual(await cpu.binomialNoise(32, { key }, new Int32Array(10)));
    w.dispose();
    try {
      await w.add(8, new Uint32Array(1), new Uint32Array(1), new Uint32Array(1));
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'BACKEND_UNAVAILABLE').toBe(true);
    }
  });
  it('reports a quantization overflow from a shard', async () => {
    const v = new Float64Array(4000);
    v[3999] = 1000;
    try {
      await workers.quantize(v, { scale: 1, ringBits: 8 }, { key }, new Uint32Array(4000));
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'OVERFLOW').toBe(true);
    }
  });
  it('rejects bad options', () => {
    for (const { name, value } of HOSTILE_VALUES) {
      if (value === undefined) continue;
      if (name !== 'object') expect(() => createWorkersBackend(value as never), name).toThrow();
      expect(() => createWorkersBackend({ threads: value as never }), name).toThrow();
      expect(() => createSharedVector(Uint32Array, value as never), name).toThrow();
      expect(() => createSharedVector(value as never, 4), name).toThrow(TypeError);
    }
    expect(() => createWorkersBackend({ threads: 0 })).toThrow(RangeError);
    expect(() => createWorkersBackend({ cores: 2 } as never)).toThrow(TypeError);
  });
});

describe('createWebGpuBackend', () => {
  it('rejects unknown options and reports a GPU without adapters as unavailable', async () => {
    await expect(createWebGpuBackend({ device: 1 } as never)).rejects.toThrow(TypeError);
    const noAdapters = { requestAdapter: async () => null };
    try {
      await createWebGpuBackend({ gpu: noAdapters });
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'BACKEND_UNAVAILABLE').toBe(true);
    }
  });
});
