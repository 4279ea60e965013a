/**
 * Helpers for rounds over the in-memory transport: per-client seeded generators, client
 * transports with injected faults, and one call that runs a whole round.
 */
import {
  type AggregationPlan,
  type ClientRoundOutcome,
  type ClientTransport,
  createMemoryTransport,
  deterministicRngForTesting,
  type MemoryTransportOptions,
  type Rng,
  type RoundEvent,
  type RoundClientOptions,
  type RoundResult,
  type RoundServerOptions,
  type RunRoundOptions,
} from '../../src/index.ts';

/** A fresh deterministic generator for client `i` (the same bytes every call). */
export function clientSeed(i: number): Rng {
  const seed = new Uint8Array(32);
  seed[0] = 0xc1;
  seed[1] = i & 0xff;
  seed[2] = (i >> 8) & 0xff;
  return deterministicRngForTesting(seed);
}

/** A fresh deterministic generator for the server's noise. */
export function serverSeed(): Rng {
  return deterministicRngForTesting(new Uint8Array(32).fill(0x5e));
}

/**
 * What goes wrong with a client's connection from its `afterSends + 1`-th frame on (the hello
 * is frame 1; with SecAgg, 2 advertises keys, 3 shares them, 4 is the masked input, 5 the unmask
 * response): `disconnect` closes the connection instead of sending; `stall` swallows the frame
 * and every later one; `late` sends it `delayMs` later; `duplicate` sends every frame twice.
 */
export interface Fault {
  readonly mode: 'disconnect' | 'stall' | 'late' | 'duplicate';
  readonly afterSends: number;
  readonly delayMs?: number;
}

/** Wrap a client transport with a fault. */
export function faulty(inner: ClientTransport, fault: Fault): ClientTransport {
  let sends = 0;
  return {
    clientId: inner.clientId,
    onEvent: (h) => inner.onEvent(h),
    close: () => inner.close(),
    async send(frame) {
      sends++;
      if (sends <= fault.afterSends) return inner.send(frame);
      switch (fault.mode) {
        case 'disconnect':
          await inner.close();
          return;
        case 'stall':
          return;
        case 'late': {
          const copy = frame.slice();
          setTimeout(() => void inner.send(copy).catch(() => {}), fault.delayMs ?? 0);
          return;
        }
        default:
          await inner.send(frame);
          await inner.send(frame);
      }
    },
  };
}

/** `n` vectors of dimension `d` with dyadic values in [-1/2, 1/2]: every quantization of the round tests represents them exactly. */
export function dyadicVectors(n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: d }, (_, j) => (((i * 7 + j * 3) % 9) - 4) / 8),
  );
}

/** The plain sum of the vectors (of the indices in `only`, when given). */
export function plainSum(vs: readonly (readonly number[])[], only?: readonly number[]): number[] {
  const out = new Array<number>(vs[0]?.length ?? 0).fill(0);
  for (const [i, v] of vs.entries())
    if (only === undefined || only.includes(i))
      for (let j = 0; j < out.length; j++) out[j] = (out[j] as number) + (v[j] as number);
  return out;
}

/** Client ids that sort in index order. */
export function idOf(i: number): string {
  return `c${String(i).padStart(4, '0')}`;
}

/** Options of {@link transportRound}. */
export interface TransportRoundOptions {
  readonly weights?: readonly number[];
  readonly faults?: ReadonlyMap<number, Fault>;
  readonly server?: RoundServerOptions;
  /** Options of every client (`rng` stays `clientSeed(i)`). */
  readonly client?: Omit<RoundClientOptions, 'rng'>;
  readonly round?: RunRoundOptions;
  readonly transport?: MemoryTransportOptions;
  /** Clients connected and ready but that never contribute (they decline). */
  readonly extraDecliners?: number;
}

/**
 * Run one round of `plan` over a fresh in-memory transport with one client per vector (ids
 * `idOf(i)`, randomness `clientSeed(i)`), server noise from `serverSeed()`.
 */
export async function transportRound(
  plan: AggregationPlan,
  vectors: readonly (readonly number[] | Float64Array)[],
  options: TransportRoundOptions = {},
): Promise<{
  result: RoundResult;
  outcomes: ClientRoundOutcome[];
  events: RoundEvent[];
}> {
  const transport = createMemoryTransport(options.transport);
  const events: RoundEvent[] = [];
  const server = plan.server(transport.server, {
    noiseRng: serverSeed(),
    waitForClientsMs: 5000,
    stageTimeoutMs: 5000,
    onEvent: (e) => events.push(e),
    ...options.server,
  });
  const clients: { close(): Promise<void> }[] = [];
  try {
    const outcomes = vectors.map((v, i) => {
      const raw = transport.connect(idOf(i));
      const fault = options.faults?.get(i);
      const client = plan.client(idOf(i), fault === undefined ? raw : faulty(raw, fault), {
        ...options.client,
        rng: clientSeed(i),
      });
      clients.push(client);
      const w = options.weights?.[i];
      return client.contribute(v, w === undefined ? {} : { weight: w });
    });
    const result = await server.runRound(options.round);
    return { result, outcomes: await Promise.all(outcomes), events };
  } finally {
    await server.close();
    // clients free what they hold (a CKKS client's SEAL context)
    await Promise.all(clients.map((c) => c.close()));
  }
}
