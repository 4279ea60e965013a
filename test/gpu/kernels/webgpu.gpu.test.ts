/**
 * The WebGPU backend on whatever adapter this machine has (in CI: Dawn through the `webgpu`
 * package on Mesa llvmpipe, OpenGL ES compatibility mode, EGL_PLATFORM=surfaceless): RFC 8439
 * vectors, the property suite against the cpu reference, and a 1e6-element run of every
 * on-device operation compared bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCpuBackend,
  createWebGpuBackend,
  type KernelBackend,
} from '../../../src/kernels/index.ts';
import { propertySuite } from '../../helpers/kernel-props.ts';
import { rfc8439Suite } from '../../helpers/kernel-rfc8439.ts';

let gpu: KernelBackend;
beforeAll(async () => {
  gpu = await createWebGpuBackend();
});
afterAll(() => gpu?.dispose());

describe('webgpu backend', () => {
  it('reports its adapter and which operations run on the device', () => {
    expect(gpu.name).toBe('webgpu');
    expect(gpu.device.length).toBeGreaterThan(0);
    expect(gpu.deviceOps).toContain('addStream');
    expect(gpu.deviceOps).toContain('binomialNoise');
  });
  it('a 1e6-element mask, ring sum and noise equal the cpu reference', async () => {
    const cpu = createCpuBackend();
    const n = 1_000_003;
    const stream = { key: new Uint8Array(32).fill(0xa5), wordOffset: 7 };
    const a = Uint32Array.from({ length: n }, (_, i) => Math.imul(i, 2654435761) >>> 0);
    for (const k of [1, 16, 32]) {
      expect(await gpu.addStream(k, a, stream, new Uint32Array(n))).toEqual(
        await cpu.addStream(k, a, stream, new Uint32Array(n)),
      );
      expect(await gpu.sub(k, a, a.slice().reverse(), new Uint32Array(n))).toEqual(
        await cpu.sub(k, a, a.slice().reverse(), new Uint32Array(n)),
      );
    }
    expect(await gpu.addBinomialNoise(24, a, 256, stream, new Uint32Array(n))).toEqual(
      await cpu.addBinomialNoise(24, a, 256, stream, new Uint32Array(n)),
    );
  });
});

rfc8439Suite('webgpu', () => gpu);
propertySuite('webgpu', () => gpu);
