/**
 * Network service benchmark (`npm run bench -- service`): (1) the WebSocket transport's frame
 * throughput on loopback against plain `ws` messages of the same bytes (the raw limit of the
 * socket on this machine), and (2) rounds of SecAgg+ with distributed DP for n clients over
 * WebSocket (`createServer` / `connectClient`, all in this process), as rounds per minute and
 * stage durations, against the same plan over the in-memory transport and `plan.simulate`.
 * (3) The same plan on one coordinator against two coordinators sharing Redis
 * (`service-scale.bench.ts`).
 */
import { runServiceScaleBench } from './service-scale.bench.ts';
import { WebSocket, WebSocketServer } from 'ws';
import { deterministicRngForTesting } from '../src/core/index.ts';
import {
  connectClient,
  connectWebSocketTransport,
  createServer,
  createWebSocketServerTransport,
  generateIdentity,
  type NetworkRoundClient,
} from '../src/fl/index.ts';
import {
  type AggregationConfig,
  createMemoryTransport,
  planAggregation,
  type RoundResult,
} from '../src/index.ts';
import { table } from './_shared.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function transportThroughput(
  totalBytes: number,
  frameBytes: number,
): Promise<[number, number]> {
  const frame = deterministicRngForTesting(new Uint8Array(32).fill(1))(frameBytes);
  const count = Math.ceil(totalBytes / frameBytes);
  // privagg/fl: authenticated, chunked (1 MiB), sequenced, acknowledged frames
  const identity = generateIdentity();
  const key = generateIdentity();
  const server = await createWebSocketServerTransport({
    identity,
    logger: quiet,
    auth: { clients: new Map([['bench', key.publicKey]]) },
  });
  let got = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  server.onEvent((e) => {
    if (e.type === 'message' && ++got === count) done();
  });
  const client = await connectWebSocketTransport(server.url, {
    serverPublicKey: identity.publicKey,
    clientId: 'bench',
    secretKey: key.secretKey,
  });
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await client.send(frame);
  await finished;
  const fl = (count * frameBytes) / ((performance.now() - t0) / 1000);
  await client.close();
  await server.close();
  // plain ws: the same bytes as binary messages of the same size, no framing, no acks
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: false,
    maxPayload: 2 ** 30,
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let raw = 0;
  let rawDone: () => void = () => {};
  const rawFinished = new Promise<void>((r) => {
    rawDone = r;
  });
  wss.on('connection', (ws) => ws.on('message', () => ++raw === count && rawDone()));
  const port = (wss.address() as { port: number }).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise<void>((r) => ws.once('open', () => r()));
  const t1 = performance.now();
  for (let i = 0; i < count; i++) {
    ws.send(frame);
    while (ws.bufferedAmount > 4 * 2 ** 20) await new Promise((r) => setTimeout(r, 1));
  }
  await rawFinished;
  const plain = (count * frameBytes) / ((performance.now() - t1) / 1000);
  ws.close();
  await new Promise<void>((r) => wss.close(() => r()));
  return [fl, plain];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

export async function runServiceBench(quick = false): Promise<unknown> {
  const mib = 2 ** 20;
  const [fl, plain] = await transportThroughput(quick ? 64 * mib : 256 * mib, 4 * mib);
  console.log('\nloopback frame throughput (4 MiB frames), one client, one process:');
  table(
    ['path', 'MiB/s', 'ratio to plain ws'],
    [
      [
        'privagg/fl (auth, 1 MiB chunks, seq, acks)',
        (fl / mib).toFixed(0),
        (fl / plain).toFixed(2),
      ],
      ['plain ws binary messages', (plain / mib).toFixed(0), '1.00'],
    ],
  );

  const n = quick ? 100 : 1000;
  const d = 10_000;
  const roundsToRun = quick ? 2 : 3;
  const config: AggregationConfig = {
    dimension: d,
    clients: { expected: n, minimum: Math.floor(0.8 * n) },
    clip: { l2: 1 },
    protection: { kind: 'secagg+', dropoutTolerance: 0.2 },
    privacy: { kind: 'distributed-dp', epsilon: 8, delta: 1e-5 },
    accountant: { rounds: 10 },
  };
  const rng = deterministicRngForTesting(new Uint8Array(32).fill(3));
  const vectors = Array.from({ length: n }, () =>
    Float64Array.from(rng(d), (b) => (b - 127.5) / 127.5 / Math.sqrt(d)),
  );
  console.log(
    `\nrounds: n = ${n} clients, d = ${d}, SecAgg+ with distributed DP, ${roundsToRun} rounds each`,
  );

  // over WebSocket: one server, n authenticated clients in this process
  const plan = planAggregation(config);
  const identity = generateIdentity();
  const keys = vectors.map(() => generateIdentity());
  const id = (i: number) => `c${String(i).padStart(4, '0')}`;
  const server = await createServer({
    plan,
    identity,
    logger: quiet,
    maxUnauthenticated: n + 10,
    auth: { clients: new Map(keys.map((k, i) => [id(i), k.publicKey])) },
    rounds: { waitForClientsMs: 120_000, stageTimeoutMs: 600_000 },
  });
  const clients: NetworkRoundClient[] = await Promise.all(
    keys.map((k, i) =>
      connectClient(server.url, {
        plan,
        clientId: id(i),
        secretKey: k.secretKey,
        serverPublicKey: identity.publicKey,
        round: { onRound: () => ({ vector: vectors[i] as Float64Array }) },
      }),
    ),
  );
  const netResults: RoundResult[] = [];
  const tNet = performance.now();
  for (let r = 0; r < roundsToRun; r++) netResults.push(await server.runRound());
  const netSeconds = (performance.now() - tNet) / 1000 / roundsToRun;
  await Promise.all(clients.map((c) => c.close()));
  await server.close();

  // the same plan over the in-memory transport
  const memPlan = planAggregation(config);
  const memory = createMemoryTransport();
  const memServer = memPlan.server(memory.server, {
    waitForClientsMs: 120_000,
    stageTimeoutMs: 600_000,
  });
  const memClients = vectors.map((v, i) =>
    memPlan.client(id(i), memory.connect(id(i)), { onRound: () => ({ vector: v }) }),
  );
  const tMem = performance.now();
  for (let r = 0; r < roundsToRun; r++) await memServer.runRound();
  const memSeconds = (performance.now() - tMem) / 1000 / roundsToRun;
  await Promise.all(memClients.map((c) => c.close()));
  await memServer.close();

  // and plan.simulate (no transport at all)
  const simPlan = planAggregation(config);
  const tSim = performance.now();
  for (let r = 0; r < roundsToRun; r++) await simPlan.simulate(vectors);
  const simSeconds = (performance.now() - tSim) / 1000 / roundsToRun;

  table(
    ['run', 's per round', 'rounds per minute', 'ratio to simulate'],
    [
      [
        'WebSocket (createServer/connectClient)',
        netSeconds.toFixed(2),
        (60 / netSeconds).toFixed(1),
        (netSeconds / simSeconds).toFixed(2),
      ],
      [
        'in-memory transport',
        memSeconds.toFixed(2),
        (60 / memSeconds).toFixed(1),
        (memSeconds / simSeconds).toFixed(2),
      ],
      ['plan.simulate', simSeconds.toFixed(2), (60 / simSeconds).toFixed(1), '1.00'],
    ],
  );
  const stages = Object.keys(netResults[0]?.stageDurationsMs ?? {});
  const rows = stages.map((stage) => {
    const ms = netResults.map((res) => res.stageDurationsMs[stage] as number).sort((a, b) => a - b);
    return [stage, percentile(ms, 0.5).toFixed(0), percentile(ms, 0.95).toFixed(0)];
  });
  console.log(`\nstage durations over WebSocket (server view, ${roundsToRun} rounds):`);
  table(['stage', 'p50 ms', 'p95 ms'], rows);
  const scaleOut = await runServiceScaleBench(quick);
  return {
    throughput: { fl, plain },
    n,
    d,
    netSeconds,
    memSeconds,
    simSeconds,
    stages: rows,
    scaleOut,
  };
}
