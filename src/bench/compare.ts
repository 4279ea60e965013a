/**
 * `privagg bench --compare a.json b.json`: per-metric ratios between two runs, with a regression
 * flagged when the change exceeds the measured spread of both runs plus a tolerance.
 * @module
 * @internal
 */
import { formatTable, sig } from './format.ts';
import type { Metric } from './suite.ts';

/**
 * One metric compared.
 * @internal
 */
export interface MetricComparison {
  /** Metric id. */
  readonly id: string;
  /** Unit. */
  readonly unit: string;
  /** Median in the baseline (a). */
  readonly before: number;
  /** Median in the candidate (b). */
  readonly after: number;
  /** after / before. */
  readonly ratio: number;
  /** The noise allowance: the larger relative IQR of the two runs, plus the tolerance. */
  readonly allowance: number;
  /** Worse beyond the allowance. */
  readonly regression: boolean;
  /** Better beyond the allowance. */
  readonly improvement: boolean;
}

/**
 * The comparison of two runs.
 * @internal
 */
export interface Comparison {
  /** Metrics present in both runs. */
  readonly rows: readonly MetricComparison[];
  /** Metric ids only in the baseline. */
  readonly onlyBefore: readonly string[];
  /** Metric ids only in the candidate. */
  readonly onlyAfter: readonly string[];
  /** Number of regressions. */
  readonly regressions: number;
}

function relIqr(m: Metric): number {
  return m.median === 0 ? 0 : (m.q3 - m.q1) / Math.abs(m.median);
}

/**
 * Compare two runs' metrics. A metric regresses when it moved in its worse direction by more
 * than `max(relative IQR of a, relative IQR of b) + tolerance` of the baseline median.
 * @param before - the baseline's metrics
 * @param after - the candidate's metrics
 * @param tolerance - relative slack added to the measured spread @defaultValue 0.05
 * @returns per-metric rows and the regression count
 * @throws {@link !RangeError} for a negative or non-finite tolerance
 * @internal
 */
export function compareMetrics(
  before: readonly Metric[],
  after: readonly Metric[],
  tolerance = 0.05,
): Comparison {
  if (!(Number.isFinite(tolerance) && tolerance >= 0))
    throw new RangeError(`"tolerance" expected a finite number >= 0, got ${tolerance}`);
  const a = new Map(before.map((m) => [m.id, m]));
  const b = new Map(after.map((m) => [m.id, m]));
  const rows: MetricComparison[] = [];
  for (const [id, ma] of a) {
    const mb = b.get(id);
    if (mb === undefined) continue;
    const allowance = Math.max(relIqr(ma), relIqr(mb)) + tolerance;
    const ratio =
      ma.median === 0 ? (mb.median === 0 ? 1 : Number.POSITIVE_INFINITY) : mb.median / ma.median;
    // change in the worse direction, relative to the baseline
    const worse = ma.better === 'lower' ? ratio - 1 : 1 - ratio;
    rows.push({
      id,
      unit: ma.unit,
      before: ma.median,
      after: mb.median,
      ratio,
      allowance,
      regression: worse > allowance,
      improvement: -worse > allowance,
    });
  }
  return {
    rows,
    onlyBefore: [...a.keys()].filter((k) => !b.has(k)),
    onlyAfter: [...b.keys()].filter((k) => !a.has(k)),
    regressions: rows.filter((r) => r.regression).length,
  };
}

/**
 * The comparison as a terminal table.
 * @param c - a comparison
 * @returns text
 * @internal
 */
export function formatComparison(c: Comparison): string {
  const lines = [
    formatTable(
      ['metric', 'a', 'b', 'b/a', 'allowance', 'verdict'],
      c.rows.map((r) => [
        r.id,
        `${sig(r.before)} ${r.unit}`,
        `${sig(r.after)} ${r.unit}`,
        Number.isFinite(r.ratio) ? r.ratio.toFixed(3) : 'inf',
        `±${(r.allowance * 100).toFixed(0)}%`,
        r.regression ? 'REGRESSION' : r.improvement ? 'improved' : 'same',
      ]),
    ),
  ];
  if (c.onlyBefore.length > 0) lines.push(`only in a: ${c.onlyBefore.length} metric(s)`);
  if (c.onlyAfter.length > 0) lines.push(`only in b: ${c.onlyAfter.length} metric(s)`);
  lines.push(
    `${c.rows.length} metric(s) compared, ${c.regressions} regression(s) beyond the measured spread`,
  );
  return lines.join('\n');
}
