/**
 * The `gpujs` backend: gpu.js kernels (WebGL2 in browsers; gpu.js's `webasm` or `cpu` mode in
 * Node, where it has no GL without headless-gl) for the float operations in binary32, and ring
 * addition and subtraction done exactly on 16-bit limbs. Whatever gpu.js cannot compute exactly
 * (keystreams, masks, quantization, noise, L-infinity clamping) runs the cpu reference on the
 * host, as `deviceOps` says. gpu.js's in-kernel random function is never used.
 * @module
 */
import { PrivaggError, aOptions } from '../core/index.ts';
import type { FloatArray, KernelBackend } from './backend.ts';
import { type BackendImpl, checkedBackend } from './_checked.ts';
import { cpuImpl } from './cpu.ts';
import { maxAbsRange } from './reference.ts';

/**
 * Options of {@link createGpuJsBackend}.
 * @since 0.1.0
 * @public
 */
export interface GpuJsBackendOptions {
  /**
   * The gpu.js mode: `'gpu'` lets gpu.js choose (WebGL2, WebGL, then WebAssembly); `'cpu'` and
   * `'webasm'` compute on the CPU (reported as a software device).
   * @defaultValue `'gpu'`
   */
  readonly mode?: 'gpu' | 'webgl2' | 'webgl' | 'webasm' | 'cpu';
  /**
   * The gpu.js module (an object with a `GPU` class), e.g. the global `GPU` that gpu.js's
   * browser build defines.
   * @defaultValue `globalThis.GPU` when it is gpu.js's browser build, else `import('gpu.js')`
   */
  readonly gpujs?: unknown;
}

interface GlContext {
  getExtension(name: string): unknown;
  getParameter(p: number): unknown;
}
interface GpuJsKernel {
  (...args: unknown[]): unknown;
  setOutput(output: number[]): unknown;
  readonly kernel?: { readonly context?: GlContext | null };
}
interface GpuJsInstance {
  readonly mode: string;
  createKernel(source: string, settings: Record<string, unknown>): GpuJsKernel;
  destroy(): unknown;
}
type KernelClass = abstract new (...args: never[]) => unknown;
interface GpuJsModule {
  GPU: new (settings: { mode: string }) => GpuJsInstance;
  CPUKernel?: KernelClass;
  WebAssemblyKernel?: KernelClass;
  WebGL2Kernel?: KernelClass;
  WebGLKernel?: KernelClass;
  HeadlessGLKernel?: KernelClass;
}

const MODES = ['gpu', 'webgl2', 'webgl', 'webasm', 'cpu'] as const;
const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|software|basic render/i;
/** Elements summed by one thread of the sum-of-squares kernel. */
const BLOCK = 256;
/** Magnitudes (besides 0) the binary32 kernels take without overflow or loss to underflow. */
const LOW = 2 ** -50;
const HIGH = 2 ** 50;
/** 2^-16 as a literal: multiplying by it is exact, unlike a GLSL division (2.5 ulp allowed). */
const INV_65536 = '0.0000152587890625';

function isGpuJs(x: unknown): x is GpuJsModule {
  return (
    (typeof x === 'object' || typeof x === 'function') &&
    x !== null &&
    typeof (x as { GPU?: unknown }).GPU === 'function' &&
    typeof (x as { GPU: { prototype?: { createKernel?: unknown } } }).GPU.prototype
      ?.createKernel === 'function'
  );
}

async function loadGpuJs(given: unknown): Promise<GpuJsModule> {
  if (given !== undefined) {
    if (!isGpuJs(given)) throw new TypeError('"options.gpujs" expected the gpu.js module');
    return given;
  }
  const global = (globalThis as { GPU?: unknown }).GPU;
  if (isGpuJs(global)) return global;
  let mod: unknown;
  try {
    const id = 'gpu.js';
    mod = await import(/* @vite-ignore */ id);
  } catch (e) {
    throw new PrivaggError('BACKEND_UNAVAILABLE', "the optional 'gpu.js' package does not load", {
      cause: e,
    });
  }
  const m = mod as { default?: unknown };
  if (isGpuJs(m)) return m;
  if (isGpuJs(m.default)) return m.default;
  throw new PrivaggError('BACKEND_UNAVAILABLE', "the 'gpu.js' package has no GPU class");
}

/** Kernel sources (gpu.js parses them; strings, so no bundler rewrites them). */
const SOURCES = {
  addLo: `function(alo, blo) {
    const s = alo[this.thread.x] + blo[this.thread.x];
    return s - Math.floor(s * ${INV_65536}) * 65536;
  }`,
  addHi: `function(alo, ahi, blo, bhi) {
    const s = alo[this.thread.x] + blo[this.thread.x];
    const h = ahi[this.thread.x] + bhi[this.thread.x] + Math.floor(s * ${INV_65536});
    return h - Math.floor(h * ${INV_65536}) * 65536;
  }`,
  subLo: `function(alo, blo) {
    const s = alo[this.thread.x] - blo[this.thread.x];
    return s - Math.floor(s * ${INV_65536}) * 65536;
  }`,
  subHi: `function(alo, ahi, blo, bhi) {
    const s = alo[this.thread.x] - blo[this.thread.x];
    const h = ahi[this.thread.x] - bhi[this.thread.x] + Math.floor(s * ${INV_65536});
    return h - Math.floor(h * ${INV_65536}) * 65536;
  }`,
  sumSquares: `function(y, n) {
    let s = 0;
    for (let j = 0; j < ${BLOCK}; j++) {
      const k = this.thread.x * ${BLOCK} + j;
      if (k < n) {
        const v = y[k];
        s += v * v;
      }
    }
    return s;
  }`,
  scale: `function(x, f) {
    return x[this.thread.x] * f;
  }`,
  axpy: `function(acc, x, w) {
    return acc[this.thread.x] + w * x[this.thread.x];
  }`,
  butterfly: `function(y, h, inv2h) {
    const i = this.thread.x;
    const p = i - Math.floor(i * inv2h) * 2 * h;
    if (p < h) {
      return y[i] + y[i + h];
    }
    return y[i - h] - y[i];
  }`,
} as const;
type KernelName = keyof typeof SOURCES;

const ARGUMENT_TYPES: Record<KernelName, Record<string, string>> = {
  addLo: { alo: 'Array', blo: 'Array' },
  addHi: { alo: 'Array', ahi: 'Array', blo: 'Array', bhi: 'Array' },
  subLo: { alo: 'Array', blo: 'Array' },
  subHi: { alo: 'Array', ahi: 'Array', blo: 'Array', bhi: 'Array' },
  sumSquares: { y: 'Array', n: 'Float' },
  scale: { x: 'Array', f: 'Float' },
  axpy: { acc: 'Array', x: 'Array', w: 'Float' },
  butterfly: { y: 'Array', h: 'Float', inv2h: 'Float' },
};

function kindOf(mod: GpuJsModule, kernel: GpuJsKernel): string {
  const k = kernel.kernel;
  const is = (c: KernelClass | undefined): boolean => c !== undefined && k instanceof c;
  if (is(mod.HeadlessGLKernel)) return 'headlessgl';
  if (is(mod.WebGL2Kernel)) return 'webgl2';
  if (is(mod.WebGLKernel)) return 'webgl';
  if (is(mod.WebAssemblyKernel)) return 'webasm';
  if (is(mod.CPUKernel)) return 'cpu';
  return 'unknown';
}

function renderer(kernel: GpuJsKernel): string | undefined {
  const gl = kernel.kernel?.context;
  if (gl === undefined || gl === null || typeof gl.getParameter !== 'function') return undefined;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const name = gl.getParameter(ext ? 0x9246 : 0x1f01); // UNMASKED_RENDERER_WEBGL or RENDERER
  return typeof name === 'string' ? name : undefined;
}

/** Whether a nonzero magnitude is outside what the binary32 kernels take. */
function outside(a: number): boolean {
  return a !== 0 && !(a >= LOW && a <= HIGH);
}

/** `2^e` with `e = ceil(log2 m)` for m in [2^-1000, 2^1000]: `m / 2^e` lies in (1/2, 1]. */
function powerAbove(m: number): number {
  return 2 ** Math.ceil(Math.log2(m));
}

/**
 * Create the gpu.js backend. Exact operations other than `add`/`sub` and the L-infinity
 * operations run the cpu reference on the host. Float operations compute in binary32 with
 * inputs rounded to binary32 on upload (`floatEpsilon` 2^-23 covers that rounding and the
 * operation's own); coordinates outside [2^-50, 2^50] in magnitude (besides 0), which binary32
 * would overflow or flush, are computed on the host, and norms and rotations first scale the
 * vector by a power of two. In Node without headless-gl, gpu.js runs in its `webasm` or `cpu`
 * mode: `software` is then true and {@link selectBackend} uses it only when asked by name.
 *
 * @param options - the gpu.js mode and module
 * @returns a {@link KernelBackend} named `gpujs`, whose `device` names the gpu.js mode that ran
 *   and, for WebGL, the renderer
 * @throws {@link !TypeError} or {@link !RangeError} for bad options
 * @throws {@link PrivaggError} `BACKEND_UNAVAILABLE` when gpu.js does not load or refuses the mode
 * @example
 * ```ts
 * import { createGpuJsBackend } from 'privagg/kernels';
 * const gpu = await createGpuJsBackend({ mode: 'cpu' });
 * const sum = await gpu.add(32, new Uint32Array([4294967295, 7]), new Uint32Array([2, 8]), new Uint32Array(2));
 * console.log(Array.from(sum).join(','), gpu.software); // 1,15 true
 * gpu.dispose();
 * ```
 * @since 0.1.0
 * @public
 */
export async function createGpuJsBackend(
  options: GpuJsBackendOptions = {},
): Promise<KernelBackend> {
  aOptions('options', options, ['mode', 'gpujs']);
  const mode = options.mode === undefined ? 'gpu' : options.mode;
  if (!(MODES as readonly string[]).includes(mode))
    throw new RangeError(`"options.mode" expected one of ${MODES.join(', ')}, got ${String(mode)}`);
  const mod = await loadGpuJs(options.gpujs);
  let gpu: GpuJsInstance;
  try {
    gpu = new mod.GPU({ mode });
  } catch (e) {
    throw new PrivaggError('BACKEND_UNAVAILABLE', `gpu.js refuses mode '${mode}'`, { cause: e });
  }
  const kernels = new Map<KernelName, GpuJsKernel>();
  const kernel = (name: KernelName, length: number): GpuJsKernel => {
    let k = kernels.get(name);
    if (k === undefined) {
      k = gpu.createKernel(SOURCES[name], {
        dynamicOutput: true,
        dynamicArguments: true,
        precision: 'single',
        tactic: 'precision',
        argumentTypes: ARGUMENT_TYPES[name],
      });
      kernels.set(name, k);
    }
    k.setOutput([length]);
    return k;
  };
  const run = (name: KernelName, length: number, ...args: unknown[]): Float32Array => {
    const r = kernel(name, length)(...args);
    if (!(r instanceof Float32Array) || r.length !== length)
      throw new PrivaggError('BACKEND_UNAVAILABLE', `gpu.js kernel ${name} returned no vector`);
    return r;
  };

  const split = (a: Uint32Array): [Float32Array, Float32Array] => {
    const lo = new Float32Array(a.length);
    const hi = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number;
      lo[i] = x & 0xffff;
      hi[i] = x >>> 16;
    }
    return [lo, hi];
  };

  const impl: BackendImpl = {
    name: 'gpujs',
    device: '',
    software: true,
    floatEpsilon: 2 ** -23,
    deviceOps: ['add', 'sub', 'norm', 'clipL2', 'scale', 'hadamard', 'weightedSum'],
    // each thread adds BLOCK squares in binary32; the host adds the partial sums in binary64
    normBlock: BLOCK + 4,
    expandStream: cpuImpl.expandStream,
    addStream: cpuImpl.addStream,
    quantize: cpuImpl.quantize,
    binomialNoise: cpuImpl.binomialNoise,
    addBinomialNoise: cpuImpl.addBinomialNoise,
    maxAbs: cpuImpl.maxAbs,
    clamp: cpuImpl.clamp,
    async add(mask, a, b, out, sub) {
      const n = a.length;
      if (n === 0) return;
      const [alo, ahi] = split(a);
      const [blo, bhi] = b === a ? [alo, ahi] : split(b);
      const lo = run(sub ? 'subLo' : 'addLo', n, alo, blo);
      const hi = run(sub ? 'subHi' : 'addHi', n, alo, ahi, blo, bhi);
      for (let i = 0; i < n; i++) out[i] = ((lo[i] as number) | ((hi[i] as number) << 16)) & mask;
    },
    async sumSquares(values, divisor) {
      const n = values.length;
      if (n === 0) return 0;
      const m = maxAbsRange(values, 0, values.length);
      if (m === 0) return 0;
      if (!(m >= 2 ** -1000 && m <= 2 ** 1000)) return cpuImpl.sumSquares(values, divisor);
      // scale by a power of two (exact) so every square is at most 1: no overflow, and what
      // underflows is below 2^-126 of the sum
      const p = powerAbove(m);
      const s = 1 / p;
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) y[i] = (values[i] as number) * s;
      const parts = run('sumSquares', Math.ceil(n / BLOCK), y, n);
      let sum = 0;
      for (let i = 0; i < parts.length; i++) sum += parts[i] as number;
      const f = p / divisor;
      return sum * f * f;
    },
    async scale(values, factor, out) {
      const n = values.length;
      if (n === 0) return;
      if (outside(Math.abs(factor))) return cpuImpl.scale(values, factor, out);
      const x = new Float32Array(n);
      let bad = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i] as number;
        x[i] = v;
        bad += outside(Math.abs(v)) ? 1 : 0;
      }
      const r = run('scale', n, x, factor);
      if (bad === 0) for (let i = 0; i < n; i++) out[i] = r[i] as number;
      else
        for (let i = 0; i < n; i++) {
          const v = values[i] as number;
          out[i] = outside(Math.abs(v)) ? v * factor : (r[i] as number);
        }
    },
    async weightedSum(vectors, weights, out) {
      const n = out.length;
      if (n === 0) return;
      for (let j = 0; j < weights.length; j++)
        if (outside(Math.abs(weights[j] as number)))
          return cpuImpl.weightedSum(vectors, weights, out);
      const bad = new Uint8Array(n);
      let anyBad = 0;
      let acc: Float32Array | undefined;
      for (let j = 0; j < vectors.length; j++) {
        const v = vectors[j] as FloatArray;
        const x = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const e = v[i] as number;
          x[i] = e;
          const o = outside(Math.abs(e)) ? 1 : 0;
          bad[i] = (bad[i] as number) | o;
          anyBad |= o;
        }
        const w = weights[j] as number;
        acc = acc === undefined ? run('scale', n, x, w) : run('axpy', n, acc, x, w);
      }
      const r = acc as Float32Array;
      // out may alias vectors[0]: each host fix-up reads its coordinate before it is written
      for (let i = 0; i < n; i++) {
        if (anyBad !== 0 && bad[i] === 1) {
          let s = (weights[0] as number) * ((vectors[0] as FloatArray)[i] as number);
          for (let j = 1; j < vectors.length; j++)
            s += (weights[j] as number) * ((vectors[j] as FloatArray)[i] as number);
          out[i] = s;
        } else out[i] = r[i] as number;
      }
    },
    async hadamard(values, stream, out, inverse) {
      const d = values.length;
      const m = maxAbsRange(values, 0, values.length);
      if (d < 2 || m === 0 || !(m >= 2 ** -1000 && m <= 2 ** 1000))
        return cpuImpl.hadamard(values, stream, out, inverse);
      const signs = new Uint32Array(Math.ceil(d / 32));
      await cpuImpl.expandStream(stream, signs);
      const sign = (i: number): number => 1 - 2 * (((signs[i >>> 5] as number) >>> (i & 31)) & 1);
      const p = powerAbove(m);
      const s = 1 / p;
      let y: Float32Array = new Float32Array(d);
      for (let i = 0; i < d; i++) y[i] = (values[i] as number) * s * (inverse ? 1 : sign(i));
      for (let h = 1; h < d; h *= 2) y = run('butterfly', d, y, h, 1 / (2 * h));
      const f = p / Math.sqrt(d);
      for (let i = 0; i < d; i++) out[i] = (y[i] as number) * f * (inverse ? sign(i) : 1);
      signs.fill(0);
    },
    dispose: () => {
      kernels.clear();
      gpu.destroy();
    },
  };

  // compile and run every kernel once on a small input: gpu.js silently replaces a kernel it
  // cannot build with its cpu kernel, so the device is named after what actually ran
  const kinds = new Set<string>();
  let glRenderer: string | undefined;
  try {
    const probe = Uint32Array.from({ length: 300 }, (_, i) => Math.imul(i + 1, 0x9e3779b9) >>> 0);
    const f = Float64Array.from({ length: 512 }, (_, i) => Math.sin(i));
    await impl.add(-1, probe, probe.slice().reverse(), new Uint32Array(300), false);
    await impl.add(-1, probe, probe.slice().reverse(), new Uint32Array(300), true);
    await impl.sumSquares(f, 1);
    await impl.weightedSum([f, f], [0.5, 2], new Float64Array(512));
    await impl.hadamard(
      f,
      { key: new Uint8Array(32), algorithm: 'chacha20', nonce: new Uint8Array(12), wordOffset: 0 },
      new Float64Array(512),
      false,
    );
    for (const k of kernels.values()) {
      kinds.add(kindOf(mod, k));
      glRenderer ??= renderer(k);
    }
  } catch (e) {
    impl.dispose();
    throw new PrivaggError('BACKEND_UNAVAILABLE', `gpu.js mode '${mode}' fails to run kernels`, {
      cause: e,
    });
  }
  const ran = [...kinds].join('+');
  const gl = [...kinds].every((k) => k === 'webgl2' || k === 'webgl' || k === 'headlessgl');
  const software = !gl || glRenderer === undefined || SOFTWARE.test(glRenderer);
  const device = gl
    ? `gpu.js ${ran} on ${glRenderer ?? 'an unknown renderer'}`
    : `gpu.js ${ran} mode (on the CPU, no GPU)`;
  return checkedBackend({ ...impl, device, software });
}
