/**
 * Shared benchmark helpers: interleaved repeated timing with medians and spread, and a
 * machine description. Benchmarks report ratios measured in the same run, never absolute claims.
 */
import os from 'node:os';
import { rate } from '../src/bench/machine.ts';

export interface Measurement {
  /** Median throughput in units per second. */
  median: number;
  /** Relative spread: (max - min) / median over the repeats. */
  spread: number;
  samples: number[];
}

/**
 * Measure several competitors on the same workload, interleaving them `repeats` times so that
 * machine noise hits all of them alike.
 */
export function compare(
  cases: Record<string, { fn: () => unknown; units: number }>,
  options: { repeats?: number; ms?: number } = {},
): Record<string, Measurement> {
  const repeats = options.repeats ?? 5;
  const ms = options.ms ?? 200;
  const samples: Record<string, number[]> = {};
  for (let r = 0; r < repeats; r++) {
    for (const [name, c] of Object.entries(cases)) {
      const list = samples[name] ?? [];
      list.push(rate(c.fn, c.units, ms));
      samples[name] = list;
    }
  }
  const out: Record<string, Measurement> = {};
  for (const [name, s] of Object.entries(samples)) {
    const sorted = [...s].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    out[name] = {
      median,
      spread: ((sorted.at(-1) as number) - (sorted[0] as number)) / median,
      samples: s,
    };
  }
  return out;
}

/** Human-readable units per second. */
export function fmtRate(x: number, unit: string): string {
  const prefixes: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [f, p] of prefixes) if (x >= f) return `${(x / f).toFixed(2)} ${p}${unit}/s`;
  return `${x.toFixed(2)} ${unit}/s`;
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10) return `${n / (1 << 10)} KiB`;
  return `${n} B`;
}

/** One line describing the machine the numbers come from. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, OpenSSL ${process.versions.openssl}`;
}

/** Print a table with aligned columns. */
export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
