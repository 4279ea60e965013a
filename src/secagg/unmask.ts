/**
 * Server-side mask removal by coordinate range: the masks of every job are regenerated from the
 * seekable keystream for one range of coordinates at a time, so the work spreads over worker
 * threads (Node) with each worker owning a disjoint range, and the partial sums are added back.
 * @module
 * @internal
 */
import { IS_LITTLE_ENDIAN, nodeCrypto, nodeWorkerThreads } from '../core/index.ts';
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
  const { keys, signs, wide, firstWord, words } = m;
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
  parentPort.postMessage(acc, [acc.buffer]);
});
`;

/**
 * @internal `sum + sum of sign * mask` over all coordinates, in place; with `workers > 0` (and
 * Node) the coordinates are cut into `workers` contiguous ranges, one worker thread each.
 */
export async function unmaskInRange(
  sum: Uint32Array,
  jobs: readonly MaskJob[],
  ringBits: number,
  dimension: number,
  workers: number,
): Promise<Uint32Array> {
  const wt = nodeWorkerThreads();
  const usable =
    workers > 0 &&
    wt !== undefined &&
    nodeCrypto() !== undefined &&
    IS_LITTLE_ENDIAN &&
    jobs.length > 0;
  if (!usable) {
    await applyMasks(sum, jobs, ringBits, 0);
    return sum;
  }
  const wpe = wordsPerElement(ringBits);
  const count = Math.min(workers, dimension);
  const keys = new Uint8Array(32 * jobs.length);
  const signs = new Int8Array(jobs.length);
  for (const [j, job] of jobs.entries()) {
    keys.set(job.key, 32 * j);
    signs[j] = job.sign;
  }
  const tasks: Promise<void>[] = [];
  for (let w = 0; w < count; w++) {
    const start = Math.floor((dimension * w) / count);
    const end = Math.floor((dimension * (w + 1)) / count);
    tasks.push(
      new Promise<void>((resolve, reject) => {
        const worker = new wt.Worker(WORKER_SOURCE, { eval: true });
        worker.once('message', (acc: Uint32Array) => {
          addInto(sum.subarray(start * wpe, end * wpe), acc, ringBits);
          void worker.terminate();
          resolve();
        });
        worker.once('error', (e) => {
          void worker.terminate();
          reject(e);
        });
        worker.postMessage({
          keys,
          signs,
          wide: wpe === 2,
          firstWord: start * wpe,
          words: (end - start) * wpe,
        });
      }),
    );
  }
  try {
    await Promise.all(tasks);
  } finally {
    keys.fill(0);
  }
  return sum;
}
