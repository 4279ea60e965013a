/**
 * Optional access to Node built-ins for fast paths, without a static `node:` import, so the
 * library still bundles and runs in browsers (where these return `undefined`).
 * @module
 * @internal
 */
import type * as NodeCrypto from 'node:crypto';

type GetBuiltin = (id: string) => unknown;

function getBuiltin(id: string): unknown {
  const proc = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return undefined;
  try {
    return proc.getBuiltinModule(id);
  } catch {
    return undefined;
  }
}

let cachedCrypto: typeof NodeCrypto | null | undefined;

/** @internal `node:crypto` when running on Node (22.3+), otherwise `undefined`. */
export function nodeCrypto(): typeof NodeCrypto | undefined {
  if (cachedCrypto === undefined)
    cachedCrypto = (getBuiltin('node:crypto') as typeof NodeCrypto | undefined) ?? null;
  return cachedCrypto ?? undefined;
}
