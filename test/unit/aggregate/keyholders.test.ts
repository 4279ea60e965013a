/**
 * Protection `ckks` over a transport: the round server adds ciphertexts, key holders (each with
 * its own plan) decrypt the sum with flooding, once per round id.
 */
import { describe, expect, it } from 'vitest';
import {
  type AggregationConfig,
  type AggregationHelperEndpoint,
  type AggregationKeyHolder,
  type ClientTransport,
  createMemoryTransport,
  deterministicRngForTesting,
  isPrivaggError,
  planAggregation,
} from '../../../src/index.ts';
import {
  clientSeed,
  dyadicVectors,
  idOf,
  plainSum,
  serverSeed,
  transportRound,
} from '../../helpers/rounds.ts';

const D = 6;
const N = 6;
const vectors = (n: number): number[][] => dyadicVectors(n, D);
function config(
  protection: AggregationConfig['protection'],
  privacy: AggregationConfig['privacy'] = { kind: 'none' },
  rounds = 2,
): AggregationConfig {
  return {
    dimension: D,
    clients: { expected: N, minimum: 5 },
    clip: { linf: 1 },
    protection,
    privacy,
    accountant: { rounds },
  };
}
const SINGLE = { kind: 'ckks' } as const;
const THRESHOLD = { kind: 'ckks', keys: 'threshold', parties: 3, threshold: 2 } as const;
const DP = { kind: 'distributed-dp', epsilon: 8, delta: 1e-5 } as const;

/** Key holders on their own plans, with their keys set up, and the clients' public key. */
async function setUp(
  cfg: AggregationConfig,
): Promise<{ holders: AggregationKeyHolder[]; publicKey: Uint8Array }> {
  const p = cfg.protection;
  if (p.kind !== 'ckks') throw new Error('not ckks');
  if ((p.keys ?? 'single') === 'single') {
    const holder = await planAggregation(cfg).keyHolder(1, {
      rng: deterministicRngForTesting(new Uint8Array(32).fill(9)),
    });
    return { holders: [holder], publicKey: holder.publicKey as Uint8Array };
  }
  const parties = p.parties ?? 2;
  const seed = new Uint8Array(32).fill(0x33);
  const holders = await Promise.all(
    Array.from({ length: parties }, (_, i) =>
      planAggregation(cfg).keyHolder(i + 1, {
        seed,
        rng: deterministicRngForTesting(new Uint8Array(32).fill(i + 20)),
      }),
    ),
  );
  if ((p.threshold ?? parties) < parties)
    for (const [from, h] of holders.entries())
      for (const [to, m] of h.dealShares().entries())
        if (m !== undefined && to !== from) (holders[to] as AggregationKeyHolder).receiveShare(m);
  const publicKey = await planAggregation(cfg).combineKeyShares(
    seed,
    holders.map((h) => h.publicKeyShare as Uint8Array),
  );
  return { holders, publicKey };
}

function code(e: unknown): string | undefined {
  return isPrivaggError(e) ? e.code : undefined;
}

describe('ckks over a transport, with key holders', () => {
  for (const [name, protection] of [
    ['single key', SINGLE],
    ['threshold 2-of-3 keys', THRESHOLD],
  ] as const)
    it(`${name}: the sum is within the reported error bound, and with distributed DP equals the simulation's grid values`, async () => {
      for (const privacy of [{ kind: 'none' } as const, DP]) {
        const cfg = config(protection, privacy);
        const { holders, publicKey } = await setUp(cfg);
        try {
          const vs = vectors(N);
          const { result, outcomes } = await transportRound(planAggregation(cfg), vs, {
            server: { keyHolders: holders },
            client: { ckksPublicKey: publicKey },
          });
          expect(outcomes.every((o) => o.status === 'completed')).toBe(true);
          expect(result.participants).toEqual(vs.map((_, i) => idOf(i)));
          const bound = result.encryptionErrorBound as number;
          expect(bound).toBeGreaterThan(0);
          expect(result.stageDurationsMs.keyHolders).toBeGreaterThan(0);
          for (const h of holders) expect(h.releasedRounds.length).toBeLessThanOrEqual(1);
          expect(holders.filter((h) => h.releasedRounds.length === 1)).toHaveLength(
            protection === SINGLE ? 1 : 2,
          );
          if (privacy.kind === 'none') {
            const exact = plainSum(vs);
            for (let j = 0; j < D; j++)
              expect(
                Math.abs((result.sum[j] as number) - (exact[j] as number)),
              ).toBeLessThanOrEqual(bound);
          } else {
            // the released sum lies on the noise grid: the flooding (far below the grid step)
            // rounds away, so the result equals the simulation with the same client randomness
            const sim = await planAggregation(cfg).simulate(vs, {
              clientRng: clientSeed,
              serverRng: serverSeed(),
            });
            expect([...result.sum]).toEqual([...sim.sum]);
            expect(result.privacy).toEqual(sim.privacy);
          }
        } finally {
          for (const h of holders) h.dispose();
        }
      }
    });

  it('threshold keys: a key holder down still decrypts with the other two', async () => {
    const cfg = config(THRESHOLD);
    const { holders, publicKey } = await setUp(cfg);
    try {
      const down: AggregationHelperEndpoint = {
        handle: () => Promise.reject(new Error('key holder offline')),
      };
      const { result, events } = await transportRound(planAggregation(cfg), vectors(N), {
        server: {
          keyHolders: [
            down,
            holders[1] as AggregationKeyHolder,
            holders[2] as AggregationKeyHolder,
          ],
        },
        client: { ckksPublicKey: publicKey },
      });
      const exact = plainSum(vectors(N));
      for (let j = 0; j < D; j++)
        expect(Math.abs((result.sum[j] as number) - (exact[j] as number))).toBeLessThanOrEqual(
          result.encryptionErrorBound as number,
        );
      expect(events.some((e) => e.type === 'helper-failed' && e.helper === 1)).toBe(true);
      expect(holders[0]?.releasedRounds).toHaveLength(0);
    } finally {
      for (const h of holders) h.dispose();
    }
  });

  it('a key holder decrypts once per round id, never a sum below the minimum, never past its budget', async () => {
    const cfg = config(SINGLE, DP, 1);
    const { holders, publicKey } = await setUp(cfg);
    const holder = holders[0] as AggregationKeyHolder;
    try {
      const requests: Uint8Array[] = [];
      const recording: AggregationHelperEndpoint = {
        handle(request) {
          requests.push(request.slice());
          return holder.handle(request);
        },
      };
      await transportRound(planAggregation(cfg), vectors(N), {
        server: { keyHolders: [recording] },
        client: { ckksPublicKey: publicKey },
      });
      expect(requests).toHaveLength(1);
      const request = requests[0] as Uint8Array;
      await expect(holder.handle(request)).rejects.toSatisfy(
        (e: unknown) => code(e) === 'PROTOCOL_ABORTED' && /already released/.test(String(e)),
      );
      // the count field (after header, digest, round, round id, holder, mode) says 4 < minimum 5
      const fresh = await planAggregation(cfg).keyHolder(1);
      try {
        const low = request.slice();
        new DataView(low.buffer).setUint32(4 + 32 + 4 + 16 + 2, 4, true);
        // a fresh key holder of the same plan: same digest, nothing released yet
        await expect(fresh.handle(low)).rejects.toSatisfy(
          (e: unknown) =>
            code(e) === 'PROTOCOL_ABORTED' && /outside the plan's cohort/.test(String(e)),
        );
        expect(fresh.releasedRounds).toHaveLength(0);
      } finally {
        fresh.dispose();
      }
      // a second round: this key holder's plan has spent its one round
      await expect(
        transportRound(planAggregation(cfg), vectors(N), {
          server: { keyHolders: [holder] },
          client: { ckksPublicKey: publicKey },
        }),
      ).rejects.toSatisfy((e: unknown) => /budget/.test(String((e as Error).message)));
    } finally {
      holder.dispose();
    }
  });

  it('a malformed ciphertext drops only its client; bad options are refused', async () => {
    const cfg = config(SINGLE);
    const { holders, publicKey } = await setUp(cfg);
    try {
      const corrupt = (inner: ClientTransport): ClientTransport => ({
        clientId: inner.clientId,
        onEvent: (h) => inner.onEvent(h),
        close: () => inner.close(),
        send(frame) {
          if (frame[4 + 32 + 4 + 16] === 8) {
            const copy = frame.slice(0, frame.length - 1000);
            return inner.send(copy);
          }
          return inner.send(frame);
        },
      });
      const transport = createMemoryTransport();
      const server = planAggregation(cfg).server(transport.server, {
        keyHolders: holders,
        waitForClientsMs: 5000,
        stageTimeoutMs: 3000,
      });
      const vs = vectors(N);
      const clients = vs.map((_, i) => {
        const raw = transport.connect(idOf(i));
        return planAggregation(cfg).client(idOf(i), i === 2 ? corrupt(raw) : raw, {
          rng: clientSeed(i),
          ckksPublicKey: publicKey,
        });
      });
      try {
        const outcomes = clients.map((c, i) => c.contribute(vs[i] as number[]));
        const result = await server.runRound();
        expect(result.participants).toEqual(vs.map((_, i) => idOf(i)).filter((_, i) => i !== 2));
        const exact = plainSum(vs, [0, 1, 3, 4, 5]);
        for (let j = 0; j < D; j++)
          expect(Math.abs((result.sum[j] as number) - (exact[j] as number))).toBeLessThanOrEqual(
            result.encryptionErrorBound as number,
          );
        expect((await outcomes[2])?.status).not.toBe('completed');
      } finally {
        await server.close();
        await Promise.all(clients.map((c) => c.close()));
      }
      const plan = planAggregation(cfg);
      const t2 = createMemoryTransport();
      expect(() => plan.server(t2.server)).toThrow(/key holder endpoint/);
      expect(() => plan.client('a', t2.connect('a'))).toThrow(/ckksPublicKey/);
      await expect(plan.keyHolder(2)).rejects.toThrow(RangeError);
      await expect(planAggregation(config(THRESHOLD)).keyHolder(1)).rejects.toThrow(TypeError);
      await expect(plan.combineKeyShares(new Uint8Array(32), [])).rejects.toThrow(TypeError);
      const other = planAggregation(config({ kind: 'secagg+' }));
      await expect(other.keyHolder(1)).rejects.toThrow(/"ckks" only/);
      expect(() => other.server(t2.server, { keyHolders: holders })).toThrow(/"ckks" only/);
    } finally {
      for (const h of holders) h.dispose();
    }
  });
});
