/**
 * A round over WebSocket on loopback at the size: one server, 200 clients in four
 * worker threads (50 each, every client with its own authenticated connection), d = 1e5,
 * SecAgg+ with distributed DP. The result equals the in-process simulation of the same plan and
 * seeds.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createServer, generateIdentity } from '../../../src/fl/index.ts';
import { type AggregationConfig, planAggregation } from '../../../src/index.ts';
import { captureLogger } from '../../helpers/fl.ts';
import { clientSeed, idOf, serverSeed } from '../../helpers/rounds.ts';

const N = 200;
const D = 100_000;
const config: AggregationConfig = {
  dimension: D,
  clients: { expected: N, minimum: 150 },
  clip: { l2: 1 },
  protection: { kind: 'secagg+', dropoutTolerance: 0.2 },
  privacy: { kind: 'distributed-dp', epsilon: 2, delta: 1e-5 },
};
const vectors = Array.from({ length: N }, (_, i) => {
  const v = new Float64Array(D);
  for (let j = 0; j < D; j++) v[j] = (((i * 31 + j * 17) % 101) - 50) / 50 / Math.sqrt(D);
  return v;
});

describe('a round of 200 clients over WebSocket', () => {
  it('SecAgg+ with distributed DP, d = 1e5: equals the in-process simulation of the same plan and seeds', async () => {
    const plan = planAggregation(config);
    const identity = generateIdentity();
    const keys = vectors.map(() => generateIdentity());
    const server = await createServer({
      plan,
      identity,
      logger: captureLogger().logger,
      maxUnauthenticated: N + 10,
      auth: { clients: new Map(keys.map((k, i) => [idOf(i), k.publicKey])) },
      rounds: { noiseRng: serverSeed(), waitForClientsMs: 120_000, stageTimeoutMs: 300_000 },
    });
    const workers: Worker[] = [];
    try {
      const t0 = performance.now();
      const WORKERS = 4;
      const finished: Promise<string[]>[] = [];
      for (let w = 0; w < WORKERS; w++) {
        const mine = keys
          .map((k, i) => ({ index: i, secretKey: k.secretKey }))
          .filter((c) => c.index % WORKERS === w);
        const worker = new Worker(new URL('./client-worker.ts', import.meta.url), {
          workerData: {
            url: server.url,
            serverPublicKey: identity.publicKey,
            config,
            clients: mine,
          },
        });
        workers.push(worker);
        finished.push(
          new Promise((resolve, reject) => {
            worker.on('message', (m: { type: string; statuses?: string[] }) => {
              if (m.type === 'done') resolve(m.statuses ?? []);
            });
            worker.on('error', reject);
            worker.on('exit', (code) => {
              if (code !== 0) reject(new Error(`client worker exited with ${code}`));
            });
          }),
        );
      }
      const result = await server.runRound();
      const networkMs = performance.now() - t0;
      const statuses = (await Promise.all(finished)).flat();
      expect(statuses).toHaveLength(N);
      expect(statuses.every((x) => x === 'completed')).toBe(true);
      const t1 = performance.now();
      const sim = await planAggregation(config).simulate(vectors, {
        clientRng: clientSeed,
        serverRng: serverSeed(),
      });
      const simulateMs = performance.now() - t1;
      console.log(
        `200 clients in 4 worker threads over WebSocket, d=1e5, SecAgg+ with distributed DP: ${(networkMs / 1000).toFixed(1)} s (simulate ${(simulateMs / 1000).toFixed(1)} s)`,
      );
      expect(result.participants).toHaveLength(N);
      expect(Array.from(result.sum)).toEqual(Array.from(sim.sum));
      expect(result.privacy).toEqual(sim.privacy);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
      await server.close();
    }
  });
});
