/**
 * RFC 8439 ChaCha20 vectors (sections 2.3.2 and 2.4.2, test/vectors/core/chacha20-rfc8439.json)
 * on the cpu and workers backends; the gpu project runs the same suite on WebGPU.
 */
import { afterAll } from 'vitest';
import { createCpuBackend, type KernelBackend } from '../../../src/kernels/index.ts';
import { rfc8439Suite } from '../../helpers/kernel-rfc8439.ts';
import { backendsUnderTest } from '../../helpers/kernels.ts';

const made: KernelBackend[] = [];
for (const b of [{ name: 'cpu', make: createCpuBackend }, ...backendsUnderTest()])
  rfc8439Suite(b.name, () => {
    const backend = b.make();
    made.push(backend);
    return backend;
  });
afterAll(() => {
  for (const b of made) b.dispose();
});
