/**
 * Round parameters of secure aggregation: plan-time validation (ring overflow, threshold
 * safety), the SecAgg+ parameter finder of Bell et al. 2020, and the public plan object.
 * @module
 */
import {
  aInteger,
  aNumberInRange,
  aOptions,
  aBytes,
  drawBytes,
  PrivaggError,
  type Rng,
  randomBytes,
} from '../core/index.ts';
import { orDefault } from './stages.ts';

/**
 * Which server the round is secure against. `'semi-honest'`: an honest-but-curious server
 * (Bonawitz et al. 2017, section 4); `'malicious'`: a server that may lie about who dropped,
 * countered by Ed25519-signed key advertisements and the consistency-check round.
 * @since 0.1.0
 * @public
 */
export type SecAggTier = 'semi-honest' | 'malicious';

/** Ring sizes: narrow (`Uint32Array`) up to 32 bits, wide (two words per element) up to 62. */
export const MAX_MODULUS_BITS: number = 62;
/** Largest cohort one round accepts (client ids are u32 on the wire; this bounds the work). */
export const MAX_CLIENTS: number = 1_000_000;
/** Largest vector length one round accepts (2^28 coordinates: 1 GiB of words). */
export const MAX_DIMENSION: number = 2 ** 28;

/**
 * Options of {@link planSecAgg}.
 * @since 0.1.0
 * @public
 */
export interface SecAggPlanOptions {
  /** Number of clients invited to the round (ids `0 .. clients - 1`). */
  clients: number;
  /** Length of every input vector. */
  dimension: number;
  /** The ring is Z_{2^modulusBits}, 1 to 62 bits. @defaultValue 32 */
  modulusBits?: number;
  /**
   * Largest value of any input coordinate (inputs lie in `[0, maxInputValue]`). The plan refuses
   * with `OVERFLOW` when `clients * maxInputValue` does not fit the ring.
   * @defaultValue the largest value that cannot wrap: `floor((2^modulusBits - 1) / clients)`, at most 2^32 - 1
   */
  maxInputValue?: number;
  /** Shamir threshold t: a number, or `'auto'` (parameter finder / smallest safe value). @defaultValue `'auto'` */
  threshold?: number | 'auto';
  /** Graph degree k: a number (SecAgg+ on a random Harary graph), `'all'` (original SecAgg) or `'auto'`. @defaultValue `'auto'` */
  neighbors?: number | 'all' | 'auto';
  /** @defaultValue `'semi-honest'` */
  tier?: SecAggTier;
  /** Expected fraction of clients that drop out, in [0, 1). @defaultValue 0.1 */
  dropoutRate?: number;
  /** Bound on the fraction of clients that collude with the server, in [0, 1). @defaultValue 0.05 */
  corruptFraction?: number;
  /** Statistical security in bits for the graph and threshold. @defaultValue 40 */
  securityBits?: number;
  /** Failure probability of the round is at most 2^-correctnessBits. @defaultValue 20 */
  correctnessBits?: number;
  /** 16-byte public round identifier bound into the session id. @defaultValue 16 random bytes from `rng` */
  roundId?: Uint8Array;
  /** Randomness for the round id. @defaultValue {@link randomBytes} */
  rng?: Rng;
}

/**
 * A validated, frozen round description shared by the server and every client.
 * @since 0.1.0
 * @public
 */
export interface SecAggPlan {
  /** Invited clients (ids `0 .. clients - 1`). */
  readonly clients: number;
  /** Vector length. */
  readonly dimension: number;
  /** Ring bits k of Z_{2^k}. */
  readonly modulusBits: number;
  /** Inputs lie in `[0, maxInputValue]`. */
  readonly maxInputValue: number;
  /** Shamir threshold t. */
  readonly threshold: number;
  /** Graph degree k (`clients - 1` for the complete graph). */
  readonly neighbors: number;
  /** Whether every client is a neighbour of every other (original SecAgg). */
  readonly complete: boolean;
  /** Threat tier. */
  readonly tier: SecAggTier;
  /** Expected dropout fraction the plan was checked against. */
  readonly dropoutRate: number;
  /** Corruption bound the plan was checked against. */
  readonly corruptFraction: number;
  /** Statistical security bits. */
  readonly securityBits: number;
  /** Correctness bits. */
  readonly correctnessBits: number;
  /** 16-byte public round identifier. */
  readonly roundId: Uint8Array;
}

const PLAN_KEYS = [
  'clients',
  'dimension',
  'modulusBits',
  'maxInputValue',
  'threshold',
  'neighbors',
  'tier',
  'dropoutRate',
  'corruptFraction',
  'securityBits',
  'correctnessBits',
  'roundId',
  'rng',
] as const;

// ---------------------------------------------------------------------------------------------
// hypergeometric tails for the parameter finder (log-factorials, exact sums)

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  while (logFactorials.length <= n)
    logFactorials.push((logFactorials.at(-1) as number) + Math.log(logFactorials.length));
  return logFactorials[n] as number;
}
function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}
/** P[X = x] for X ~ Hypergeometric(population, successes, draws). */
function hyperPmf(population: number, successes: number, draws: number, x: number): number {
  return Math.exp(
    logChoose(successes, x) +
      logChoose(population - successes, draws - x) -
      logChoose(population, draws),
  );
}

/** Adding this stops float rounding from moving a bound in the insecure direction (as fcp does). */
const SMALL = 1e-14;

interface ThresholdBounds {
  /** Log-probability bound that dropouts plus corrupt clients disconnect the honest survivors. */
  logDisconnect: number;
  /** t must exceed this (corrupt neighbours stay at most `low`, tier adjusted). */
  low: number;
  /** t must be at most this (enough neighbours survive). */
  high: number;
}

/**
 * Bounds on t for a random Harary graph of degree k over n nodes, after Bell et al. 2020
 * (section 3 and appendix) in the form of google-parfait/federated-compute
 * `fcp/secagg/server/graph_parameter_finder.cc`: the honest survivors stay connected, no client
 * has t corrupt neighbours, and every client keeps t surviving neighbours, each except with
 * probability 2^-security / n (resp. 2^-correctness / n).
 */
function hararyBounds(
  n: number,
  k: number,
  corruptFraction: number,
  dropoutRate: number,
  tier: SecAggTier,
  securityBits: number,
  correctnessBits: number,
): ThresholdBounds {
  const corrupt = Math.floor((corruptFraction + SMALL) * n);
  const dropped = Math.floor((dropoutRate + SMALL) * n);
  const bad = corrupt + dropped;
  const logDisconnect =
    k > bad
      ? Number.NEGATIVE_INFINITY
      : Math.log(n) +
        Math.log(n - k - 1) -
        Math.log(2) +
        logFactorial(bad) +
        logFactorial(n - k) -
        logFactorial(n) -
        logFactorial(bad - k);
  const perEvent = 2 ** -(securityBits + 1) / n;
  // low: smallest x with P[corrupt neighbours > x] <= perEvent (upper tails summed from the top,
  // never as 1 - CDF, which cannot resolve probabilities near 2^-40)
  let low = k;
  let upper = 0; // P[X > x] for the current x
  for (let x = k; x >= 0; x--) {
    if (upper > perEvent) break;
    low = x;
    upper += hyperPmf(n, corrupt, k, x);
  }
  if (tier === 'malicious') low = Math.ceil((low + k - 1.25) / 2);
  // high: largest x with P[surviving neighbours < x] <= 2^-correctness / n
  const survivors = Math.ceil((1 - dropoutRate - SMALL) * n);
  const failure = 2 ** -correctnessBits / n;
  let high = 0;
  let cdf = 0;
  for (let x = 0; x <= k; x++) {
    const p = hyperPmf(n, survivors, k, x);
    if (cdf + p > failure) {
      high = x;
      break;
    }
    cdf += p;
    high = x + 1;
  }
  return { logDisconnect, low, high };
}

function checkRates(dropoutRate: number, corruptFraction: number, tier: SecAggTier): void {
  aNumberInRange('dropoutRate', dropoutRate, 0, 1, { max: true });
  aNumberInRange('corruptFraction', corruptFraction, 0, 1, { max: true });
  const limit =
    tier === 'malicious' ? corruptFraction + 2 * dropoutRate : corruptFraction + dropoutRate;
  if (limit > 0.9)
    throw new PrivaggError(
      'INVALID_PARAMETER',
      tier === 'malicious'
        ? `corruptFraction + 2 * dropoutRate must be <= 0.9 in the malicious tier, got ${limit}`
        : `corruptFraction + dropoutRate must be <= 0.9, got ${limit}`,
    );
}

/**
 * Options of {@link findSecAggPlusParameters}.
 * @since 0.1.0
 * @public
 */
export interface SecAggPlusFinderOptions {
  /** Number of clients n (at least 2). */
  clients: number;
  /** Expected dropout fraction in [0, 1). */
  dropoutRate: number;
  /** Bound on the corrupt-client fraction in [0, 1). */
  corruptFraction: number;
  /** @defaultValue `'semi-honest'` */
  tier?: SecAggTier;
  /** @defaultValue 40 */
  securityBits?: number;
  /** @defaultValue 20 */
  correctnessBits?: number;
}

/**
 * What {@link findSecAggPlusParameters} returns.
 * @since 0.1.0
 * @public
 */
export interface SecAggPlusParameters {
  /** Graph degree k (even; `clients - 1` for the complete graph). */
  readonly neighbors: number;
  /** Shamir threshold t. */
  readonly threshold: number;
  /** Whether no sparse graph met the requirements and the complete graph is returned. */
  readonly complete: boolean;
}

/**
 * The SecAgg+ parameter finder (Bell et al. 2020): the smallest even degree k of a random Harary
 * graph, and a threshold t, such that except with probability 2^-securityBits the honest
 * surviving clients stay connected and no client has t corrupt neighbours, and except with
 * probability 2^-correctnessBits every client keeps t surviving neighbours. When no sparse
 * graph works, the complete graph (original SecAgg) is returned with the smallest safe t.
 *
 * @param options - cohort size, dropout rate, corruption bound, tier and security levels
 * @returns `{ neighbors, threshold, complete }`
 * @throws {@link !TypeError} for wrong option types or unknown options
 * @throws {@link !RangeError} for out-of-range rates, sizes or bit counts
 * @throws {@link index.PrivaggError} `INVALID_PARAMETER` when no graph and threshold meet the requirements
 * @example
 * ```ts
 * import { findSecAggPlusParameters } from 'privagg/secagg';
 * const p = findSecAggPlusParameters({ clients: 1000, dropoutRate: 0.05, corruptFraction: 0.05 });
 * console.log(p.neighbors < 1000 && p.threshold <= p.neighbors); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function findSecAggPlusParameters(options: SecAggPlusFinderOptions): SecAggPlusParameters {
  aOptions('options', options, [
    'clients',
    'dropoutRate',
    'corruptFraction',
    'tier',
    'securityBits',
    'correctnessBits',
  ]);
  const n = options.clients;
  aInteger('clients', n, 2, MAX_CLIENTS);
  const tier = orDefault(options.tier, 'semi-honest');
  aTier(tier);
  const securityBits = orDefault(options.securityBits, 40);
  const correctnessBits = orDefault(options.correctnessBits, 20);
  aInteger('securityBits', securityBits, 1, 256);
  aInteger('correctnessBits', correctnessBits, 1, 256);
  checkRates(options.dropoutRate, options.corruptFraction, tier);
  const logTarget = -(securityBits + 1) * Math.log(2);
  for (let k = 2; k < n - 1; k += 2) {
    const b = hararyBounds(
      n,
      k,
      options.corruptFraction,
      options.dropoutRate,
      tier,
      securityBits,
      correctnessBits,
    );
    if (b.logDisconnect >= logTarget) continue;
    const t = Math.max(b.low + 1, 2);
    if (t <= b.high && t <= k) return { neighbors: k, threshold: t, complete: false };
  }
  const t = completeThreshold(n, options.corruptFraction, tier);
  const survivors = Math.floor((1 - options.dropoutRate + SMALL) * n);
  if (t > survivors)
    throw new PrivaggError(
      'INVALID_PARAMETER',
      `no graph degree and threshold meet the requirements for ${n} clients`,
    );
  return { neighbors: n - 1, threshold: t, complete: true };
}

/** Smallest safe t on the complete graph: t > corrupt (semi-honest), 2t > n + corrupt (malicious). */
function completeThreshold(n: number, corruptFraction: number, tier: SecAggTier): number {
  const corrupt = Math.floor((corruptFraction + SMALL) * n);
  const t = tier === 'malicious' ? Math.floor((n + corrupt) / 2) + 1 : corrupt + 1;
  return Math.max(t, 2);
}

function aTier(tier: unknown): asserts tier is SecAggTier {
  if (tier !== 'semi-honest' && tier !== 'malicious')
    throw new RangeError(`"tier" expected 'semi-honest' or 'malicious', got ${String(tier)}`);
}

/**
 * Plan a secure-aggregation round: resolve `'auto'` parameters and refuse, before any client
 * runs, every combination that can silently destroy the result. `OVERFLOW` when
 * `clients * maxInputValue` can wrap the ring; `INVALID_PARAMETER` when the threshold is unsafe
 * for the corruption bound (too small) or the dropout rate (too large to be met).
 *
 * @param options - see {@link SecAggPlanOptions}
 * @returns a frozen {@link SecAggPlan}
 * @throws {@link !TypeError} for wrong option types or unknown options
 * @throws {@link !RangeError} for out-of-range sizes, bits or rates
 * @throws {@link index.PrivaggError} `OVERFLOW` when the sum can wrap the ring, `INVALID_PARAMETER`
 *   for an unsafe threshold or an infeasible graph
 * @example
 * ```ts
 * import { planSecAgg } from 'privagg/secagg';
 * const plan = planSecAgg({ clients: 100, dimension: 10, modulusBits: 32, maxInputValue: 65535, neighbors: 'all' });
 * console.log(plan.neighbors, plan.threshold); // 99 6
 * try {
 *   planSecAgg({ clients: 100, dimension: 10, modulusBits: 16, maxInputValue: 1000 });
 * } catch (e) {
 *   console.log(e.code); // OVERFLOW
 * }
 * ```
 * @since 0.1.0
 * @public
 */
export function planSecAgg(options: SecAggPlanOptions): SecAggPlan {
  aOptions('options', options, PLAN_KEYS);
  const n = options.clients;
  aInteger('clients', n, 2, MAX_CLIENTS);
  aInteger('dimension', options.dimension, 1, MAX_DIMENSION);
  const modulusBits = orDefault(options.modulusBits, 32);
  aInteger('modulusBits', modulusBits, 1, MAX_MODULUS_BITS);
  const tier = orDefault(options.tier, 'semi-honest');
  aTier(tier);
  const dropoutRate = orDefault(options.dropoutRate, 0.1);
  const corruptFraction = orDefault(options.corruptFraction, 0.05);
  checkRates(dropoutRate, corruptFraction, tier);
  const securityBits = orDefault(options.securityBits, 40);
  const correctnessBits = orDefault(options.correctnessBits, 20);
  aInteger('securityBits', securityBits, 1, 256);
  aInteger('correctnessBits', correctnessBits, 1, 256);
  const ringMax = 2 ** modulusBits - 1;
  const maxInputValue = orDefault(
    options.maxInputValue,
    Math.min(Math.floor(ringMax / n), 2 ** 32 - 1),
  );
  aInteger('maxInputValue', maxInputValue, 0, 2 ** 32 - 1);
  // n * maxInputValue <= 2^62 - 1 < 2^53 * 2^9: compare exactly with bigints
  if (BigInt(n) * BigInt(maxInputValue) > BigInt(ringMax) || maxInputValue === 0)
    throw new PrivaggError(
      'OVERFLOW',
      maxInputValue === 0
        ? `${n} clients leave no room for inputs in a ${modulusBits}-bit ring`
        : `${n} clients x values up to ${maxInputValue} can wrap the ${modulusBits}-bit ring; raise modulusBits or lower maxInputValue`,
    );
  const neighborsOption = orDefault(options.neighbors, 'auto' as const);
  const thresholdOption = orDefault(options.threshold, 'auto' as const);
  let neighbors: number;
  let complete: boolean;
  let threshold: number;
  if (neighborsOption === 'auto') {
    const found = findSecAggPlusParameters({
      clients: n,
      dropoutRate,
      corruptFraction,
      tier,
      securityBits,
      correctnessBits,
    });
    neighbors = found.neighbors;
    complete = found.complete;
    threshold = thresholdOption === 'auto' ? found.threshold : thresholdOption;
  } else if (neighborsOption === 'all') {
    neighbors = n - 1;
    complete = true;
    threshold =
      thresholdOption === 'auto' ? completeThreshold(n, corruptFraction, tier) : thresholdOption;
  } else {
    aInteger('neighbors', neighborsOption, 2, n - 1);
    complete = neighborsOption >= n - 1;
    if (!complete && neighborsOption % 2 !== 0)
      throw new RangeError(`"neighbors" expected an even Harary degree, got ${neighborsOption}`);
    neighbors = neighborsOption;
    if (thresholdOption === 'auto') {
      const b = hararyBounds(
        n,
        neighbors,
        corruptFraction,
        dropoutRate,
        tier,
        securityBits,
        correctnessBits,
      );
      threshold = complete ? completeThreshold(n, corruptFraction, tier) : Math.max(b.low + 1, 2);
    } else threshold = thresholdOption;
  }
  aInteger('threshold', threshold, 1, n);
  checkThreshold(
    n,
    neighbors,
    complete,
    threshold,
    tier,
    dropoutRate,
    corruptFraction,
    securityBits,
    correctnessBits,
  );
  const roundId =
    options.roundId === undefined
      ? drawBytes(orDefault(options.rng, randomBytes), 16)
      : options.roundId;
  aBytes('roundId', roundId, 16);
  return Object.freeze({
    clients: n,
    dimension: options.dimension,
    modulusBits,
    maxInputValue,
    threshold,
    neighbors,
    complete,
    tier,
    dropoutRate,
    corruptFraction,
    securityBits,
    correctnessBits,
    roundId: roundId.slice(),
  });
}

function checkThreshold(
  n: number,
  neighbors: number,
  complete: boolean,
  t: number,
  tier: SecAggTier,
  dropoutRate: number,
  corruptFraction: number,
  securityBits: number,
  correctnessBits: number,
): void {
  const holders = complete ? n : neighbors + 1;
  if (t < 2 || t > holders)
    throw new PrivaggError(
      'INVALID_PARAMETER',
      `threshold ${t} must lie in [2, ${holders}] (the number of share holders per client)`,
    );
  if (complete) {
    const minimum = completeThreshold(n, corruptFraction, tier);
    if (t < minimum)
      throw new PrivaggError(
        'INVALID_PARAMETER',
        `threshold ${t} is unsafe: the ${tier} tier with corruptFraction ${corruptFraction} needs at least ${minimum} of ${n}`,
      );
    const survivors = Math.floor((1 - dropoutRate + SMALL) * n);
    if (t > survivors)
      throw new PrivaggError(
        'INVALID_PARAMETER',
        `threshold ${t} exceeds the ${survivors} clients expected to survive a dropout rate of ${dropoutRate}`,
      );
    return;
  }
  const b = hararyBounds(
    n,
    neighbors,
    corruptFraction,
    dropoutRate,
    tier,
    securityBits,
    correctnessBits,
  );
  if (b.logDisconnect >= -(securityBits + 1) * Math.log(2))
    throw new PrivaggError(
      'INVALID_PARAMETER',
      `degree ${neighbors} is too small: dropouts and corrupt clients can disconnect the graph`,
    );
  if (t <= b.low)
    throw new PrivaggError(
      'INVALID_PARAMETER',
      `threshold ${t} is unsafe: with degree ${neighbors} a client can have ${b.low} corrupt neighbours (${tier} tier)`,
    );
  if (t > b.high)
    throw new PrivaggError(
      'INVALID_PARAMETER',
      `threshold ${t} exceeds the ${b.high} neighbours expected to survive a dropout rate of ${dropoutRate}`,
    );
}
