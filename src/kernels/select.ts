/**
 * Backend selection: try backends in order of preference, run known-answer self-tests on each,
 * skip those that fail or run on a software device (unless named explicitly), fall back to cpu.
 * @module
 */
import { aBool, aOptions, fromHex, toHex, wordsToBytesLE } from '../core/index.ts';
import type { KernelBackend, KernelBackendName } from './backend.ts';
import { createCpuBackend } from './cpu.ts';
import { createGpuJsBackend } from './gpujs.ts';
import { createWebGpuBackend } from './webgpu.ts';
import { createWorkersBackend } from './workers.ts';

/**
 * Options of {@link selectBackend}.
 * @since 0.1.0
 * @public
 */
export interface SelectBackendOptions {
  /**
   * One backend or an ordered list to try. A backend named here explicitly is used even on a
   * software device; `'auto'` tries `webgpu`, then `workers`, skipping software devices.
   * @defaultValue `'auto'`
   */
  readonly prefer?: 'auto' | KernelBackendName | readonly KernelBackendName[];
  /** Accept software GPU devices (llvmpipe, SwiftShader) under `'auto'` too. @defaultValue `false` */
  readonly allowSoftware?: boolean;
  /** Milliseconds allowed for creating and testing one backend. @defaultValue `20000` */
  readonly timeoutMs?: number;
}

/**
 * One backend {@link selectBackend} tried.
 * @since 0.1.0
 * @public
 */
export interface BackendAttempt {
  /** The backend. */
  readonly name: KernelBackendName;
  /** Whether it was chosen. */
  readonly ok: boolean;
  /** The device it runs on when chosen, else why it was skipped. */
  readonly reason: string;
}

/**
 * What {@link selectBackend} tried and what it chose.
 * @since 0.1.0
 * @public
 */
export interface BackendSelection {
  /** The chosen backend (ready to use; dispose it when done). */
  readonly backend: KernelBackend;
  /** Each backend tried, in order, with whether it was chosen and why not. */
  readonly tried: readonly BackendAttempt[];
  /** One line: the choice and the reasons for skipping the others. */
  readonly message: string;
}

const NAMES: readonly KernelBackendName[] = ['cpu', 'workers', 'webgpu', 'gpujs'];

// RFC 8439 section 2.3.2: ChaCha20 block 1 under key 00..1f and nonce 000000090000004a00000000
const RFC_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const RFC_NONCE = '000000090000004a00000000';
const RFC_BLOCK =
  '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e';

/**
 * @internal Known-answer self-test: the RFC 8439 block, and masks, ring sums, noise, clipping and
 * norms on fixed inputs compared with the cpu reference. Returns a failure description or undefined.
 */
export async function selfTest(backend: KernelBackend): Promise<string | undefined> {
  const block = await backend.expandStream(
    { key: fromHex(RFC_KEY), nonce: fromHex(RFC_NONCE), wordOffset: 16 },
    new Uint32Array(16),
  );
  if (toHex(wordsToBytesLE(block)) !== RFC_BLOCK) return 'RFC 8439 ChaCha20 block mismatch';
  const cpu = createCpuBackend();
  const n = 4099;
  const stream = { key: new Uint8Array(32).fill(0x5c), wordOffset: 5 };
  const a = Uint32Array.from({ length: n }, (_, i) => Math.imul(i + 1, 0x9e3779b9) >>> 0);
  const b = a.slice().reverse();
  const same = (x: ArrayLike<number>, y: ArrayLike<number>): boolean => {
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  };
  const checks: [string, () => Promise<boolean>][] = [
    [
      'add',
      async () =>
        same(
          await backend.add(32, a, b, new Uint32Array(n)),
          await cpu.add(32, a, b, new Uint32Array(n)),
        ),
    ],
    [
      'sub',
      async () =>
        same(
          await backend.sub(17, a, b, new Uint32Array(n)),
          await cpu.sub(17, a, b, new Uint32Array(n)),
        ),
    ],
    [
      'addStream',
      async () =>
        same(
          await backend.addStream(20, a, stream, new Uint32Array(n)),
          await cpu.addStream(20, a, stream, new Uint32Array(n)),
        ),
    ],
    [
      'binomialNoise',
      async () =>
        same(
          await backend.binomialNoise(98, stream, new Int32Array(n)),
          await cpu.binomialNoise(98, stream, new Int32Array(n)),
        ),
    ],
    [
      'quantize',
      async () => {
        const v = Float64Array.from({ length: n }, (_, i) => (i - n / 2) / 7);
        const o = { scale: 100, ringBits: 24 };
        return same(
          await backend.quantize(v, o, stream, new Uint32Array(n)),
          await cpu.quantize(v, o, stream, new Uint32Array(n)),
        );
      },
    ],
    ['norm', async () => (await backend.norm(Float64Array.from([3, 4]), 'l2')) === 5],
    [
      'scale and weightedSum',
      async () => {
        const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i) * 3);
        const eps = 4 * Math.max(backend.floatEpsilon, 2 ** -53);
        const s = await backend.scale(x, -0.7, new Float64Array(n));
        const w = await backend.weightedSum([x, s], [2, 0.5], new Float64Array(n));
        for (let i = 0; i < n; i++) {
          const xi = x[i] as number;
          if (!(Math.abs((s[i] as number) + 0.7 * xi) <= eps * Math.abs(0.7 * xi))) return false;
          if (!(Math.abs((w[i] as number) - 1.65 * xi) <= 4 * eps * 2.35 * Math.abs(xi)))
            return false;
        }
        return true;
      },
    ],
    [
      'hadamard',
      async () => {
        const d = 1024;
        const x = Float64Array.from({ length: d }, (_, i) => Math.sin(3 * i));
        const ref = await cpu.hadamard(x, stream, new Float64Array(d));
        const got = await backend.hadamard(x, stream, new Float64Array(d));
        const tol = 2 * 12 * Math.max(backend.floatEpsilon, 2 ** -53) * (await cpu.norm(x, 'l2'));
        return got.every((g, i) => Math.abs(g - (ref[i] as number)) <= tol);
      },
    ],
    [
      'clipL2',
      async () => {
        const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
        const out = new Float64Array(n);
        await backend.clipL2(v, 1, out);
        return (await cpu.norm(out, 'l2')) <= 1;
      },
    ],
  ];
  for (const [name, check] of checks)
    if (!(await check())) return `${name} differs from the cpu reference`;
  return undefined;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

async function make(name: KernelBackendName): Promise<KernelBackend> {
  switch (name) {
    case 'cpu':
      return createCpuBackend();
    case 'workers':
      return createWorkersBackend();
    case 'webgpu':
      return createWebGpuBackend();
    case 'gpujs':
      return createGpuJsBackend();
  }
}

function describeError(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0] ?? m;
}

/**
 * Choose a kernel backend: create each preferred backend in turn, run its known-answer
 * self-tests (the RFC 8439 ChaCha20 block, and masks, ring arithmetic, noise, quantization,
 * clipping, scaling, weighted sums and the Hadamard rotation against the cpu reference), and return the first that passes. Backends that fail to
 * load or to pass, and software GPU devices not named explicitly, are skipped with a reason;
 * `cpu` is always the last resort.
 *
 * @param options - preference order, whether software devices are acceptable, a time limit
 * @returns the chosen backend, what was tried, and a one-line message
 * @throws {@link !TypeError} or {@link !RangeError} for bad options
 * @example
 * ```ts
 * import { selectBackend } from 'privagg/kernels';
 * const selection = await selectBackend({ prefer: 'cpu' });
 * console.log(selection.backend.name); // cpu
 * console.log(selection.tried[0]?.ok); // true
 * selection.backend.dispose();
 * ```
 * @since 0.1.0
 * @public
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  aOptions('options', options, ['prefer', 'allowSoftware', 'timeoutMs']);
  const prefer = options.prefer === undefined ? 'auto' : options.prefer;
  const allowSoftware = options.allowSoftware === undefined ? false : options.allowSoftware;
  aBool('options.allowSoftware', allowSoftware);
  const timeoutMs = options.timeoutMs === undefined ? 20_000 : options.timeoutMs;
  if (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError(
      `"options.timeoutMs" expected a positive integer, got ${String(timeoutMs)}`,
    );
  let order: KernelBackendName[];
  let explicit: boolean;
  if (prefer === 'auto') {
    order = ['webgpu', 'workers'];
    explicit = false;
  } else {
    const list = typeof prefer === 'string' ? [prefer] : prefer;
    if (!Array.isArray(list) || list.length === 0)
      throw new TypeError('"options.prefer" expected auto, a backend name or a non-empty list');
    for (const name of list)
      if (!NAMES.includes(name as KernelBackendName))
        throw new RangeError(`"options.prefer" has unknown backend ${String(name)}`);
    order = [...(list as KernelBackendName[])];
    explicit = true;
  }
  const tried: { name: KernelBackendName; ok: boolean; reason: string }[] = [];
  for (const name of order) {
    let backend: KernelBackend | undefined;
    try {
      backend = await withTimeout(make(name), timeoutMs, `starting ${name}`);
      if (backend.software && !explicit && !allowSoftware) {
        tried.push({ name, ok: false, reason: `software device (${backend.device})` });
        backend.dispose();
        continue;
      }
      const failure = await withTimeout(selfTest(backend), timeoutMs, `self-testing ${name}`);
      if (failure !== undefined) {
        tried.push({ name, ok: false, reason: `self-test failed: ${failure}` });
        backend.dispose();
        continue;
      }
      tried.push({ name, ok: true, reason: backend.device });
      return { backend, tried, message: summary(name, tried) };
    } catch (e) {
      backend?.dispose();
      tried.push({ name, ok: false, reason: describeError(e) });
    }
  }
  const cpu = createCpuBackend();
  if (!order.includes('cpu')) tried.push({ name: 'cpu', ok: true, reason: cpu.device });
  return { backend: cpu, tried, message: summary('cpu', tried) };
}

function summary(
  chosen: KernelBackendName,
  tried: readonly { name: string; ok: boolean; reason: string }[],
): string {
  const skipped = tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason}`);
  return skipped.length === 0
    ? `using ${chosen}`
    : `using ${chosen} (skipped ${skipped.join('; ')})`;
}
