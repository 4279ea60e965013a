/**
 * Scale-out benchmark (part of `npm run bench -- service`): rounds per minute and per-stage
 * latency (p50/p95 over rounds, and over both cohorts with two coordinators) for a population of
 * simulated clients (1000 clients, d = 1e4; quick: 100, d = 1e3), SecAgg+ with distributed DP:
 * one coordinator in memory and over WebSocket, then two coordinators sharing Redis over
 * WebSocket; and the ratio of each round time to the in-process simulation of the same plan.
 */
import { type AggregationConfig, planAggregation } from '../src/aggregate/index.ts';
import { createMemoryTransport } from '../src/aggregate/rounds/memory-transport.ts';
import type { ClientTransport, ServerTransport } from '../src/core/transport.ts';
import { generateIdentity } from '../src/fl/auth.ts';
import { connectWebSocketTransport } from '../src/fl/ws-client.ts';
import { createWebSocketServerTransport } from '../src/fl/ws-server.ts';
import { deterministicRngForTesting, drawWords } from '../src/core/random.ts';
import { createScaledServer } from '../src/fl/redis/scaled.ts';
import { RedisRoundStore } from '../src/fl/redis/store.ts';
import { redisAvailable, startRedis } from '../test/helpers/redis.ts';
import { table } from './_shared.ts';

/** A transport under test: a server side and a way to connect clients to it. */
export interface BenchTransport {
  readonly name: string;
  make(clientIds: readonly string[]): Promise<{
    readonly server: ServerTransport;
    connect(clientId: string): Promise<ClientTransport>;
    close(): Promise<void>;
  }>;
}

export const memory: BenchTransport = {
  name: 'in-memory',
  make: async () => {
    const t = createMemoryTransport();
    return {
      server: t.server,
      connect: async (id) => t.connect(id),
      close: () => t.server.close(),
    };
  },
};

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** WebSocket on loopback with the secure defaults: pinned server key, registered client keys. */
export const websocket: BenchTransport = {
  name: 'WebSocket',
  make: async (clientIds) => {
    const identity = generateIdentity();
    const keys = new Map(clientIds.map((id) => [id, generateIdentity()]));
    const server = await createWebSocketServerTransport({
      identity,
      auth: { clients: new Map([...keys].map(([id, k]) => [id, k.publicKey])) },
      maxConnections: clientIds.length + 16,
      maxUnauthenticated: clientIds.length + 16,
      logger: quiet,
    });
    return {
      server,
      connect: (id) =>
        connectWebSocketTransport(server.url, {
          clientId: id,
          secretKey: (keys.get(id) as { secretKey: Uint8Array }).secretKey,
          serverPublicKey: identity.publicKey,
        }),
      close: () => server.close(),
    };
  },
};

function vectors(n: number, d: number): Float64Array[] {
  const rng = deterministicRngForTesting(new Uint8Array(32).fill(3));
  return Array.from({ length: n }, () =>
    Float64Array.from(drawWords(rng, d), (x) => (x / 2 ** 32 - 0.5) / Math.sqrt(d)),
  );
}

/** Connect clients in batches (a thousand handshakes at once would only queue). */
async function connectAll(
  t: { connect(id: string): Promise<ClientTransport> },
  ids: readonly string[],
  start: (id: string, transport: ClientTransport) => void,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 50)
    await Promise.all(ids.slice(i, i + 50).map(async (id) => start(id, await t.connect(id))));
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

/** One row of the service table. */
export interface ServiceBenchRow {
  readonly setup: string;
  readonly roundsPerMinute: number;
  readonly roundSeconds: number;
  readonly ratioToSimulate: number;
  readonly stages: Record<string, { p50: number; p95: number }>;
}

export async function runServiceScaleBench(
  quick = false,
  transports: readonly BenchTransport[] = [memory, websocket],
  roundsPerSetup?: number,
): Promise<ServiceBenchRow[]> {
  const n = quick ? 100 : 1000;
  const d = quick ? 1000 : 10_000;
  const rounds = roundsPerSetup ?? 3;
  // one warm-up round per setup in quick mode (short rounds, where JIT matters); a full round
  // of 1000 clients takes tens of seconds, where it does not
  const warmups = quick ? 1 : 0;
  const config: AggregationConfig = {
    dimension: d,
    clients: { expected: n, minimum: Math.floor(n * 0.4) },
    clip: { l2: 1 },
    protection: { kind: 'secagg+', dropoutTolerance: 0.1 },
    privacy: { kind: 'distributed-dp', epsilon: 8, delta: 1e-5 },
    accountant: { rounds: 100 },
  };
  const inputs = vectors(n, d);
  console.log(
    `\nscale-out: ${n} clients, d = ${d}, SecAgg+ with distributed DP, ${rounds} rounds per setup${warmups > 0 ? ' after a warm-up round' : ''}`,
  );

  // the in-process simulation of the same plan (the reference for the ratio)
  const simPlan = planAggregation(config);
  for (let r = 0; r < warmups; r++) await simPlan.simulate(inputs);
  const simSamples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await simPlan.simulate(inputs);
    simSamples.push((performance.now() - t0) / 1000);
  }
  const simSeconds = quantile(simSamples, 0.5);
  const rows: ServiceBenchRow[] = [];

  for (const transport of transports) {
    // one coordinator
    {
      const plan = planAggregation(config);
      const ids = inputs.map((_, i) => `c${i}`);
      const t = await transport.make(ids);
      const server = plan.server(t.server, { waitForClientsMs: 60_000, stageTimeoutMs: 120_000 });
      await connectAll(t, ids, (id, ct) => {
        const v = inputs[Number(id.slice(1))] as Float64Array;
        plan.client(id, ct, { onRound: () => ({ vector: v }) });
      });
      const stageSamples: Record<string, number[]> = {};
      const times: number[] = [];
      for (let r = 0; r < rounds + warmups; r++) {
        const t0 = performance.now();
        const result = await server.runRound();
        const s = (performance.now() - t0) / 1000;
        if (r < warmups) continue;
        times.push(s);
        for (const [k, ms] of Object.entries(result.stageDurationsMs))
          stageSamples[k] = [...(stageSamples[k] ?? []), ms];
      }
      await server.close();
      await t.close();
      rows.push(row(`${transport.name}, 1 coordinator`, times, simSeconds, stageSamples));
    }
    // two coordinators sharing Redis (over the network transport: in memory it only repeats
    // the one-coordinator figure with Redis's few round trips added)
    if (transport.name === 'in-memory') continue;
    if (!redisAvailable) {
      console.log('  (two coordinators: skipped, redis-server is not installed)');
      continue;
    }
    const redis = await startRedis();
    try {
      const half = n / 2;
      const cohort = { ...config, clients: { expected: n, minimum: Math.floor(half * 0.8) } };
      const parts = [];
      // each coordinator's cohort stages, as its local round server reports them
      const stageSamples: Record<string, number[]> = {};
      let measuring = warmups === 0;
      for (const id of ['A', 'B']) {
        const store = await RedisRoundStore.connect({ url: redis.url, coordinatorId: id });
        const plan = planAggregation(cohort);
        const mine = id === 'A' ? [0, half] : [half, n];
        const ids = inputs.slice(mine[0], mine[1]).map((_, i) => `c${i + (mine[0] as number)}`);
        const t = await transport.make(ids);
        const server = createScaledServer({
          plan,
          transport: t.server,
          store,
          cohortSize: half,
          joinMs: 300,
          submitMs: 600_000,
          onRoundEvent: (e) => {
            if (measuring && e.type === 'stage-done')
              stageSamples[e.stage] = [...(stageSamples[e.stage] ?? []), e.durationMs];
          },
        });
        await connectAll(t, ids, (cid, ct) => {
          const v = inputs[Number(cid.slice(1))] as Float64Array;
          plan.client(cid, ct, { onRound: () => ({ vector: v }) });
        });
        parts.push({ store, server, t });
      }
      // clients announce themselves asynchronously
      while (parts.reduce((s, p) => s + p.server.readyClients.length, 0) < n)
        await new Promise((r) => setTimeout(r, 20));
      const times: number[] = [];
      for (let r = 0; r < rounds + warmups; r++) {
        measuring = r >= warmups;
        const t0 = performance.now();
        const [a] = await Promise.all(parts.map((p) => p.server.runRound()));
        const s = (performance.now() - t0) / 1000;
        if (a === undefined || a.round === 0) throw new Error('no round');
        if (r >= warmups) times.push(s);
      }
      for (const p of parts) {
        await p.server.close();
        await p.store.close();
        await p.t.close();
      }
      rows.push(row(`${transport.name}, 2 coordinators + Redis`, times, simSeconds, stageSamples));
    } finally {
      await redis.stop();
    }
  }

  table(
    ['setup', 'rounds/min', 'round s', 'vs in-process', 'stage p50/p95 ms'],
    [
      ['in-process simulate', (60 / simSeconds).toFixed(1), simSeconds.toFixed(2), '1.00x', ''],
      ...rows.map((r) => [
        r.setup,
        r.roundsPerMinute.toFixed(1),
        r.roundSeconds.toFixed(2),
        `${r.ratioToSimulate.toFixed(2)}x`,
        Object.entries(r.stages)
          .map(([k, v]) => `${k} ${v.p50.toFixed(0)}/${v.p95.toFixed(0)}`)
          .join(', '),
      ]),
    ],
  );
  console.log('target: a round over the network within 2x of the in-process simulation');
  return rows;
}

function row(
  setup: string,
  times: readonly number[],
  simSeconds: number,
  stageSamples: Record<string, number[]>,
): ServiceBenchRow {
  const median = quantile(times, 0.5);
  const stages: Record<string, { p50: number; p95: number }> = {};
  for (const [k, xs] of Object.entries(stageSamples))
    stages[k] = { p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) };
  return {
    setup,
    roundsPerMinute: 60 / median,
    roundSeconds: median,
    ratioToSimulate: median / simSeconds,
    stages,
  };
}
