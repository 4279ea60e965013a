/**
 * The `workers` backend: the reference kernels sharded by coordinate range over worker threads
 * (Node `worker_threads`, or module Web Workers in cross-origin-isolated browsers) that share the
 * vectors through `SharedArrayBuffer`. Bit-identical to `cpu`, since each shard runs the same
 * code on its range and the keystream is seekable.
 * @module
 */
import { PrivaggError, aInteger, aOptions } from '../core/index.ts';
import type { KernelBackend } from './backend.ts';
import { type BackendImpl, checkedBackend } from './_checked.ts';
import { cpuImpl } from './cpu.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

/**
 * Options of {@link createWorkersBackend}.
 * @since 0.1.0
 * @public
 */
export interface WorkersBackendOptions {
  /** Worker threads to start. @defaultValue the number of available cores (at least 2) */
  readonly threads?: number;
  /**
   * Work (stream words or elements) below which an operation runs on the calling thread,
   * where messaging would cost more than it saves. @defaultValue `32768`
   */
  readonly minParallelWork?: number;
}

type Builtin = (id: string) => unknown;
function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: Builtin } }).process;
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/** A worker handle, the same for Node worker threads and Web Workers. */
interface Handle {
  post(message: WorkerRequest): void;
  ref(): void;
  unref(): void;
  terminate(): void;
}

interface NodeWorker {
  postMessage(m: unknown): void;
  on(event: 'message', cb: (m: WorkerReply) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface WebWorker {
  postMessage(m: unknown): void;
  addEventListener(event: 'message', cb: (e: { data: WorkerReply }) => void): void;
  addEventListener(event: 'error', cb: (e: unknown) => void): void;
  terminate(): void;
}

function workerUrl(): URL {
  const here = import.meta.url;
  // from the sources (tests, benchmarks) the worker is worker.ts; in the bundle, kernels-worker.js
  return here.endsWith('.ts') ? new URL('./worker.ts', here) : new URL('./kernels-worker.js', here);
}

function spawn(onReply: (r: WorkerReply) => void, onError: (e: unknown) => void): Handle {
  const wt = nodeBuiltin<{ Worker: new (url: URL) => NodeWorker }>('node:worker_threads');
  if (wt !== undefined) {
    const w = new wt.Worker(workerUrl());
    w.on('message', onReply);
    w.on('error', onError);
    w.unref();
    return {
      post: (m) => w.postMessage(m),
      ref: () => w.ref(),
      unref: () => w.unref(),
      terminate: () => void w.terminate(),
    };
  }
  const W = (globalThis as { Worker?: new (u: URL, o: { type: 'module' }) => WebWorker }).Worker;
  if (W === undefined) throw new PrivaggError('BACKEND_UNAVAILABLE', 'no worker threads here');
  const w = new W(workerUrl(), { type: 'module' });
  w.addEventListener('message', (e) => onReply(e.data));
  w.addEventListener('error', onError);
  return {
    post: (m) => w.postMessage(m),
    ref: () => {},
    unref: () => {},
    terminate: () => w.terminate(),
  };
}

function defaultThreads(): number {
  const os = nodeBuiltin<{ availableParallelism?: () => number }>('node:os');
  const n =
    os?.availableParallelism?.() ??
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency ??
    2;
  return Math.max(2, Math.min(64, n));
}

type Typed = Uint32Array | Int32Array | Float64Array | Float32Array;

/** Split [0, n) into `parts` ranges whose inner boundaries are multiples of 64. */
function shards(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const step = Math.ceil(n / parts / 64) * 64;
  for (let s = 0; s < n; s += step) out.push([s, Math.min(n, s + step)]);
  return out;
}

/**
 * Create the worker-thread backend. Operations on vectors whose memory is a
 * `SharedArrayBuffer` run in place; other vectors are copied into shared scratch memory and back
 * (allocate with {@link createSharedVector} to skip the copies). Operations run one at a time in
 * call order. Call `dispose()` to stop the threads.
 *
 * @param options - thread count and the size below which work stays on the calling thread
 * @returns a {@link KernelBackend} named `workers`
 * @throws {@link !TypeError} or {@link !RangeError} for bad options
 * @throws {@link PrivaggError} `BACKEND_UNAVAILABLE` without worker threads or shared memory
 * @example
 * ```ts
 * import { createCpuBackend, createWorkersBackend } from 'privagg/kernels';
 * const workers = createWorkersBackend({ threads: 2, minParallelWork: 0 });
 * const stream = { key: new Uint8Array(32).fill(7) };
 * const a = await workers.expandStream(stream, new Uint32Array(1000));
 * const b = await createCpuBackend().expandStream(stream, new Uint32Array(1000));
 * console.log(a.every((w, i) => w === b[i])); // true
 * workers.dispose();
 * ```
 * @since 0.1.0
 * @public
 */
export function createWorkersBackend(options: WorkersBackendOptions = {}): KernelBackend {
  aOptions('options', options, ['threads', 'minParallelWork']);
  const threads = options.threads === undefined ? defaultThreads() : options.threads;
  aInteger('options.threads', threads, 1, 256);
  const minWork = options.minParallelWork === undefined ? 32768 : options.minParallelWork;
  aInteger('options.minParallelWork', minWork);
  if (typeof SharedArrayBuffer === 'undefined')
    throw new PrivaggError(
      'BACKEND_UNAVAILABLE',
      'SharedArrayBuffer is unavailable (browsers need cross-origin isolation)',
    );

  const pending = new Map<number, { resolve: (v: number) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let broken: unknown;
  const onReply = (r: WorkerReply): void => {
    const p = pending.get(r.id);
    if (p === undefined) return;
    pending.delete(r.id);
    if ('error' in r)
      p.reject(new PrivaggError('BACKEND_UNAVAILABLE', `a kernel worker failed (${r.error})`));
    else p.resolve(r.value);
  };
  const onError = (e: unknown): void => {
    broken = e;
    for (const p of pending.values())
      p.reject(new PrivaggError('BACKEND_UNAVAILABLE', 'a kernel worker crashed', { cause: e }));
    pending.clear();
  };
  const pool: Handle[] = [];
  try {
    for (let i = 0; i < threads; i++) pool.push(spawn(onReply, onError));
  } catch (e) {
    for (const h of pool) h.terminate();
    throw e instanceof PrivaggError
      ? e
      : new PrivaggError('BACKEND_UNAVAILABLE', 'cannot start kernel workers', { cause: e });
  }

  // operations run one at a time, so the shared scratch buffers are never used twice at once
  let queue: Promise<unknown> = Promise.resolve();
  // scratch views written by the running operation: zeroed when it ends (they may hold vectors,
  // masks or noise)
  const dirty: Typed[] = [];
  const wipe = (): void => {
    for (const v of dirty.splice(0)) v.fill(0);
  };
  const serial = <T>(body: () => Promise<T>): Promise<T> => {
    const fn = (): Promise<T> => body().finally(wipe);
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const scratch = new Map<string, SharedArrayBuffer>();
  const scratchView = <A extends Typed>(slot: string, like: A): A => {
    const bytes = like.byteLength;
    let buf = scratch.get(slot);
    if (buf === undefined || buf.byteLength < bytes) {
      buf = new SharedArrayBuffer(Math.max(bytes, 1024));
      scratch.set(slot, buf);
    }
    const Ctor = like.constructor as new (b: SharedArrayBuffer, o: number, l: number) => A;
    return new Ctor(buf, 0, like.length);
  };
  const isShared = (a: Typed): boolean => a.buffer instanceof SharedArrayBuffer;
  /** An input in shared memory (copied into scratch `slot` when it is not). */
  const input = <A extends Typed>(slot: string, a: A): A => {
    if (isShared(a)) return a;
    const v = scratchView(slot, a);
    v.set(a as never);
    dirty.push(v);
    return v;
  };
  /** An output in shared memory, and how to copy it back. */
  const output = <A extends Typed>(slot: string, out: A): [A, () => void] => {
    if (isShared(out)) return [out, () => {}];
    const v = scratchView(slot, out);
    dirty.push(v);
    return [v, () => out.set(v as never)];
  };

  const dispatch = async (
    length: number,
    make: (start: number, end: number) => Omit<WorkerRequest, 'id' | 'start' | 'end'>,
  ): Promise<number[]> => {
    if (broken !== undefined)
      throw new PrivaggError('BACKEND_UNAVAILABLE', 'a kernel worker crashed earlier', {
        cause: broken,
      });
    const ranges = shards(length, pool.length);
    for (const h of pool) h.ref();
    try {
      return await Promise.all(
        ranges.map(
          ([start, end], i) =>
            new Promise<number>((resolve, reject) => {
              const id = nextId++;
              pending.set(id, { resolve, reject });
              (pool[i] as Handle).post({ ...make(start, end), id, start, end } as WorkerRequest);
            }),
        ),
      );
    } finally {
      if (pending.size === 0) for (const h of pool) h.unref();
    }
  };

  const small = (work: number): boolean => work < minWork;

  const impl: BackendImpl = {
    name: 'workers',
    device: `${threads} worker threads`,
    software: false,
    floatEpsilon: 2 ** -53,
    deviceOps: cpuImpl.deviceOps.filter((op) => op !== 'hadamard'),
    expandStream: (stream, out) =>
      small(out.length)
        ? cpuImpl.expandStream(stream, out)
        : serial(async () => {
            const [o, back] = output('out', out);
            await dispatch(out.length, () => ({ op: 'expand', stream, out: o }));
            back();
          }),
    add: (mask, a, b, out, sub) =>
      small(a.length)
        ? cpuImpl.add(mask, a, b, out, sub)
        : serial(async () => {
            const ia = input('a', a);
            const ib = b === a ? ia : input('b', b);
            const [o, back] = output('out', out);
            await dispatch(a.length, () => ({ op: 'add', mask, a: ia, b: ib, out: o, sub }));
            back();
          }),
    addStream: (mask, a, stream, out, sub) =>
      small(a.length)
        ? cpuImpl.addStream(mask, a, stream, out, sub)
        : serial(async () => {
            const ia = input('a', a);
            const [o, back] = output('out', out);
            await dispatch(a.length, () => ({ op: 'addStream', mask, a: ia, stream, out: o, sub }));
            back();
          }),
    quantize: (values, scale, ringBits, stream, out) =>
      small(values.length)
        ? cpuImpl.quantize(values, scale, ringBits, stream, out)
        : serial(async () => {
            const iv = input('values', values);
            const [o, back] = output('out', out);
            const bad = await dispatch(values.length, () => ({
              op: 'quantize',
              values: iv,
              scale,
              ringBits,
              stream,
              out: o,
            }));
            back();
            return bad.reduce((x, y) => x + y, 0);
          }),
    binomialNoise: (trials, stream, out) =>
      small(out.length * Math.ceil(trials / 32))
        ? cpuImpl.binomialNoise(trials, stream, out)
        : serial(async () => {
            const [o, back] = output('noise', out);
            await dispatch(out.length, () => ({ op: 'noise', trials, stream, out: o }));
            back();
          }),
    addBinomialNoise: (mask, a, trials, stream, out) =>
      small(a.length * Math.ceil(trials / 32))
        ? cpuImpl.addBinomialNoise(mask, a, trials, stream, out)
        : serial(async () => {
            const ia = input('a', a);
            const [o, back] = output('out', out);
            await dispatch(a.length, () => ({
              op: 'addNoise',
              trials,
              stream,
              mask,
              a: ia,
              out: o,
            }));
            back();
          }),
    sumSquares: (values, divisor) =>
      small(values.length)
        ? cpuImpl.sumSquares(values, divisor)
        : serial(async () => {
            const iv = input('values', values);
            const parts = await dispatch(values.length, () => ({
              op: 'sumSquares',
              values: iv,
              divisor,
            }));
            return parts.reduce((x, y) => x + y, 0);
          }),
    maxAbs: (values) =>
      small(values.length)
        ? cpuImpl.maxAbs(values)
        : serial(async () => {
            const iv = input('values', values);
            const parts = await dispatch(values.length, () => ({ op: 'maxAbs', values: iv }));
            return Math.max(0, ...parts);
          }),
    scale: (values, factor, out) =>
      small(values.length)
        ? cpuImpl.scale(values, factor, out)
        : serial(async () => {
            const iv = input('values', values);
            const [o, back] = output('fout', out);
            await dispatch(values.length, () => ({ op: 'scale', values: iv, factor, out: o }));
            back();
          }),
    clamp: (values, bound, out) =>
      small(values.length)
        ? cpuImpl.clamp(values, bound, out)
        : serial(async () => {
            const iv = input('values', values);
            const [o, back] = output('fout', out);
            const counts = await dispatch(values.length, () => ({
              op: 'clamp',
              values: iv,
              bound,
              out: o,
            }));
            back();
            return counts.reduce((x, y) => x + y, 0);
          }),
    hadamard: (values, stream, out, inverse) => cpuImpl.hadamard(values, stream, out, inverse),
    weightedSum: (vectors, weights, out) =>
      small(out.length * vectors.length)
        ? cpuImpl.weightedSum(vectors, weights, out)
        : serial(async () => {
            const vs = vectors.map((v, j) => input(`v${j}`, v));
            const [o, back] = output('fout', out);
            await dispatch(out.length, () => ({
              op: 'weightedSum',
              vectors: vs,
              weights: Array.from(weights),
              out: o,
            }));
            back();
          }),
    dispose: () => {
      for (const h of pool) h.terminate();
      onError(new Error('disposed'));
      scratch.clear();
    },
  };
  return checkedBackend(impl);
}

/**
 * A zero-filled typed array over a `SharedArrayBuffer`, which the `workers` backend reads and
 * writes in place (no copies).
 *
 * @param type - the array type: `Uint32Array`, `Int32Array`, `Float64Array` or `Float32Array`
 * @param length - element count, a safe integer >= 0
 * @returns the shared array
 * @throws {@link !RangeError} for a bad length
 * @throws {@link PrivaggError} `BACKEND_UNAVAILABLE` without `SharedArrayBuffer`
 * @example
 * ```ts
 * import { createSharedVector } from 'privagg/kernels';
 * const v = createSharedVector(Uint32Array, 4);
 * console.log(v.length, v.buffer instanceof SharedArrayBuffer); // 4 true
 * ```
 * @since 0.1.0
 * @public
 */
export function createSharedVector<
  T extends Uint32Array | Int32Array | Float64Array | Float32Array,
>(type: new (buffer: SharedArrayBuffer) => T, length: number): T {
  aInteger('length', length);
  if (typeof SharedArrayBuffer === 'undefined')
    throw new PrivaggError('BACKEND_UNAVAILABLE', 'SharedArrayBuffer is unavailable');
  const ctor = type as unknown as { BYTES_PER_ELEMENT?: number };
  if (
    (type as unknown) !== Uint32Array &&
    (type as unknown) !== Int32Array &&
    (type as unknown) !== Float64Array &&
    (type as unknown) !== Float32Array
  )
    throw new TypeError('"type" expected Uint32Array, Int32Array, Float64Array or Float32Array');
  return new type(new SharedArrayBuffer(length * (ctor.BYTES_PER_ELEMENT as number)));
}
