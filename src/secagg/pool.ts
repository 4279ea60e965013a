/**
 * A pool of worker threads that generate masks by coordinate range: the masks of every job are
 * regenerated from the seekable keystream for one range of coordinates, so the work of one
 * vector spreads over the workers, each owning a disjoint range, and the partial sums are added
 * back. Used by clients (masking) and the server (unmasking); Node only, with an in-thread
 * fallback everywhere else.
 * @module
 */
import type { Worker } from 'node:worker_threads';
import {
  aInteger,
  IS_LITTLE_ENDIAN,
  nodeCrypto,
  nodeWorkerThreads,
  PrivaggError,
} from '../core/index.ts';
import { createSharedVector, defaultKernels, type KernelBackend } from '../kernels/index.ts';
import { addInto, applyMasks, type MaskJob, wordsPerElement } from './masks.ts';

/**
 * The worker: AES-256-CTR under each job key from the zero IV (exactly the core keystream's
 * `aes-256-ctr` layout: word w is bytes 4w..4w+3 of the stream, little-endian), added with its
 * sign to a fresh accumulator of the range, which goes back to the parent (transferred).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createCipheriv } = require('node:crypto');
const CHUNK = 1 << 16;
const zeros = new Uint8Array(CHUNK * 4);
function counterBlock(block) {
  const out = new Uint8Array(16);
  let carry = block;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const s = out[i] + (carry % 256);
    out[i] = s & 255;
    carry = Math.floor(carry / 256) + (s >> 8);
  }
  return out;
}
parentPort.on('message', (m) => {
  const { id, keys, signs, wide, firstWord, words } = m;
  const acc = new Uint32Array(words);
  const scratch = new Uint32Array(CHUNK);
  const scratchBytes = new Uint8Array(scratch.buffer);
  const TWO32 = 4294967296;
  for (let j = 0; j < signs.length; j++) {
    const c = createCipheriv('aes-256-ctr', keys.subarray(32 * j, 32 * j + 32), counterBlock(Math.floor(firstWord / 4)));
    const skip = (firstWord % 4) * 4;
    if (skip > 0) c.update(zeros.subarray(0, skip));
    const sign = signs[j];
    for (let at = 0; at < words; at += CHUNK) {
      const len = Math.min(CHUNK, words - at);
      scratchBytes.set(c.update(zeros.subarray(0, len * 4)));
      if (!wide) {
        if (sign === 1) for (let i = 0; i < len; i++) acc[at + i] = (acc[at + i] + scratch[i]) | 0;
        else for (let i = 0; i < len; i++) acc[at + i] = (acc[at + i] - scratch[i]) | 0;
      } else if (sign === 1) {
        for (let i = 0; i < len; i += 2) {
          const lo = acc[at + i] + scratch[i];
          acc[at + i] = lo;
          acc[at + i + 1] = acc[at + i + 1] + scratch[i + 1] + ((lo / TWO32) | 0);
        }
      } else {
        for (let i = 0; i < len; i += 2) {
          const lo = acc[at + i] - scratch[i];
          acc[at + i] = lo;
          acc[at + i + 1] = acc[at + i + 1] - scratch[i + 1] + Math.floor(lo / TWO32);
        }
      }
    }
  }
  keys.fill(0);
  scratch.fill(0);
  parentPort.postMessage({ id, acc }, [acc.buffer]);
});
`;

interface Task {
  readonly message: {
    id: number;
    keys: Uint8Array;
    signs: Int8Array;
    wide: boolean;
    firstWord: number;
    words: number;
  };
  readonly resolve: (acc: Uint32Array) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Worker threads that add keystream masks by coordinate range, for {@link SecAggClient} masking
 * and {@link SecAggServer} unmasking (pass it as their `workerPool`). Node only. Close it when
 * done; its threads do not keep the process alive.
 *
 * @example
 * ```ts
 * import { SecAggWorkerPool } from 'privagg/secagg';
 * const pool = new SecAggWorkerPool(2);
 * console.log(pool.size); // 2
 * await pool.close();
 * ```
 * @since 0.1.0
 * @public
 */
export class SecAggWorkerPool {
  /** Number of threads. */
  readonly size: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<number, { worker: Worker; task: Task }>();
  private nextId = 0;
  private closed = false;

  /**
   * @param threads - how many worker threads, 1 to 64
   * @throws {@link !RangeError} when `threads` is out of range
   * @throws {@link index.PrivaggError} `BACKEND_UNAVAILABLE` outside Node (no `node:worker_threads`)
   */
  constructor(threads: number) {
    aInteger('threads', threads, 1, 64);
    const wt = nodeWorkerThreads();
    if (wt === undefined || nodeCrypto() === undefined || !IS_LITTLE_ENDIAN)
      throw new PrivaggError(
        'BACKEND_UNAVAILABLE',
        'worker threads need Node (node:worker_threads)',
      );
    this.size = threads;
    for (let i = 0; i < threads; i++) {
      const w = new wt.Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      w.on('message', (m: { id: number; acc: Uint32Array }) => this.done(w, m));
      w.on('error', (e) => this.fail(w, e));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private done(worker: Worker, m: { id: number; acc: Uint32Array }): void {
    const r = this.running.get(m.id);
    this.running.delete(m.id);
    this.idle.push(worker);
    this.pump();
    r?.task.resolve(m.acc);
  }

  private fail(worker: Worker, e: unknown): void {
    for (const [id, r] of this.running)
      if (r.worker === worker) {
        this.running.delete(id);
        r.task.reject(e);
      }
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const task = this.queue.shift() as Task;
      this.running.set(task.message.id, { worker, task });
      worker.postMessage(task.message);
    }
  }

  /** @internal The masks of `jobs` over `words` words from `firstWord`, summed by one worker. */
  maskRange(
    jobs: readonly MaskJob[],
    wide: boolean,
    firstWord: number,
    words: number,
  ): Promise<Uint32Array> {
    if (this.closed)
      return Promise.reject(new PrivaggError('BACKEND_UNAVAILABLE', 'worker pool is closed'));
    const keys = new Uint8Array(32 * jobs.length);
    const signs = new Int8Array(jobs.length);
    for (const [j, job] of jobs.entries()) {
      keys.set(job.key, 32 * j);
      signs[j] = job.sign;
    }
    return new Promise<Uint32Array>((resolve, reject) => {
      const id = this.nextId++;
      this.queue.push({
        message: { id, keys, signs, wide, firstWord, words },
        resolve: (acc) => {
          keys.fill(0);
          resolve(acc);
        },
        reject: (e) => {
          keys.fill(0);
          reject(e);
        },
      });
      this.pump();
    });
  }

  /**
   * Stop the threads.
   * @returns when every thread has exited
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** @internal Smallest job (masks x words) worth sending to the pool. */
export const POOL_MIN_WORDS: number = 1 << 23;

/**
 * @internal `acc + sum of sign * mask` over all `dimension` elements, in place: on the pool, cut
 * into one contiguous coordinate range per thread, when one is given and the job is large; else
 * through the kernel backend's `addStream` (AES-256-CTR from the zero counter block, the same
 * words as the pool and {@link applyMasks}), mod 2^32 and reduced by the caller. Wide rings
 * (k > 32), which the kernel interface does not cover, run {@link applyMasks} in this thread.
 */
export async function addMasks(
  acc: Uint32Array,
  jobs: readonly MaskJob[],
  ringBits: number,
  dimension: number,
  pool: SecAggWorkerPool | undefined,
  minWords: number = POOL_MIN_WORDS,
  kernels: KernelBackend = defaultKernels(),
): Promise<Uint32Array> {
  const wpe = wordsPerElement(ringBits);
  // below ~8M mask words the messaging costs more than the threads save (measured on 2 cores)
  if (pool === undefined || jobs.length === 0 || jobs.length * acc.length < minWords) {
    if (wpe === 2 || jobs.length === 0) await applyMasks(acc, jobs, ringBits, 0);
    else await maskWithKernels(acc, jobs, kernels);
    return acc;
  }
  const parts = Math.min(pool.size, dimension);
  const tasks: Promise<void>[] = [];
  for (let w = 0; w < parts; w++) {
    const start = Math.floor((dimension * w) / parts);
    const end = Math.floor((dimension * (w + 1)) / parts);
    tasks.push(
      pool
        .maskRange(jobs, wpe === 2, start * wpe, (end - start) * wpe)
        .then((part) => addInto(acc.subarray(start * wpe, end * wpe), part, ringBits)),
    );
  }
  await Promise.all(tasks);
  return acc;
}

/**
 * Every mask through `kernels.addStream` on a narrow vector. The workers backend gets the vector
 * in shared memory once for all masks (else it would copy it in and out for each one).
 */
async function maskWithKernels(
  acc: Uint32Array,
  jobs: readonly MaskJob[],
  kernels: KernelBackend,
): Promise<void> {
  const shared =
    kernels.name === 'workers' && !(acc.buffer instanceof SharedArrayBuffer)
      ? createSharedVector(Uint32Array, acc.length)
      : undefined;
  const v = shared ?? acc;
  shared?.set(acc);
  try {
    for (const job of jobs)
      await kernels.addStream(
        32,
        v,
        { key: job.key, algorithm: 'aes-256-ctr' },
        v,
        job.sign === -1,
      );
    if (shared !== undefined) acc.set(shared);
  } finally {
    shared?.fill(0);
  }
}
