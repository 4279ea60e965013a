/**
 * Issue 5, test 11: random, truncated, bit-flipped and replayed messages (fast-check) never
 * crash the server, never corrupt the sum, and are all reported as rejections.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Captured, expectedSum, runRound } from '../../helpers/secagg-round.ts';

type Attack =
  | { kind: 'random'; bytes: Uint8Array; claimed: number }
  | { kind: 'truncate'; pick: number; cut: number; claimed: number }
  | { kind: 'flip'; pick: number; bit: number; claimed: number }
  | { kind: 'replay'; pick: number; claimed: number }
  | { kind: 'foreign'; pick: number; claimed: number };

const attack: fc.Arbitrary<Attack> = fc.oneof(
  fc.record({
    kind: fc.constant('random' as const),
    bytes: fc.uint8Array({ maxLength: 300 }),
    claimed: fc.nat(4),
  }),
  fc.record({
    kind: fc.constant('truncate' as const),
    pick: fc.nat(),
    cut: fc.nat(),
    claimed: fc.nat(4),
  }),
  fc.record({
    kind: fc.constant('flip' as const),
    pick: fc.nat(),
    bit: fc.nat(),
    claimed: fc.nat(4),
  }),
  fc.record({ kind: fc.constant('replay' as const), pick: fc.nat(), claimed: fc.nat(4) }),
  fc.record({ kind: fc.constant('foreign' as const), pick: fc.nat(), claimed: fc.nat(4) }),
);

function materialize(
  a: Attack,
  captured: readonly Captured[],
  foreign: readonly Captured[],
): Uint8Array {
  const from = (list: readonly Captured[], pick: number) =>
    (list[pick % list.length] as Captured).bytes;
  switch (a.kind) {
    case 'random':
      return a.bytes;
    case 'truncate': {
      const m = from(captured, a.pick);
      return m.slice(0, a.cut % m.length);
    }
    case 'flip': {
      const m = from(captured, a.pick).slice();
      const bit = a.bit % (8 * m.length);
      m[bit >> 3] = (m[bit >> 3] as number) ^ (1 << (bit & 7));
      return m;
    }
    case 'replay':
      return from(captured, a.pick);
    default:
      return from(foreign, a.pick);
  }
}

describe('hostile messages never disturb a round (issue 5, test 11)', () => {
  for (const tier of ['semi-honest', 'malicious'] as const)
    it(`${tier}: injected messages are refused and reported; the sum stays exact`, async () => {
      // a transcript of another round (other keys, other round id) to replay from
      const foreign = (await runRound({ seed: 77, tier })).captured;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(attack, { maxLength: 6 }), { minLength: 12, maxLength: 12 }),
          async (plan) => {
            let injected = 0;
            let accepted = 0;
            let slot = 0;
            const { result, server, inputs } = await runRound({
              tier,
              seed: 3,
              inject: (srv, captured) => {
                for (const a of plan[slot++ % plan.length] ?? []) {
                  if (captured.length === 0 && a.kind !== 'random' && a.kind !== 'foreign')
                    continue;
                  const bytes = materialize(a, captured, foreign);
                  injected++;
                  if (srv.receive(a.claimed, bytes)) accepted++;
                }
              },
            });
            expect(accepted).toBe(0);
            expect(server.rejections.length).toBe(injected);
            expect(result.sum).toEqual(expectedSum(inputs));
            expect(result.survivors).toEqual([0, 1, 2, 3, 4]);
          },
        ),
        { numRuns: tier === 'malicious' ? 8 : 15 },
      );
    }, 60_000);
});
