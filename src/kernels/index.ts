/**
 * `privagg/kernels`: bulk vector arithmetic for secure aggregation and differential privacy,
 * behind one {@link KernelBackend} interface with an exact CPU reference, a worker-thread backend,
 * a WebGPU backend and a gpu.js backend, and {@link selectBackend} to pick the best one that passes its self-tests.
 * @module
 */
export type {
  KernelBackend,
  KernelBackendName,
  FloatArray,
  StreamSpec,
  ClipResult,
  QuantizeOptions,
} from './backend.ts';
export { createCpuBackend } from './cpu.ts';
export { aKernels, defaultKernels } from './default.ts';
export {
  type WorkersBackendOptions,
  createWorkersBackend,
  createSharedVector,
} from './workers.ts';
export { type WebGpuBackendOptions, createWebGpuBackend } from './webgpu.ts';
export { type GpuJsBackendOptions, createGpuJsBackend } from './gpujs.ts';
export {
  type SelectBackendOptions,
  type BackendSelection,
  type BackendAttempt,
  selectBackend,
} from './select.ts';
export { PrivaggError, isPrivaggError } from '../core/index.ts';
