/**
 * Constant-time smoke harness for the sharing kernels (after noble-curves benchmark/ct.ts and
 * dudect): time an operation on two classes of secret inputs (all zero vs random), interleaved
 * in random order, and report Welch's t statistic. |t| above about 4.5 suggests a timing
 * difference between the classes. A positive control (an early-exit comparison) must show one,
 * or the harness is too noisy to say anything. JavaScript gives no timing guarantee: a pass here
 * is evidence of algorithmic constant time, not a proof.
 *
 * Run: npm run bench -- sharing-ct [--quick]
 */
import { randomBytes } from '../../src/core/index.ts';
import { combine, shamirReconstruct, shamirShare, split } from '../../src/sharing/index.ts';
import { table } from '../_shared.ts';

interface Welch {
  name: string;
  t: number;
  meanA: number;
  meanB: number;
}

function welch(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const variance = (x: number[], m: number) =>
    x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1);
  const ma = mean(a);
  const mb = mean(b);
  return (ma - mb) / Math.sqrt(variance(a, ma) / a.length + variance(b, mb) / b.length);
}

/** Drop the slowest 10% of each class (interrupts, GC) before the test, as dudect crops. */
function crop(x: number[]): number[] {
  const sorted = [...x].sort((p, q) => p - q);
  return sorted.slice(0, Math.floor(sorted.length * 0.9));
}

function measure(
  name: string,
  inputs: [unknown, unknown],
  op: (input: unknown) => unknown,
  samples: number,
): Welch {
  const times: [number[], number[]] = [[], []];
  const order = randomBytes(samples);
  for (let i = 0; i < 50; i++) op(inputs[i & 1]);
  for (let i = 0; i < samples; i++) {
    const cls = ((order[i] as number) & 1) as 0 | 1;
    const start = performance.now();
    op(inputs[cls]);
    times[cls].push(performance.now() - start);
  }
  const a = crop(times[0]);
  const b = crop(times[1]);
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  return { name, t: welch(a, b), meanA: mean(a), meanB: mean(b) };
}

export function runSharingCt(quick = false): Welch[] {
  const samples = quick ? 2000 : 10000;
  const results: Welch[] = [];

  // positive control: comparison with an early exit leaks where the first difference is
  const reference = new Uint8Array(4096);
  const early = (x: unknown) => {
    const v = x as Uint8Array;
    for (let i = 0; i < v.length; i++) if (v[i] !== reference[i]) return false;
    return true;
  };
  const differsLate = new Uint8Array(4096);
  differsLate[4095] = 1;
  const differsEarly = new Uint8Array(4096);
  differsEarly[0] = 1;
  results.push(
    measure('control: early-exit compare (must leak)', [differsEarly, differsLate], early, samples),
  );

  const zero = new Uint8Array(32);
  const random = randomBytes(32);
  results.push(
    measure(
      'split 32 B, n=10 t=6',
      [zero, random],
      (s) => split(s as Uint8Array, { threshold: 6, shares: 10 }),
      samples,
    ),
  );
  const zeroShares = split(zero, { threshold: 6, shares: 10 }).slice(0, 6);
  const randomShares = split(random, { threshold: 6, shares: 10 }).slice(0, 6);
  results.push(
    measure(
      'combine 32 B, t=6',
      [zeroShares, randomShares],
      (s) => combine(s as Uint8Array[]),
      samples,
    ),
  );

  const vZero = new Uint32Array(4096);
  const vRandom = new Uint32Array(4096).map((_, i) => (i * 2654435761) % 2147483647);
  results.push(
    measure(
      'shamirShare d=4096',
      [vZero, vRandom],
      (v) => shamirShare(v as Uint32Array, { threshold: 3, shares: 5 }),
      samples / 4,
    ),
  );
  const sZero = shamirShare(vZero, { threshold: 3, shares: 5 }).slice(0, 3);
  const sRandom = shamirShare(vRandom, { threshold: 3, shares: 5 }).slice(0, 3);
  results.push(
    measure(
      'shamirReconstruct d=4096',
      [sZero, sRandom],
      (s) => shamirReconstruct(s as never, { threshold: 3 }),
      samples / 4,
    ),
  );

  table(
    ['operation (zero vs random secret)', 'mean A', 'mean B', 'Welch t', 'verdict'],
    results.map((r) => [
      r.name,
      `${(r.meanA * 1000).toFixed(1)} us`,
      `${(r.meanB * 1000).toFixed(1)} us`,
      r.t.toFixed(2),
      r.name.startsWith('control')
        ? Math.abs(r.t) > 4.5
          ? 'leak detected (harness works)'
          : 'NOT detected: too noisy to judge'
        : Math.abs(r.t) > 4.5
          ? 'possible leak'
          : 'no difference found',
    ]),
  );
  return results;
}
