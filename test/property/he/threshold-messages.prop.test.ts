/**
 * Untrusted threshold messages (public-key shares, secret shares, partial decryptions): random,
 * truncated and mutated bytes are rejected with a typed error and nothing else, and the parties
 * keep working.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CkksContext,
  type CkksVector,
  combinePartialDecryptions,
  combinePublicKeyShares,
  createCkksContext,
  createThresholdParty,
  type ThresholdParty,
} from '../../../src/he/index.ts';
import { isPrivaggError } from '../../../src/index.ts';

let ctx: CkksContext;
let parties: ThresholdParty[];
let vector: CkksVector;
let partial: Uint8Array;
let keyShare: Uint8Array;
let secretShare: Uint8Array;
const seed = new Uint8Array(32).fill(11);

beforeAll(async () => {
  ctx = await createCkksContext('n8192');
  parties = [1, 2, 3].map((index) =>
    createThresholdParty(ctx, { parties: 3, threshold: 2, index, seed }),
  );
  const pk = combinePublicKeyShares(
    ctx,
    seed,
    parties.map((p) => p.publicKeyShare()),
  );
  vector = ctx.encrypt([1, 2, 3], pk);
  keyShare = parties[0]?.publicKeyShare() as Uint8Array;
  const dealt = parties.map((p) => p.dealShares());
  for (const row of dealt)
    for (const [j, msg] of row.entries()) if (msg !== undefined) parties[j]?.receiveShare(msg);
  secretShare = dealt[0]?.[2] as Uint8Array; // already delivered to party 3: a replay at best
  partial = parties[0]?.partialDecrypt(vector, [1, 2], { securityBits: 0 }) as Uint8Array;
});
afterAll(() => ctx.dispose());

const ACCEPTED = ['MALFORMED_MESSAGE', 'INSUFFICIENT_SHARES', 'PROTOCOL_ABORTED'];

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!isPrivaggError(e)) throw e;
    return e.code;
  }
}

describe('untrusted threshold messages', () => {
  it('random, truncated and bit-flipped messages get a typed rejection', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('keyShare', 'secretShare', 'partial'),
        fc.oneof(
          fc.record({
            kind: fc.constant('random' as const),
            bytes: fc.uint8Array({ maxLength: 512 }),
          }),
          fc.record({
            kind: fc.constant('cut' as const),
            at: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          fc.record({
            kind: fc.constant('flip' as const),
            at: fc.integer({ min: 0, max: 40 }),
            xor: fc.integer({ min: 1, max: 255 }),
          }),
        ),
        (which, change) => {
          const original = { keyShare, secretShare, partial }[which];
          let bytes: Uint8Array;
          if (change.kind === 'random') bytes = change.bytes;
          else if (change.kind === 'cut')
            bytes = original.slice(0, Math.floor(change.at * (original.length - 1)));
          else {
            bytes = original.slice();
            bytes[change.at] = (bytes[change.at] as number) ^ change.xor;
          }
          const result =
            which === 'keyShare'
              ? code(() => combinePublicKeyShares(ctx, seed, [bytes, keyShare]).dispose())
              : which === 'secretShare'
                ? code(() => parties[2]?.receiveShare(bytes))
                : code(() =>
                    combinePartialDecryptions(ctx, vector, [bytes, partial], { parties: 3 }),
                  );
          expect(ACCEPTED).toContain(result);
        },
      ),
      { numRuns: 60 },
    );
    // the genuine messages still work
    using pk = combinePublicKeyShares(
      ctx,
      seed,
      parties.map((p) => p.publicKeyShare()),
    );
    expect(pk).toBeDefined();
  });
});
