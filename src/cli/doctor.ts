/**
 * `privagg doctor`: what this runtime can do, each failed check with its fix.
 * @module
 * @internal
 */
import { nodeCrypto } from '../core/node-builtins.ts';
import { createKeystream } from '../core/keystream.ts';
import { createGpuJsBackend, createWebGpuBackend, selectBackend } from '../kernels/index.ts';

/** @internal One line of the report. */
export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  /** Required checks fail the command; optional ones only inform. */
  readonly required: boolean;
  readonly detail: string;
  readonly fix?: string;
}

const MIN_NODE: readonly [number, number] = [22, 19];

function nodeVersionCheck(): DoctorCheck {
  const v = globalThis.process?.versions?.node ?? '';
  const [major = 0, minor = 0] = v.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    name: 'node',
    ok,
    required: true,
    detail: `Node ${v || 'unknown'} (${globalThis.process?.execPath ?? '?'})`,
    ...(ok
      ? {}
      : {
          fix: 'privagg needs Node >= 22.19 (node-seal 7 needs WebAssembly exception handling). Inside this repository run it through npm (`npx privagg doctor`), which uses the pinned node@24; elsewhere install Node 24 LTS.',
        }),
  };
}

function csprngCheck(): DoctorCheck {
  try {
    const buf = new Uint8Array(64);
    globalThis.crypto.getRandomValues(buf);
    const ok = typeof globalThis.crypto.subtle?.encrypt === 'function';
    return {
      name: 'csprng + webcrypto',
      ok,
      required: true,
      detail: ok ? 'crypto.getRandomValues and crypto.subtle available' : 'crypto.subtle missing',
      ...(ok ? {} : { fix: 'Use a runtime with WebCrypto (Node >= 22 or a modern browser).' }),
    };
  } catch (e) {
    return {
      name: 'csprng + webcrypto',
      ok: false,
      required: true,
      detail: `crypto.getRandomValues failed: ${(e as Error).message}`,
      fix: 'Use a runtime with WebCrypto (Node >= 22 or a modern browser).',
    };
  }
}

function nativeAesCheck(): DoctorCheck {
  const nc = nodeCrypto();
  if (nc === undefined)
    return {
      name: 'native AES-CTR keystream',
      ok: false,
      required: false,
      detail: 'node:crypto not reachable; the WebCrypto (async) keystream is used instead',
      fix: 'Run on Node >= 22.3 (process.getBuiltinModule) for the synchronous native path.',
    };
  const ks = createKeystream(new Uint8Array(32), { backend: 'node' });
  ks.fillWordsSync(new Uint32Array(4));
  return {
    name: 'native AES-CTR keystream',
    ok: true,
    required: false,
    detail: `OpenSSL ${globalThis.process?.versions?.openssl ?? ''}`,
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

async function nodeSealCheck(): Promise<DoctorCheck> {
  const name = 'node-seal (CKKS)';
  try {
    const mod = await import('node-seal');
    const seal = await withTimeout(mod.default(), 30_000, 'node-seal initialisation');
    // a CKKS context at N = 8192 with 128-bit security proves the WebAssembly build works
    const parms = new seal.EncryptionParameters(seal.SchemeType.ckks);
    parms.setPolyModulusDegree(8192);
    const moduli = seal.CoeffModulus.Create(8192, new Int32Array([60, 40, 40, 60]));
    parms.setCoeffModulus(moduli);
    const context = new seal.SEALContext(parms, true, seal.SecLevelType.tc128);
    const ok = context.parametersSet();
    context.delete();
    moduli.delete();
    parms.delete();
    return {
      name,
      ok,
      required: false,
      detail: ok
        ? 'SEAL WebAssembly loaded; CKKS context (N = 8192, 128-bit) created'
        : 'SEAL loaded but rejected a standard CKKS context',
    };
  } catch (e) {
    return {
      name,
      ok: false,
      required: false,
      detail: `cannot load: ${(e as Error).message.split('\n')[0]}`,
      fix: 'node-seal 7 needs Node 22.19+ or 24.15+ (WebAssembly exception handling) and `npm install node-seal`.',
    };
  }
}

async function gpujsCheck(): Promise<DoctorCheck> {
  const name = 'kernels: gpujs';
  try {
    const backend = await withTimeout(createGpuJsBackend(), 15_000, 'gpu.js start-up');
    const { device, software } = backend;
    backend.dispose();
    return {
      name,
      ok: !software,
      required: false,
      detail: `${software ? 'software device' : 'device'}: ${device}`,
      ...(software
        ? {
            fix: 'gpu.js accelerates only with WebGL (browsers with WebGL2): in Node it needs headless-gl, which this package does not build (allowScripts.gl = false; gpu.js refuses it on Node 24), so it runs its WebAssembly or cpu kernels; selectBackend uses it only when asked by name.',
          }
        : {}),
    };
  } catch (e) {
    return {
      name,
      ok: false,
      required: false,
      detail: `gpu.js not usable: ${(e as Error).message.split('\n')[0]}`,
      fix: 'gpu.js is an optional dependency: `npm install gpu.js`.',
    };
  }
}

async function webgpuCheck(): Promise<DoctorCheck> {
  const name = 'kernels: webgpu';
  try {
    const backend = await withTimeout(createWebGpuBackend(), 15_000, 'WebGPU start-up');
    const detail = `${backend.software ? 'software device' : 'device'}: ${backend.device}`;
    backend.dispose();
    return {
      name,
      ok: true,
      required: false,
      detail,
      ...(backend.software
        ? {
            fix: 'A software adapter is slower than the CPU backends; selectBackend skips it unless asked.',
          }
        : {}),
    };
  } catch (e) {
    return {
      name,
      ok: false,
      required: false,
      detail: `not available: ${(e as Error).message.split('\n')[0]}`,
      fix: "In Node install the optional 'webgpu' package (0.6+, Dawn) and a Vulkan driver, or on headless Linux Mesa's EGL/GLES (libegl1 libgles2 libgl1-mesa-dri) with EGL_PLATFORM=surfaceless; in browsers use one with WebGPU enabled.",
    };
  }
}

function workersCheck(): DoctorCheck {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as
    | { isMainThread?: boolean }
    | undefined;
  const os = proc?.getBuiltinModule?.('node:os') as
    | { availableParallelism?: () => number }
    | undefined;
  const ok = wt !== undefined || typeof (globalThis as { Worker?: unknown }).Worker === 'function';
  return {
    name: 'kernels: workers',
    ok,
    required: false,
    detail: ok
      ? `worker threads available, ${os?.availableParallelism?.() ?? '?'} cores`
      : 'no worker threads',
    ...(ok ? {} : { fix: 'Use Node >= 22 (worker_threads) or a browser with Web Workers.' }),
  };
}

async function kernelSelectionCheck(): Promise<DoctorCheck> {
  const name = 'kernels: selected';
  try {
    const selection = await selectBackend({ timeoutMs: 15_000 });
    selection.backend.dispose();
    return { name, ok: true, required: false, detail: selection.message };
  } catch (e) {
    return {
      name,
      ok: false,
      required: false,
      detail: `selection failed: ${(e as Error).message.split('\n')[0]}`,
    };
  }
}

/** @internal Run every check. */
export async function runDoctor(): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [nodeVersionCheck(), csprngCheck(), nativeAesCheck()];
  checks.push({
    name: 'kernels: cpu',
    ok: true,
    required: true,
    detail: 'exact TypeScript reference, always available',
  });
  checks.push(workersCheck());
  checks.push(await gpujsCheck());
  checks.push(await webgpuCheck());
  checks.push(await kernelSelectionCheck());
  checks.push(await nodeSealCheck());
  return checks;
}

/** @internal Render the report as text. */
export function formatDoctor(checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    const mark = c.ok ? 'ok  ' : c.required ? 'FAIL' : 'no  ';
    lines.push(`${mark} ${c.name.padEnd(26)} ${c.detail}`);
    if (!c.ok && c.fix !== undefined) lines.push(`     ${''.padEnd(26)} fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => c.required && !c.ok).length;
  lines.push(failed === 0 ? 'privagg can run here.' : `${failed} required check(s) failed.`);
  return lines.join('\n');
}
