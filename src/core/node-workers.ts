/**
 * Optional access to `node:worker_threads` for Node-only parallel fast paths, without a static
 * `node:` import (browsers get `undefined` and run the portable single-threaded path).
 * @module
 * @internal
 */
import type * as NodeWorkerThreads from 'node:worker_threads';

let cached: typeof NodeWorkerThreads | null | undefined;

/** @internal `node:worker_threads` when running on Node (22.3+), otherwise `undefined`. */
export function nodeWorkerThreads(): typeof NodeWorkerThreads | undefined {
  if (cached === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    let mod: unknown;
    try {
      mod =
        typeof proc?.getBuiltinModule === 'function'
          ? proc.getBuiltinModule('node:worker_threads')
          : undefined;
    } catch {
      mod = undefined;
    }
    cached = (mod as typeof NodeWorkerThreads | undefined) ?? null;
  }
  return cached ?? undefined;
}

/** @internal How many threads the host can run in parallel (1 when unknown). */
export function hardwareThreads(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator
    ?.hardwareConcurrency;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 1;
}
