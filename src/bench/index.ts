/**
 * The benchmark suite shipped in the CLI (`privagg bench`); benchmarks/run.ts adds the module
 * micro-suites and peer libraries of a source checkout.
 * @module
 * @internal
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderReport } from './report.ts';
import type { BenchResults } from './suite.ts';

export {
  compareMetrics,
  formatComparison,
  type Comparison,
  type MetricComparison,
} from './compare.ts';
export { fmtStat, formatTable, sig } from './format.ts';
export { machineInfo, measureLimits, type MachineInfo, type PrimitiveLimits } from './machine.ts';
export { renderReport } from './report.ts';
export { runScaling, scalingPlan, type ScalingSeries } from './scaling.ts';
export {
  fitPowerLaw,
  relativeSpread,
  summarize,
  timeRepeated,
  type PowerFit,
  type Stat,
} from './stats.ts';
export {
  BENCH_PARTS,
  collectMetrics,
  defaultWorkload,
  runBench,
  type BenchOptions,
  type BenchPart,
  type BenchResults,
  type Metric,
  type PeerRow,
} from './suite.ts';
export {
  runWorkload,
  validateWorkload,
  WORKLOAD_KEYS,
  type Workload,
  type WorkloadRow,
} from './workload.ts';

/**
 * Write results.json and report.html into a folder (created if missing).
 * @param dir - output folder
 * @param results - the run
 * @returns the two paths
 * @internal
 */
export function writeOutputs(dir: string, results: BenchResults): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'results.json');
  const html = path.join(dir, 'report.html');
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(html, renderReport(results));
  return { json, html };
}

/**
 * Read a results.json (checks it is one: schemaVersion 1 with a metrics list).
 * @param file - path
 * @returns the results
 * @throws {@link !TypeError} when the file is not a privagg results file
 * @internal
 */
export function readResults(file: string): BenchResults {
  const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchResults> | null;
  if (typeof r !== 'object' || r === null || r.schemaVersion !== 1 || !Array.isArray(r.metrics))
    throw new TypeError(
      `${file} is not a privagg bench results.json (schemaVersion 1 with metrics)`,
    );
  return r as BenchResults;
}
