import { describe, expect, it } from 'vitest';
import { isPrivaggError } from '../../../src/core/index.ts';
import { createCpuBackend } from '../../../src/kernels/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';
import { exactL2AtMost } from '../../helpers/kernels.ts';

const cpu = createCpuBackend();
const key = new Uint8Array(32).map((_, i) => i * 7);

function bits(w: number): number {
  return (w >>> 0).toString(2).replaceAll('0', '').length;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
    expect.unreachable();
  } catch (e) {
    expect(isPrivaggError(e) && e.code === code, String(e)).toBe(true);
  }
}

describe('cpu backend: exact operations', () => {
  it('adds and subtracts modulo 2^k, also in place', async () => {
    const a = new Uint32Array([0xffffffff, 5, 200]);
    const b = new Uint32Array([1, 7, 100]);
    expect([...(await cpu.add(32, a, b, new Uint32Array(3)))]).toEqual([0, 12, 300]);
    expect([...(await cpu.add(8, a, b, new Uint32Array(3)))]).toEqual([0, 12, 44]);
    expect([...(await cpu.sub(3, a, b, new Uint32Array(3)))]).toEqual([6, 6, 4]);
    await cpu.sub(32, a, b, a);
    expect([...a]).toEqual([0xfffffffe, 0xfffffffe, 100]);
  });
  it('addStream masks with the low k bits of the stream words and unmasks', async () => {
    const s = { key, wordOffset: 3 };
    const words = await cpu.expandStream(s, new Uint32Array(50));
    const a = Uint32Array.from({ length: 50 }, (_, i) => i);
    const m = await cpu.addStream(12, a, s, new Uint32Array(50));
    for (let i = 0; i < 50; i++) expect(m[i]).toBe((i + ((words[i] as number) & 0xfff)) & 0xfff);
    expect(await cpu.addStream(12, m, s, new Uint32Array(50), true)).toEqual(a);
  });
  it('expandStream is seekable: any window equals the slice of a longer expansion', async () => {
    const long = await cpu.expandStream({ key }, new Uint32Array(1000));
    expect(await cpu.expandStream({ key, wordOffset: 333 }, new Uint32Array(77))).toEqual(
      long.slice(333, 410),
    );
    const aes = await cpu.expandStream({ key, algorithm: 'aes-256-ctr' }, new Uint32Array(10));
    expect(aes).not.toEqual(long.slice(0, 10));
  });
  it('binomial noise is the popcount of the stated words minus trials/2', async () => {
    for (const trials of [2, 32, 34, 100, 1024]) {
      const w = Math.ceil(trials / 32);
      const s = { key, wordOffset: 11 };
      const words = await cpu.expandStream(s, new Uint32Array(40 * w));
      const noise = await cpu.binomialNoise(trials, s, new Int32Array(40));
      for (let i = 0; i < 40; i++) {
        let c = 0;
        for (let j = 0; j < w; j++) {
          const word = words[i * w + j] as number;
          const keep = j === w - 1 ? trials - 32 * (w - 1) : 32;
          c += bits(keep === 32 ? word : word & ((1 << keep) - 1));
        }
        expect(noise[i]).toBe(c - trials / 2);
      }
      const a = new Uint32Array(40).fill(5);
      const added = await cpu.addBinomialNoise(4, a, trials, s, new Uint32Array(40));
      for (let i = 0; i < 40; i++) expect(added[i]).toBe((5 + (noise[i] as number)) & 15);
    }
  });
  it('quantize rounds to a neighbour, by the stated comparison', async () => {
    const values = Float64Array.from({ length: 200 }, (_, i) => (i - 100) * 0.37 + 0.001);
    const s = { key, wordOffset: 99 };
    const words = await cpu.expandStream(s, new Uint32Array(200));
    const q = await cpu.quantize(values, { scale: 3, ringBits: 16 }, s, new Uint32Array(200));
    for (let i = 0; i < 200; i++) {
      const y = (values[i] as number) * 3;
      const f = Math.floor(y);
      const up = (words[i] as number) < Math.ceil((y - f) * 2 ** 32) ? 1 : 0;
      expect(q[i]).toBe((f + up) & 0xffff);
    }
    // integers stay put whatever the words
    const ints = await cpu.quantize(
      Float64Array.from([-3, 0, 7]),
      { scale: 1, ringBits: 8 },
      s,
      new Uint32Array(3),
    );
    expect([...ints]).toEqual([253, 0, 7]);
  });
  it('quantize rejects values outside the signed ring range with OVERFLOW', async () => {
    await rejectsWith(
      cpu.quantize(
        Float64Array.from([127.5]),
        { scale: 1, ringBits: 8 },
        { key },
        new Uint32Array(1),
      ),
      'OVERFLOW',
    );
    await cpu.quantize(
      Float64Array.from([-128]),
      { scale: 1, ringBits: 8 },
      { key },
      new Uint32Array(1),
    );
    await rejectsWith(
      cpu.quantize(
        Float64Array.from([1e300]),
        { scale: 1e300, ringBits: 32 },
        { key },
        new Uint32Array(1),
      ),
      'OVERFLOW',
    );
  });
  it('rejects stream ranges past the end of a ChaCha20 stream', async () => {
    await expect(
      cpu.expandStream({ key, wordOffset: 2 ** 36 - 4 }, new Uint32Array(5)),
    ).rejects.toThrow(RangeError);
    await cpu.expandStream({ key, wordOffset: 2 ** 36 - 4 }, new Uint32Array(4));
    await expect(
      cpu.binomialNoise(64, { key, wordOffset: 2 ** 36 - 4 }, new Int32Array(3)),
    ).rejects.toThrow(RangeError);
  });
});

describe('cpu backend: float operations', () => {
  it('norms, including vectors whose squares overflow or underflow', async () => {
    expect(await cpu.norm(Float64Array.from([3, -4]), 'l2')).toBe(5);
    expect(await cpu.norm(Float64Array.from([3, -4]), 'linf')).toBe(4);
    expect(await cpu.norm(Float64Array.from([3e200, 4e200]), 'l2')).toBeCloseTo(5e200, -190);
    expect((await cpu.norm(Float64Array.from([3e-200, 4e-200]), 'l2')) / 5e-200).toBeCloseTo(1, 12);
    expect(await cpu.norm(new Float64Array(4), 'l2')).toBe(0);
  });
  it('clipL2 keeps the exact norm within the bound, and leaves short vectors alone', async () => {
    const v = Float64Array.from({ length: 1000 }, (_, i) => Math.cos(i) * 1e3);
    const out = new Float64Array(1000);
    const r = await cpu.clipL2(v, 1, out);
    expect(r.clipped).toBe(1);
    expect(exactL2AtMost(out, 1)).toBe(true);
    expect(await cpu.norm(out, 'l2')).toBeGreaterThan(1 - 1e-9);
    const small = Float64Array.from([0.3, 0.4]);
    expect(await cpu.clipL2(small, 1, new Float64Array(2))).toEqual({
      norm: 0.5,
      factor: 1,
      clipped: 0,
    });
    // the exact check is not vacuous
    expect(exactL2AtMost(Float64Array.from([0.6, 0.8 + 2 ** -52]), 1)).toBe(false);
    expect(exactL2AtMost(Float64Array.from([0.6, 0.8]), 1)).toBe(false); // 0.6^2 + 0.8^2 > 1 in binary
  });
  it('clipLinf clamps exactly, rounding a bound down for binary32 output', async () => {
    const r = await cpu.clipLinf(Float64Array.from([-5, 0.5, 2]), 1, new Float64Array(3));
    expect(r).toEqual({ norm: 5, factor: 1, clipped: 2 });
    const out = new Float32Array(2);
    await cpu.clipLinf(Float64Array.from([0.2, -1]), 0.1, out);
    expect(Math.abs(out[0] as number)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(out[1] as number)).toBeLessThanOrEqual(0.1);
  });
  it('hadamard: known 2-point rotation, orthogonality and inversion', async () => {
    const s = { key };
    const signs = (await cpu.expandStream(s, new Uint32Array(1)))[0] as number;
    const d0 = signs & 1 ? -1 : 1;
    const d1 = signs & 2 ? -1 : 1;
    const out = await cpu.hadamard(Float64Array.from([1, 2]), s, new Float64Array(2));
    expect(out[0]).toBeCloseTo((d0 + 2 * d1) / Math.SQRT2, 14);
    expect(out[1]).toBeCloseTo((d0 - 2 * d1) / Math.SQRT2, 14);
    const x = Float64Array.from({ length: 256 }, (_, i) => i % 7);
    const y = await cpu.hadamard(x, s, new Float64Array(256));
    expect(await cpu.norm(y, 'l2')).toBeCloseTo(await cpu.norm(x, 'l2'), 10);
    const back = await cpu.hadamard(y, s, y, true);
    for (let i = 0; i < 256; i++) expect(back[i]).toBeCloseTo(x[i] as number, 12);
    await expect(cpu.hadamard(new Float64Array(3), s, new Float64Array(3))).rejects.toThrow(
      RangeError,
    );
  });
  it('weightedSum sums in order and may write over vectors[0]', async () => {
    const a = Float64Array.from([1, 2]);
    const b = Float32Array.from([10, 20]);
    expect([...(await cpu.weightedSum([a, b], [2, 0.5], new Float64Array(2)))]).toEqual([7, 14]);
    await cpu.weightedSum([a, b], [1, 1], a);
    expect([...a]).toEqual([11, 22]);
    await expect(cpu.weightedSum([a, b], [1, 1], b)).rejects.toThrow(RangeError);
  });
});

describe('cpu backend: argument checks', () => {
  const u = new Uint32Array(4);
  const f = new Float64Array(4);
  const s = { key };
  const calls: [string, (x: unknown) => Promise<unknown>][] = [
    ['expandStream stream', (x) => cpu.expandStream(x as never, u)],
    ['expandStream out', (x) => cpu.expandStream(s, x as never)],
    ['add ringBits', (x) => cpu.add(x as never, u, u, u)],
    ['add b', (x) => cpu.add(8, u, x as never, u)],
    ['addStream stream', (x) => cpu.addStream(8, u, x as never, u)],
    ['quantize values', (x) => cpu.quantize(x as never, { scale: 1, ringBits: 8 }, s, u)],
    ['quantize options', (x) => cpu.quantize(f, x as never, s, u)],
    ['quantize scale', (x) => cpu.quantize(f, { scale: x as never, ringBits: 8 }, s, u)],
    ['binomialNoise trials', (x) => cpu.binomialNoise(x as never, s, new Int32Array(4))],
    ['binomialNoise out', (x) => cpu.binomialNoise(4, s, x as never)],
    ['norm values', (x) => cpu.norm(x as never, 'l2')],
    ['norm kind', (x) => cpu.norm(f, x as never)],
    ['clipL2 bound', (x) => cpu.clipL2(f, x as never, f)],
    ['clipLinf out', (x) => cpu.clipLinf(f, 1, x as never)],
    ['scale factor', (x) => cpu.scale(f, x as never, f)],
    ['hadamard stream', (x) => cpu.hadamard(f, x as never, f)],
    ['weightedSum weights', (x) => cpu.weightedSum([f], x as never, f)],
    ['stream key', (x) => cpu.expandStream({ key: x as never }, u)],
    ['stream nonce', (x) => cpu.expandStream({ key, nonce: x as never }, u)],
    ['stream wordOffset', (x) => cpu.expandStream({ key, wordOffset: x as never }, u)],
  ];
  it.each(calls)('%s rejects every hostile value with TypeError or RangeError', async (_, call) => {
    for (const { name, value } of HOSTILE_VALUES) {
      if (value === undefined && /nonce|wordOffset/.test(_)) continue; // optional fields
      // reals: 0.5 and 2^53 are valid scales, bounds and factors, and -1 a valid factor
      if (/scale|bound|factor/.test(_) && (value === 0.5 || value === 2 ** 53)) continue;
      if (_.includes('factor') && value === -1) continue;
      let error: unknown;
      try {
        await call(value);
      } catch (e) {
        error = e;
      }
      expect(
        error instanceof TypeError || error instanceof RangeError,
        `${_} ${name}: ${error}`,
      ).toBe(true);
    }
  });
  it('rejects NaN and Infinity inside vectors, unknown option keys and length mismatches', async () => {
    await expect(cpu.norm(Float64Array.from([1, Number.NaN]), 'l2')).rejects.toThrow(RangeError);
    await expect(cpu.scale(Float32Array.from([Infinity]), 1, new Float32Array(1))).rejects.toThrow(
      RangeError,
    );
    await expect(cpu.expandStream({ key, extra: 1 } as never, u)).rejects.toThrow(TypeError);
    await expect(cpu.add(8, u, new Uint32Array(3), u)).rejects.toThrow(RangeError);
    await expect(cpu.binomialNoise(3, s, new Int32Array(1))).rejects.toThrow(RangeError);
    await expect(cpu.expandStream({ key, algorithm: 'rc4' as never }, u)).rejects.toThrow(
      RangeError,
    );
  });
  it('a disposed backend rejects with BACKEND_UNAVAILABLE', async () => {
    const b = createCpuBackend();
    b[Symbol.dispose]();
    await rejectsWith(b.add(8, u, u, u), 'BACKEND_UNAVAILABLE');
  });
});
