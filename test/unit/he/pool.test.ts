import { describe, expect, it } from 'vitest';
import { createCkksContext, createHePool } from '../../../src/he/index.ts';
import { isPrivaggError } from '../../../src/index.ts';

describe('HE worker pool', () => {
  it('runs encrypt / weighted sum / decrypt in workers; a worker killed while its request is in flight is replaced and no other request is lost', async () => {
    using ctx = await createCkksContext('n8192');
    const keys = ctx.generateKeys();
    await using pool = createHePool('n8192', { size: 2 });
    pool.setKeys({ publicKey: keys.publicKey.serialize(), secretKey: keys.secretKey.serialize() });

    const small = Float64Array.from({ length: 5000 }, (_, i) => i / 5000);
    const big = new Float64Array(4096 * 100).fill(0.5); // long enough to be caught mid-operation
    const victim = pool.encrypt(big, { symmetric: false });
    const others = Array.from({ length: 6 }, (_, i) =>
      pool.encrypt(
        small.map((v) => v * (i + 1)),
        { symmetric: i % 2 === 0 },
      ),
    );
    // wait until the big job is running, then kill its worker
    const { workers, busy } = pool.__TEST;
    const index = busy.indexOf(true);
    expect(index).toBeGreaterThanOrEqual(0);
    await new Promise((r) => setTimeout(r, 400));
    await (workers[index] as { terminate(): Promise<number> }).terminate();

    const killed = await victim.then(
      () => 'completed',
      (e: unknown) => (isPrivaggError(e) ? e.code : 'other'),
    );
    const outs = await Promise.all(others);
    expect(killed).toBe('BACKEND_UNAVAILABLE');
    expect(pool.replaced).toBe(1);
    expect(pool.__TEST.workers.length).toBe(2);

    // every other request completed and decrypts correctly, in this thread and in the pool
    for (const [i, bytes] of outs.entries()) {
      using v = ctx.loadVector(bytes);
      const d = ctx.decrypt(v, keys.secretKey);
      expect(Math.abs((d.values[1234] as number) - (1234 / 5000) * (i + 1))).toBeLessThanOrEqual(
        d.errorBound,
      );
    }
    const mean = await pool.weightedSum(
      outs,
      [0.5, 0.5, 0, 0, 0, 0].map((w) => w || 1e-3),
    );
    const d = await pool.decrypt(mean);
    const want = (1234 / 5000) * (0.5 * 1 + 0.5 * 2 + 1e-3 * (3 + 4 + 5 + 6));
    expect(Math.abs((d.values[1234] as number) - want)).toBeLessThanOrEqual(d.errorBound);
  });

  it('a task over the time limit is treated as hung: rejected, worker replaced', async () => {
    await using pool = createHePool('n8192', { size: 1, taskTimeoutMs: 1 });
    const e = await pool.encrypt(new Float64Array(4096 * 8)).catch((x: unknown) => x);
    expect(isPrivaggError(e) && e.code).toBe('BACKEND_UNAVAILABLE');
    expect(pool.replaced).toBeGreaterThanOrEqual(1);
  });

  it('errors inside a worker come back typed', async () => {
    await using pool = createHePool('n8192', { size: 1 });
    const e = await pool.decrypt(new Uint8Array(10)).catch((x: unknown) => x);
    expect(isPrivaggError(e) && e.code).toBe('MALFORMED_MESSAGE');
    expect(() => createHePool('n8192', { size: 0 })).toThrow(RangeError);
    expect(() => createHePool('n8192', { nope: 1 } as never)).toThrow(TypeError);
  });
});
