import { describe, expect, it } from 'vitest';
import {
  type AggregationConfig,
  createMemoryTransport,
  isPrivaggError,
  planAggregation,
  type RoundEvent,
  type ServerTransport,
} from '../../../src/index.ts';
import { ed25519KeyPairFast } from '../../../src/core/index.ts';
import {
  clientSeed,
  dyadicVectors,
  type Fault,
  faulty,
  idOf,
  plainSum,
  serverSeed,
  transportRound,
} from '../../helpers/rounds.ts';

const D = 6;
const vectors = (n: number): number[][] => dyadicVectors(n, D);
function config(
  protection: AggregationConfig['protection'],
  privacy: AggregationConfig['privacy'] = { kind: 'none' },
  n = 8,
  minimum = 6,
): AggregationConfig {
  return {
    dimension: D,
    clients: { expected: n, minimum },
    clip: { linf: 1 },
    protection,
    privacy,
    ...(privacy.kind === 'none' ? {} : { accountant: { rounds: 2 } }),
  };
}
const DP = { kind: 'distributed-dp', epsilon: 8, delta: 1e-5 } as const;
const CENTRAL = { kind: 'central-dp', epsilon: 8, delta: 1e-5 } as const;

describe('rounds over the in-memory transport equal the in-process simulation', () => {
  const cases: [string, AggregationConfig][] = [
    ['none, no DP (exact float sum)', config({ kind: 'none' })],
    ['none, central DP', config({ kind: 'none' }, CENTRAL)],
    ['secagg, no DP', config({ kind: 'secagg', dropoutTolerance: 0.2 })],
    ['secagg+, no DP', config({ kind: 'secagg+', dropoutTolerance: 0.2 })],
    ['secagg, distributed DP', config({ kind: 'secagg', dropoutTolerance: 0.2 }, DP)],
    ['secagg+, distributed DP', config({ kind: 'secagg+', dropoutTolerance: 0.2 }, DP)],
    ['secagg+, central DP', config({ kind: 'secagg+', dropoutTolerance: 0.2 }, CENTRAL)],
  ];
  for (const [name, cfg] of cases)
    it(name, async () => {
      const vs = vectors(8);
      const plan = planAggregation(cfg);
      const { result, outcomes } = await transportRound(plan, vs);
      const sim = await planAggregation(cfg).simulate(vs, {
        clientRng: clientSeed,
        serverRng: serverSeed(),
      });
      expect([...result.sum]).toEqual([...sim.sum]);
      expect([...result.mean]).toEqual([...sim.mean]);
      expect(result.totalWeight).toBe(sim.totalWeight);
      expect(result.participants).toEqual(vs.map((_, i) => idOf(i)));
      expect(result.privacy).toEqual(sim.privacy);
      expect(result.round).toBe(1);
      expect(outcomes.every((o) => o.status === 'completed' && o.participants === 8)).toBe(true);
      if (cfg.privacy.kind === 'none') expect([...result.sum]).toEqual(plainSum(vs));
      else expect([...result.sum]).not.toEqual(plainSum(vs));
    });

  it('a cohort smaller than the SecAgg+ degree runs on the complete graph, both ways', async () => {
    const cfg: AggregationConfig = {
      ...config({ kind: 'secagg+', dropoutTolerance: 0.2 }, DP, 200, 20),
      accountant: { rounds: 1 },
    };
    const plan = planAggregation(cfg);
    expect(plan.describe().protection.neighbors).toBeGreaterThan(24);
    const vs = vectors(25);
    const { result } = await transportRound(plan, vs, { round: { waitForClientsMs: 100 } });
    const sim = await planAggregation(cfg).simulate(vs, {
      clientRng: clientSeed,
      serverRng: serverSeed(),
    });
    expect(result.participants).toHaveLength(25);
    expect([...result.sum]).toEqual([...sim.sum]);
  });

  it('a weighted mean: the weights travel inside the protected vector', async () => {
    const cfg: AggregationConfig = {
      ...config({ kind: 'secagg+', dropoutTolerance: 0.2 }),
      weights: { max: 4 },
    };
    const vs = vectors(8);
    const weights = [1, 2, 0.5, 4, 1, 1, 3, 0.25];
    const plan = planAggregation(cfg);
    const { result } = await transportRound(plan, vs, { weights });
    const sim = await planAggregation(cfg).simulate(vs, { weights, clientRng: clientSeed });
    expect([...result.mean]).toEqual([...sim.mean]);
    expect(result.totalWeight).toBe(weights.reduce((a, b) => a + b));
    const expected = plainSum(vs.map((v, i) => v.map((x) => x * (weights[i] as number))));
    expect([...result.sum]).toEqual(expected);
  });

  it('reports clipping without secure aggregation and hides it under SecAgg', async () => {
    const vs = vectors(8).map((v, i) => (i < 3 ? v.map((x) => x * 16) : v));
    const open = await transportRound(planAggregation(config({ kind: 'none' })), vs);
    expect(open.result.clipped).toBe(3);
    const sec = await transportRound(planAggregation(config({ kind: 'secagg' })), vs);
    expect(sec.result.clipped).toBeUndefined();
    expect([...sec.result.sum]).toEqual([...open.result.sum]);
  });
});

describe('dropouts at every stage', () => {
  // frames: 1 hello, 2 advertise keys, 3 share keys, 4 masked input, 5 unmask response
  const stages: [string, number, string, boolean][] = [
    ['before advertising keys', 1, 'invitation', false],
    ['after advertising keys', 2, 'afterAdvertiseKeys', false],
    ['after sharing keys', 3, 'afterShareKeys', false],
    ['after the masked input', 4, 'afterMaskedInput', true],
  ];
  for (const mode of ['disconnect', 'stall'] as const)
    for (const [name, afterSends, stage, included] of stages)
      it(`a client that ${mode}s ${name}`, async () => {
        const vs = vectors(8);
        const faults = new Map<number, Fault>([[5, { mode, afterSends }]]);
        const { result, events } = await transportRound(
          planAggregation(config({ kind: 'secagg+', dropoutTolerance: 0.25 })),
          vs,
          { faults, round: { stageTimeoutMs: mode === 'stall' ? 300 : 5000 } },
        );
        const survivors = vs.map((_, i) => i).filter((i) => i !== 5 || included);
        expect(result.participants).toEqual(survivors.map(idOf));
        expect(result.dropped[stage]).toEqual([idOf(5)]);
        expect([...result.sum]).toEqual(plainSum(vs, survivors));
        const drop = events.find((e) => e.type === 'client-dropped');
        expect(drop).toMatchObject({
          clientId: idOf(5),
          stage,
          reason: mode === 'disconnect' ? 'disconnected' : 'deadline',
        });
      });

  it('a masked input that arrives after its deadline is rejected as late, and the sum is exact', async () => {
    const vs = vectors(8);
    const faults = new Map<number, Fault>([[4, { mode: 'late', afterSends: 3, delayMs: 400 }]]);
    const { result, events } = await transportRound(
      planAggregation(config({ kind: 'secagg+', dropoutTolerance: 0.25 })),
      vs,
      { faults, round: { stageTimeoutMs: 150 } },
    );
    await new Promise((resolve) => setTimeout(resolve, 450));
    const survivors = [0, 1, 2, 3, 5, 6, 7];
    expect(result.dropped).toEqual({ afterShareKeys: [idOf(4)] });
    expect([...result.sum]).toEqual(plainSum(vs, survivors));
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'client-dropped', clientId: idOf(4), reason: 'deadline' }),
    );
  });

  for (const protection of [
    { kind: 'secagg', dropoutTolerance: 0.3 },
    { kind: 'secagg+', dropoutTolerance: 0.3 },
  ] as const)
    it(`${protection.kind} with distributed DP and dropouts at three stages equals simulate with them`, async () => {
      const cfg = config(protection, DP, 10, 7);
      const vs = vectors(10);
      const faults = new Map<number, Fault>([
        [1, { mode: 'disconnect', afterSends: 2 }],
        [4, { mode: 'stall', afterSends: 3 }],
        [8, { mode: 'disconnect', afterSends: 4 }],
      ]);
      const { result } = await transportRound(planAggregation(cfg), vs, {
        faults,
        round: { stageTimeoutMs: 300 },
      });
      const sim = await planAggregation(cfg).simulate(vs, {
        dropouts: { afterAdvertiseKeys: [1], afterShareKeys: [4], afterMaskedInput: [8] },
        clientRng: clientSeed,
        serverRng: serverSeed(),
      });
      expect(result.dropped).toEqual({
        afterAdvertiseKeys: [idOf(1)],
        afterShareKeys: [idOf(4)],
        afterMaskedInput: [idOf(8)],
      });
      expect(result.participants).toEqual(sim.participants.map(idOf));
      expect([...result.sum]).toEqual([...sim.sum]);
      expect(result.privacy).toEqual(sim.privacy);
    });

  it('a client that drops without SecAgg is simply absent', async () => {
    const vs = vectors(8);
    const { result } = await transportRound(planAggregation(config({ kind: 'none' })), vs, {
      faults: new Map([[2, { mode: 'stall', afterSends: 1 }]]),
      round: { stageTimeoutMs: 200 },
    });
    expect(result.dropped).toEqual({ input: [idOf(2)] });
    expect([...result.sum]).toEqual(plainSum(vs, [0, 1, 3, 4, 5, 6, 7]));
  });

  it('aborts without unmasking when fewer than clients.minimum inputs arrive', async () => {
    const vs = vectors(8);
    const faults = new Map<number, Fault>([
      [1, { mode: 'disconnect', afterSends: 3 }],
      [2, { mode: 'disconnect', afterSends: 3 }],
      [3, { mode: 'disconnect', afterSends: 3 }],
    ]);
    const plan = planAggregation(config({ kind: 'secagg', dropoutTolerance: 0.2 }, DP));
    const events: RoundEvent[] = [];
    await expect(
      transportRound(plan, vs, { faults, server: { onEvent: (e) => events.push(e) } }),
    ).rejects.toSatisfy(
      (e: unknown) =>
        isPrivaggError(e) && e.code === 'PROTOCOL_ABORTED' && /masked inputs/.test(e.message),
    );
    expect(events.some((e) => e.type === 'stage-done' && e.stage === 'unmask')).toBe(false);
    expect(events.at(-1)?.type).toBe('round-aborted');
    // an aborted round spends no budget
    expect(plan.roundsRun).toBe(0);
    await plan.simulate(vs);
    await plan.simulate(vs);
    await expect(plan.simulate(vs)).rejects.toSatisfy(
      (e: unknown) => isPrivaggError(e) && e.code === 'BUDGET_EXHAUSTED',
    );
  });
});

describe('the cohort', () => {
  it('is a random subset of the ready clients, at most clients.expected', async () => {
    const plan = planAggregation(
      config({ kind: 'secagg', dropoutTolerance: 0.2 }, undefined, 4, 3),
    );
    const transport = createMemoryTransport();
    const server = plan.server(transport.server, { waitForClientsMs: 2000 });
    const vs = vectors(10);
    const clients = vs.map((_, i) => plan.client(idOf(i), transport.connect(idOf(i))));
    const seen = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const outcomes = clients.map((c, i) => c.contribute(vs[i] as number[]));
      const result = await server.runRound();
      expect(result.participants).toHaveLength(4);
      const chosen = result.participants.map((id) => Number(id.slice(1)));
      expect([...result.sum]).toEqual(plainSum(vs, chosen));
      for (const id of result.participants) seen.add(id);
      // the clients left out keep their update for a later round
      const done = await Promise.all(outcomes.filter((_, i) => chosen.includes(i)));
      expect(done.every((o) => o.status === 'completed')).toBe(true);
    }
    expect(seen.size).toBeGreaterThan(4);
    await server.close();
  });

  it('refuses with PROTOCOL_ABORTED below clients.minimum, and runs once enough are ready', async () => {
    const plan = planAggregation(config({ kind: 'secagg' }, DP, 4, 3));
    const transport = createMemoryTransport();
    const events: RoundEvent[] = [];
    const server = plan.server(transport.server, { onEvent: (e) => events.push(e) });
    const vs = vectors(4);
    const clients = [0, 1].map((i) => plan.client(idOf(i), transport.connect(idOf(i))));
    await expect(server.runRound({ waitForClientsMs: 50 })).rejects.toSatisfy(
      (e: unknown) =>
        isPrivaggError(e) && e.code === 'PROTOCOL_ABORTED' && /minimum/.test(e.message),
    );
    expect(events.at(-1)).toMatchObject({ type: 'round-aborted' });
    clients.push(plan.client(idOf(2), transport.connect(idOf(2))));
    for (const [i, c] of clients.entries()) void c.contribute(vs[i] as number[]);
    const result = await server.runRound({ waitForClientsMs: 100 });
    expect(result.participants).toEqual([0, 1, 2].map(idOf));
    expect(result.round).toBe(1);
    await server.close();
  });

  it('a declining client leaves the stage at once, without waiting for the deadline', async () => {
    const plan = planAggregation(config({ kind: 'secagg' }, undefined, 4, 3));
    const transport = createMemoryTransport();
    const server = plan.server(transport.server);
    const vs = vectors(4);
    for (let i = 0; i < 3; i++)
      void plan.client(idOf(i), transport.connect(idOf(i))).contribute(vs[i] as number[]);
    plan.client(idOf(3), transport.connect(idOf(3)), { onRound: () => undefined });
    const t0 = performance.now();
    const result = await server.runRound({ stageTimeoutMs: 20_000 });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(result.dropped).toEqual({ invitation: [idOf(3)] });
    expect([...result.sum]).toEqual(plainSum(vs, [0, 1, 2]));
    await server.close();
  });
});

describe('plans, budgets and protections', () => {
  it('refuses a client with another plan, and the round completes without it', async () => {
    const cfg = config({ kind: 'secagg+', dropoutTolerance: 0.2 }, undefined, 8, 6);
    const plan = planAggregation(cfg);
    const other = planAggregation({ ...cfg, clip: { linf: 2 } });
    const transport = createMemoryTransport();
    const events: RoundEvent[] = [];
    const server = plan.server(transport.server, { onEvent: (e) => events.push(e) });
    const vs = vectors(7);
    for (let i = 0; i < 6; i++)
      void plan.client(idOf(i), transport.connect(idOf(i))).contribute(vs[i] as number[]);
    const stranger = other.client(idOf(6), transport.connect(idOf(6)));
    const outcome = stranger.contribute(vs[6] as number[]);
    const result = await server.runRound({ waitForClientsMs: 200 });
    expect(result.participants).toEqual([0, 1, 2, 3, 4, 5].map(idOf));
    expect([...result.sum]).toEqual(plainSum(vs, [0, 1, 2, 3, 4, 5]));
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'client-refused', clientId: idOf(6) }),
    );
    expect(await stranger.closed).toMatch(/another plan/);
    expect((await outcome).status).toBe('disconnected');
    await server.close();
  });

  it('shares the privacy budget with simulate: BUDGET_EXHAUSTED past it', async () => {
    const cfg = config({ kind: 'secagg+', dropoutTolerance: 0.2 }, DP);
    const plan = planAggregation(cfg);
    const vs = vectors(8);
    const first = await transportRound(plan, vs);
    expect(first.result.round).toBe(1);
    const second = await plan.simulate(vs);
    expect(second.round).toBe(2);
    expect(second.privacy.cumulative.epsilon).toBeLessThanOrEqual(8);
    await expect(transportRound(plan, vs)).rejects.toSatisfy(
      (e: unknown) => isPrivaggError(e) && e.code === 'BUDGET_EXHAUSTED',
    );
    expect(plan.roundsRun).toBe(2);
  });

  it('the malicious tier: signed keys and the consistency check, with keys from a directory', async () => {
    const plan = planAggregation(config({ kind: 'secagg', threat: 'malicious' }, undefined, 5, 4));
    const vs = vectors(6);
    const pairs = vs.map((_, i) => ed25519KeyPairFast(clientSeed(100 + i)));
    const directory: Record<string, Uint8Array> = {};
    for (let i = 0; i < 5; i++)
      directory[idOf(i)] = (pairs[i] as { publicKey: Uint8Array }).publicKey;
    const transport = createMemoryTransport();
    expect(() => plan.server(transport.server)).toThrow(TypeError);
    const events: RoundEvent[] = [];
    const server = plan.server(transport.server, {
      verificationKeys: directory,
      onEvent: (e) => events.push(e),
    });
    const clientOf = (i: number) =>
      plan.client(
        idOf(i),
        i === 4
          ? faulty(transport.connect(idOf(i)), { mode: 'disconnect', afterSends: 4 })
          : transport.connect(idOf(i)),
        {
          signingKey: (pairs[i] as { secretKey: Uint8Array }).secretKey,
          verificationKeys: directory,
        },
      );
    expect(() => plan.client(idOf(0), transport.connect('z'))).toThrow(RangeError);
    expect(() =>
      plan.client(idOf(9), transport.connect(idOf(9)), {
        signingKey: (pairs[0] as { secretKey: Uint8Array }).secretKey,
        verificationKeys: directory,
      }),
    ).toThrow(RangeError);
    const outcomes = [0, 1, 2, 3, 4].map((i) => clientOf(i).contribute(vs[i] as number[]));
    // a stranger without a key in the directory is refused
    plan.client(idOf(5), transport.connect(idOf(5)), {
      signingKey: (pairs[5] as { secretKey: Uint8Array }).secretKey,
      verificationKeys: {
        ...directory,
        [idOf(5)]: (pairs[5] as { publicKey: Uint8Array }).publicKey,
      },
    });
    const result = await server.runRound({ waitForClientsMs: 2000 });
    // client 4 sent its masked input, then left instead of signing the survivor list
    expect([...result.sum]).toEqual(plainSum(vs, [0, 1, 2, 3, 4]));
    expect(result.dropped).toEqual({ afterMaskedInput: [idOf(4)] });
    expect(Object.keys(result.stageDurationsMs)).toEqual([
      'advertiseKeys',
      'shareKeys',
      'maskedInput',
      'consistencyCheck',
      'unmask',
    ]);
    expect((await Promise.all(outcomes)).map((o) => o.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
      'disconnected',
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'client-refused', clientId: idOf(5) }),
    );
    await server.close();
  });

  it('runs one round at a time, and reports the stages as events and an async iterator', async () => {
    const plan = planAggregation(config({ kind: 'secagg' }, undefined, 3, 3));
    const transport = createMemoryTransport();
    const server = plan.server(transport.server);
    const iterated: string[] = [];
    const stageEvents: Extract<RoundEvent, { type: 'stage-done' }>[] = [];
    const reading = (async () => {
      for await (const e of server.events()) {
        iterated.push(e.type === 'stage-done' ? e.stage : e.type);
        if (e.type === 'stage-done') stageEvents.push(e);
      }
    })();
    const vs = vectors(3);
    for (let i = 0; i < 3; i++)
      void plan.client(idOf(i), transport.connect(idOf(i))).contribute(vs[i] as number[]);
    const running = server.runRound();
    await expect(server.runRound()).rejects.toSatisfy(
      (e: unknown) => isPrivaggError(e) && e.code === 'PROTOCOL_ABORTED',
    );
    await running;
    await server.close();
    await reading;
    expect(iterated.filter((t) => t !== 'client-ready' && t !== 'client-disconnected')).toEqual([
      'round-started',
      'advertiseKeys',
      'shareKeys',
      'maskedInput',
      'unmask',
      'round-finished',
    ]);
    expect(stageEvents.every((e) => e.bytesReceived > 0 && e.bytesSent > 0)).toBe(true);
  });

  it('accepts replies that arrive before the server finished sending a stage (slow send)', async () => {
    const plan = planAggregation(config({ kind: 'secagg+', dropoutTolerance: 0.2 }));
    const transport = createMemoryTransport();
    const inner = transport.server;
    // send resolves only well after the frame was delivered (a transport under backpressure)
    const slow: ServerTransport = {
      onEvent: (h) => inner.onEvent(h),
      disconnect: (id, reason) => inner.disconnect(id, reason),
      close: () => inner.close(),
      async send(id, frame) {
        await inner.send(id, frame);
        await new Promise((resolve) => setTimeout(resolve, 30));
      },
    };
    const events: RoundEvent[] = [];
    const server = plan.server(slow, { onEvent: (e) => events.push(e) });
    const vs = vectors(8);
    for (let i = 0; i < 8; i++)
      void plan.client(idOf(i), transport.connect(idOf(i))).contribute(vs[i] as number[]);
    const result = await server.runRound();
    expect([...result.sum]).toEqual(plainSum(vs));
    expect(events.filter((e) => e.type === 'frame-rejected')).toEqual([]);
    await server.close();
  });

  it('aborts a round when its signal fires', async () => {
    const plan = planAggregation(config({ kind: 'secagg' }, undefined, 3, 3));
    const transport = createMemoryTransport();
    const server = plan.server(transport.server);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(server.runRound({ signal: controller.signal })).rejects.toSatisfy(
      (e: unknown) => isPrivaggError(e) && e.code === 'PROTOCOL_ABORTED',
    );
    await server.close();
  });
});
