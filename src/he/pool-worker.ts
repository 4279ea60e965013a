/**
 * The worker side of {@link HePool}: one CKKS context per worker thread, its own SEAL
 * WebAssembly instance (so an exhausted or trapped heap dies with the thread), tasks processed
 * one at a time in arrival order.
 * @module
 * @internal
 */
import type { MessagePort } from 'node:worker_threads';
import { isPrivaggError } from '../core/index.ts';
import {
  type CkksContext,
  type CkksPublicKey,
  type CkksSecretKey,
  createCkksContext,
} from './ckks.ts';
import type { PoolRequest, PoolResponse } from './pool.ts';

const wt = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:worker_threads') as
  | typeof import('node:worker_threads')
  | undefined;
const port = wt?.parentPort as MessagePort | null | undefined;

let ctx: CkksContext | undefined;
let publicKey: CkksPublicKey | undefined;
let secretKey: CkksSecretKey | undefined;

function need<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new Error(`worker: ${what} is not set`);
  return x;
}

async function handle(req: PoolRequest): Promise<unknown> {
  switch (req.op) {
    case 'init':
      ctx = await createCkksContext(req.parameters, { maxLiveBytes: req.maxLiveBytes });
      return null;
    case 'keys': {
      const c = need(ctx, 'context');
      publicKey?.dispose();
      secretKey?.dispose();
      publicKey = req.publicKey === undefined ? undefined : c.loadPublicKey(req.publicKey);
      secretKey = req.secretKey === undefined ? undefined : c.loadSecretKey(req.secretKey);
      return null;
    }
    case 'encrypt': {
      const c = need(ctx, 'context');
      const key = req.symmetric ? need(secretKey, 'secret key') : need(publicKey, 'public key');
      return c.encryptToBytes(req.values, key, req.bound === undefined ? {} : { bound: req.bound });
    }
    case 'weightedSum': {
      const c = need(ctx, 'context');
      using acc = c.createWeightedSum();
      req.vectors.forEach((bytes, i) => {
        using v = c.loadVector(bytes);
        acc.add(v, req.weights[i] as number);
      });
      using out = acc.finish();
      return out.serialize();
    }
    case 'sum': {
      const c = need(ctx, 'context');
      const vs = req.vectors.map((b) => c.loadVector(b));
      try {
        using out = c.sum(vs);
        return out.serialize();
      } finally {
        for (const v of vs) v.dispose();
      }
    }
    case 'decrypt': {
      const c = need(ctx, 'context');
      using v = c.loadVector(req.vector);
      const d = c.decrypt(v, need(secretKey, 'secret key'));
      return { values: d.values, errorBound: d.errorBound };
    }
  }
}

function describeError(e: unknown): NonNullable<PoolResponse['error']> {
  if (isPrivaggError(e)) return { kind: 'PrivaggError', code: e.code, message: e.message };
  if (e instanceof TypeError) return { kind: 'TypeError', message: e.message };
  if (e instanceof RangeError) return { kind: 'RangeError', message: e.message };
  return { kind: 'Error', message: e instanceof Error ? e.message : String(e) };
}

let chain: Promise<void> = Promise.resolve();
port?.on('message', (req: PoolRequest) => {
  chain = chain.then(async () => {
    let res: PoolResponse;
    try {
      res = { id: req.id, ok: true, result: await handle(req) };
    } catch (e) {
      res = { id: req.id, ok: false, error: describeError(e) };
    }
    port.postMessage(res);
  });
});
