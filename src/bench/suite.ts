/**
 * The benchmark suite behind `privagg bench`: limits, workload comparison and scaling curves,
 * collected into one results object (the shape of schema/bench-results.schema.json).
 * @module
 * @internal
 */
import { VERSION } from '../version.ts';
import { fmtBytes, fmtStat, formatTable, sig } from './format.ts';
import { type MachineInfo, machineInfo, measureLimits, type PrimitiveLimits } from './machine.ts';
import { runScaling, type ScalingSeries, scalingPlan } from './scaling.ts';
import type { PowerFit, Stat } from './stats.ts';
import { runWorkload, validateWorkload, type Workload, type WorkloadRow } from './workload.ts';

/**
 * The parts `privagg bench <part>` can run.
 * @internal
 */
export const BENCH_PARTS = ['limits', 'workload', 'scaling-clients', 'scaling-dimension'] as const;

/** @internal A part of the suite. */
export type BenchPart = (typeof BENCH_PARTS)[number];

/**
 * A peer comparison row (from the module suites of a source checkout).
 * @internal
 */
export interface PeerRow {
  /** Module suite it comes from. */
  readonly part: string;
  /** The work measured. */
  readonly work: string;
  /** The operation. */
  readonly op: string;
  /** The peer library. */
  readonly peer: string;
  /** privagg's time per operation, in milliseconds. */
  readonly privaggMs: number;
  /** The peer's time per operation, in milliseconds. */
  readonly peerMs: number;
  /** peerMs / privaggMs: above 1, privagg is faster. */
  readonly speedup: number;
}

/**
 * One comparable metric (what `--compare` reads).
 * @internal
 */
export interface Metric extends Omit<Stat, 'samples'> {
  /** Stable id, e.g. `workload:secagg+ / none:seconds`. */
  readonly id: string;
  /** Unit. */
  readonly unit: string;
  /** Which direction is better. */
  readonly better: 'lower' | 'higher';
}

/**
 * Everything one run produced.
 * @internal
 */
export interface BenchResults {
  /** Version of the results format. */
  readonly schemaVersion: 1;
  /** The tool and its version. */
  readonly tool: { readonly name: 'privagg'; readonly version: string };
  /** When the run started (ISO 8601). */
  readonly date: string;
  /** The command line that made it. */
  readonly command: string;
  /** Quick (CI) or full run. */
  readonly quick: boolean;
  /** Wall-clock seconds of the whole run. */
  readonly seconds: number;
  /** The parts that ran. */
  readonly parts: readonly string[];
  /** The machine. */
  readonly machine: MachineInfo;
  /** Raw primitive rates measured in this run. */
  readonly limits?: PrimitiveLimits;
  /** The workload comparison. */
  readonly workload?: {
    readonly input: Required<Workload>;
    readonly repeats: number;
    readonly note: string;
    readonly rows: readonly WorkloadRow[];
  };
  /** Scaling curves. */
  readonly scaling?: readonly ScalingSeries[];
  /** Peer comparisons. */
  readonly peers: {
    readonly installed: boolean;
    readonly note: string;
    readonly rows: readonly PeerRow[];
  };
  /** Module micro-suites' own outputs (source checkout only). */
  readonly modules?: Readonly<
    Record<string, { readonly seconds: number; readonly output: unknown }>
  >;
  /** Flat list of comparable metrics. */
  readonly metrics: readonly Metric[];
}

/**
 * Options of {@link runBench}.
 * @internal
 */
export interface BenchOptions {
  /** CI-sized run (about a minute). */
  readonly quick: boolean;
  /** Parts to run. @defaultValue all */
  readonly parts?: readonly BenchPart[];
  /** Overrides of the default workload. */
  readonly workload?: Partial<Workload>;
  /** The command line, recorded in the results. */
  readonly command: string;
  /** Progress lines and tables. */
  readonly log: (line: string) => void;
}

/**
 * The default workload: quick 30 clients x 1,000, full 100 clients x 10,000; 10% dropout;
 * epsilon 1, delta 1e-6; L2 clip 1.
 * @internal
 */
export function defaultWorkload(quick: boolean): Required<Workload> {
  return quick
    ? { clients: 30, dimension: 1000, dropout: 0.1, epsilon: 1, delta: 1e-6, clip: 1 }
    : { clients: 100, dimension: 10_000, dropout: 0.1, epsilon: 1, delta: 1e-6, clip: 1 };
}

const NOTE =
  "round s is the whole simulated round; client s is one client's work (clip, encode, noise, share, mask or encrypt) and server s the server's (sum, unmask, decrypt, decode; helpers and key holders count as the server), each timed on its own because plan.simulate() runs the clients one after the other (roleSeconds). Error is of the mean against the plaintext mean of the participants (clipping, quantization, noise, CKKS); predicted is describe().expectedError.meanStd (no clipping term).";

function statMetric(id: string, unit: string, better: 'lower' | 'higher', s: Stat): Metric {
  return { id, unit, better, median: s.median, q1: s.q1, q3: s.q3, min: s.min, max: s.max, n: s.n };
}

function exact(id: string, unit: string, better: 'lower' | 'higher', v: number): Metric {
  return { id, unit, better, median: v, q1: v, q3: v, min: v, max: v, n: 1 };
}

/**
 * The flat metric list of a results object.
 * @param r - results without metrics
 * @returns metrics for `--compare`
 * @internal
 */
export function collectMetrics(r: Omit<BenchResults, 'metrics'>): Metric[] {
  const m: Metric[] = [];
  if (r.limits)
    for (const [k, s] of Object.entries(r.limits))
      m.push(
        statMetric(
          `limits:${k}`,
          k.endsWith('BytesPerSecond') ? 'B/s' : '1/s',
          'higher',
          s as Stat,
        ),
      );
  for (const row of r.workload?.rows ?? []) {
    if (row.status !== 'ok') continue;
    if (row.totalSeconds)
      m.push(statMetric(`workload:${row.label}:seconds`, 's', 'lower', row.totalSeconds));
    if (row.clientSeconds)
      m.push(statMetric(`workload:${row.label}:clientSeconds`, 's', 'lower', row.clientSeconds));
    if (row.serverSeconds)
      m.push(statMetric(`workload:${row.label}:serverSeconds`, 's', 'lower', row.serverSeconds));
    if (row.errorRmse)
      m.push(statMetric(`workload:${row.label}:rmse`, '1', 'lower', row.errorRmse));
    if (row.bytesPerClient !== undefined)
      m.push(exact(`workload:${row.label}:bytesPerClient`, 'B', 'lower', row.bytesPerClient));
  }
  for (const s of r.scaling ?? [])
    for (const p of s.points) {
      m.push(statMetric(`scaling:${s.id}:${p.x}:seconds`, 's', 'lower', p.seconds));
      m.push(exact(`scaling:${s.id}:${p.x}:bytesPerClient`, 'B', 'lower', p.bytesPerClient));
    }
  for (const p of r.peers.rows)
    m.push(exact(`peers:${p.part}:${p.work}:${p.op}:${p.peer}:speedup`, 'x', 'higher', p.speedup));
  return m;
}

function printWorkload(rows: readonly WorkloadRow[], log: (l: string) => void): void {
  log(
    formatTable(
      [
        'protection / privacy',
        'round s (median [IQR])',
        'client s',
        'server s',
        'bytes/client',
        'RMSE mean',
        'predicted',
        'max abs',
        'eps',
        'x limit',
      ],
      rows.map((r) =>
        r.status === 'ok'
          ? [
              r.label,
              r.totalSeconds ? fmtStat(r.totalSeconds) : '-',
              r.clientSeconds ? sig(r.clientSeconds.median) : '-',
              r.serverSeconds ? sig(r.serverSeconds.median) : '-',
              fmtBytes(r.bytesPerClient ?? 0),
              r.errorRmse ? sig(r.errorRmse.median) : '-',
              sig(r.predictedRmse ?? 0),
              r.errorMaxAbs ? sig(r.errorMaxAbs.median) : '-',
              r.epsilon === undefined || !Number.isFinite(r.epsilon) ? '-' : sig(r.epsilon),
              r.ratioToLimit === undefined ? '-' : `${sig(r.ratioToLimit)}x`,
            ]
          : [r.label, r.status, '', '', '', '', '', '', '', ''],
      ),
    ),
  );
}

function fitText(f: PowerFit | undefined): string {
  return f === undefined ? '-' : `${f.exponent.toFixed(2)} (r2 ${f.r2.toFixed(2)})`;
}

function printScaling(series: readonly ScalingSeries[], log: (l: string) => void): void {
  log(
    formatTable(
      ['curve', 'points', 'time exponent', 'theory', 'theory model', 'bytes exponent', 'theory'],
      series.map((s) => [
        s.id,
        s.points.map((p) => `${sig(p.x)}:${sig(p.seconds.median)}s`).join(' '),
        fitText(s.timeFit),
        s.timeTheoryExponent === undefined ? '-' : s.timeTheoryExponent.toFixed(2),
        s.timeTheory,
        fitText(s.bytesFit),
        `${s.bytesTheoryExponent} (${s.bytesTheory})`,
      ]),
    ),
  );
}

/**
 * Run the suite.
 * @param options - quick, parts, workload, command, log
 * @returns the results (metrics included; peers empty: the module suites add them)
 * @internal
 */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const start = performance.now();
  const date = new Date().toISOString();
  const parts = options.parts ?? BENCH_PARTS;
  const log = options.log;
  const workload = validateWorkload({ ...defaultWorkload(options.quick), ...options.workload });
  const machine = await machineInfo();
  log(
    `privagg ${VERSION} bench${options.quick ? ' --quick' : ''} on ${machine.cpu} x${machine.cores}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}; kernels: ${machine.kernelBackend}; load ${machine.loadAverage.join(' ')}`,
  );
  // the limits are needed by the workload's ratios, so they run whenever the workload does
  let limits: PrimitiveLimits | undefined;
  if (parts.includes('limits') || parts.includes('workload')) {
    log('\n== limits: raw primitives on this machine ==');
    limits = measureLimits(options.quick ? 3 : 5, options.quick ? 80 : 200);
    log(
      formatTable(
        ['primitive', 'rate (median [IQR])'],
        [
          ['AES-256-CTR keystream, B/s', fmtStat(limits.aesCtrBytesPerSecond)],
          ['CSPRNG, B/s', fmtStat(limits.csprngBytesPerSecond)],
          ['X25519 agreements/s', fmtStat(limits.x25519PerSecond)],
          ['float64 additions/s', fmtStat(limits.floatAddsPerSecond)],
        ],
      ),
    );
  }
  let workloadOut: BenchResults['workload'];
  if (parts.includes('workload') && limits !== undefined) {
    const repeats = options.quick ? 3 : 5;
    log(
      `\n== workload: ${workload.clients} clients x ${workload.dimension}, dropout ${workload.dropout}, epsilon ${workload.epsilon}, delta ${workload.delta}, L2 clip ${workload.clip}; ${repeats} rounds each ==`,
    );
    const rows = await runWorkload(workload, { repeats, limits, progress: log });
    log('');
    printWorkload(rows, log);
    log(`note: ${NOTE}`);
    workloadOut = { input: workload, repeats, note: NOTE, rows };
  }
  const scaling: ScalingSeries[] = [];
  const plan = scalingPlan(options.quick);
  for (const axis of ['clients', 'dimension'] as const) {
    if (!parts.includes(`scaling-${axis}`)) continue;
    log(
      `\n== scaling: ${axis} (${axis === 'clients' ? `dimension ${plan.clientsAxisDimension}` : `${plan.dimensionAxisClients} clients`}, 5% dropout, no DP) ==`,
    );
    const series = await runScaling(axis, plan, {
      repeats: options.quick ? 2 : 3,
      pointBudgetSeconds: options.quick ? 60 : 240,
      progress: log,
    });
    log('');
    printScaling(series, log);
    scaling.push(...series);
  }
  const partial: Omit<BenchResults, 'metrics'> = {
    schemaVersion: 1,
    tool: { name: 'privagg', version: VERSION },
    date,
    command: options.command,
    quick: options.quick,
    seconds: (performance.now() - start) / 1000,
    parts: [...parts],
    machine,
    ...(limits === undefined ? {} : { limits }),
    ...(workloadOut === undefined ? {} : { workload: workloadOut }),
    ...(scaling.length === 0 ? {} : { scaling }),
    peers: {
      installed: false,
      note: 'peer libraries are compared by the module suites of a source checkout (npm run bench, peers in benchmarks/thirdparty); not part of the installed CLI',
      rows: [],
    },
  };
  return { ...partial, metrics: collectMetrics(partial) };
}
