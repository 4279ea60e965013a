import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClientTransport,
  createMemoryTransport,
  planAggregation,
  type RoundClientEvent,
  type RoundEvent,
} from '../../../src/index.ts';
import {
  ENVELOPE_BYTES,
  encodeEnvelope,
  planDigest,
} from '../../../src/aggregate/rounds/protocol.ts';

const D = 4;
const N = 4;
const vectors = Array.from({ length: N }, (_, i) =>
  Array.from({ length: D }, (_, j) => ((i + 2 * j) % 5) / 4 - 0.5),
);
const plainSum = Array.from({ length: D }, (_, j) =>
  vectors.reduce((a, v) => a + (v[j] as number), 0),
);

type Injection =
  | { readonly type: 'random'; readonly bytes: Uint8Array }
  | {
      readonly type: 'shaped';
      readonly kind: number;
      readonly payload: Uint8Array;
      readonly roundDelta: number;
    }
  | { readonly type: 'truncated'; readonly cut: number }
  | { readonly type: 'flip'; readonly position: number; readonly bit: number };

const injection: fc.Arbitrary<Injection> = fc.oneof(
  fc.record({ type: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({
    type: fc.constant('shaped' as const),
    // every kind but Decline (an authenticated client may legitimately withdraw) and Hello
    kind: fc.constantFrom(0, 2, 4, 5, 6, 7, 200),
    payload: fc.uint8Array({ maxLength: 80 }),
    roundDelta: fc.constantFrom(0, 1),
  }),
  fc.record({ type: fc.constant('truncated' as const), cut: fc.nat() }),
  fc.record({
    type: fc.constant('flip' as const),
    position: fc.nat({ max: ENVELOPE_BYTES - 1 }),
    bit: fc.nat({ max: 7 }),
  }),
);

/** Build the injected frame from the real one (its digest, round and round id). */
function build(inj: Injection, real: Uint8Array): Uint8Array | undefined {
  switch (inj.type) {
    case 'random':
      return inj.bytes;
    case 'truncated':
      return real.subarray(0, inj.cut % real.length);
    case 'flip': {
      const out = real.slice();
      out[inj.position] = (out[inj.position] as number) ^ (1 << inj.bit);
      // a flip that turns the frame into a withdrawal (kind byte 3 = Decline) is a client's right
      return out[56] === 3 ? undefined : out;
    }
    default: {
      const view = new DataView(real.buffer, real.byteOffset, real.byteLength);
      return encodeEnvelope({
        digest: real.subarray(4, 36),
        round: view.getUint32(36, true) + inj.roundDelta,
        roundId: real.subarray(40, 56),
        kind: inj.kind as 1,
        payload: inj.payload,
      });
    }
  }
}

/**
 * A cohort member that, around each real frame, sends hostile frames derived from it, and may
 * send the real frame twice. The hello (first frame) only gets undecodable companions: a hello
 * with another digest would legitimately get the client refused.
 */
function hostile(
  inner: ClientTransport,
  plan: readonly { readonly injections: readonly Injection[]; readonly duplicate: boolean }[],
  count: { injected: number },
): ClientTransport {
  let sends = 0;
  return {
    clientId: inner.clientId,
    onEvent: (h) => inner.onEvent(h),
    close: () => inner.close(),
    async send(frame) {
      const step = plan[sends];
      sends++;
      for (const inj of step?.injections ?? []) {
        if (sends === 1 && inj.type !== 'random' && inj.type !== 'truncated') continue;
        const bytes = build(inj, frame);
        if (bytes === undefined) continue;
        count.injected++;
        await inner.send(bytes);
      }
      await inner.send(frame);
      if (step?.duplicate) {
        count.injected++;
        await inner.send(frame);
      }
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('the round server at its boundary', () => {
  it('drops and reports malformed, foreign, duplicate and late frames; the round stays exact', async () => {
    const plan = planAggregation({
      dimension: D,
      clients: { expected: N, minimum: N },
      clip: { linf: 1 },
      protection: { kind: 'secagg', dropoutTolerance: 0 },
      privacy: { kind: 'none' },
    });
    const perSend = fc.record({
      injections: fc.array(injection, { maxLength: 2 }),
      duplicate: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(perSend, { minLength: 5, maxLength: 5 }), { minLength: N, maxLength: N }),
        fc.array(injection, { maxLength: 4 }),
        async (clientPlans, outsider) => {
          const transport = createMemoryTransport();
          const events: RoundEvent[] = [];
          const server = plan.server(transport.server, { onEvent: (e) => events.push(e) });
          const count = { injected: 0 };
          const outcomes = clientPlans.map((p, i) =>
            plan
              .client(`c${i}`, hostile(transport.connect(`c${i}`), p, count))
              .contribute(vectors[i] as number[]),
          );
          // an outsider that never says hello sends hostile frames too
          const stranger = transport.connect('stranger');
          const template = encodeEnvelope({
            digest: new Uint8Array(32),
            round: 1,
            roundId: new Uint8Array(16),
            kind: 5,
            payload: new Uint8Array(8),
          });
          for (const inj of outsider) {
            const bytes = build(inj, template);
            // a flip that makes the outsider say hello with another plan gets it refused and
            // disconnected (tested elsewhere), which ends this stream of frames
            if (bytes === undefined || (bytes.length > 56 && bytes[56] === 1)) continue;
            count.injected++;
            await stranger.send(bytes);
          }
          const result = await server.runRound({ waitForClientsMs: 5000 });
          await Promise.all(outcomes);
          await tick();
          const rejected = events.filter((e) => e.type === 'frame-rejected');
          await server.close();
          expect([...result.sum]).toEqual(plainSum);
          expect(result.participants).toEqual(['c0', 'c1', 'c2', 'c3']);
          expect(rejected).toHaveLength(count.injected);
          for (const e of rejected)
            expect(['MALFORMED_MESSAGE', 'PROTOCOL_ABORTED']).toContain(
              (e as { code: string }).code,
            );
        },
      ),
      { numRuns: 15 },
    );
  });

  it('a round client refuses and reports whatever a hostile server sends, without crashing', async () => {
    const plan = planAggregation({
      dimension: D,
      clients: { expected: N, minimum: 2 },
      clip: { l2: 1 },
      protection: { kind: 'secagg' },
      privacy: { kind: 'none' },
    });
    const digest = planDigest(plan.config, plan.describe());
    await fc.assert(
      fc.asyncProperty(fc.array(injection, { minLength: 1, maxLength: 8 }), async (frames) => {
        const transport = createMemoryTransport();
        const events: RoundClientEvent[] = [];
        const client = plan.client('c', transport.connect('c'), {
          onEvent: (e) => events.push(e),
        });
        let sent = 0;
        // an invitation to a cohort of 0: with the plan's digest, but never valid
        const real = encodeEnvelope({
          digest,
          round: 1,
          roundId: new Uint8Array(16),
          kind: 2,
          payload: new Uint8Array(8),
        });
        for (const inj of frames) {
          // a well-formed invitation is a server's right; everything else must be refused
          if (inj.type === 'shaped' && inj.kind === 2) continue;
          const bytes = build(inj, real);
          if (bytes === undefined) continue;
          sent++;
          await transport.server.send('c', bytes);
        }
        await tick();
        expect(events.filter((e) => e.type === 'frame-rejected')).toHaveLength(sent);
        await client.close();
      }),
      { numRuns: 30 },
    );
  });
});
