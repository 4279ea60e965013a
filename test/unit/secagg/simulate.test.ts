/**
 * The protocol tests of issue 5 (numbers 1-10; 11 is in test/property/secagg), run through
 * simulateSecAgg with real cryptography. The largest case (n = 1000, d = 1e5) is in
 * test/slow/secagg; here test 6 runs at n = 300 with a short vector.
 */
import { describe, expect, it } from 'vitest';
import {
  deterministicRngForTesting,
  isPrivaggError,
  type PrivaggError,
} from '../../../src/index.ts';
import { combine } from '../../../src/sharing/index.ts';
import { findSecAggPlusParameters, planSecAgg, simulateSecAgg } from '../../../src/secagg/index.ts';

function seeded(tag: number) {
  return deterministicRngForTesting(new Uint8Array(32).fill(tag));
}

/** Inputs with values in [0, max], from a seeded generator (not the protocol's rng). */
function makeInputs(n: number, d: number, max: number, tag: number): Uint32Array[] {
  const rng = seeded(200 + tag);
  return Array.from({ length: n }, () => {
    const raw = new Uint32Array(rng(4 * d).buffer);
    for (let j = 0; j < d; j++) raw[j] = (raw[j] as number) % (max + 1);
    return raw;
  });
}

/** The plaintext sum of `who` modulo 2^bits (as bigints, then reduced). */
function plainSum(inputs: Uint32Array[], who: readonly number[], bits = 32): Uint32Array {
  const d = (inputs[0] as Uint32Array).length;
  const out = new Uint32Array(d);
  const mod = 2 ** bits;
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (const i of who) s += (inputs[i] as Uint32Array)[j] as number;
    out[j] = s % mod;
  }
  return out;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

async function expectAbort(p: Promise<unknown>): Promise<PrivaggError> {
  try {
    await p;
  } catch (e) {
    expect(isPrivaggError(e) && e.code).toBe('PROTOCOL_ABORTED');
    return e as PrivaggError;
  }
  throw new Error('expected PROTOCOL_ABORTED');
}

describe('secure aggregation (issue 5, tests 1-10)', () => {
  it('1. n=100, d=1e5, no dropout: the sum equals the plaintext sum mod 2^32 exactly (SecAgg+)', async () => {
    const inputs = makeInputs(100, 100_000, 65535, 1);
    const r = await simulateSecAgg({ inputs, rng: seeded(1) });
    expect(r.plan.complete).toBe(false);
    expect(r.survivors).toEqual(range(0, 100));
    expect(r.sum).toEqual(plainSum(inputs, range(0, 100)));
  });

  it('2. 30 of 100 drop after ShareKeys: exact sum of the 70 survivors (SecAgg+)', async () => {
    const inputs = makeInputs(100, 1000, 65535, 2);
    const gone = range(0, 100).filter((i) => i % 10 < 3);
    const r = await simulateSecAgg({
      inputs,
      neighbors: 'auto',
      dropoutRate: 0.3,
      dropouts: { afterShareKeys: gone },
      rng: seeded(2),
    });
    const alive = range(0, 100).filter((i) => !gone.includes(i));
    expect(r.survivors).toEqual(alive);
    expect(r.dropped.afterShareKeys).toEqual(gone);
    expect(r.sum).toEqual(plainSum(inputs, alive));
    // the dropped clients' inputs are not in it
    expect(r.sum).not.toEqual(plainSum(inputs, range(0, 100)));
  });

  it('3. 30 of 100 drop after sending their masked input: all 100 inputs are in the sum (original SecAgg, unmasking on 2 worker threads, d=1e4)', async () => {
    const inputs = makeInputs(100, 10_000, 65535, 3);
    const gone = range(40, 70);
    const r = await simulateSecAgg({
      inputs,
      neighbors: 'all',
      dropoutRate: 0.3,
      dropouts: { afterMaskedInput: gone },
      workers: 2,
      rng: seeded(3),
    });
    expect(r.survivors).toEqual(range(0, 100));
    expect(r.dropped.afterMaskedInput).toEqual(gone);
    expect(r.sum).toEqual(plainSum(inputs, range(0, 100)));
  });

  for (const [neighbors, n] of [
    ['all', 60],
    ['auto', 100],
  ] as const)
    it(`4. 10% drop at AdvertiseKeys, ShareKeys and after masked input (${neighbors}, n=${n}): exact`, async () => {
      const inputs = makeInputs(n, 1000, 65535, 4);
      const tenth = n / 10;
      const dropouts = {
        afterAdvertiseKeys: range(0, tenth),
        afterShareKeys: range(tenth, 2 * tenth),
        afterMaskedInput: range(2 * tenth, 3 * tenth),
      };
      const r = await simulateSecAgg({
        inputs,
        neighbors,
        dropoutRate: 0.3,
        dropouts,
        rng: seeded(4),
      });
      const included = range(2 * tenth, n);
      expect(r.survivors).toEqual(included);
      expect(r.dropped).toEqual({ ...dropouts, duringUnmask: [] });
      expect(r.sum).toEqual(plainSum(inputs, included));
    });

  for (const tier of ['semi-honest', 'malicious'] as const)
    it(`5. dropouts during unmasking (${tier}): succeeds with t answering, aborts with t - 1`, async () => {
      const inputs = makeInputs(20, 200, 1000, 5);
      const t = 11;
      const base = {
        inputs,
        neighbors: 'all' as const,
        tier,
        corruptFraction: 0,
        dropoutRate: 0.45,
        threshold: t,
      };
      const ok = await simulateSecAgg({
        ...base,
        dropouts: { duringUnmask: range(0, 20 - t) },
        rng: seeded(5),
      });
      expect(ok.survivors).toEqual(range(0, 20));
      expect(ok.sum).toEqual(plainSum(inputs, range(0, 20)));
      const e = await expectAbort(
        simulateSecAgg({ ...base, dropouts: { duringUnmask: range(0, 21 - t) }, rng: seeded(5) }),
      );
      expect(e.message).toMatch(/threshold/);
    });

  it('6. SecAgg+ with the parameter finder and 5% dropout: exact (n=300, d=1000 here; n=1000, d=1e5 in test/slow)', async () => {
    const n = 300;
    const inputs = makeInputs(n, 1000, 4_000_000, 6);
    const found = findSecAggPlusParameters({
      clients: n,
      dropoutRate: 0.05,
      corruptFraction: 0.05,
    });
    const gone = range(0, n).filter((i) => i % 20 === 7); // 5%
    const r = await simulateSecAgg({
      inputs,
      neighbors: found.neighbors,
      threshold: found.threshold,
      dropoutRate: 0.05,
      corruptFraction: 0.05,
      dropouts: { afterShareKeys: gone },
      rng: seeded(6),
    });
    expect(found.complete).toBe(false);
    expect(r.plan.neighbors).toBe(found.neighbors);
    const alive = range(0, n).filter((i) => !gone.includes(i));
    expect(r.sum).toEqual(plainSum(inputs, alive));
  }, 120_000);

  describe('7. a malicious server asking for both masks of a client', () => {
    it('listing a client as both alive and dropped: every honest client refuses, nothing of it is revealed', async () => {
      const inputs = makeInputs(12, 50, 1000, 7);
      const target = 4;
      const refused: number[] = [];
      const revealed: { owner: number; kind: string }[] = [];
      const e = await expectAbort(
        simulateSecAgg({
          inputs,
          neighbors: 'all',
          corruptFraction: 0,
          dropoutRate: 0.4,
          maliciousServer: {
            rewriteUnmaskRequest: ({ alive, dropped }) => ({
              alive,
              dropped: [...dropped, target],
            }),
            observeUnmaskResponse: (_, shares) => revealed.push(...shares),
          },
          onClientAbort: (i, err) => {
            expect(err.code).toBe('PROTOCOL_ABORTED');
            expect(err.message).toMatch(/both alive and dropped/);
            refused.push(i);
          },
          rng: seeded(7),
        }),
      );
      expect(e.message).toMatch(/answered the unmask request/);
      expect(refused).toEqual(range(0, 12));
      expect(revealed).toEqual([]);
    });

    it('malicious tier: key shares of a client whose masked input arrived are refused by every client', async () => {
      const inputs = makeInputs(10, 50, 1000, 8);
      const target = 3;
      const refused: number[] = [];
      const revealed: { owner: number }[] = [];
      await expectAbort(
        simulateSecAgg({
          inputs,
          neighbors: 'all',
          tier: 'malicious',
          corruptFraction: 0,
          dropoutRate: 0.2,
          maliciousServer: {
            rewriteUnmaskRequest: ({ alive, dropped }) => ({
              alive: alive.filter((x) => x !== target),
              dropped: [...dropped, target],
            }),
            observeUnmaskResponse: (_, shares) => revealed.push(...shares),
          },
          onClientAbort: (i, err) => {
            expect(err.code).toBe('PROTOCOL_ABORTED');
            refused.push(i);
          },
          rng: seeded(8),
        }),
      );
      // the target itself refuses too (listed as dropped); nobody reveals anything
      expect(refused).toEqual(range(0, 10));
      expect(revealed).toEqual([]);
    });

    it('semi-honest tier: a server that consistently calls a live client dropped gets its key, never its self-mask seed', async () => {
      const inputs = makeInputs(12, 50, 1000, 9);
      const target = 5;
      const seedShares: Uint8Array[] = [];
      const keyShares: Uint8Array[] = [];
      const refused: number[] = [];
      const plan = { neighbors: 'all' as const, corruptFraction: 0, dropoutRate: 0.4 };
      await simulateSecAgg({
        inputs,
        ...plan,
        maliciousServer: {
          rewriteUnmaskRequest: ({ alive, dropped }, to) =>
            to === target
              ? { alive, dropped }
              : { alive: alive.filter((x) => x !== target), dropped: [...dropped, target] },
          observeUnmaskResponse: (_, shares) => {
            for (const s of shares)
              if (s.owner === target)
                (s.kind === 'self-seed' ? seedShares : keyShares).push(s.share);
          },
        },
        onClientAbort: (i) => refused.push(i),
        rng: seeded(9),
      }).catch(() => undefined);
      // the target answered honestly about others; it refuses nothing about itself here
      expect(refused).toEqual([]);
      // at most the target's own self-seed share (1 < t) leaked; the key shares reconstruct
      expect(seedShares.length).toBeLessThanOrEqual(1);
      expect(() => combine(seedShares)).toThrow();
      expect(keyShares.length).toBeGreaterThanOrEqual(2);
    });
  });

  it('8. a malicious server sending different survivor lists: the malicious tier aborts at the consistency check', async () => {
    const inputs = makeInputs(10, 50, 1000, 10);
    const refused: number[] = [];
    const e = await expectAbort(
      simulateSecAgg({
        inputs,
        neighbors: 'all',
        tier: 'malicious',
        corruptFraction: 0,
        dropoutRate: 0.2,
        maliciousServer: {
          rewriteSurvivors: (ids, to) => (to % 2 === 0 ? ids.filter((x) => x !== 9) : ids),
        },
        onClientAbort: (i) => refused.push(i),
        rng: seeded(10),
      }),
    );
    expect(e.message).toMatch(/signed the survivor list/);
    // the clients shown the shortened list signed it; the server could not use their signatures
    expect(refused).toEqual([]);
  });

  it('8b. a survivor list changed for one client: its signature is refused and reported; the round completes', async () => {
    const inputs = makeInputs(10, 50, 1000, 15);
    const r = await simulateSecAgg({
      inputs,
      neighbors: 'all',
      tier: 'malicious',
      corruptFraction: 0,
      dropoutRate: 0.2,
      maliciousServer: {
        rewriteSurvivors: (ids, to) => (to === 4 ? ids.filter((x) => x !== 7) : ids),
      },
      rng: seeded(15),
    });
    expect(r.rejections.map((x) => [x.clientId, x.reason])).toEqual([
      [4, 'consistency signature does not verify'],
    ]);
    expect(r.dropped.afterMaskedInput).toEqual([4]);
    expect(r.sum).toEqual(plainSum(inputs, range(0, 10)));
  });

  describe('9. shares forwarded wrongly fail authentication and the receiver aborts', () => {
    it('a ciphertext with a swapped sender', async () => {
      const inputs = makeInputs(8, 20, 1000, 12);
      const refused: [number, string][] = [];
      await simulateSecAgg({
        inputs,
        neighbors: 'all',
        corruptFraction: 0,
        dropoutRate: 0.4,
        threshold: 3,
        maliciousServer: {
          rewriteForwardedShares: (shares, to) => {
            if (to !== 2) return shares;
            const [a, b] = [shares[0], shares[1]] as { sender: number; ciphertext: Uint8Array }[];
            return [
              { sender: a?.sender ?? 0, ciphertext: b?.ciphertext ?? new Uint8Array() },
              { sender: b?.sender ?? 0, ciphertext: a?.ciphertext ?? new Uint8Array() },
              ...shares.slice(2),
            ];
          },
        },
        onClientAbort: (i, err) => refused.push([i, err.message]),
        rng: seeded(12),
      });
      expect(refused.map((r) => r[0])).toEqual([2]);
      expect(refused[0]?.[1]).toMatch(/failed authentication/);
    });

    it('a ciphertext addressed to another receiver', async () => {
      const inputs = makeInputs(8, 20, 1000, 13);
      const refused: number[] = [];
      let stolen: Uint8Array | undefined;
      const r = await simulateSecAgg({
        inputs,
        neighbors: 'all',
        corruptFraction: 0,
        dropoutRate: 0.4,
        threshold: 3,
        maliciousServer: {
          rewriteForwardedShares: (shares, to) => {
            if (to === 0) stolen = shares.find((s) => s.sender === 5)?.ciphertext;
            if (to !== 1 || stolen === undefined) return shares;
            return shares.map((s) =>
              s.sender === 5 ? { sender: 5, ciphertext: stolen as Uint8Array } : s,
            );
          },
        },
        onClientAbort: (i, err) => {
          expect(err.code).toBe('PROTOCOL_ABORTED');
          refused.push(i);
        },
        rng: seeded(13),
      });
      expect(refused).toEqual([1]);
      // the round goes on without client 1 (dropped after ShareKeys)
      expect(r.dropped.afterShareKeys).toEqual([1]);
      expect(r.sum).toEqual(
        plainSum(
          inputs,
          range(0, 8).filter((i) => i !== 1),
        ),
      );
    });
  });

  describe('10. plans whose sum can wrap the ring are refused with OVERFLOW', () => {
    it('at plan time', () => {
      for (const [clients, bits, max] of [
        [100, 16, 1000],
        [1000, 32, 4_294_968],
        [3, 2, 2],
        [1000, 40, 2 ** 31],
      ] as const) {
        try {
          planSecAgg({ clients, dimension: 4, modulusBits: bits, maxInputValue: max });
          expect.unreachable();
        } catch (e) {
          expect(isPrivaggError(e) && e.code).toBe('OVERFLOW');
        }
      }
      // the largest safe value passes
      expect(
        planSecAgg({ clients: 100, dimension: 4, modulusBits: 16, maxInputValue: 655 })
          .maxInputValue,
      ).toBe(655);
    });

    it('in simulateSecAgg, before any client runs; inputs above the range are refused, never clipped', async () => {
      const inputs = makeInputs(4, 8, 100, 14);
      await expect(
        simulateSecAgg({
          inputs,
          modulusBits: 8,
          maxInputValue: 100,
          neighbors: 'all',
          corruptFraction: 0,
          threshold: 2,
        }),
      ).rejects.toMatchObject({ code: 'OVERFLOW' });
      const big = inputs.map((x) => x.slice());
      (big[2] as Uint32Array)[3] = 64;
      await expect(
        simulateSecAgg({
          inputs: big,
          modulusBits: 8,
          maxInputValue: 63,
          neighbors: 'all',
          corruptFraction: 0,
          threshold: 2,
        }),
      ).rejects.toThrow(RangeError);
    });
  });
});

describe('rings', () => {
  for (const bits of [3, 8, 17, 31, 32, 33, 45, 62])
    it(`${bits}-bit ring: exact sum with dropouts`, async () => {
      const n = 6;
      const max = Math.min(2 ** 32 - 1, Math.floor((2 ** bits - 1) / n));
      const inputs = makeInputs(n, 64, max, bits);
      const r = await simulateSecAgg({
        inputs,
        modulusBits: bits,
        neighbors: 'all',
        corruptFraction: 0,
        dropoutRate: 0.4,
        threshold: 3,
        dropouts: { afterShareKeys: [1], afterMaskedInput: [4] },
        rng: seeded(50 + bits),
      });
      const who = [0, 2, 3, 4, 5];
      if (bits <= 32) expect(r.sum).toEqual(plainSum(inputs, who, bits));
      else {
        const expected = new BigUint64Array(64);
        for (let j = 0; j < 64; j++)
          for (const i of who)
            expected[j] = (expected[j] as bigint) + BigInt((inputs[i] as Uint32Array)[j] as number);
        expect(r.sum).toEqual(expected);
      }
    });
});
