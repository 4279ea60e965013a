import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AggregationConfig,
  deterministicRngForTesting,
  flattenUpdate,
  isPrivaggError,
  planAggregation,
  restoreUpdate,
} from '../../../src/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

const rng = deterministicRngForTesting(new Uint8Array(32).fill(11));
const base: AggregationConfig = {
  dimension: 4,
  clients: { expected: 10, minimum: 5 },
  clip: { linf: 1 },
  protection: { kind: 'shamir', servers: 3 },
  privacy: { kind: 'none' },
};

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isPrivaggError(e) ? e.code : (e as Error).name;
  }
  return undefined;
}

/** Vectors on the quantization grid of the plan, so stochastic rounding is exact. */
function gridVectors(n: number, d: number, scale: number, seed: number): Float64Array[] {
  const r = deterministicRngForTesting(new Uint8Array(32).fill(seed));
  return Array.from({ length: n }, () =>
    Float64Array.from({ length: d }, () => {
      const b = r(2);
      return (((b[0] as number) * 256 + (b[1] as number)) / 65535) * 2 - 1;
    }).map((x) => Math.round(x * scale) / scale),
  );
}

describe('planAggregation: validation', () => {
  it('rejects unknown keys, wrong types and out-of-range values with labelled errors', () => {
    expect(code(() => planAggregation({ ...base, extra: 1 } as never))).toBe('TypeError');
    expect(code(() => planAggregation({ ...base, dimension: 0 }))).toBe('RangeError');
    expect(code(() => planAggregation({ ...base, dimension: 1.5 }))).toBe('RangeError');
    expect(code(() => planAggregation({ ...base, clients: { expected: 3, minimum: 5 } }))).toBe(
      'RangeError',
    );
    expect(code(() => planAggregation({ ...base, clip: { l2: Number.NaN } }))).toBe('RangeError');
    expect(code(() => planAggregation({ ...base, clip: { l2: 1, linf: 1 } as never }))).toBe(
      'TypeError',
    );
    expect(code(() => planAggregation({ ...base, protection: { kind: 'magic' } as never }))).toBe(
      'RangeError',
    );
    expect(
      code(() => planAggregation({ ...base, protection: { kind: 'shamir', servers: 1 } })),
    ).toBe('RangeError');
    expect(
      code(() =>
        planAggregation({ ...base, privacy: { kind: 'central-dp', epsilon: 0, delta: 1e-6 } }),
      ),
    ).toBe('RangeError');
    expect(
      code(() =>
        planAggregation({ ...base, privacy: { kind: 'central-dp', epsilon: 1, delta: 1 } }),
      ),
    ).toBe('RangeError');
    const { clip: _, ...noClip } = base;
    expect(code(() => planAggregation(noClip))).toBe('RangeError');
  });
  it('every hostile value in place of the config or its fields throws TypeError or RangeError', () => {
    for (const { name, value } of HOSTILE_VALUES) {
      for (const make of [
        () => value,
        () => ({ ...base, dimension: value }),
        () => ({ ...base, clients: value }),
        () => ({ ...base, clip: value }),
        () => ({ ...base, protection: value }),
        () => ({ ...base, privacy: value }),
        () => ({ ...base, protection: { kind: 'ckks', keys: 'threshold', parties: value } }),
      ]) {
        const c = code(() => planAggregation(make() as never));
        expect(['TypeError', 'RangeError'], `${name}: ${c}`).toContain(c);
      }
      // optional fields: undefined means the default; positive finite reals are valid for
      // epsilon and scale
      if (value === undefined) continue;
      const real = typeof value === 'number' && Number.isFinite(value) && value > 0;
      for (const make of [
        () => ({
          ...base,
          protection: { kind: 'ckks', keys: 'threshold', parties: 3, threshold: value },
        }),
        () => ({ ...base, protection: { kind: 'ckks', floodingBits: value } }),
        () => ({
          ...base,
          clip: { l2: 1 },
          privacy: { kind: 'distributed-dp', epsilon: 1, delta: 1e-6, rotation: value },
        }),
        () =>
          real
            ? value
            : {
                ...base,
                clip: { l2: 1 },
                privacy: { kind: 'local-dp', epsilon: value, delta: 1e-6 },
              },
        () => ({ ...base, accountant: { kind: value } }),
        () => (real ? value : { ...base, quantization: { ringBits: 16, scale: value } }),
      ]) {
        const c = code(() => planAggregation(make() as never));
        expect(['TypeError', 'RangeError'], `${name}: ${c}`).toContain(c);
      }
    }
  });
  it('a quantization that can wrap is refused at plan time with OVERFLOW naming the parameters', () => {
    try {
      planAggregation({ ...base, quantization: { ringBits: 16, scale: 2 ** 12 } });
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'OVERFLOW').toBe(true);
      expect((e as Error).message).toMatch(/ringBits: 16, scale: 4096/);
    }
    // no scale at all fits 10 clients x values up to 1000 in 8 bits
    expect(
      code(() =>
        planAggregation({ ...base, clip: { linf: 1000 }, quantization: { ringBits: 8, scale: 1 } }),
      ),
    ).toBe('OVERFLOW');
  });
  it('the resolved scale is the largest power of two that cannot wrap', () => {
    const q = planAggregation(base).describe().quantization;
    expect(q?.ringBits).toBe(32);
    const s = q?.scale ?? 0;
    expect(Math.log2(s) % 1).toBe(0);
    expect(10 * (s + 1)).toBeLessThan(2 ** 31);
    expect(10 * (2 * s + 1)).toBeGreaterThan(2 ** 31 - 1);
  });
});

describe('planAggregation: runs', () => {
  it('shamir (additive, 3 servers) sums exactly for inputs on the grid, with dropouts', async () => {
    const plan = planAggregation(base);
    const s = plan.describe().quantization?.scale ?? 1;
    const vectors = gridVectors(10, 4, 2 ** 10, 3);
    const r = await plan.simulate(vectors, { dropouts: [2, 7], rng });
    expect(r.participants).toEqual([0, 1, 3, 4, 5, 6, 8, 9]);
    expect(r.dropped).toEqual({ afterShareKeys: [2, 7] });
    const expected = new Float64Array(4);
    for (const i of r.participants)
      for (let j = 0; j < 4; j++)
        expected[j] = (expected[j] as number) + ((vectors[i] as Float64Array)[j] as number);
    expect([...r.sum]).toEqual([...expected]);
    expect(r.mean[0]).toBeCloseTo((expected[0] as number) / 8, 12);
    expect(s).toBeGreaterThan(2 ** 20);
  });
  it('shamir 3-of-5 (Prio-style, GF(2^31 - 1)) sums exactly for inputs on the grid', async () => {
    const plan = planAggregation({
      ...base,
      protection: { kind: 'shamir', servers: 5, threshold: 3 },
    });
    const q = plan.describe().quantization;
    expect(q?.ringBits).toBe(31);
    expect(plan.describe().protection.threshold).toBe(3);
    const vectors = gridVectors(10, 4, 2 ** 10, 9);
    const r = await plan.simulate(vectors, { dropouts: [4], rng });
    const expected = new Float64Array(4);
    for (const i of r.participants)
      for (let j = 0; j < 4; j++)
        expected[j] = (expected[j] as number) + ((vectors[i] as Float64Array)[j] as number);
    expect([...r.sum]).toEqual([...expected]);
    expect(() =>
      planAggregation({
        ...base,
        protection: { kind: 'shamir', servers: 5, threshold: 3 },
        quantization: { ringBits: 32, scale: 1 },
      }),
    ).toThrow(RangeError);
  });
  it('property: shamir sums equal the plaintext sum within n/scale for arbitrary inputs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
          {
            minLength: 2,
            maxLength: 6,
          },
        ),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 2, max: 5 }),
        async (vectors, servers, t) => {
          const plan = planAggregation({
            dimension: 3,
            clients: { expected: 6, minimum: 1 },
            clip: { linf: 1 },
            protection: { kind: 'shamir', servers, threshold: Math.min(t, servers) },
            privacy: { kind: 'none' },
          });
          const r = await plan.simulate(vectors, { rng });
          const s = plan.describe().quantization?.scale ?? 1;
          for (let j = 0; j < 3; j++) {
            const exact = vectors.reduce((a, v) => a + (v[j] as number), 0);
            expect(Math.abs((r.sum[j] as number) - exact)).toBeLessThanOrEqual(vectors.length / s);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
  it('no protection and no DP is an exact float sum, labelled insecure', async () => {
    const plan = planAggregation({
      ...base,
      clients: { expected: 10, minimum: 1 },
      clip: { l2: 10 },
      protection: { kind: 'none' },
    });
    expect(plan.describe().protection.insecure).toBe(true);
    expect(plan.describe().quantization).toBeUndefined();
    const r = await plan.simulate([
      [0.1, 0.2, 0.3, 0.4],
      [1, 2, 3, 4],
    ]);
    expect([...r.sum]).toEqual([0.1 + 1, 0.2 + 2, 0.3 + 3, 0.4 + 4]);
  });
  it('clipping is counted, never silent, and the bound holds after rounding', async () => {
    const plan = planAggregation({
      ...base,
      clients: { expected: 10, minimum: 1 },
      clip: { l2: 1 },
      protection: { kind: 'none' },
    });
    const r = await plan.simulate([
      [3, 4, 0, 0],
      [0.1, 0, 0, 0],
      [0, 0, 0, 1e300],
    ]);
    expect(r.clipped).toBe(2);
    expect(r.sum[0]).toBeCloseTo(0.6 + 0.1, 12);
    const r2 = await plan.simulate([Array.from({ length: 4 }, () => 0.7)]);
    expect(Math.hypot(...r2.sum)).toBeLessThanOrEqual(1);
  });
  it('weighted mean: weights travel inside the protected vector', async () => {
    const plan = planAggregation({
      ...base,
      clients: { expected: 10, minimum: 1 },
      weights: { max: 100 },
    });
    expect(plan.describe().protectedDimension).toBe(5);
    const r = await plan.simulate(
      [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
      ],
      { weights: [30, 10], rng },
    );
    expect(r.totalWeight).toBe(40);
    expect(r.mean[0]).toBeCloseTo(0.75, 6);
    expect(r.mean[1]).toBeCloseTo(0.25, 6);
    await expect(plan.simulate([[1, 0, 0, 0]], { rng })).rejects.toThrow(TypeError);
    await expect(plan.simulate([[1, 0, 0, 0]], { weights: [101], rng })).rejects.toThrow(
      RangeError,
    );
  });
  it('refuses rounds that cannot reach the minimum cohort, and bad inputs', async () => {
    const plan = planAggregation(base);
    const v = gridVectors(6, 4, 1024, 5);
    await expect(plan.simulate(v, { dropouts: [0, 1], rng })).rejects.toSatisfy(
      (e: unknown) => isPrivaggError(e) && e.code === 'PROTOCOL_ABORTED',
    );
    await expect(plan.simulate([new Float64Array(3)], { rng })).rejects.toThrow(RangeError);
    await expect(plan.simulate([[Number.NaN, 0, 0, 0]], { rng })).rejects.toThrow(RangeError);
    await expect(plan.simulate(gridVectors(11, 4, 1024, 6), { rng })).rejects.toThrow(RangeError);
    await expect(plan.simulate(v, { dropouts: [9], rng })).rejects.toThrow(RangeError);
    await expect(plan.simulate(v, { dropouts: { later: [1] } as never, rng })).rejects.toThrow(
      TypeError,
    );
  });
});

describe('flattenUpdate / restoreUpdate', () => {
  it('round trips layers with shapes and element types', () => {
    const layers = [
      new Float32Array([1, 2]),
      { data: new Float64Array([3, 4, 5, 6, 7, 8]), shape: [2, 3] },
    ];
    const { vector, layout } = flattenUpdate(layers);
    expect([...vector]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const back = restoreUpdate(vector, layout) as {
      data: Float32Array | Float64Array;
      shape: number[];
    }[];
    expect(back[0]?.data).toBeInstanceOf(Float32Array);
    expect(back[1]?.shape).toEqual([2, 3]);
    expect([...(back[1]?.data ?? [])]).toEqual([3, 4, 5, 6, 7, 8]);
    const flat = flattenUpdate(new Float32Array([1, 2, 3]));
    expect(restoreUpdate(flat.vector, flat.layout)).toBeInstanceOf(Float32Array);
  });
  it('rejects bad shapes, non-finite values and wrong lengths', () => {
    expect(() => flattenUpdate([{ data: new Float32Array(3), shape: [2, 2] }])).toThrow(RangeError);
    expect(() => flattenUpdate([new Float32Array([Number.NaN])])).toThrow(RangeError);
    expect(() => flattenUpdate('x' as never)).toThrow(TypeError);
    const { layout } = flattenUpdate(new Float64Array(3));
    expect(() => restoreUpdate(new Float64Array(2), layout)).toThrow(RangeError);
  });
});

describe('planAggregation: secure aggregation', () => {
  it('secagg+ sums exactly (inputs on the grid) with dropouts at every stage', async () => {
    const plan = planAggregation({
      dimension: 50,
      clients: { expected: 40, minimum: 24 },
      clip: { linf: 1 },
      protection: { kind: 'secagg+', dropoutTolerance: 0.3 },
      privacy: { kind: 'none' },
    });
    const desc = plan.describe();
    expect(desc.protection.kind).toBe('secagg+');
    expect(desc.protection.threshold).toBeLessThanOrEqual(24);
    const vectors = gridVectors(40, 50, 2 ** 12, 21);
    const r = await plan.simulate(vectors, {
      dropouts: {
        afterAdvertiseKeys: [1, 2],
        afterShareKeys: [3, 4],
        afterMaskedInput: [5, 6],
        duringUnmask: [7],
      },
      rng,
    });
    expect(r.participants).not.toContain(1);
    expect(r.participants).not.toContain(4);
    expect(r.participants).toContain(5);
    expect(r.participants).toContain(7);
    expect(r.participants.length).toBe(36);
    expect(r.dropped.afterShareKeys).toEqual([3, 4]);
    const expected = new Float64Array(50);
    for (const i of r.participants)
      for (let j = 0; j < 50; j++)
        expected[j] = (expected[j] as number) + ((vectors[i] as Float64Array)[j] as number);
    expect([...r.sum]).toEqual([...expected]);
  });
  it('refuses a SecAgg threshold the minimum cohort cannot meet', () => {
    expect(() =>
      planAggregation({
        dimension: 5,
        clients: { expected: 40, minimum: 2 },
        clip: { linf: 1 },
        protection: { kind: 'secagg' },
        privacy: { kind: 'none' },
      }),
    ).toThrow(/clients.minimum/);
  });
});

describe('planAggregation: the round time split between clients and server', () => {
  const protections: AggregationConfig['protection'][] = [
    { kind: 'none' },
    { kind: 'secagg+', dropoutTolerance: 0.2 },
    { kind: 'shamir', servers: 3, threshold: 2 },
    { kind: 'ckks' },
  ];
  for (const protection of protections)
    it(`${protection.kind}: both roles are timed and together fit in the round`, async () => {
      const n = 10;
      const plan = planAggregation({
        dimension: 2000,
        clients: { expected: n, minimum: 8 },
        clip: { l2: 1 },
        protection,
        privacy:
          protection.kind === 'none'
            ? { kind: 'local-dp', epsilon: 4, delta: 1e-5 }
            : { kind: 'distributed-dp', epsilon: 4, delta: 1e-5 },
      });
      const vectors = Array.from({ length: n }, (_, i) =>
        Array.from({ length: 2000 }, (_, j) => Math.sin(i + j) / 50),
      );
      const t0 = performance.now();
      const result = await plan.simulate(vectors, { rng });
      const wall = (performance.now() - t0) / 1000;
      const roles = result.roleSeconds as { perClient: number; server: number };
      expect(roles.perClient).toBeGreaterThan(0);
      expect(roles.server).toBeGreaterThan(0);
      // the clients' time (n of them, one after the other) and the server's add up to at most the
      // round (validation before the first mark is in neither)
      expect(roles.perClient * n + roles.server).toBeLessThanOrEqual(wall + 1e-3);
      expect(roles.perClient * n + roles.server).toBeGreaterThan(0.5 * wall);
    });
});
