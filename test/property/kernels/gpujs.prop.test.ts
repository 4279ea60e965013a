/**
 * The gpujs backend in Node (gpu.js's `cpu` and `webasm` modes; WebGL2 runs in the gpu project's
 * Chromium test) against the cpu reference on random inputs: exact operations bit for bit, float
 * operations within the binary32 tolerance it states, clipping never above the bound.
 */
import { afterAll } from 'vitest';
import { createGpuJsBackend, type KernelBackend } from '../../../src/kernels/index.ts';
import { propertySuite } from '../../helpers/kernel-props.ts';

const made: KernelBackend[] = [];
for (const mode of ['cpu', 'webasm'] as const)
  propertySuite(`gpujs (${mode} mode)`, async () => {
    const backend = await createGpuJsBackend({ mode });
    made.push(backend);
    return backend;
  });
afterAll(() => {
  for (const b of made) b.dispose();
});
