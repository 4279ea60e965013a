import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPrivaggError } from '../../../src/index.ts';
import {
  type CohortPartial,
  combineCohortPartials,
  decodeCohortPartial,
  encodeCohortPartial,
} from '../../../src/fl/redis/cohort.ts';

const digest = new Uint8Array(32).fill(7);
const expectation = {
  planDigest: digest,
  round: 3,
  ringBits: 20,
  protectedDimension: 4,
  maxClients: 10,
};
const partial = (sum: number[], participants: string[], dropped = {}): CohortPartial => ({
  planDigest: digest,
  round: 3,
  ringBits: 20,
  sum: Uint32Array.from(sum),
  participants,
  dropped,
  clipped: participants.length > 0 ? 1 : 0,
});

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isPrivaggError(e)) return e.code;
    throw e;
  }
  return 'none';
}

describe('cohort partials', () => {
  it('round-trips and combines in the ring with the union of participants', () => {
    const a = partial([1, 2, 2 ** 20 - 1, 5], ['a1', 'a2'], { 'masked-input': ['a3'] });
    const b = partial([3, 4, 2, 0], ['b1'], { 'masked-input': ['b2'], unmasking: ['b3'] });
    const da = decodeCohortPartial(encodeCohortPartial(a), expectation);
    expect(da).toEqual({ ...a, planDigest: digest });
    const db = decodeCohortPartial(encodeCohortPartial(b), expectation);
    const c = combineCohortPartials([da, db]);
    expect([...c.sum]).toEqual([4, 6, 1, 5]);
    expect(c.participants).toEqual(['a1', 'a2', 'b1']);
    expect(c.dropped).toEqual({ 'masked-input': ['a3', 'b2'], unmasking: ['b3'] });
    expect(c.clipped).toBe(2);
  });

  it('refuses a partial of another plan, round or ring, and a client counted twice', () => {
    const bytes = encodeCohortPartial(partial([1, 2, 3, 4], ['x']));
    expect(code(() => decodeCohortPartial(bytes, { ...expectation, round: 4 }))).toBe(
      'DOMAIN_MISMATCH',
    );
    expect(
      code(() => decodeCohortPartial(bytes, { ...expectation, planDigest: new Uint8Array(32) })),
    ).toBe('DOMAIN_MISMATCH');
    expect(code(() => decodeCohortPartial(bytes, { ...expectation, ringBits: 16 }))).toBe(
      'DOMAIN_MISMATCH',
    );
    expect(code(() => decodeCohortPartial(bytes, { ...expectation, protectedDimension: 5 }))).toBe(
      'MALFORMED_MESSAGE',
    );
    const wide = encodeCohortPartial(partial([2 ** 20, 0, 0, 0], []));
    expect(code(() => decodeCohortPartial(wide, expectation))).toBe('MALFORMED_MESSAGE');
    expect(
      code(() =>
        combineCohortPartials([partial([0, 0, 0, 0], ['x']), partial([0, 0, 0, 0], ['x'])]),
      ),
    ).toBe('PROTOCOL_ABORTED');
    expect(code(() => combineCohortPartials([]))).toBe('PROTOCOL_ABORTED');
  });

  it('rejects truncated, extended and random bytes with MALFORMED_MESSAGE only', () => {
    const bytes = encodeCohortPartial(partial([1, 2, 3, 4], ['x', 'y'], { s: ['z'] }));
    for (let cut = 0; cut < bytes.length; cut++)
      expect(code(() => decodeCohortPartial(bytes.subarray(0, cut), expectation))).not.toBe('none');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(code(() => decodeCohortPartial(longer, expectation))).toBe('MALFORMED_MESSAGE');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (random) => {
        const c = code(() => decodeCohortPartial(random, expectation));
        expect(['MALFORMED_MESSAGE', 'DOMAIN_MISMATCH']).toContain(c);
      }),
    );
  });
});
