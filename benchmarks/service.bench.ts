/**
 * Network service benchmark (`npm run bench -- service`): (1) the WebSocket transport's frame
 * throughput on loopback against plain `ws` messages of the same bytes (the raw limit of the
 * socket on this machine), and (2) rounds of SecAgg+ with distributed DP for 1000 clients
 * (`service-scale.bench.ts`): rounds per minute and stage latency over WebSocket with one
 * coordinator and with two sharing Redis, against the same plan over the in-memory transport
 * and `plan.simulate`.
 */
import { runServiceScaleBench } from './service-scale.bench.ts';
import { WebSocket, WebSocketServer } from 'ws';
import { deterministicRngForTesting } from '../src/core/index.ts';
import {
  connectWebSocketTransport,
  createWebSocketServerTransport,
  generateIdentity,
} from '../src/fl/index.ts';
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

  const scaleOut = await runServiceScaleBench(quick);
  return { throughput: { fl, plain }, scaleOut };
}
