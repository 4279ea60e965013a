import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AggregationConfig,
  type AggregationPlan,
  createMemoryTransport,
  isPrivaggError,
  planAggregation,
} from '../../../src/index.ts';
import { createScaledServer, type ScaledServer } from '../../../src/fl/redis/scaled.ts';
import { RedisRoundStore } from '../../../src/fl/redis/store.ts';
import { type RedisServer, redisAvailable, startRedis } from '../../helpers/redis.ts';
import { clientSeed, idOf, serverSeed } from '../../helpers/rounds.ts';

const D = 5;
const N = 16;
function vectors(n: number): number[][] {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: D }, (_, j) => (((i * 5 + j * 3) % 9) - 4) / 8),
  );
}
function config(privacy: AggregationConfig['privacy']): AggregationConfig {
  return {
    dimension: D,
    clients: { expected: N, minimum: 6 },
    clip: { linf: 1 },
    protection: { kind: 'secagg+', dropoutTolerance: 0.2 },
    privacy,
    ...(privacy.kind === 'none' ? {} : { accountant: { rounds: 3 } }),
  };
}

interface Coordinator {
  readonly store: RedisRoundStore;
  readonly server: ScaledServer;
  readonly plan: AggregationPlan;
}

/** Start a round on A, then (50 ms later, so A asks for the lease first) on B. */
async function startBoth(
  a: Coordinator,
  b: Coordinator,
): Promise<[ReturnType<ScaledServer['runRound']>, ReturnType<ScaledServer['runRound']>]> {
  const pa = a.server.runRound();
  await new Promise((r) => setTimeout(r, 50));
  const pb = b.server.runRound();
  // let both claim their clients before a test kills one of them
  await new Promise((r) => setTimeout(r, 150));
  return [pa, pb];
}

/** One shared round on both coordinators, A leading. */
async function bothRounds(a: Coordinator, b: Coordinator) {
  const pa = a.server.runRound();
  await new Promise((r) => setTimeout(r, 50));
  return await Promise.all([pa, b.server.runRound()]);
}

describe.skipIf(!redisAvailable)('scaled rounds: two coordinators sharing Redis', () => {
  let redis: RedisServer;
  let prefixCount = 0;
  const cleanup: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    await redis?.stop();
  });

  /** Two coordinators with their own transports; clients i < split join the first. */
  async function setup(cfg: AggregationConfig, split: number, vs: number[][]) {
    const prefix = `s${prefixCount++}`;
    const coordinators: Coordinator[] = [];
    for (const id of ['A', 'B']) {
      const store = await RedisRoundStore.connect({
        url: redis.url,
        prefix,
        coordinatorId: id,
        leaseMs: 2000,
        livenessMs: 1500,
      });
      const transport = createMemoryTransport();
      const plan = planAggregation(cfg);
      const server = createScaledServer({
        plan,
        transport: transport.server,
        store,
        joinMs: 300,
        submitMs: 8000,
        noiseRng: serverSeed(),
      });
      cleanup.push(
        () => server.close(),
        () => store.close(),
      );
      const first = id === 'A';
      for (const [i, v] of vs.entries()) {
        if (i < split !== first) continue;
        // every round, the same update (as a client training on fixed data would send)
        plan.client(idOf(i), transport.connect(idOf(i)), {
          rng: clientSeed(i),
          onRound: () => ({ vector: v }),
        });
      }
      coordinators.push({ store, server, plan });
    }
    // the clients' hellos arrive asynchronously
    const deadline = Date.now() + 5000;
    while (
      coordinators.reduce((n, c) => n + c.server.readyClients.length, 0) < vs.length &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 10));
    return coordinators as [Coordinator, Coordinator];
  }

  it('no DP: the master releases the exact sum of every cohort', async () => {
    const vs = vectors(N);
    const [a, b] = await setup(config({ kind: 'none' }), 8, vs);
    // A leads (it asks first); B joins the round A opens
    const [ra, rb] = await bothRounds(a, b);
    const master = ra.master ? ra : rb;
    const follower = ra.master ? rb : ra;
    expect(master.master && !follower.master).toBe(true);
    expect(ra.round).toBe(rb.round);
    expect(ra.contributed + rb.contributed).toBe(N);
    const sim = await planAggregation(config({ kind: 'none' })).simulate(vs, {
      clientRng: clientSeed,
    });
    expect([...(master.result?.sum ?? [])]).toEqual([...sim.sum]);
    expect(master.result?.participants).toEqual(vs.map((_, i) => idOf(i)));
  });

  it('distributed DP: the combined round equals the in-process simulation with the same seeds', async () => {
    const cfg = config({ kind: 'distributed-dp', epsilon: 8, delta: 1e-5 });
    const vs = vectors(N);
    const [a, b] = await setup(cfg, 10, vs);
    const [ra, rb] = await bothRounds(a, b);
    const master = ra.master ? ra : rb;
    const sim = await planAggregation(cfg).simulate(vs, {
      clientRng: clientSeed,
      serverRng: serverSeed(),
    });
    expect([...(master.result?.sum ?? [])]).toEqual([...sim.sum]);
    expect(master.result?.privacy).toEqual(sim.privacy);
    expect(master.result?.round).toBe(1);
  });

  it('distributed DP with the Hadamard rotation (L2 clip): every cohort uses the round seed from Redis', async () => {
    const cfg: AggregationConfig = {
      ...config({ kind: 'distributed-dp', epsilon: 8, delta: 1e-5 }),
      clip: { l2: 1 },
    };
    expect(planAggregation(cfg).describe().noise).toBeDefined();
    const vs = vectors(N).map((v) => v.map((x) => x / 4));
    const [a, b] = await setup(cfg, 9, vs);
    const [ra, rb] = await bothRounds(a, b);
    const master = ra.master ? ra : rb;
    const sim = await planAggregation(cfg).simulate(vs, {
      clientRng: clientSeed,
      serverRng: serverSeed(),
    });
    expect([...(master.result?.sum ?? [])]).toEqual([...sim.sum]);
  });

  it('a coordinator that dies mid-round: the round ends cleanly and the next one runs on the survivor', async () => {
    const cfg = config({ kind: 'none' });
    const vs = vectors(N);
    const [a, b] = await setup(cfg, 8, vs);
    // B takes part in the round's claims, then dies before submitting (store closed, no heartbeat)
    const [pa, pb] = await startBoth(a, b);
    await b.server.close();
    await b.store.close();
    const [ra, rb] = await Promise.allSettled([pa, pb]);
    expect(rb.status).toBe('rejected');
    // the survivor's own cohort (8 >= minimum 6) is released without the dead one: never a sum
    // that mixes a partial it could not check
    expect(ra.status).toBe('fulfilled');
    if (ra.status === 'fulfilled') {
      expect(ra.value.master).toBe(true);
      const ids = ra.value.result?.participants ?? [];
      expect(ids.every((id) => Number(id.slice(1)) < 8)).toBe(true);
      const only = vs.filter((_, i) => ids.includes(idOf(i)));
      const expected = new Array<number>(D).fill(0);
      for (const v of only)
        for (let j = 0; j < D; j++) expected[j] = (expected[j] as number) + (v[j] as number);
      expect([...(ra.value.result?.sum ?? [])]).toEqual(expected);
    }
    // the next round runs on the survivor alone
    const next = await a.server.runRound();
    expect(next.master).toBe(true);
    expect(next.round).toBe((ra.status === 'fulfilled' ? ra.value.round : 0) + 1);
    expect(next.result?.participants.length).toBe(8);
  });

  it('a master that dies mid-round: the next leader aborts its round and runs the next one', async () => {
    const cfg = config({ kind: 'none' });
    const vs = vectors(N);
    const [a, b] = await setup(cfg, 8, vs);
    const [pa, pb] = await startBoth(a, b);
    // A (the master) dies during the claims: its lease and heartbeat lapse
    await a.server.close();
    await a.store.close();
    const [ra, rb] = await Promise.allSettled([pa, pb]);
    expect(ra.status).toBe('rejected');
    // B ran its cohort and submitted, but nobody released that round
    expect(rb.status === 'fulfilled' && rb.value.master).toBe(false);
    const first = rb.status === 'fulfilled' ? rb.value.round : 0;
    const next = await b.server.runRound();
    expect(next.master).toBe(true);
    expect(next.round).toBe(first + 1);
    expect((await b.store.round(first))?.state).toBe('aborted');
    expect(next.result?.participants).toEqual(vs.slice(8).map((_, i) => idOf(i + 8)));
  });

  it('refuses plans without a ring', () => {
    const plan = planAggregation({
      dimension: 2,
      clients: { expected: 4, minimum: 2 },
      protection: { kind: 'none' },
      privacy: { kind: 'none' },
    });
    let code = '';
    try {
      createScaledServer({
        plan,
        transport: createMemoryTransport().server,
        store: {} as RedisRoundStore,
      });
    } catch (e) {
      code = isPrivaggError(e) ? e.code : String(e);
    }
    expect(code).toBe('BACKEND_UNAVAILABLE');
  });
});
