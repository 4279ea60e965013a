import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createKeystream,
  deterministicRngForTesting,
  isPrivaggError,
} from '../../../src/core/index.ts';
import { SecAggWorkerPool } from '../../../src/secagg/index.ts';
import { NeighborGraph, sessionPermutation } from '../../../src/secagg/graph.ts';
import {
  applyMasksSync,
  type MaskJob,
  packRing,
  reduceRing,
  unpackRing,
} from '../../../src/secagg/masks.ts';
import { addMasks } from '../../../src/secagg/pool.ts';

const rng = deterministicRngForTesting(new Uint8Array(32).fill(33));

describe('mask loops', () => {
  it('a mask is the keystream reduced mod 2^k, and masks of opposite signs cancel (narrow and wide)', () => {
    for (const bits of [13, 32, 40, 62]) {
      const wide = bits > 32;
      const d = 1000;
      const words = d * (wide ? 2 : 1);
      const key = rng(32);
      const acc = new Uint32Array(words);
      applyMasksSync(acc, [{ key, sign: 1 }], bits, 0, new Uint32Array(96));
      const ks = createKeystream(key).fillWordsSync(new Uint32Array(words));
      reduceRing(ks, bits);
      expect(reduceRing(acc.slice(), bits)).toEqual(ks);
      applyMasksSync(acc, [{ key, sign: -1 }], bits, 0);
      expect(reduceRing(acc, bits)).toEqual(new Uint32Array(words));
    }
  });

  it('a coordinate range regenerates exactly that slice of the full mask', () => {
    const jobs: MaskJob[] = [
      { key: rng(32), sign: 1 },
      { key: rng(32), sign: -1 },
    ];
    for (const bits of [32, 50]) {
      const wpe = bits > 32 ? 2 : 1;
      const full = new Uint32Array(500 * wpe);
      applyMasksSync(full, jobs, bits, 0);
      const part = new Uint32Array(123 * wpe);
      applyMasksSync(part, jobs, bits, 77);
      expect(part).toEqual(full.subarray(77 * wpe, 200 * wpe));
    }
  });

  it('worker threads by coordinate range give the same sum as this thread', async () => {
    const pool = new SecAggWorkerPool(3);
    try {
      for (const bits of [20, 32, 47]) {
        const wpe = bits > 32 ? 2 : 1;
        const jobs: MaskJob[] = Array.from({ length: 5 }, (_, i) => ({
          key: rng(32),
          sign: i % 2 ? 1 : -1,
        }));
        const start = Uint32Array.from({ length: 1001 * wpe }, (_, i) => i * 2654435761);
        const a = start.slice();
        const b = start.slice();
        applyMasksSync(a, jobs, bits, 0);
        await addMasks(b, jobs, bits, 1001, pool, 0);
        expect(reduceRing(b, bits)).toEqual(reduceRing(a, bits));
      }
    } finally {
      await pool.close();
    }
    await expect(pool.maskRange([], false, 0, 1)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    expect(() => new SecAggWorkerPool(0)).toThrow(RangeError);
  });
});

describe('bit packing of masked vectors', () => {
  it('round-trips every ring size and refuses non-canonical padding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 62 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        (bits, d, seed) => {
          const wpe = bits > 32 ? 2 : 1;
          const v = Uint32Array.from(
            { length: d * wpe },
            (_, i) => Math.imul(i + seed, 2654435761) >>> 0,
          );
          reduceRing(v, bits);
          const packed = packRing(v, bits, d);
          expect(packed.length).toBe(Math.ceil((d * bits) / 8));
          expect(unpackRing(packed, bits, d)).toEqual(v);
          if ((d * bits) % 8 !== 0) {
            const bad = packed.slice();
            bad[bad.length - 1] = (bad[bad.length - 1] as number) | 0x80;
            try {
              unpackRing(bad, bits, d);
              expect.unreachable();
            } catch (e) {
              expect(isPrivaggError(e) && e.code).toBe('MALFORMED_MESSAGE');
            }
          }
        },
      ),
    );
  });
});

describe('SecAgg+ graph', () => {
  it('is a symmetric k-regular graph without self loops, the same for everyone with the session id', () => {
    const ids = Array.from({ length: 101 }, (_, i) => i * 3 + 1);
    const sid = rng(32);
    const g = new NeighborGraph(ids, 10, sid);
    const h = new NeighborGraph(ids, 10, sid.slice());
    for (const id of ids) {
      const n = g.neighbors(id);
      expect(n.length).toBe(10);
      expect(new Set(n).size).toBe(10);
      expect(n).not.toContain(id);
      for (const v of n) expect(g.neighbors(v)).toContain(id);
      expect(h.neighbors(id)).toEqual(n);
    }
    const other = new NeighborGraph(ids, 10, rng(32));
    expect(ids.some((id) => other.neighbors(id).join() !== g.neighbors(id).join())).toBe(true);
    expect(new NeighborGraph(ids.slice(0, 5), 10, sid).neighbors(1)).toEqual([4, 7, 10, 13]);
    expect(g.neighbors(2)).toEqual([]);
  });

  it('the permutation is a permutation', () => {
    const p = sessionPermutation(rng(32), 1000);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
