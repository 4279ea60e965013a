/**
 * The worker backends against the cpu reference on random inputs (the property suite lives in
 * test/helpers/kernel-props.ts and also runs on WebGPU in the gpu project).
 */
import { afterAll } from 'vitest';
import type { KernelBackend } from '../../../src/kernels/index.ts';
import { propertySuite } from '../../helpers/kernel-props.ts';
import { backendsUnderTest } from '../../helpers/kernels.ts';

const made: KernelBackend[] = [];
for (const b of backendsUnderTest())
  propertySuite(b.name, () => {
    const backend = b.make();
    made.push(backend);
    return backend;
  });
afterAll(() => {
  for (const b of made) b.dispose();
});
