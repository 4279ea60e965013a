/**
 * Memory discipline: thousands of operations on a fresh SEAL instance leave its WebAssembly
 * heap flat, while a deliberate leak of the same objects grows it (the positive control that
 * shows the measurement can fail).
 */
import { describe, expect, it } from 'vitest';
import { createCkksContext } from '../../../src/he/index.ts';

describe('WASM heap stays flat', () => {
  it('over 2100 operations (encrypt, serialize, load, add, weighted sum, decrypt, dispose)', async () => {
    using ctx = await createCkksContext('n8192', { freshInstance: true });
    const keys = ctx.generateKeys();
    const x = Float64Array.from({ length: 4096 }, (_, i) => Math.cos(i));
    const round = () => {
      using a = ctx.encrypt(x, keys.secretKey);
      using b = ctx.loadVector(ctx.encryptToBytes(x, keys.secretKey));
      using s = ctx.add(a, b);
      using w = ctx.weightedSum([a, b, s], [0.25, 0.25, 0.25]);
      using c = ctx.loadVector(w.serialize());
      const d = ctx.decrypt(c, keys.secretKey);
      expect(Math.abs((d.values[7] as number) - Math.cos(7))).toBeLessThanOrEqual(d.errorBound);
    };
    for (let i = 0; i < 20; i++) round(); // warm up SEAL's memory pool
    const heap = ctx.heapBytes as number;
    const baselineObjects = ctx.liveObjectCount;
    expect(heap).toBeGreaterThan(0);
    for (let i = 0; i < 350; i++) round(); // 6 operations each
    expect(ctx.heapBytes).toBe(heap);
    expect(ctx.liveObjectCount).toBe(baselineObjects);
  });

  it('positive control: leaking the same ciphertexts grows the heap', async () => {
    using ctx = await createCkksContext('n8192', { freshInstance: true });
    const keys = ctx.generateKeys();
    const x = Float64Array.from({ length: 4096 }, (_, i) => Math.sin(i));
    for (let i = 0; i < 20; i++) ctx.encrypt(x, keys.secretKey).dispose();
    const heap = ctx.heapBytes as number;
    for (let i = 0; i < 200; i++) ctx.encrypt(x, keys.secretKey); // never disposed
    expect(ctx.heapBytes as number).toBeGreaterThan(heap + 200 * 2 * 2 * 8192 * 8 * 0.9);
  });
});
