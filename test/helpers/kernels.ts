/** Helpers for the kernel tests: the backends to check against the cpu reference, exact norms. */
import type { KernelBackend } from '../../src/kernels/index.ts';
import { createWorkersBackend } from '../../src/kernels/index.ts';

/** Backends under test besides cpu (the reference). Workers shard even tiny inputs here. */
export function backendsUnderTest(): { name: string; make: () => KernelBackend }[] {
  return [
    {
      name: 'workers (2 threads)',
      make: () => createWorkersBackend({ threads: 2, minParallelWork: 0 }),
    },
    {
      name: 'workers (3 threads)',
      make: () => createWorkersBackend({ threads: 3, minParallelWork: 0 }),
    },
  ];
}

/** x as an exact m * 2^e with a bigint m (x finite). */
function exact(x: number): { m: bigint; e: number } {
  if (x === 0) return { m: 0n, e: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  const m = biased === 0 ? frac : frac | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  return { m: sign * m, e };
}

/** Whether the exact real sum of squares of `values` is at most bound^2 (no rounding anywhere). */
export function exactL2AtMost(values: ArrayLike<number>, bound: number): boolean {
  const terms = [exact(bound)];
  for (let i = 0; i < values.length; i++) terms.push(exact(values[i] as number));
  const minE = Math.min(...terms.map((t) => 2 * t.e));
  const sq = (t: { m: bigint; e: number }): bigint => (t.m * t.m) << BigInt(2 * t.e - minE);
  let sum = 0n;
  for (let i = 1; i < terms.length; i++) sum += sq(terms[i] as { m: bigint; e: number });
  return sum <= sq(terms[0] as { m: bigint; e: number });
}
