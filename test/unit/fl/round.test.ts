/**
 * Rounds of a plan over WebSocket on loopback (`createServer` / `connectClient`): 50 Node
 * clients, SecAgg+ with distributed DP, give exactly the result of the in-process simulation
 * with the same seeds, with a client dropping mid-round; the metrics count rounds, stages and
 * dropouts.
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

const N = 50;
const D = 1000;
const config: AggregationConfig = {
  dimension: D,
  clients: { expected: N, minimum: 40 },
  clip: { l2: 1 },
  protection: { kind: 'secagg+', dropoutTolerance: 0.2 },
  privacy: { kind: 'distributed-dp', epsilon: 4, delta: 1e-5 },
};
const vectors = Array.from({ length: N }, (_, i) => {
  const v = new Float64Array(D);
  for (let j = 0; j < D; j++) v[j] = (((i * 31 + j * 17) % 101) - 50) / 50 / Math.sqrt(D);
  return v;
});

describe('rounds over WebSocket', () => {
  it('50 clients, SecAgg+ with distributed DP, one dropping after sharing keys: equals simulate', async () => {
    const plan = planAggregation(config);
    const identity = generateIdentity();
    const keys = vectors.map(() => generateIdentity());
    const log = captureLogger();
    const server = await createServer({
      plan,
      identity,
      logger: log.logger,
      auth: { clients: new Map(keys.map((k, i) => [idOf(i), k.publicKey])) },
      rounds: { noiseRng: serverSeed(), waitForClientsMs: 20_000, stageTimeoutMs: 20_000 },
    });
    const dropper = 7;
    let clients: NetworkRoundClient[] = [];
    try {
      clients = await Promise.all(
        keys.map((k, i) =>
          connectClient(server.url, {
            plan,
            clientId: idOf(i),
            secretKey: k.secretKey,
            serverPublicKey: identity.publicKey,
            round: {
              rng: clientSeed(i),
              onEvent: (e) => {
                // client 7 leaves once it has shared its keys (its masked input never comes)
                if (i === dropper && e.type === 'stage-sent' && e.stage === 'shareKeys')
                  void clients[i]?.close();
              },
            },
          }),
        ),
      );
      const outcomes = clients.map((c, i) =>
        c.contribute(vectors[i] as Float64Array).catch(() => undefined),
      );
      const result = await server.runRound();
      await Promise.all(outcomes);
      const sim = await planAggregation(config).simulate(vectors, {
        dropouts: { afterShareKeys: [dropper] },
        clientRng: clientSeed,
        serverRng: serverSeed(),
      });
      expect(result.participants).toHaveLength(N - 1);
      expect(result.participants).not.toContain(idOf(dropper));
      expect(Array.from(result.sum)).toEqual(Array.from(sim.sum));
      expect(result.privacy).toEqual(sim.privacy);
      expect(server.metrics.value('privagg_fl_rounds_total', { outcome: 'finished' })).toBe(1);
      expect(server.metrics.value('privagg_fl_sessions_open')).toBeGreaterThan(0);
      expect(server.metrics.render()).toContain('privagg_fl_stage_seconds_count{stage=');
      expect(log.entries.some((e) => e.message === 'round finished')).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });
});
