/**
 * A pool of worker threads for heavy HE work (Node only). Each worker owns a CKKS context on
 * its own SEAL WebAssembly instance; a worker that dies (a trap, an exhausted heap, a crash) or
 * overruns the task time limit is terminated and replaced, its task is rejected, and every
 * other request carries on. Work crosses the thread boundary as privagg wire bytes.
 * @module
 */
import type { Worker } from 'node:worker_threads';
import { aInteger, aOptions, type ErrorCode, PrivaggError } from '../core/index.ts';
import type { CkksContextOptions, CkksDecryption, CkksEncryptOptions } from './ckks.ts';
import type { CkksParameters, CkksPresetName } from './params.ts';
import { checkParameters } from './params.ts';

/** @internal A task for a worker. */
export type PoolTask =
  | { op: 'init'; parameters: CkksParameters; maxLiveBytes: number }
  | { op: 'keys'; publicKey?: Uint8Array; secretKey?: Uint8Array }
  | { op: 'encrypt'; values: Float64Array; symmetric: boolean; bound?: number }
  | { op: 'weightedSum'; vectors: Uint8Array[]; weights: number[] }
  | { op: 'sum'; vectors: Uint8Array[] }
  | { op: 'decrypt'; vector: Uint8Array };

/** @internal A request to a worker. */
export type PoolRequest = { id: number } & PoolTask;

/** @internal A worker's answer. */
export interface PoolResponse {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { kind: string; code?: ErrorCode; message: string };
}

/**
 * Options of {@link createHePool}.
 * @since 0.1.0
 * @public
 */
export interface HePoolOptions {
  /**
   * Number of worker threads.
   * @defaultValue 2
   */
  readonly size?: number;
  /**
   * A task running longer than this is treated as hung: its worker is terminated and replaced
   * and the task is rejected with `BACKEND_UNAVAILABLE`.
   * @defaultValue 600000 (10 minutes)
   */
  readonly taskTimeoutMs?: number;
  /**
   * Memory budget of each worker's context (see {@link CkksContextOptions.maxLiveBytes}).
   * @defaultValue 2^31
   */
  readonly maxLiveBytes?: number;
}

interface Job {
  req: PoolRequest;
  resolve: (x: unknown) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Replies still expected before the next job's (init and keys). */
  pendingSetup: number;
}

function workerUrl(): URL {
  // sources run as .ts (tests, type-stripping Node); the build emits dist/he-worker.js
  return import.meta.url.endsWith('.ts')
    ? new URL('./pool-worker.ts', import.meta.url)
    : new URL('./he-worker.js', import.meta.url);
}

function rebuildError(e: NonNullable<PoolResponse['error']>): Error {
  if (e.kind === 'PrivaggError' && e.code !== undefined) return new PrivaggError(e.code, e.message);
  if (e.kind === 'TypeError') return new TypeError(e.message);
  if (e.kind === 'RangeError') return new RangeError(e.message);
  return new PrivaggError('BACKEND_UNAVAILABLE', `HE worker failed: ${e.message}`);
}

/**
 * A pool of HE worker threads. Make one with {@link createHePool}; close it with `close()` or
 * `await using`.
 * @since 0.1.0
 * @public
 */
export class HePool {
  private readonly WorkerCtor: typeof Worker;
  private readonly parameters: CkksParameters;
  private readonly timeoutMs: number;
  private readonly maxLiveBytes: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private keys: { publicKey?: Uint8Array; secretKey?: Uint8Array } | undefined;
  private nextId = 1;
  private closed = false;
  private replacedCount = 0;

  /** @internal Use {@link createHePool}. */
  constructor(
    WorkerCtor: typeof Worker,
    parameters: CkksParameters,
    size: number,
    timeoutMs: number,
    maxLiveBytes: number,
  ) {
    this.WorkerCtor = WorkerCtor;
    this.parameters = parameters;
    this.timeoutMs = timeoutMs;
    this.maxLiveBytes = maxLiveBytes;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** How many workers were replaced after dying or timing out. */
  get replaced(): number {
    return this.replacedCount;
  }

  /** Number of requests waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  private spawn(): Slot {
    const worker = new this.WorkerCtor(workerUrl());
    worker.unref();
    const slot: Slot = { worker, job: undefined, timer: undefined, pendingSetup: 0 };
    const post = (req: PoolRequest) => {
      slot.pendingSetup++;
      worker.postMessage(req);
    };
    post({
      id: 0,
      op: 'init',
      parameters: this.parameters,
      maxLiveBytes: this.maxLiveBytes,
    });
    if (this.keys !== undefined) post({ id: 0, op: 'keys', ...this.keys });
    worker.on('message', (res: PoolResponse) => this.onMessage(slot, res));
    worker.on('error', () => this.onDeath(slot, 'failed'));
    worker.on('exit', () => this.onDeath(slot, 'exited'));
    return slot;
  }

  private onMessage(slot: Slot, res: PoolResponse): void {
    if (res.id === 0) {
      slot.pendingSetup--;
      return; // setup replies: failures surface on the next task
    }
    const job = slot.job;
    if (job === undefined || job.req.id !== res.id) return;
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.job = undefined;
    slot.timer = undefined;
    if (res.ok) job.resolve(res.result);
    else job.reject(rebuildError(res.error ?? { kind: 'Error', message: 'unknown' }));
    this.dispatch();
  }

  private onDeath(slot: Slot, how: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return; // already replaced (error is followed by exit)
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    if (job !== undefined)
      job.reject(
        new PrivaggError(
          'BACKEND_UNAVAILABLE',
          `HE worker ${how} during '${job.req.op}'; it was replaced and the request was not completed`,
        ),
      );
    if (!this.closed) {
      this.replacedCount++;
      this.slots.push(this.spawn());
      this.dispatch();
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job !== undefined) continue;
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.timer = setTimeout(() => this.onDeath(slot, 'timed out'), this.timeoutMs);
      slot.worker.postMessage(job.req);
    }
  }

  private submit(req: PoolTask): Promise<unknown> {
    if (this.closed) return Promise.reject(new PrivaggError('PROTOCOL_ABORTED', 'pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { ...req, id: this.nextId++ } as PoolRequest, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Install keys (privagg wire bytes) in every worker, current and future. Takes effect for
   * requests submitted afterwards.
   * @param keys - `publicKey` for public-key encryption, `secretKey` for symmetric encryption
   *   and decryption
   * @throws {@link !TypeError} when a key is not a `Uint8Array`
   */
  setKeys(keys: { publicKey?: Uint8Array; secretKey?: Uint8Array }): void {
    aOptions('keys', keys, ['publicKey', 'secretKey']);
    for (const k of [keys.publicKey, keys.secretKey])
      if (k !== undefined && !(k instanceof Uint8Array))
        throw new TypeError('"keys" expected Uint8Array values');
    this.keys = { ...keys };
    for (const slot of this.slots) {
      slot.pendingSetup++;
      slot.worker.postMessage({ id: 0, op: 'keys', ...this.keys });
    }
  }

  /**
   * Encrypt a vector in a worker (seeded symmetric with the secret key when `symmetric`).
   * @param values - the values (copied to the worker)
   * @param options - `symmetric` (default false), `bound` as in {@link CkksEncryptOptions}
   * @returns the serialized vector
   * @throws {@link index!PrivaggError} as the context does, or `BACKEND_UNAVAILABLE` when the
   *   worker died or timed out
   */
  encrypt(
    values: Float64Array,
    options: { symmetric?: boolean; bound?: number } = {},
  ): Promise<Uint8Array> {
    const req: PoolTask = {
      op: 'encrypt',
      values,
      symmetric: options.symmetric ?? false,
      ...(options.bound === undefined ? {} : { bound: options.bound }),
    };
    return this.submit(req) as Promise<Uint8Array>;
  }

  /**
   * A weighted sum of serialized vectors, computed in a worker.
   * @param vectors - serialized vectors
   * @param weights - one nonzero weight per vector
   * @returns the serialized result
   * @throws {@link index!PrivaggError} as {@link HePool.encrypt}
   */
  weightedSum(vectors: Uint8Array[], weights: number[]): Promise<Uint8Array> {
    return this.submit({ op: 'weightedSum', vectors, weights }) as Promise<Uint8Array>;
  }

  /**
   * The sum of serialized vectors, computed in a worker.
   * @param vectors - serialized vectors
   * @returns the serialized result
   * @throws {@link index!PrivaggError} as {@link HePool.encrypt}
   */
  sum(vectors: Uint8Array[]): Promise<Uint8Array> {
    return this.submit({ op: 'sum', vectors }) as Promise<Uint8Array>;
  }

  /**
   * Decrypt a serialized vector in a worker (needs the secret key from {@link HePool.setKeys}).
   * @param vector - the serialized vector
   * @returns the values and the error bound
   * @throws {@link index!PrivaggError} as {@link HePool.encrypt}
   */
  decrypt(vector: Uint8Array): Promise<CkksDecryption> {
    return this.submit({ op: 'decrypt', vector }) as Promise<CkksDecryption>;
  }

  /** @internal Test hook: the live worker threads. */
  get __TEST(): { workers: Worker[]; busy: boolean[] } {
    return {
      workers: this.slots.map((s) => s.worker),
      busy: this.slots.map((s) => s.job !== undefined),
    };
  }

  /** Terminate every worker; pending requests are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.reject(new PrivaggError('PROTOCOL_ABORTED', 'pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Same as {@link HePool.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Start a pool of HE worker threads (Node only).
 * @param parameters - the CKKS parameters every worker uses
 * @param options - see {@link HePoolOptions}
 * @returns the pool
 * @throws {@link !TypeError} when an argument has the wrong shape
 * @throws {@link !RangeError} when an option is out of range
 * @throws {@link index!PrivaggError} `BACKEND_UNAVAILABLE` outside Node
 * @since 0.1.0
 * @public
 */
export function createHePool(
  parameters: CkksPresetName | CkksParameters,
  options: HePoolOptions = {},
): HePool {
  const params = checkParameters(parameters);
  aOptions('options', options, ['size', 'taskTimeoutMs', 'maxLiveBytes']);
  const size = options.size ?? 2;
  aInteger('options.size', size, 1, 64);
  const timeout = options.taskTimeoutMs ?? 600_000;
  aInteger('options.taskTimeoutMs', timeout, 1, 2 ** 31 - 1);
  const maxLiveBytes = options.maxLiveBytes ?? 2 ** 31;
  aInteger('options.maxLiveBytes', maxLiveBytes, 1, 2 ** 32);
  const wt = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
  ).process?.getBuiltinModule?.('node:worker_threads') as
    | typeof import('node:worker_threads')
    | undefined;
  if (wt === undefined)
    throw new PrivaggError('BACKEND_UNAVAILABLE', 'HE worker pools need Node worker_threads');
  return new HePool(wt.Worker, params, size, timeout, maxLiveBytes);
}
