/**
 * The kernel backend the other modules use unless given one, and the check of a `kernels`
 * option.
 * @module
 * @internal
 */
import type { KernelBackend } from './backend.ts';
import { createCpuBackend } from './cpu.ts';

let cpuKernels: KernelBackend | undefined;

/**
 * @internal The default kernel backend of secure aggregation and plans: the exact `cpu`
 * reference (stateless, shared; never disposed).
 */
export function defaultKernels(): KernelBackend {
  cpuKernels ??= createCpuBackend();
  return cpuKernels;
}

/**
 * @internal Check a `kernels` option: a backend from privagg/kernels.
 * @throws {@link !TypeError} naming `name` for anything else
 */
export function aKernels(name: string, value: unknown): asserts value is KernelBackend {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as KernelBackend).addStream !== 'function' ||
    typeof (value as KernelBackend).hadamard !== 'function' ||
    typeof (value as KernelBackend).name !== 'string'
  )
    throw new TypeError(`"${name}" expected a KernelBackend from privagg/kernels`);
}
