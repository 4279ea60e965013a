/**
 * The worker side of the `workers` backend: runs one reference kernel on one coordinate range
 * of arrays in shared memory and replies with a number (a count or a partial sum). Works as a
 * Node worker thread and as a browser module Web Worker.
 * @module
 * @internal
 */
import type { FloatArray, Stream } from './backend.ts';
import {
  addRange,
  addStreamRange,
  clampRange,
  expandRange,
  maxAbsRange,
  noiseRange,
  quantizeRange,
  scaledSumSquaresRange,
  scaleRange,
  sumSquaresRange,
  weightedSumRange,
} from './reference.ts';

/** @internal A request: one operation on the range [start, end). */
export type WorkerRequest = { id: number; start: number; end: number } & (
  | { op: 'expand'; stream: Stream; out: Uint32Array }
  | { op: 'add'; mask: number; a: Uint32Array; b: Uint32Array; out: Uint32Array; sub: boolean }
  | {
      op: 'addStream';
      mask: number;
      a: Uint32Array;
      stream: Stream;
      out: Uint32Array;
      sub: boolean;
    }
  | {
      op: 'quantize';
      values: FloatArray;
      scale: number;
      ringBits: number;
      stream: Stream;
      out: Uint32Array;
    }
  | { op: 'noise'; trials: number; stream: Stream; out: Int32Array }
  | {
      op: 'addNoise';
      trials: number;
      stream: Stream;
      mask: number;
      a: Uint32Array;
      out: Uint32Array;
    }
  | { op: 'sumSquares'; values: FloatArray; divisor: number }
  | { op: 'maxAbs'; values: FloatArray }
  | { op: 'scale'; values: FloatArray; factor: number; out: FloatArray }
  | { op: 'clamp'; values: FloatArray; bound: number; out: FloatArray }
  | { op: 'weightedSum'; vectors: FloatArray[]; weights: number[]; out: FloatArray }
);

/** @internal A reply: the request id and a number, or an error message. */
export type WorkerReply = { id: number; value: number } | { id: number; error: string };

/** @internal Run one request. */
export async function handle(m: WorkerRequest): Promise<number> {
  const { start, end } = m;
  switch (m.op) {
    case 'expand':
      await expandRange(m.stream, m.out, start, end);
      return 0;
    case 'add':
      addRange(m.mask, m.a, m.b, m.out, m.sub, start, end);
      return 0;
    case 'addStream':
      await addStreamRange(m.mask, m.a, m.stream, m.out, m.sub, start, end);
      return 0;
    case 'quantize':
      return quantizeRange(m.values, m.scale, m.ringBits, m.stream, m.out, start, end);
    case 'noise':
      await noiseRange(m.trials, m.stream, { kind: 'int', out: m.out }, start, end);
      return 0;
    case 'addNoise':
      await noiseRange(
        m.trials,
        m.stream,
        { kind: 'ring', mask: m.mask, a: m.a, out: m.out },
        start,
        end,
      );
      return 0;
    case 'sumSquares':
      return m.divisor === 1
        ? sumSquaresRange(m.values, start, end)
        : scaledSumSquaresRange(m.values, m.divisor, start, end);
    case 'maxAbs':
      return maxAbsRange(m.values, start, end);
    case 'scale':
      scaleRange(m.values, m.factor, m.out, start, end);
      return 0;
    case 'clamp':
      return clampRange(m.values, m.bound, m.out, start, end);
    case 'weightedSum':
      weightedSumRange(m.vectors, m.weights, m.out, start, end);
      return 0;
  }
}

interface Port {
  postMessage(message: WorkerReply): void;
  on?(event: 'message', listener: (m: WorkerRequest) => void): void;
  addEventListener?(event: 'message', listener: (e: { data: WorkerRequest }) => void): void;
}

function reply(port: Port, m: WorkerRequest): void {
  handle(m).then(
    (value) => port.postMessage({ id: m.id, value }),
    (e: unknown) => port.postMessage({ id: m.id, error: (e as Error)?.name ?? 'Error' }),
  );
}

const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
const wt = proc?.getBuiltinModule?.('node:worker_threads') as
  | { parentPort: Port | null; isMainThread: boolean }
  | undefined;
if (wt !== undefined && !wt.isMainThread && wt.parentPort !== null) {
  const port = wt.parentPort;
  port.on?.('message', (m) => reply(port, m));
} else if (
  wt === undefined &&
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined'
) {
  const scope = globalThis as unknown as Port;
  scope.addEventListener?.('message', (e) => reply(scope, e.data));
}
