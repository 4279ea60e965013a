/**
 * Terminal formatting for the benchmark suite.
 * @module
 * @internal
 */
import type { Stat } from './stats.ts';

/**
 * Align rows under a header.
 * @param header - column titles
 * @param rows - cells
 * @returns the table as lines joined by newlines
 * @internal
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * A number with 3 significant digits (exponent form outside [1e-3, 1e6)).
 * @internal
 */
export function sig(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(2);
  return x.toPrecision(3);
}

/**
 * A median with its interquartile range, e.g. `1.23 [1.20-1.31]`.
 * @internal
 */
export function fmtStat(s: Stat): string {
  return s.n > 1 ? `${sig(s.median)} [${sig(s.q1)}-${sig(s.q3)}]` : `${sig(s.median)} (1 run)`;
}

/**
 * Bytes with a binary prefix.
 * @internal
 */
export function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(2)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
