/**
 * A hand-driven secure-aggregation round for state-machine tests: the real client and server
 * objects, every message captured, and a hook to inject extra bytes into the server between and
 * within stages.
 */
import { deterministicRngForTesting } from '../../src/index.ts';
import {
  planSecAgg,
  SecAggClient,
  type SecAggPlan,
  type SecAggResult,
  SecAggServer,
} from '../../src/secagg/index.ts';

export interface Captured {
  from: number;
  bytes: Uint8Array;
}

export interface RoundOptions {
  clients?: number;
  dimension?: number;
  tier?: 'semi-honest' | 'malicious';
  seed?: number;
  /** Called before and after the honest messages of each client-to-server stage. */
  inject?: (server: SecAggServer, captured: readonly Captured[], stage: number) => void;
  /** Rewrite a server-to-client message before delivery. */
  tamper?: (to: number, bytes: Uint8Array) => Uint8Array;
  /** Receives client errors; without it a client error fails the round. */
  onClientError?: (id: number, error: unknown) => void;
}

export function smallPlan(
  clients: number,
  dimension: number,
  seed: number,
  tier: 'semi-honest' | 'malicious' = 'semi-honest',
): SecAggPlan {
  return planSecAgg({
    clients,
    dimension,
    modulusBits: 20,
    maxInputValue: 1000,
    neighbors: 'all',
    threshold: Math.max(2, Math.floor(clients / 2) + 1),
    corruptFraction: 0,
    dropoutRate: 0.3,
    tier,
    rng: deterministicRngForTesting(new Uint8Array(32).fill(seed)),
  });
}

export function inputsFor(clients: number, dimension: number, seed: number): Uint32Array[] {
  return Array.from({ length: clients }, (_, i) =>
    Uint32Array.from({ length: dimension }, (_, j) => (i * 131 + j * 7 + seed) % 1001),
  );
}

export function expectedSum(inputs: readonly Uint32Array[], bits = 20): Uint32Array {
  const d = (inputs[0] as Uint32Array).length;
  const out = new Uint32Array(d);
  for (const x of inputs)
    for (let j = 0; j < d; j++) out[j] = ((out[j] as number) + (x[j] as number)) % 2 ** bits;
  return out;
}

/** Run a full round by hand; returns the result, the server and every captured message. */
export async function runRound(options: RoundOptions = {}): Promise<{
  result: SecAggResult;
  server: SecAggServer;
  captured: Captured[];
  inputs: Uint32Array[];
  plan: SecAggPlan;
}> {
  const n = options.clients ?? 5;
  const d = options.dimension ?? 8;
  const seed = options.seed ?? 1;
  const tier = options.tier ?? 'semi-honest';
  const plan = smallPlan(n, d, seed, tier);
  const inputs = inputsFor(n, d, seed);
  const rng = deterministicRngForTesting(new Uint8Array(32).fill(seed + 100));
  const signing =
    tier === 'malicious'
      ? inputs.map(() => {
          const secretKey = rng(32);
          return secretKey;
        })
      : undefined;
  const { ed25519PublicKeyFast } = await import('../../src/core/index.ts');
  const verificationKeys = signing?.map((k) => ed25519PublicKeyFast(k));
  const clients = inputs.map(
    (input, id) =>
      new SecAggClient({
        plan,
        id,
        input,
        rng,
        ...(signing && verificationKeys
          ? { signingKey: signing[id] as Uint8Array, verificationKeys }
          : {}),
      }),
  );
  const server = new SecAggServer({ plan, ...(verificationKeys ? { verificationKeys } : {}) });
  const captured: Captured[] = [];
  const send = (from: number, bytes: Uint8Array): void => {
    captured.push({ from, bytes });
    if (!server.receive(from, bytes)) throw new Error(`honest message from ${from} refused`);
  };
  let stage = 0;
  options.inject?.(server, captured, stage);
  for (const [id, c] of clients.entries()) send(id, c.start());
  options.inject?.(server, captured, stage++);
  const rounds = tier === 'malicious' ? 4 : 3;
  for (let r = 0; r < rounds; r++) {
    const out = server.advance();
    options.inject?.(server, captured, stage);
    for (const [id, messages] of out)
      for (const raw of messages) {
        const m = options.tamper ? options.tamper(id, raw) : raw;
        captured.push({ from: -1, bytes: m });
        let reply: Uint8Array | undefined;
        try {
          reply = await (clients[id] as SecAggClient).receive(m);
        } catch (e) {
          if (!options.onClientError) throw e;
          options.onClientError(id, e);
          break;
        }
        if (reply !== undefined) send(id, reply);
      }
    options.inject?.(server, captured, stage++);
  }
  const result = await server.finish();
  return { result, server, captured, inputs, plan };
}
