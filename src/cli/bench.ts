/**
 * `privagg bench`: the benchmark suite, and `--compare` of two runs.
 * @module
 * @internal
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  BENCH_PARTS,
  type BenchPart,
  type BenchResults,
  collectMetrics,
  compareMetrics,
  defaultWorkload,
  formatComparison,
  readResults,
  runBench,
  validateWorkload,
  WORKLOAD_KEYS,
  type Workload,
  writeOutputs,
} from '../bench/index.ts';

/** @internal Help text of `privagg bench`. */
export const BENCH_HELP: string = `  privagg bench [part...] [options]
                              the benchmarking suite: primitive limits, every protection x
                              privacy combination on one workload, scaling curves; writes
                              results.json and a self-contained report.html
      parts                   ${BENCH_PARTS.join(', ')} (default: all)
      --quick                 CI-sized run (about a minute); the full run takes minutes
      --clients N --dimension N --dropout X --epsilon X --delta X
                              the workload (default 100 x 10000, dropout 0.1, epsilon 1,
                              delta 1e-6; quick: 30 x 1000)
      --workload FILE.json    the workload as JSON with the same keys (and "clip")
      --out DIR               where results.json and report.html go (default privagg-bench)
  privagg bench --compare A.json B.json [--tolerance X]
                              per-metric ratios B/A; exit code 1 when a metric got worse by
                              more than the larger measured spread (IQR / median) of the two
                              runs plus the tolerance (default 0.05), 0 otherwise`;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x))
    throw new RangeError(`--${name} expected a number, got ${v}`);
  return x;
}

/**
 * More parts, run after the suite's own (benchmarks/run.ts adds the module micro-suites and peers).
 * @internal
 */
export interface BenchExtension {
  /** Names of the extra parts. */
  readonly parts: readonly string[];
  /** Run the selected extra parts and return the results with their findings added. */
  run(selected: readonly string[], results: BenchResults, quick: boolean): Promise<BenchResults>;
}

/**
 * Run `privagg bench` with its arguments.
 * @param argv - arguments after `bench`
 * @param log - where lines go
 * @param extension - extra parts (source checkout only)
 * @returns the exit code: 0, or 1 for regressions in --compare (bad usage throws)
 * @throws {@link !TypeError} or {@link !RangeError} for bad arguments
 * @internal
 */
export async function runBenchCli(
  argv: readonly string[],
  log: (line: string) => void,
  extension?: BenchExtension,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      compare: { type: 'boolean' },
      tolerance: { type: 'string' },
      clients: { type: 'string' },
      dimension: { type: 'string' },
      dropout: { type: 'string' },
      epsilon: { type: 'string' },
      delta: { type: 'string' },
      workload: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    log(BENCH_HELP);
    return 0;
  }
  if (values.compare) {
    if (positionals.length !== 2)
      throw new TypeError(`--compare expects two results.json files, got ${positionals.length}`);
    const [a, b] = positionals.map((f) => readResults(f));
    const c = compareMetrics(
      a?.metrics ?? [],
      b?.metrics ?? [],
      num('tolerance', values.tolerance) ?? 0.05,
    );
    log(
      `a: ${positionals[0]} (${a?.machine.cpu}, ${a?.date}, load ${a?.machine.loadAverage?.[0] ?? '?'})\nb: ${positionals[1]} (${b?.machine.cpu}, ${b?.date}, load ${b?.machine.loadAverage?.[0] ?? '?'})`,
    );
    const loads = [a?.machine.loadAverage?.[0], b?.machine.loadAverage?.[0]];
    if (
      loads.every((x) => typeof x === 'number') &&
      Math.abs((loads[0] as number) - (loads[1] as number)) >= 1
    )
      log('note: the two runs started under different machine load; time ratios include that');
    log(formatComparison(c));
    return c.regressions > 0 ? 1 : 0;
  }
  if (values.tolerance !== undefined) throw new TypeError('--tolerance applies to --compare only');
  const known: readonly string[] = [...BENCH_PARTS, ...(extension?.parts ?? [])];
  for (const p of positionals)
    if (!known.includes(p))
      throw new RangeError(`unknown bench part '${p}'; available: ${known.join(', ')}`);
  const own = positionals.filter((p) => (BENCH_PARTS as readonly string[]).includes(p));
  const extra =
    positionals.length === 0
      ? [...(extension?.parts ?? [])]
      : positionals.filter((p) => !(BENCH_PARTS as readonly string[]).includes(p));
  let workload: Partial<Workload> = {};
  if (values.workload !== undefined) {
    const parsed = JSON.parse(readFileSync(values.workload, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new TypeError(
        `--workload ${values.workload}: expected a JSON object with ${WORKLOAD_KEYS.join(', ')}`,
      );
    workload = parsed as Partial<Workload>;
  }
  const flags: Record<string, number | undefined> = {
    clients: num('clients', values.clients),
    dimension: num('dimension', values.dimension),
    dropout: num('dropout', values.dropout),
    epsilon: num('epsilon', values.epsilon),
    delta: num('delta', values.delta),
  };
  for (const [k, v] of Object.entries(flags))
    if (v !== undefined) workload = { ...workload, [k]: v };
  const quick = values.quick ?? false;
  // fail on a bad workload before measuring anything
  validateWorkload({ ...defaultWorkload(quick), ...workload });
  let results = await runBench({
    quick,
    ...(positionals.length > 0 ? { parts: own as BenchPart[] } : {}),
    workload,
    command:
      `${extension === undefined ? 'privagg bench' : 'npm run bench --'} ${argv.join(' ')}`.trim(),
    log,
  });
  if (extension !== undefined && extra.length > 0) {
    const t0 = performance.now();
    const more = await extension.run(extra, results, quick);
    const { metrics: _, ...rest } = more;
    results = {
      ...rest,
      seconds: results.seconds + (performance.now() - t0) / 1000,
      metrics: collectMetrics(rest),
    };
  }
  log(`\n${results.peers.note}`);
  const out = writeOutputs(values.out ?? 'privagg-bench', results);
  log(`wrote ${out.json} and ${out.html} (${results.seconds.toFixed(1)} s)`);
  return 0;
}
