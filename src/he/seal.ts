/**
 * The one importer of node-seal: lazy loading of the SEAL WebAssembly module, access to its
 * linear memory (for heap accounting), and the mapping of SEAL's C++ exceptions
 * (`WebAssembly.Exception`) to {@link index!PrivaggError}.
 * @module
 * @internal
 */
import type { MainModule } from 'node-seal/throws';
import { PrivaggError, type ErrorCode } from '../core/index.ts';

/** @internal The loaded SEAL module and, where it could be captured, its WebAssembly memory. */
export interface SealRuntime {
  readonly seal: MainModule;
  /** The module's linear memory (Node: always captured; elsewhere possibly undefined). */
  readonly memory: WebAssembly.Memory | undefined;
}

let shared: Promise<SealRuntime> | undefined;
let sharedSeal: MainModule | undefined;

/**
 * SEAL instances that trapped (a WebAssembly RuntimeError: out of memory, an abort): their
 * state is undefined, so every context on them refuses further work and the shared instance
 * is replaced on the next load.
 */
const poisoned = new WeakSet<object>();

/** @internal Whether `seal` trapped and must not be used again. */
export function isPoisoned(seal: MainModule): boolean {
  return poisoned.has(seal);
}

async function wasmBytesNode(): Promise<Uint8Array | undefined> {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process?.getBuiltinModule;
  if (typeof getBuiltin !== 'function' || typeof import.meta.resolve !== 'function')
    return undefined;
  const fs = getBuiltin('node:fs') as typeof import('node:fs') | undefined;
  const url = getBuiltin('node:url') as typeof import('node:url') | undefined;
  if (fs === undefined || url === undefined) return undefined;
  const entry = import.meta.resolve('node-seal/throws');
  return fs.readFileSync(url.fileURLToPath(new URL('./seal_throws.wasm', entry)));
}

async function instantiate(): Promise<SealRuntime> {
  let mod: { default: (options?: Record<string, unknown>) => Promise<MainModule> };
  try {
    mod = (await import('node-seal/throws')) as typeof mod;
  } catch (cause) {
    throw new PrivaggError(
      'BACKEND_UNAVAILABLE',
      'node-seal could not be loaded (it needs Node >= 22.19 or a browser with WebAssembly exception handling)',
      { cause },
    );
  }
  let memory: WebAssembly.Memory | undefined;
  const bytes = await wasmBytesNode().catch(() => undefined);
  const options: Record<string, unknown> = {};
  if (bytes !== undefined) {
    // instantiate the module ourselves (the hook emscripten documents) to keep its memory
    options.instantiateWasm = (
      imports: WebAssembly.Imports,
      done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ): Record<string, never> => {
      void WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, imports).then(
        ({ instance, module }) => {
          for (const value of Object.values(instance.exports))
            if (value instanceof WebAssembly.Memory) memory = value;
          done(instance, module);
        },
      );
      return {};
    };
  }
  try {
    const seal = await mod.default(options);
    return { seal, memory };
  } catch (cause) {
    throw new PrivaggError('BACKEND_UNAVAILABLE', 'node-seal failed to initialize', { cause });
  }
}

/**
 * @internal Load SEAL. The shared instance is created once and reused; `fresh: true` creates a
 * separate WebAssembly instance with its own heap (for work that must be recoverable).
 */
export function loadSeal(fresh = false): Promise<SealRuntime> {
  if (fresh) return instantiate();
  if (sharedSeal !== undefined && poisoned.has(sharedSeal)) {
    shared = undefined;
    sharedSeal = undefined;
  }
  if (shared === undefined) {
    shared = instantiate();
    void shared.then(
      (rt) => {
        sharedSeal = rt.seal;
      },
      () => undefined,
    );
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

/** @internal Whether `e` is an exception thrown by the WebAssembly code. */
export function isWasmException(e: unknown): boolean {
  const W = (globalThis as { WebAssembly?: { Exception?: new (...a: never[]) => unknown } })
    .WebAssembly?.Exception;
  return typeof W === 'function' && e instanceof W;
}

/** @internal The C++ type and message of a SEAL exception, freeing the exception object. */
export function sealExceptionText(seal: MainModule, e: unknown): string {
  const msg = (e as { message?: unknown }).message;
  let text = 'unknown SEAL error';
  if (Array.isArray(msg)) text = msg.map(String).join(': ');
  // the C++ exception object lives in the WASM heap until its refcount drops
  try {
    (
      seal as unknown as { decrementExceptionRefcount?: (x: unknown) => void }
    ).decrementExceptionRefcount?.(e);
  } catch {
    // already released
  }
  return text;
}

/**
 * @internal Run `fn` (SEAL calls); a SEAL exception becomes a {@link index!PrivaggError} with `code`.
 * A `RangeError`/`TypeError` raised by embind (a JS-side binding check) is mapped too.
 */
export function sealCall<T>(seal: MainModule, code: ErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PrivaggError) throw e;
    if (isWasmException(e)) {
      throw new PrivaggError(code, `${what}: SEAL rejected it (${sealExceptionText(seal, e)})`, {
        cause: e,
      });
    }
    if (e instanceof WebAssembly.RuntimeError) {
      poisoned.add(seal);
      throw new PrivaggError(
        'BACKEND_UNAVAILABLE',
        `${what}: the SEAL instance trapped (${e.message}); it must not be used again`,
        { cause: e },
      );
    }
    throw new PrivaggError(code, `${what}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}
