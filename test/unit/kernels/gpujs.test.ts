/**
 * The gpujs backend in Node: gpu.js loads on Node 24 without headless-gl and runs its `cpu` and
 * `webasm` modes (reported as software devices); ring addition on 16-bit limbs is exact at the
 * edges; values binary32 cannot hold go to the host; bad options are rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCpuBackend,
  createGpuJsBackend,
  isPrivaggError,
  type KernelBackend,
} from '../../../src/kernels/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';
import { exactL2AtMost } from '../../helpers/kernels.ts';

const cpu = createCpuBackend();
const made: KernelBackend[] = [];
let gpu: KernelBackend;
beforeAll(async () => {
  gpu = await createGpuJsBackend({ mode: 'cpu' });
  made.push(gpu);
});
afterAll(() => {
  for (const b of made) b.dispose();
});

describe('createGpuJsBackend', () => {
  it('loads gpu.js without headless-gl and names the mode that ran', async () => {
    expect(gpu.name).toBe('gpujs');
    expect(gpu.device).toBe('gpu.js cpu mode (on the CPU, no GPU)');
    expect(gpu.software).toBe(true);
    expect(gpu.floatEpsilon).toBe(2 ** -23);
    expect(gpu.deviceOps).toEqual([
      'add',
      'sub',
      'norm',
      'clipL2',
      'scale',
      'hadamard',
      'weightedSum',
    ]);
    const auto = await createGpuJsBackend();
    made.push(auto);
    // without WebGL in Node, gpu.js's own choice is its WebAssembly kernels, on the CPU
    expect(auto.device).toBe('gpu.js webasm mode (on the CPU, no GPU)');
    expect(auto.software).toBe(true);
  });
  it('adds and subtracts mod 2^k exactly at the carry and borrow edges', async () => {
    const edges = [0, 1, 0xffff, 0x10000, 0x1ffff, 0x7fffffff, 0x80000000, 0xfffeffff, 0xffffffff];
    const a = Uint32Array.from(edges.flatMap((x) => edges.map(() => x)));
    const b = Uint32Array.from(edges.flatMap(() => edges));
    for (const k of [1, 15, 16, 17, 31, 32]) {
      expect(await gpu.add(k, a, b, new Uint32Array(a.length))).toEqual(
        await cpu.add(k, a, b, new Uint32Array(a.length)),
      );
      expect(await gpu.sub(k, a, b, new Uint32Array(a.length))).toEqual(
        await cpu.sub(k, a, b, new Uint32Array(a.length)),
      );
    }
    const aliased = a.slice();
    await gpu.add(32, aliased, aliased, aliased);
    expect(aliased).toEqual(await cpu.add(32, a, a, new Uint32Array(a.length)));
  });
  it('computes on the host what binary32 would overflow or flush, and clips within the bound', async () => {
    const v = Float64Array.from([1e300, -3, 1e-300, 2 ** -60, 7, 0, -1e20, 5e-324]);
    const out = await gpu.scale(v, 0.5, new Float64Array(v.length));
    const ref = await cpu.scale(v, 0.5, new Float64Array(v.length));
    for (let i = 0; i < v.length; i++)
      expect(Math.abs((out[i] as number) - (ref[i] as number))).toBeLessThanOrEqual(
        2 * gpu.floatEpsilon * Math.abs(ref[i] as number),
      );
    const n = await gpu.norm(v, 'l2');
    expect(Math.abs(n - 1e300) / 1e300).toBeLessThan(1e-6);
    const tiny = Float64Array.from({ length: 100 }, (_, i) => (i + 1) * 1e-310);
    const tn = await gpu.norm(tiny, 'l2');
    const cn = await cpu.norm(tiny, 'l2');
    expect(Math.abs(tn - cn) / cn).toBeLessThan(1e-5);
    const c = new Float64Array(v.length);
    expect((await gpu.clipL2(v, 1, c)).clipped).toBe(1);
    expect(exactL2AtMost(c, 1)).toBe(true);
    const u = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i));
    const cu = new Float32Array(u.length);
    await gpu.clipL2(u, 0.5, cu);
    expect(exactL2AtMost(cu, 0.5)).toBe(true);
    const w = await gpu.weightedSum([v, v], [1, -1], new Float64Array(v.length));
    expect(Array.from(w)).toEqual(Array.from(v, () => 0));
  });
  it('clips vectors of millions of coordinates (its norm error grows with the block, not d)', async () => {
    const d = 4_300_000; // (d + 8) * 2^-23 > 1/2: a margin linear in d would refuse this
    const v = Float64Array.from({ length: d }, (_, i) => Math.sin(i));
    const out = new Float32Array(d);
    const r = await gpu.clipL2(v, 10, out);
    expect(r.clipped).toBe(1);
    const norm = await cpu.norm(out, 'l2');
    expect(norm).toBeLessThanOrEqual(10);
    expect(norm).toBeGreaterThan(10 * (1 - 2 ** -10));
  });
  it('rejects bad options', async () => {
    await expect(createGpuJsBackend({ mode: 'vulkan' as never })).rejects.toThrow(RangeError);
    await expect(createGpuJsBackend({ other: 1 } as never)).rejects.toThrow(TypeError);
    await expect(createGpuJsBackend({ gpujs: {} })).rejects.toThrow(TypeError);
    for (const { name, value } of HOSTILE_VALUES) {
      if (value === undefined) continue;
      await expect(createGpuJsBackend({ mode: value as never }), name).rejects.toThrow();
    }
    const disposed = await createGpuJsBackend({ mode: 'cpu' });
    disposed.dispose();
    await expect(
      disposed.add(8, new Uint32Array(1), new Uint32Array(1), new Uint32Array(1)),
    ).rejects.toSatisfy(isPrivaggError);
  });
});
