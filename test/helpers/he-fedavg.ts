/**
 * Encrypted FedAvg as a deployment runs it: each client encrypts its update to bytes (seeded
 * symmetric encryption under the shared key, or public-key encryption), the server loads the
 * untrusted bytes and adds each into one streaming weighted sum, and the key holder decrypts. Compared with the plaintext weighted mean.
 */
import type {
  CkksContext,
  CkksDecryption,
  CkksKeyPair,
  CkksPublicKey,
  CkksVector,
} from '../../src/he/index.ts';
import { deterministicRngForTesting } from '../../src/index.ts';

export interface FedAvgOutcome {
  relativeError: number;
  l2RelativeError: number;
  maxAbsError: number;
  errorBound: number;
  seconds: number;
}

export function clientUpdate(client: number, length: number): Float64Array {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, client + 1, true);
  const words = new Uint32Array(deterministicRngForTesting(seed)(4 * length).buffer);
  // model updates: small values around 0 with a client-specific offset
  return Float64Array.from(words, (w) => ((w / 2 ** 32) * 2 - 1) * 0.05 + client * 1e-4);
}

/** Single-key FedAvg: half the clients use seeded symmetric encryption, half the public key. */
export function runFedAvg(
  ctx: CkksContext,
  keys: CkksKeyPair,
  clients: number,
  length: number,
): FedAvgOutcome {
  return runFedAvgWith(
    ctx,
    (c) => (c % 2 === 0 ? keys.secretKey : keys.publicKey),
    (v) => ctx.decrypt(v, keys.secretKey),
    clients,
    length,
  );
}

/** FedAvg with any encryption key per client and any decryption (threshold included). */
export function runFedAvgWith(
  ctx: CkksContext,
  keyFor: (client: number) => CkksKeyPair['secretKey'] | CkksPublicKey,
  decrypt: (v: CkksVector) => CkksDecryption,
  clients: number,
  length: number,
): FedAvgOutcome {
  const t0 = performance.now();
  const counts = Array.from({ length: clients }, (_, i) => 50 + ((i * 37) % 200));
  const total = counts.reduce((a, b) => a + b, 0);
  const weights = counts.map((c) => c / total);
  const want = new Float64Array(length);
  const acc = ctx.createWeightedSum();
  for (let c = 0; c < clients; c++) {
    const x = clientUpdate(c, length);
    const w = weights[c] as number;
    for (let i = 0; i < length; i++) want[i] = (want[i] as number) + w * (x[i] as number);
    const key = keyFor(c);
    const wire = ctx.encryptToBytes(x, key, { bound: 1 });
    const v = ctx.loadVector(wire);
    acc.add(v, w);
    v.dispose();
  }
  const agg = acc.finish();
  const { values, errorBound } = decrypt(agg);
  agg.dispose();
  let maxAbsError = 0;
  let maxAbs = 0;
  let sq = 0;
  let sw = 0;
  for (let i = 0; i < length; i++) {
    maxAbsError = Math.max(maxAbsError, Math.abs((values[i] as number) - (want[i] as number)));
    maxAbs = Math.max(maxAbs, Math.abs(want[i] as number));
    sq += ((values[i] as number) - (want[i] as number)) ** 2;
    sw += (want[i] as number) ** 2;
  }
  return {
    relativeError: maxAbsError / maxAbs,
    l2RelativeError: Math.sqrt(sq / sw),
    maxAbsError,
    errorBound,
    seconds: (performance.now() - t0) / 1000,
  };
}
