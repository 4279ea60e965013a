/**
 * Statistics for benchmarks: medians with their spread over repeated runs, and least-squares
 * power-law fits in log-log space.
 * @module
 * @internal
 */

/**
 * A repeated measurement: median, quartiles and range of its samples.
 * @internal
 */
export interface Stat {
  /** Median of the samples. */
  readonly median: number;
  /** First quartile (linear interpolation between order statistics). */
  readonly q1: number;
  /** Third quartile. */
  readonly q3: number;
  /** Smallest sample. */
  readonly min: number;
  /** Largest sample. */
  readonly max: number;
  /** Number of samples. */
  readonly n: number;
  /** The samples in the order they were taken. */
  readonly samples: readonly number[];
}

function quantile(sorted: readonly number[], p: number): number {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Summarize repeated samples.
 * @param samples - at least one finite number
 * @returns median, quartiles, range and the samples
 * @throws {@link !RangeError} when there is no sample or a sample is not finite
 * @internal
 */
export function summarize(samples: readonly number[]): Stat {
  if (samples.length === 0) throw new RangeError('"samples" expected at least one sample');
  for (const s of samples)
    if (!Number.isFinite(s)) throw new RangeError('"samples" expected finite numbers');
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0] as number,
    max: sorted.at(-1) as number,
    n: samples.length,
    samples: [...samples],
  };
}

/**
 * The relative spread of a measurement: its interquartile range over its median (0 for a single
 * sample or a zero median).
 * @param s - a summarized measurement
 * @returns (q3 - q1) / median
 * @internal
 */
export function relativeSpread(s: Stat): number {
  return s.median === 0 ? 0 : (s.q3 - s.q1) / Math.abs(s.median);
}

/**
 * A power law y = c * x^exponent fitted by least squares on (log x, log y).
 * @internal
 */
export interface PowerFit {
  /** The fitted growth exponent (the slope in log-log). */
  readonly exponent: number;
  /** c in y = c * x^exponent. */
  readonly coefficient: number;
  /** Coefficient of determination of the log-log fit (1 when the points are collinear). */
  readonly r2: number;
  /** Number of points fitted. */
  readonly points: number;
}

/**
 * Fit y = c * x^k by ordinary least squares in log-log space.
 * @param xs - positive x values (at least two distinct)
 * @param ys - positive y values, as many as xs
 * @returns the exponent k, the coefficient c and r^2
 * @throws {@link !RangeError} for mismatched lengths, fewer than two distinct x, or a value that is not positive and finite
 * @internal
 */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerFit {
  if (xs.length !== ys.length)
    throw new RangeError(`"xs" and "ys" differ in length (${xs.length} vs ${ys.length})`);
  for (const v of [...xs, ...ys])
    if (!(Number.isFinite(v) && v > 0))
      throw new RangeError('power-law fit expected positive finite values');
  if (new Set(xs).size < 2) throw new RangeError('power-law fit needs two distinct x values');
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const m = lx.length;
  const mx = lx.reduce((a, b) => a + b, 0) / m;
  const my = ly.reduce((a, b) => a + b, 0) / m;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < m; i++) {
    const dx = (lx[i] as number) - mx;
    const dy = (ly[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const exponent = sxy / sxx;
  const intercept = my - exponent * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { exponent, coefficient: Math.exp(intercept), r2, points: m };
}

/**
 * Time an async function `repeats` times after one warm-up call.
 * @param fn - the work
 * @param repeats - timed runs (at least 1)
 * @param warmup - run once untimed first @defaultValue true
 * @returns seconds per run, summarized
 * @internal
 */
export async function timeRepeated(
  fn: () => unknown,
  repeats: number,
  warmup = true,
): Promise<Stat> {
  if (warmup) await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    samples.push((performance.now() - t0) / 1000);
  }
  return summarize(samples);
}
