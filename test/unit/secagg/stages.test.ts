/**
 * Client and server state machines driven by hand: out-of-order, duplicate, oversized and
 * malformed messages are refused without disturbing the round; a retransmitted masked input
 * counts once; the double-masking rule holds for every way an unmask request can be wrong.
 */
import { describe, expect, it } from 'vitest';
import {
  deterministicRngForTesting,
  isPrivaggError,
  type PrivaggError,
} from '../../../src/index.ts';
import { SecAggClient, SecAggServer, simulateSecAgg } from '../../../src/secagg/index.ts';
import { MessageType, peekType } from '../../../src/secagg/messages.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';
import { expectedSum, inputsFor, runRound, smallPlan } from '../../helpers/secagg-round.ts';

describe('server: refused messages leave the round intact', () => {
  it('a retransmitted masked input counts once; duplicates of every stage are refused and reported', async () => {
    let resent = 0;
    const { result, server, inputs } = await runRound({
      inject: (srv, captured) => {
        // after each stage's honest messages, resend the last client message (a retransmission)
        const last = [...captured].reverse().find((c) => c.from >= 0);
        if (last === undefined) return;
        expect(srv.receive(last.from, last.bytes)).toBe(false);
        resent++;
      },
    });
    expect(result.sum).toEqual(expectedSum(inputs));
    expect(server.rejections.length).toBe(resent);
    expect(
      server.rejections.some((r) => /duplicate masked input \(counted once\)/.test(r.reason)),
    ).toBe(true);
  });

  it('an out-of-order message is refused with PROTOCOL_ABORTED; an oversized one with MALFORMED_MESSAGE', async () => {
    const { server, captured } = await runRound({
      inject: (srv, cap) => {
        const masked = cap.find(
          (c) => c.from >= 0 && peekType(c.bytes) === MessageType.MaskedInput,
        );
        if (masked && srv.stage === 'unmasking') {
          expect(srv.receive(masked.from, masked.bytes)).toBe(false);
          const huge = new Uint8Array(64 * 1024 * 1024 + 5);
          huge.set(masked.bytes.subarray(0, 4));
          expect(srv.receive(masked.from, huge)).toBe(false);
        }
      },
    });
    expect(captured.length).toBeGreaterThan(0);
    const codes = server.rejections.map((r) => r.code);
    expect(codes).toContain('PROTOCOL_ABORTED');
    expect(codes).toContain('MALFORMED_MESSAGE');
  });

  it('a message claiming another sender is refused', async () => {
    const { server } = await runRound({
      inject: (srv, cap) => {
        const mine = [...cap].reverse().find((c) => c.from === 1);
        if (mine && srv.stage !== 'done') expect(srv.receive(2, mine.bytes)).toBe(false);
      },
    });
    expect(server.rejections.length).toBeGreaterThan(0);
  });

  it('receive() never throws on hostile values, only for an out-of-cohort client id', () => {
    const server = new SecAggServer({ plan: smallPlan(5, 8, 1) });
    for (const { value } of HOSTILE_VALUES)
      expect(server.receive(0, value as Uint8Array)).toBe(false);
    for (const { value } of HOSTILE_VALUES)
      expect(() => server.receive(value as number, new Uint8Array(4))).toThrow();
    expect(() => server.receive(5, new Uint8Array(4))).toThrow(RangeError);
  });

  it('aborts with PROTOCOL_ABORTED and no output when a stage closes below the threshold', () => {
    const plan = smallPlan(5, 8, 1);
    const server = new SecAggServer({ plan });
    const clients = inputsFor(5, 8, 1).map((input, id) => new SecAggClient({ plan, id, input }));
    for (const id of [0, 1]) server.receive(id, (clients[id] as SecAggClient).start());
    try {
      server.advance();
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code).toBe('PROTOCOL_ABORTED');
    }
    expect(server.stage).toBe('aborted');
    expect(() => server.advance()).toThrow(/not available/);
  });
});

describe('client: state machine', () => {
  it('refuses messages out of order without changing stage, and starts once', async () => {
    const plan = smallPlan(5, 8, 2);
    const client = new SecAggClient({ plan, id: 0, input: new Uint32Array(8) });
    await expect(client.receive(new Uint8Array(10))).rejects.toMatchObject({
      code: 'MALFORMED_MESSAGE',
    });
    client.start();
    expect(() => client.start()).toThrow(/already/);
    for (const { value } of HOSTILE_VALUES)
      await expect(client.receive(value as Uint8Array)).rejects.toMatchObject({
        code: 'MALFORMED_MESSAGE',
      });
    expect(client.stage).toBe('advertise-keys');
  });

  it('refuses inputs outside the plan range (never clips) and hostile options', () => {
    const plan = smallPlan(5, 8, 2);
    const bad = new Uint32Array(8);
    bad[5] = 1001;
    expect(() => new SecAggClient({ plan, id: 0, input: bad })).toThrow(RangeError);
    expect(() => new SecAggClient({ plan, id: 5, input: new Uint32Array(8) })).toThrow(RangeError);
    expect(() => new SecAggClient({ plan, id: 0, input: new Uint32Array(7) })).toThrow(RangeError);
    expect(() => new SecAggClient({ plan: { ...plan }, id: 0, input: new Uint32Array(8) })).toThrow(
      TypeError,
    );
    for (const { value } of HOSTILE_VALUES) {
      expect(() => new SecAggClient(value as never)).toThrow();
      expect(
        () => new SecAggClient({ plan, id: value as number, input: new Uint32Array(8) }),
      ).toThrow();
      expect(() => new SecAggClient({ plan, id: 0, input: value as Uint32Array })).toThrow();
    }
    expect(
      () => new SecAggClient({ plan, id: 0, input: new Uint32Array(8), extra: 1 } as never),
    ).toThrow(TypeError);
    const malicious = smallPlan(5, 8, 2, 'malicious');
    expect(() => new SecAggClient({ plan: malicious, id: 0, input: new Uint32Array(8) })).toThrow(
      RangeError,
    );
  });
});

describe('malicious tier: consistency check', () => {
  it('a client shown a signature over another survivor list aborts; the round goes on without it', async () => {
    const errors: [number, unknown][] = [];
    const { result, inputs } = await runRound({
      tier: 'malicious',
      tamper: (to, bytes) => {
        if (to !== 0 || peekType(bytes) !== MessageType.SignatureList) return bytes;
        const out = bytes.slice();
        out[4 + 32 + 4 + 4 + 10] = (out[4 + 32 + 4 + 4 + 10] as number) ^ 1; // first signature
        return out;
      },
      onClientError: (id, e) => errors.push([id, e]),
    });
    expect(errors.length).toBe(1);
    const [who, error] = errors[0] as [number, PrivaggError];
    expect(who).toBe(0);
    expect(isPrivaggError(error) && error.code).toBe('PROTOCOL_ABORTED');
    expect(error.message).toMatch(/does not match this client's survivor list/);
    expect(result.sum).toEqual(expectedSum(inputs));
    expect(result.dropped.duringUnmask).toEqual([0]);
  });
});

describe('client: the double-masking rule (every honest client refuses)', () => {
  const inputs = inputsFor(8, 4, 5);
  type Rewrite = (
    r: { alive: number[]; dropped: number[] },
    to: number,
  ) => { alive: number[]; dropped: number[] };
  async function refusals(rewrite: Rewrite, dropouts = {}): Promise<Map<number, string>> {
    const refused = new Map<number, string>();
    await simulateSecAgg({
      inputs,
      modulusBits: 20,
      maxInputValue: 1000,
      neighbors: 'all',
      threshold: 3,
      corruptFraction: 0,
      dropoutRate: 0.3,
      dropouts,
      maliciousServer: { rewriteUnmaskRequest: rewrite },
      onClientAbort: (i, e: PrivaggError) => {
        expect(e.code).toBe('PROTOCOL_ABORTED');
        refused.set(i, e.message);
      },
      rng: deterministicRngForTesting(new Uint8Array(32).fill(5)),
    }).catch((e) => {
      expect(isPrivaggError(e) && e.code).toBe('PROTOCOL_ABORTED');
    });
    return refused;
  }

  it('a repeated id', async () => {
    const r = await refusals(({ alive, dropped }) => ({
      alive: [...alive, alive[0] as number],
      dropped,
    }));
    expect([...r.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const m of r.values()) expect(m).toMatch(/repeats/);
  });

  it('itself listed as dropped', async () => {
    const r = await refusals(({ alive, dropped }, to) => ({
      alive: alive.filter((x) => x !== to),
      dropped: [...dropped, to],
    }));
    expect(r.size).toBe(8);
    for (const m of r.values()) expect(m).toMatch(/this client as dropped/);
  });

  it('a client that dropped at an earlier stage', async () => {
    const r = await refusals(({ alive, dropped }) => ({ alive, dropped: [...dropped, 7] }), {
      afterAdvertiseKeys: [7],
    });
    expect(r.size).toBe(7);
    for (const m of r.values()) expect(m).toMatch(/dropped at an earlier stage/);
  });

  it('a client both alive and dropped', async () => {
    const r = await refusals(({ alive, dropped }) => ({ alive, dropped: [...dropped, 2] }));
    expect(r.size).toBe(8);
    for (const m of r.values()) expect(m).toMatch(/both alive and dropped/);
  });

  it('a request that leaves out a share the client holds', async () => {
    const r = await refusals(({ alive, dropped }, to) => ({
      alive: alive.filter((x) => x === to || x !== 3),
      dropped,
    }));
    expect([...r.keys()].sort()).toEqual([0, 1, 2, 4, 5, 6, 7]);
    for (const m of r.values()) expect(m).toMatch(/does not account for every share/);
  });
});
