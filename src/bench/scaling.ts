/**
 * Scaling curves: round time and bytes per client as the cohort grows and as the dimension
 * grows, with the growth exponent fitted in log-log beside the theory's.
 * @module
 * @internal
 */
import type { PlanDescription } from '../aggregate/plan.ts';
import { planAggregation } from '../aggregate/plan.ts';
import { fitPowerLaw, type PowerFit, type Stat, summarize } from './stats.ts';
import { PROTECTIONS, workloadConfig, workloadVectors } from './workload.ts';

/**
 * One measured point of a curve.
 * @internal
 */
export interface ScalingPoint {
  /** Clients or dimension. */
  readonly x: number;
  /** Seconds of one round (clients and server together). */
  readonly seconds: Stat;
  /** Bytes one client uploads, from describe(). */
  readonly bytesPerClient: number;
  /** SecAgg(+): neighbours per client. */
  readonly neighbors?: number;
}

/**
 * One curve with its fits.
 * @internal
 */
export interface ScalingSeries {
  /** Stable id, e.g. `clients:secagg+`. */
  readonly id: string;
  /** What grows. */
  readonly axis: 'clients' | 'dimension';
  /** Protection label. */
  readonly protection: string;
  /** The value held fixed (dimension for the clients axis, clients for the dimension axis). */
  readonly fixed: number;
  /** Dropout rate of every round. */
  readonly dropout: number;
  /** The measured points. */
  readonly points: readonly ScalingPoint[];
  /** Fit of median seconds against x. */
  readonly timeFit?: PowerFit;
  /** Fit of bytes per client against x. */
  readonly bytesFit?: PowerFit;
  /** The theory's cost model for time. */
  readonly timeTheory: string;
  /** The model's exponent over the same x range (k taken from the plans); absent below two points. */
  readonly timeTheoryExponent?: number;
  /** The theory's model for bytes. */
  readonly bytesTheory: string;
  /** Its asymptotic exponent. */
  readonly bytesTheoryExponent: number;
  /** Points that failed (x and reason). */
  readonly failures: readonly { x: number; reason: string }[];
}

interface SeriesSpec {
  readonly protection: string;
  readonly xs: readonly number[];
}

/**
 * The curves one run measures.
 * @internal
 */
export interface ScalingPlan {
  /** Dimension fixed on the clients axis. */
  readonly clientsAxisDimension: number;
  /** Clients fixed on the dimension axis. */
  readonly dimensionAxisClients: number;
  /** Series on the clients axis. */
  readonly clients: readonly SeriesSpec[];
  /** Series on the dimension axis. */
  readonly dimension: readonly SeriesSpec[];
}

/**
 * The default curves: quick (seconds) or full (minutes; 100 to 10,000 clients, 1e3 to 1e7
 * coordinates; SecAgg+ stops at 3,000 clients, SecAgg's complete graph and CKKS earlier still,
 * as their cost allows, so that the full suite stays within 30 minutes on a 2-core machine).
 * @internal
 */
export function scalingPlan(quick: boolean): ScalingPlan {
  if (quick)
    return {
      clientsAxisDimension: 100,
      dimensionAxisClients: 10,
      clients: [
        { protection: 'none', xs: [25, 50, 100, 200] },
        { protection: 'shamir 2/2 (additive)', xs: [25, 50, 100, 200] },
        { protection: 'secagg+', xs: [25, 50, 100] },
        { protection: 'secagg', xs: [20, 40, 60] },
      ],
      dimension: [
        { protection: 'none', xs: [1e3, 1e4, 1e5] },
        { protection: 'shamir 2/2 (additive)', xs: [1e3, 1e4, 1e5] },
        { protection: 'secagg+', xs: [1e3, 1e4, 1e5] },
        { protection: 'ckks', xs: [1e3, 1e4] },
      ],
    };
  return {
    clientsAxisDimension: 100,
    dimensionAxisClients: 10,
    clients: [
      { protection: 'none', xs: [100, 300, 1000, 3000, 10000] },
      { protection: 'shamir 2/2 (additive)', xs: [100, 300, 1000, 3000, 10000] },
      // 10,000 in-process SecAgg+ clients would take about 4 minutes of the suite's 30
      { protection: 'secagg+', xs: [100, 300, 1000, 3000] },
      { protection: 'secagg', xs: [50, 100, 200, 400] },
      { protection: 'ckks', xs: [100, 300, 1000] },
    ],
    dimension: [
      { protection: 'none', xs: [1e3, 1e4, 1e5, 1e6, 1e7] },
      { protection: 'shamir 2/2 (additive)', xs: [1e3, 1e4, 1e5, 1e6, 1e7] },
      { protection: 'secagg+', xs: [1e3, 1e4, 1e5, 1e6, 1e7] },
      { protection: 'ckks', xs: [1e3, 1e4, 1e5, 1e6] },
    ],
  };
}

/** The time model of a protection's round, as a function of the plan (for the theory exponent). */
function timeModel(label: string, d: PlanDescription): number {
  const n = d.clients.expected;
  const dim = d.protectedDimension;
  if (label === 'secagg' || label === 'secagg+') return n * (d.protection.neighbors ?? n - 1) * dim;
  if (label === 'ckks') return n * Math.ceil(dim / 4096);
  return n * dim;
}

function theoryText(axis: 'clients' | 'dimension', label: string): [string, string, number] {
  if (axis === 'dimension')
    return label === 'ckks'
      ? ['~ n ceil(d/4096) encryptions: d^1', '~ ceil(d/4096) ciphertexts: d^1', 1]
      : label.startsWith('secagg')
        ? ['~ n k d mask words: d^1', '~ d + k: d^1', 1]
        : ['~ n d: d^1', '~ d: d^1', 1];
  switch (label) {
    case 'secagg':
      return ['~ n^2 d (n - 1 pair masks and key agreements per client)', '~ d + n: n^1', 1];
    case 'secagg+':
      return [
        '~ n k d, k = O(log n) neighbours (server: dropped x k x d)',
        '~ d + k: O(log n), exponent 0',
        0,
      ];
    case 'ckks':
      return ['~ n ceil(d/4096) encryptions: n^1', 'constant in n', 0];
    default:
      return ['~ n d: n^1', 'constant in n', 0];
  }
}

/**
 * Options of {@link runScaling}.
 * @internal
 */
export interface ScalingOptions {
  /** Timed rounds per point (a point slower than `slowSeconds` is run once). */
  readonly repeats: number;
  /** A first sample above this many seconds stops the repeats of that point. @defaultValue 5 */
  readonly slowSeconds?: number;
  /** Dropout rate. @defaultValue 0.05 */
  readonly dropout?: number;
  /**
   * A point whose predicted time (the last point's time extrapolated with the exponent fitted so
   * far, or linearly after one point) exceeds this many seconds is skipped and recorded as such,
   * so a loaded or slow machine still finishes. @defaultValue Infinity
   */
  readonly pointBudgetSeconds?: number;
  /** Progress lines. */
  readonly progress: (line: string) => void;
}

/**
 * Measure one axis of the scaling plan.
 * @param axis - clients or dimension
 * @param plan - the curves
 * @param options - repeats and progress
 * @returns one series per protection, with fits
 * @internal
 */
export async function runScaling(
  axis: 'clients' | 'dimension',
  plan: ScalingPlan,
  options: ScalingOptions,
): Promise<ScalingSeries[]> {
  const dropout = options.dropout ?? 0.05;
  const slow = options.slowSeconds ?? 5;
  const budget = options.pointBudgetSeconds ?? Number.POSITIVE_INFINITY;
  const specs = axis === 'clients' ? plan.clients : plan.dimension;
  const fixed = axis === 'clients' ? plan.clientsAxisDimension : plan.dimensionAxisClients;
  const out: ScalingSeries[] = [];
  const totalPoints = specs.reduce((a, s) => a + s.xs.length, 0);
  let done = 0;
  for (const spec of specs) {
    const prot = PROTECTIONS.find((p) => p.label === spec.protection);
    if (prot === undefined) throw new RangeError(`unknown protection ${spec.protection}`);
    const points: ScalingPoint[] = [];
    const models: number[] = [];
    const failures: { x: number; reason: string }[] = [];
    let warmed = false;
    for (const x of spec.xs) {
      done++;
      const clients = axis === 'clients' ? x : fixed;
      const dimension = axis === 'clients' ? fixed : x;
      const w = { clients, dimension, dropout, epsilon: 1, delta: 1e-6, clip: 1 };
      const config = workloadConfig(w, prot.config(dropout), 'none');
      const last = points.at(-1);
      if (last !== undefined) {
        const k =
          points.length >= 2
            ? fitPowerLaw(
                points.map((p) => p.x),
                points.map((p) => p.seconds.median),
              ).exponent
            : 1;
        const predicted = last.seconds.median * (x / last.x) ** Math.max(k, 1);
        if (predicted > budget) {
          const reason = `skipped: predicted ${predicted.toFixed(0)} s, over the ${budget} s per-point budget`;
          failures.push({ x, reason });
          options.progress(
            `[${done}/${totalPoints}] ${axis} ${spec.protection} x = ${x}: ${reason}`,
          );
          continue;
        }
      }
      try {
        const description = planAggregation(config).describe();
        const vectors = workloadVectors(clients, dimension, 1);
        const dropped = Math.round(dropout * clients);
        const dropouts = Array.from({ length: dropped }, (_, i) => i);
        const run = async () => {
          const t0 = performance.now();
          await planAggregation(config).simulate(vectors, { dropouts });
          return (performance.now() - t0) / 1000;
        };
        if (!warmed) {
          await run();
          warmed = true;
        }
        const samples = [await run()];
        while (samples.length < options.repeats && (samples[0] as number) < slow)
          samples.push(await run());
        const seconds = summarize(samples);
        points.push({
          x,
          seconds,
          bytesPerClient: description.bytesPerClient,
          ...(description.protection.neighbors === undefined ||
          !spec.protection.startsWith('secagg')
            ? {}
            : { neighbors: description.protection.neighbors }),
        });
        models.push(timeModel(spec.protection, description));
        options.progress(
          `[${done}/${totalPoints}] ${axis} ${spec.protection} x = ${x}: ${seconds.median.toFixed(3)} s (${samples.length} run${samples.length > 1 ? 's' : ''})`,
        );
      } catch (e) {
        const reason = (e as Error).message;
        failures.push({ x, reason });
        options.progress(
          `[${done}/${totalPoints}] ${axis} ${spec.protection} x = ${x}: FAILED (${reason})`,
        );
      }
    }
    const xs = points.map((p) => p.x);
    const [timeTheory, bytesTheory, bytesTheoryExponent] = theoryText(axis, spec.protection);
    const fits = xs.length >= 2;
    out.push({
      id: `${axis}:${spec.protection}`,
      axis,
      protection: spec.protection,
      fixed,
      dropout,
      points,
      ...(fits
        ? {
            timeFit: fitPowerLaw(
              xs,
              points.map((p) => p.seconds.median),
            ),
            bytesFit: fitPowerLaw(
              xs,
              points.map((p) => p.bytesPerClient),
            ),
          }
        : {}),
      timeTheory,
      ...(fits ? { timeTheoryExponent: fitPowerLaw(xs, models).exponent } : {}),
      bytesTheory,
      bytesTheoryExponent,
      failures,
    });
  }
  return out;
}
