/**
 * A round over WebSocket on loopback at the size: one server, 200 clients (in this
 * process, each with its own authenticated connection), d = 1e5, SecAgg+ with distributed DP.
 * The result equals the in-process simulation of the same plan and seeds.
 */
import { describe, expect, it } from 'vitest';
import {
  connectClient,
  createServer,
  generateIdentity,
  type NetworkRoundClient,
} from '../../../src/fl/index.ts';
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
    let clients: NetworkRoundClient[] = [];
    try {
      const t0 = performance.now();
      clients = await Promise.all(
        keys.map((k, i) =>
          connectClient(server.url, {
            plan,
            clientId: idOf(i),
            secretKey: k.secretKey,
            serverPublicKey: identity.publicKey,
            round: { rng: clientSeed(i) },
          }),
        ),
      );
      const outcomes = clients.map((c, i) => c.contribute(vectors[i] as Float64Array));
      const result = await server.runRound();
      const networkMs = performance.now() - t0;
      expect((await Promise.all(outcomes)).every((o) => o.status === 'completed')).toBe(true);
      const t1 = performance.now();
      const sim = await planAggregation(config).simulate(vectors, {
        clientRng: clientSeed,
        serverRng: serverSeed(),
      });
      const simulateMs = performance.now() - t1;
      console.log(
        `200 clients over WebSocket, d=1e5, SecAgg+ with distributed DP: ${(networkMs / 1000).toFixed(1)} s (simulate ${(simulateMs / 1000).toFixed(1)} s)`,
      );
      expect(result.participants).toHaveLength(N);
      expect(Array.from(result.sum)).toEqual(Array.from(sim.sum));
      expect(result.privacy).toEqual(sim.privacy);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });
});
