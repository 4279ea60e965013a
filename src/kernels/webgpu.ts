/**
 * The `webgpu` backend: WGSL compute shaders through `navigator.gpu` (browsers) or the `webgpu`
 * npm package (Dawn, in Node). Masks and noise are made on the device from the 256-bit key:
 * ChaCha20 indexed by stream word, exact u32 ring arithmetic and the centered-binomial sampler,
 * bit-identical to the cpu reference. Float operations, quantization and AES streams run the cpu
 * reference on the host (listed by `deviceOps`).
 * @module
 */
import { PrivaggError, aOptions } from '../core/index.ts';
import type { KernelBackend, Stream } from './backend.ts';
import { type BackendImpl, checkedBackend } from './_checked.ts';
import { cpuImpl } from './cpu.ts';
import { KERNELS_WGSL, MODE, P, PARAM_WORDS, WORKGROUP } from './wgsl.ts';

/** The WebGPU surface this backend uses (a structural subset of the standard API). */
interface Gpu {
  requestAdapter(options?: Record<string, unknown>): Promise<GpuAdapter | null>;
}
interface GpuAdapter {
  readonly limits: Record<string, number>;
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  readonly isFallbackAdapter?: boolean;
  requestDevice(descriptor?: Record<string, unknown>): Promise<GpuDevice>;
}
interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
interface GpuDevice {
  readonly limits: Record<string, number>;
  readonly queue: {
    writeBuffer(b: GpuBuffer, offset: number, data: ArrayBufferView | ArrayBuffer): void;
    submit(commands: unknown[]): void;
  };
  readonly lost: Promise<unknown>;
  createBuffer(d: { size: number; usage: number }): GpuBuffer;
  createShaderModule(d: { code: string }): unknown;
  createBindGroupLayout(d: { entries: unknown[] }): unknown;
  createPipelineLayout(d: { bindGroupLayouts: unknown[] }): unknown;
  createComputePipeline(d: Record<string, unknown>): unknown;
  createBindGroup(d: { layout: unknown; entries: unknown[] }): unknown;
  createCommandEncoder(): {
    beginComputePass(): {
      setPipeline(p: unknown): void;
      setBindGroup(i: number, g: unknown): void;
      dispatchWorkgroups(x: number, y?: number): void;
      end(): void;
    };
    copyBufferToBuffer(
      src: GpuBuffer,
      so: number,
      dst: GpuBuffer,
      doff: number,
      size: number,
    ): void;
    clearBuffer(buffer: GpuBuffer): void;
    finish(): unknown;
  };
  destroy(): void;
}

// standard WebGPU flag values (GPUBufferUsage, GPUMapMode, GPUShaderStage)
const MAP_READ = 1;
const COPY_SRC = 4;
const COPY_DST = 8;
const UNIFORM = 64;
const STORAGE = 128;
const MAP_MODE_READ = 1;
const STAGE_COMPUTE = 4;

/**
 * Options of {@link createWebGpuBackend}.
 * @since 0.1.0
 * @public
 */
export interface WebGpuBackendOptions {
  /**
   * The `GPU` object to use (`navigator.gpu`, or `create()` of the `webgpu` package).
   * @defaultValue `navigator.gpu`, else the `webgpu` package: first its default adapter, then
   * OpenGL ES in compatibility mode (headless Linux needs `EGL_PLATFORM=surfaceless`)
   */
  readonly gpu?: unknown;
  /** @defaultValue `'high-performance'` */
  readonly powerPreference?: 'high-performance' | 'low-power';
}

const dawnInstances = new Map<string, Gpu>();

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|software|basic render/i;

async function findAdapter(
  options: WebGpuBackendOptions,
): Promise<{ adapter: GpuAdapter; source: string }> {
  const power =
    options.powerPreference === undefined ? 'high-performance' : options.powerPreference;
  if (power !== 'high-performance' && power !== 'low-power')
    throw new RangeError(
      `"options.powerPreference" expected 'high-performance' or 'low-power', got ${String(power)}`,
    );
  const tryGpu = async (gpu: Gpu, source: string) => {
    const core = await gpu.requestAdapter({ powerPreference: power });
    if (core !== null) return { adapter: core, source };
    const compat = await gpu.requestAdapter({
      powerPreference: power,
      featureLevel: 'compatibility',
    });
    return compat === null
      ? undefined
      : { adapter: compat, source: `${source}, compatibility mode` };
  };
  if (options.gpu !== undefined) {
    const found = await tryGpu(options.gpu as Gpu, 'the given GPU object');
    if (found !== undefined) return found;
    throw new PrivaggError('BACKEND_UNAVAILABLE', 'the given GPU object offers no adapter');
  }
  const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
  if (nav?.gpu !== undefined) {
    const found = await tryGpu(nav.gpu, 'navigator.gpu');
    if (found !== undefined) return found;
    throw new PrivaggError('BACKEND_UNAVAILABLE', 'navigator.gpu offers no adapter');
  }
  let mod: { create: (flags: string[]) => Gpu };
  try {
    const id = 'webgpu';
    mod = (await import(/* @vite-ignore */ id)) as typeof mod;
  } catch (e) {
    throw new PrivaggError(
      'BACKEND_UNAVAILABLE',
      "no navigator.gpu and the optional 'webgpu' package does not load",
      { cause: e },
    );
  }
  for (const flags of [[], ['backend=opengles']]) {
    // a Dawn instance must outlive its adapters and devices (collecting it crashes the process),
    // so the instances stay referenced for the life of the process
    const id = flags.join(',');
    let gpu = dawnInstances.get(id);
    if (gpu === undefined) {
      gpu = mod.create(flags);
      dawnInstances.set(id, gpu);
    }
    const found = await tryGpu(
      gpu,
      `the 'webgpu' package (Dawn${flags.length ? `, ${flags[0]}` : ''})`,
    );
    if (found !== undefined) return found;
  }
  throw new PrivaggError(
    'BACKEND_UNAVAILABLE',
    "the 'webgpu' package found no adapter (needs a Vulkan driver, or OpenGL ES with EGL_PLATFORM=surfaceless)",
  );
}

/**
 * Create the WebGPU backend: ChaCha20 masks, ring arithmetic and binomial noise computed by
 * WGSL compute shaders. Resolves once the device and pipelines are ready.
 *
 * @param options - where to find the GPU
 * @returns a {@link KernelBackend} named `webgpu`; `software` says whether the adapter is a
 *   software rasterizer (llvmpipe, SwiftShader)
 * @throws {@link !TypeError} for unknown options
 * @throws {@link PrivaggError} `BACKEND_UNAVAILABLE` when no adapter or device can be had
 * @example
 * ```ts
 * import { createWebGpuBackend } from 'privagg/kernels';
 * try {
 *   const gpu = await createWebGpuBackend();
 *   console.log(typeof gpu.device);
 *   gpu.dispose();
 * } catch {
 *   console.log('string'); // string
 * }
 * ```
 * @since 0.1.0
 * @public
 */
export async function createWebGpuBackend(
  options: WebGpuBackendOptions = {},
): Promise<KernelBackend> {
  aOptions('options', options, ['gpu', 'powerPreference']);
  const { adapter, source } = await findAdapter(options);
  const info = adapter.info ?? {};
  const name =
    [info.vendor, info.architecture, info.device, info.description].filter((x) => x).join(' ') ||
    'unknown adapter';
  const software = adapter.isFallbackAdapter === true || SOFTWARE.test(name);
  let device: GpuDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
  } catch (e) {
    throw new PrivaggError('BACKEND_UNAVAILABLE', 'the WebGPU adapter refused a device', {
      cause: e,
    });
  }
  return checkedBackend(await deviceImpl(device, `${name} (${source})`, software, adapter));
}

async function deviceImpl(
  device: GpuDevice,
  name: string,
  software: boolean,
  adapter: GpuAdapter,
): Promise<BackendImpl> {
  // keep the adapter referenced while the device lives
  const keepAlive = { adapter: adapter as GpuAdapter | undefined };
  let lost: unknown;
  void device.lost.then((why) => {
    lost = why ?? 'lost';
  });
  const entry = (binding: number, type: string) => ({
    binding,
    visibility: STAGE_COMPUTE,
    buffer: { type },
  });
  const layout = device.createBindGroupLayout({
    entries: [
      entry(0, 'uniform'),
      entry(1, 'read-only-storage'),
      entry(2, 'read-only-storage'),
      entry(3, 'storage'),
    ],
  });
  const module = device.createShaderModule({ code: KERNELS_WGSL });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipes: unknown[] = [];
  for (const entryPoint of ['stream_main', 'ring_main', 'noise_main'])
    pipes.push(
      device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint } }),
    );
  const [streamPipe, ringPipe, noisePipe] = pipes;
  // element-wise work is cut into chunks that fit one storage binding (a multiple of 16 words)
  const maxWords = Math.floor(
    Math.min(
      device.limits.maxStorageBufferBindingSize ?? 2 ** 27,
      device.limits.maxBufferSize ?? 2 ** 28,
    ) / 4,
  );
  const chunkWords = Math.max(16, Math.floor(Math.min(maxWords, 2 ** 26) / 16) * 16 - 16);
  const maxGroups = device.limits.maxComputeWorkgroupsPerDimension ?? 65535;

  const buffers = new Map<string, GpuBuffer>();
  const buffer = (role: string, bytes: number, usage: number): GpuBuffer => {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const have = buffers.get(role);
    if (have !== undefined && have.size >= size) return have;
    have?.destroy();
    const b = device.createBuffer({ size: Math.max(size, 1 << 16), usage });
    buffers.set(role, b);
    return b;
  };
  const params = new Uint32Array(PARAM_WORDS);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const upload = (role: string, data: Uint32Array): GpuBuffer => {
    const b = buffer(role, data.byteLength, STORAGE | COPY_DST);
    if (data.length > 0) {
      // Dawn copies from the view; shared memory is copied to a private buffer first
      const src = data.buffer instanceof SharedArrayBuffer ? data.slice() : data;
      device.queue.writeBuffer(b, 0, src);
    }
    return b;
  };

  /** Run one pass of `invocations` and read `count` words of the output back into `out`. */
  const run = async (
    pipe: unknown,
    invocations: number,
    a: GpuBuffer | undefined,
    b: GpuBuffer | undefined,
    count: number,
    out: Uint32Array | Int32Array,
  ): Promise<void> => {
    if (lost !== undefined)
      throw new PrivaggError('BACKEND_UNAVAILABLE', 'the WebGPU device was lost');
    const groups = Math.ceil(invocations / WORKGROUP);
    const x = Math.min(groups, maxGroups);
    const y = Math.ceil(groups / x);
    params[P.rowStride] = x * WORKGROUP;
    const u = buffer('params', params.byteLength, UNIFORM | COPY_DST);
    device.queue.writeBuffer(u, 0, params);
    const bytes = count * 4;
    const o = buffer('out', bytes, STORAGE | COPY_SRC | COPY_DST);
    const read = buffer('read', bytes, MAP_READ | COPY_DST);
    const dummy = buffer('dummy', 16, STORAGE);
    const group = device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: u, size: PARAM_WORDS * 4 } },
        { binding: 1, resource: { buffer: a ?? dummy } },
        { binding: 2, resource: { buffer: b ?? dummy } },
        { binding: 3, resource: { buffer: o } },
      ],
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y);
    pass.end();
    enc.copyBufferToBuffer(o, 0, read, 0, Math.ceil(bytes / 4) * 4);
    // device copies of vectors, masks and noise do not outlive the operation
    enc.clearBuffer(o);
    if (a !== undefined) enc.clearBuffer(a);
    if (b !== undefined) enc.clearBuffer(b);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(MAP_MODE_READ);
    try {
      const view = new Uint32Array(read.getMappedRange(0, Math.ceil(bytes / 16) * 16), 0, count);
      if (out instanceof Int32Array) out.set(new Int32Array(view.buffer, view.byteOffset, count));
      else out.set(view);
    } finally {
      read.unmap();
      const wipe = device.createCommandEncoder();
      wipe.clearBuffer(read);
      device.queue.submit([wipe.finish()]);
    }
  };

  const setStream = (s: Stream, firstWord: number): void => {
    const key = new DataView(s.key.buffer, s.key.byteOffset, 32);
    for (let i = 0; i < 8; i++) params[P.key + i] = key.getUint32(4 * i, true);
    const nonce = new DataView(s.nonce.buffer, s.nonce.byteOffset, 12);
    for (let i = 0; i < 3; i++) params[P.nonce + i] = nonce.getUint32(4 * i, true);
    params[P.blockBase] = Math.floor(firstWord / 16);
    params[P.shift] = firstWord % 16;
  };
  const clearKey = (): void => {
    params.fill(0, P.key, P.nonce);
  };

  /** Apply `body` to [start, end) chunks of at most `chunk` elements. */
  const chunks = async (
    length: number,
    chunk: number,
    body: (start: number, end: number) => Promise<void>,
  ): Promise<void> => {
    for (let s = 0; s < length; s += chunk) await body(s, Math.min(length, s + chunk));
  };

  const streamOp = (
    mode: number,
    mask: number,
    a: Uint32Array | undefined,
    stream: Stream,
    out: Uint32Array,
  ): Promise<void> =>
    serial(() =>
      chunks(out.length, chunkWords, async (s, e) => {
        setStream(stream, stream.wordOffset + s);
        params[P.count] = e - s;
        params[P.mask] = mask >>> 0;
        params[P.mode] = mode;
        const ia = a === undefined ? undefined : upload('a', a.subarray(s, e));
        try {
          const blocks = Math.ceil(((params[P.shift] as number) + e - s) / 16);
          await run(streamPipe, blocks, ia, undefined, e - s, out.subarray(s, e));
        } finally {
          clearKey();
        }
      }),
    );

  const noiseOp = (
    mode: number,
    mask: number,
    trials: number,
    a: Uint32Array | undefined,
    stream: Stream,
    out: Uint32Array | Int32Array,
  ): Promise<void> => {
    const per = Math.ceil(trials / 32);
    const lastBits = trials - 32 * (per - 1);
    // coordinates per pass: the word index shift + i*per must stay below 2^32
    const chunk = Math.max(1, Math.min(chunkWords, Math.floor((2 ** 32 - 32) / per)));
    return serial(() =>
      chunks(out.length, chunk, async (s, e) => {
        setStream(stream, stream.wordOffset + s * per);
        params[P.count] = e - s;
        params[P.mask] = mask >>> 0;
        params[P.mode] = mode;
        params[P.wordsPer] = per;
        params[P.lastMask] = lastBits === 32 ? 0xffffffff : 2 ** lastBits - 1;
        params[P.center] = trials / 2;
        const ia = a === undefined ? undefined : upload('a', a.subarray(s, e));
        try {
          await run(noisePipe, e - s, ia, undefined, e - s, out.subarray(s, e));
        } finally {
          clearKey();
        }
      }),
    );
  };

  const buffersDispose = (): void => {
    for (const b of buffers.values()) b.destroy();
    buffers.clear();
  };

  return {
    name: 'webgpu',
    device: name,
    software,
    floatEpsilon: 2 ** -53,
    deviceOps: ['expandStream', 'add', 'sub', 'addStream', 'binomialNoise', 'addBinomialNoise'],
    expandStream: (stream, out) =>
      stream.algorithm === 'chacha20'
        ? streamOp(MODE.expand, -1, undefined, stream, out)
        : cpuImpl.expandStream(stream, out),
    add: (mask, a, b, out, sub) =>
      serial(() =>
        chunks(a.length, chunkWords, async (s, e) => {
          params[P.count] = e - s;
          params[P.mask] = mask >>> 0;
          params[P.mode] = sub ? MODE.sub : MODE.add;
          const ia = upload('a', a.subarray(s, e));
          const ib = upload('b', b.subarray(s, e));
          await run(ringPipe, e - s, ia, ib, e - s, out.subarray(s, e));
        }),
      ),
    addStream: (mask, a, stream, out, sub) =>
      stream.algorithm === 'chacha20'
        ? streamOp(sub ? MODE.subStream : MODE.addStream, mask, a, stream, out)
        : cpuImpl.addStream(mask, a, stream, out, sub),
    quantize: cpuImpl.quantize,
    binomialNoise: (trials, stream, out) =>
      stream.algorithm === 'chacha20'
        ? noiseOp(MODE.noiseInt, -1, trials, undefined, stream, out)
        : cpuImpl.binomialNoise(trials, stream, out),
    addBinomialNoise: (mask, a, trials, stream, out) =>
      stream.algorithm === 'chacha20'
        ? noiseOp(MODE.noiseRing, mask, trials, a, stream, out)
        : cpuImpl.addBinomialNoise(mask, a, trials, stream, out),
    sumSquares: cpuImpl.sumSquares,
    maxAbs: cpuImpl.maxAbs,
    scale: cpuImpl.scale,
    clamp: cpuImpl.clamp,
    hadamard: cpuImpl.hadamard,
    weightedSum: cpuImpl.weightedSum,
    dispose: () => {
      buffersDispose();
      device.destroy();
      keepAlive.adapter = undefined;
    },
  };
}
