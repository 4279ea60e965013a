/**
 * Protection `shamir` over a transport: a leader (the round server) and helper servers, each
 * with its own plan; clients seal each helper's share to its key.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AggregationConfig,
  type AggregationHelper,
  type AggregationHelperEndpoint,
  type ClientTransport,
  createMemoryTransport,
  deterministicRngForTesting,
  helperKeyPair,
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
const vectors = (n: number): number[][] => dyadicVectors(n, D);
function config(
  servers: number,
  threshold?: number,
  privacy: AggregationConfig['privacy'] = { kind: 'none' },
  rounds = 2,
): AggregationConfig {
  return {
    dimension: D,
    clients: { expected: 8, minimum: 6 },
    clip: { linf: 1 },
    protection: { kind: 'shamir', servers, ...(threshold === undefined ? {} : { threshold }) },
    privacy,
    accountant: { rounds },
  };
}
const DP = { kind: 'distributed-dp', epsilon: 8, delta: 1e-5 } as const;

/** Helpers 1..servers - 1, each on its own plan, with deterministic keys. */
function makeHelpers(cfg: AggregationConfig): AggregationHelper[] {
  const servers = cfg.protection.kind === 'shamir' ? cfg.protection.servers : 0;
  return Array.from({ length: servers - 1 }, (_, h) => {
    const keys = helperKeyPair(deterministicRngForTesting(new Uint8Array(32).fill(h + 1)));
    return planAggregation(cfg).helper(h + 1, { secretKey: keys.secretKey });
  });
}

/** An endpoint that records every request before passing it on (or fails). */
function recording(
  inner: AggregationHelperEndpoint,
  requests: Uint8Array[],
  fail?: string,
): AggregationHelperEndpoint {
  return {
    async handle(request) {
      requests.push(request.slice());
      if (fail !== undefined) throw new Error(fail);
      return inner.handle(request);
    },
  };
}

function code(e: unknown): string | undefined {
  return isPrivaggError(e) ? e.code : undefined;
}

describe('shamir over a transport equals the in-process simulation', () => {
  const cases: [string, AggregationConfig][] = [
    ['additive, 2 servers, no DP', config(2)],
    ['additive, 3 servers, no DP', config(3)],
    ['Shamir 2-of-3, no DP', config(3, 2)],
    ['additive, 3 servers, distributed DP', config(3, undefined, DP)],
    ['Shamir 3-of-4, distributed DP', config(4, 3, DP)],
  ];
  for (const [name, cfg] of cases)
    it(name, async () => {
      const vs = vectors(8);
      const helpers = makeHelpers(cfg);
      const { result, outcomes } = await transportRound(planAggregation(cfg), vs, {
        server: { helpers },
        client: { helperKeys: helpers.map((h) => h.publicKey) },
      });
      const sim = await planAggregation(cfg).simulate(vs, {
        clientRng: clientSeed,
        serverRng: serverSeed(),
      });
      expect([...result.sum]).toEqual([...sim.sum]);
      expect(result.privacy).toEqual(sim.privacy);
      expect(result.participants).toEqual(vs.map((_, i) => idOf(i)));
      expect(result.stageDurationsMs.helpers).toBeGreaterThan(0);
      expect(outcomes.every((o) => o.status === 'completed')).toBe(true);
      if (cfg.privacy.kind === 'none') expect([...result.sum]).toEqual(plainSum(vs));
      else expect([...result.sum]).not.toEqual(plainSum(vs));
      // each helper released exactly one total, for this round
      for (const h of helpers) expect(h.releasedRounds).toHaveLength(1);
    });
});

describe('the leader and its helpers', () => {
  it('Shamir 2-of-3 completes with one helper down; additive sharing aborts and gives the round back', async () => {
    const vs = vectors(8);
    for (const [cfg, completes] of [
      [config(3, 2), true],
      [config(3), false],
    ] as const) {
      const helpers = makeHelpers(cfg);
      const requests: Uint8Array[] = [];
      const endpoints = [
        recording(helpers[0] as AggregationHelper, requests, 'helper offline'),
        helpers[1] as AggregationHelper,
      ];
      const leader = planAggregation(cfg);
      const run = transportRound(leader, vs, {
        server: { helpers: endpoints },
        client: { helperKeys: helpers.map((h) => h.publicKey) },
      });
      if (completes) {
        const { result, events } = await run;
        expect([...result.sum]).toEqual(plainSum(vs));
        const failed = events.filter((e) => e.type === 'helper-failed');
        expect(failed.length).toBeGreaterThan(0);
        expect(failed.every((e) => e.type === 'helper-failed' && e.helper === 1)).toBe(true);
        expect(leader.roundsRun).toBe(1);
      } else {
        await expect(run).rejects.toSatisfy(
          (e: unknown) =>
            code(e) === 'PROTOCOL_ABORTED' && /helper 1: helper offline/.test((e as Error).message),
        );
        expect(leader.roundsRun).toBe(0);
      }
    }
  });

  it('a helper never releases a second total for a round id, nor for a batch below the minimum, nor past its budget', async () => {
    const cfg = config(2, undefined, DP, 1);
    const [helper] = makeHelpers(cfg) as [AggregationHelper];
    const requests: Uint8Array[] = [];
    const vs = vectors(8);
    const { result } = await transportRound(planAggregation(cfg), vs, {
      server: { helpers: [recording(helper, requests)] },
      client: { helperKeys: [helper.publicKey] },
    });
    expect(result.participants).toHaveLength(8);
    expect(requests).toHaveLength(2); // verify, then aggregate
    const aggregate = requests[1] as Uint8Array;
    // the leader replays the aggregate request: refused
    await expect(helper.handle(aggregate)).rejects.toSatisfy(
      (e: unknown) => code(e) === 'PROTOCOL_ABORTED' && /already released/.test(String(e)),
    );
    // a fresh helper that restarts with the released ids refuses it too
    const restarted = planAggregation(cfg).helper(1, {
      secretKey: helperKeyPair(deterministicRngForTesting(new Uint8Array(32).fill(1))).secretKey,
      releasedRounds: helper.releasedRounds,
    });
    await expect(restarted.handle(aggregate)).rejects.toSatisfy(
      (e: unknown) => code(e) === 'PROTOCOL_ABORTED',
    );
    // a new round on the same helper: its plan's budget (one round) is spent
    await expect(
      transportRound(planAggregation(cfg), vs, {
        server: { helpers: [helper] },
        client: { helperKeys: [helper.publicKey] },
      }),
    ).rejects.toSatisfy((e: unknown) =>
      /BUDGET_EXHAUSTED|budget/.test(String((e as Error).message)),
    );
    // a batch below the minimum, on a helper with budget left
    const small = planAggregation(cfg).helper(1, {
      secretKey: helperKeyPair(deterministicRngForTesting(new Uint8Array(32).fill(1))).secretKey,
    });
    const cut = truncateBatch(aggregate, 5);
    await expect(small.handle(cut)).rejects.toSatisfy(
      (e: unknown) => code(e) === 'PROTOCOL_ABORTED' && /below the plan's minimum/.test(String(e)),
    );
    expect(small.releasedRounds).toHaveLength(0);
    // the full batch is released once
    const answer = await small.handle(aggregate);
    expect(answer).toBeInstanceOf(Uint8Array);
    expect(small.releasedRounds).toHaveLength(1);
  });

  it('a share the leader moves to another client does not open; a tampered report drops only its client', async () => {
    const cfg = config(3, 2);
    const helpers = makeHelpers(cfg);
    const requests: Uint8Array[] = [];
    const vs = vectors(8);
    // client 3's report is altered in flight (one byte of its last sealed share)
    const tamper = (inner: ClientTransport): ClientTransport => ({
      clientId: inner.clientId,
      onEvent: (h) => inner.onEvent(h),
      close: () => inner.close(),
      send(frame) {
        if (frame[4 + 32 + 4 + 16] === 7) {
          const copy = frame.slice();
          copy[copy.length - 20] = (copy[copy.length - 20] as number) ^ 1;
          return inner.send(copy);
        }
        return inner.send(frame);
      },
    });
    const transport = createMemoryTransport();
    const leader = planAggregation(cfg);
    const server = leader.server(transport.server, {
      helpers: [
        recording(helpers[0] as AggregationHelper, requests),
        helpers[1] as AggregationHelper,
      ],
      noiseRng: serverSeed(),
      waitForClientsMs: 5000,
      stageTimeoutMs: 5000,
    });
    try {
      const outcomes = vs.map((v, i) => {
        const raw = transport.connect(idOf(i));
        return planAggregation(cfg)
          .client(idOf(i), i === 3 ? tamper(raw) : raw, {
            rng: clientSeed(i),
            helperKeys: helpers.map((h) => h.publicKey),
          })
          .contribute(v);
      });
      const result = await server.runRound();
      expect(result.participants).toEqual(vs.map((_, i) => idOf(i)).filter((_, i) => i !== 3));
      expect(result.dropped.helpers).toEqual([idOf(3)]);
      expect([...result.sum]).toEqual(plainSum(vs, [0, 1, 2, 4, 5, 6, 7]));
      expect((await outcomes[3])?.status).toBe('excluded');
    } finally {
      await server.close();
    }
    // swapping two clients' sealed shares in a verify request: neither opens
    const verify = requests[0] as Uint8Array;
    const swapped = swapFirstTwo(verify);
    const fresh = planAggregation(cfg).helper(1, {
      secretKey: helperKeyPair(deterministicRngForTesting(new Uint8Array(32).fill(1))).secretKey,
    });
    const answer = await fresh.handle(swapped);
    const rejected = answer.subarray(4 + 32 + 16 + 2 + 4);
    expect([...new Uint32Array(rejected.slice().buffer)]).toEqual([0, 1]);
  });

  it('refuses untrusted request bytes with MALFORMED_MESSAGE and keeps working', async () => {
    const cfg = config(2);
    const [helper] = makeHelpers(cfg) as [AggregationHelper];
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        try {
          await helper.handle(bytes);
          return false;
        } catch (e) {
          return code(e) === 'MALFORMED_MESSAGE';
        }
      }),
      { numRuns: 200 },
    );
    const { result } = await transportRound(planAggregation(cfg), vectors(8), {
      server: { helpers: [helper] },
      client: { helperKeys: [helper.publicKey] },
    });
    expect([...result.sum]).toEqual(plainSum(vectors(8)));
  });

  it('validates its options', () => {
    const cfg = config(3, 2);
    const plan = planAggregation(cfg);
    const transport = createMemoryTransport();
    const helpers = makeHelpers(cfg);
    expect(() => plan.server(transport.server)).toThrow(/helper endpoints/);
    expect(() =>
      plan.server(transport.server, { helpers: [helpers[0] as AggregationHelper] }),
    ).toThrow(TypeError);
    expect(() => plan.client('a', transport.connect('a'))).toThrow(/public keys of the 2 helpers/);
    expect(() =>
      plan.client('b', transport.connect('b'), {
        helperKeys: [new Uint8Array(32), new Uint8Array(31)],
      }),
    ).toThrow();
    expect(() => plan.helper(0, { secretKey: new Uint8Array(32) })).toThrow(RangeError);
    expect(() => plan.helper(3, { secretKey: new Uint8Array(32) })).toThrow(RangeError);
    expect(() => plan.helper(1, { secretKey: new Uint8Array(16) })).toThrow();
    expect(() =>
      plan.helper(1, { secretKey: new Uint8Array(32), releasedRounds: ['xyz'] }),
    ).toThrow(TypeError);
    const other = planAggregation({ ...cfg, protection: { kind: 'secagg+' } });
    expect(() => other.helper(1, { secretKey: new Uint8Array(32) })).toThrow(/"shamir" only/);
    expect(() => other.server(createMemoryTransport().server, { helpers })).toThrow(
      /"shamir" only/,
    );
  });
});

/** Rewrite a helper request with only its first `n` batch entries. */
function truncateBatch(request: Uint8Array, n: number): Uint8Array {
  const head = 4 + 32 + 4 + 16 + 2;
  const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
  let pos = head + 4;
  for (let i = 0; i < n; i++) {
    pos += 4 + view.getUint32(pos, true);
    pos += 4 + view.getUint32(pos, true);
  }
  const out = request.slice(0, pos);
  new DataView(out.buffer).setUint32(head, n, true);
  return out;
}

/** Swap the client ids of a request's first two batch entries (their sealed shares stay). */
function swapFirstTwo(request: Uint8Array): Uint8Array {
  const head = 4 + 32 + 4 + 16 + 2 + 4;
  const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
  const entries: { id: Uint8Array; sealed: Uint8Array }[] = [];
  let pos = head;
  while (pos < request.length) {
    const idLen = view.getUint32(pos, true);
    const id = request.slice(pos + 4, pos + 4 + idLen);
    pos += 4 + idLen;
    const sLen = view.getUint32(pos, true);
    const sealed = request.slice(pos + 4, pos + 4 + sLen);
    pos += 4 + sLen;
    entries.push({ id, sealed });
  }
  const [a, b] = entries as [(typeof entries)[0], (typeof entries)[0]];
  [a.id, b.id] = [b.id, a.id];
  const parts: number[] = [...request.subarray(0, head)];
  for (const e of entries) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, e.id.length, true);
    parts.push(...len, ...e.id);
    new DataView(len.buffer).setUint32(0, e.sealed.length, true);
    parts.push(...len, ...e.sealed);
  }
  return Uint8Array.from(parts);
}
