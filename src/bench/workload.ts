/**
 * The workload comparison: every protection x privacy combination the private-aggregate API
 * supports, run on one (clients, dimension, dropout, privacy target), with time, bytes and the
 * error of the aggregate against the plaintext mean.
 * @module
 * @internal
 */
import { deterministicRngForTesting, drawWords } from '../core/index.ts';
import { aFinite, aInteger, aNumberInRange, aOptions } from '../core/index.ts';
import type { AggregationConfig, PrivacyConfig, ProtectionConfig } from '../aggregate/config.ts';
import { planAggregation, type PlanDescription } from '../aggregate/plan.ts';
import { createCkksContext } from '../he/index.ts';
import type { PrimitiveLimits } from './machine.ts';
import { type Stat, summarize, timeRepeated } from './stats.ts';

/**
 * A user's workload: cohort, vector length, dropout and privacy target.
 * @internal
 */
export interface Workload {
  /** Clients in the cohort. */
  readonly clients: number;
  /** Length of each client's vector. */
  readonly dimension: number;
  /** Fraction of the cohort that drops out (after sharing keys, before sending its input). */
  readonly dropout: number;
  /** Privacy target epsilon (one round). */
  readonly epsilon: number;
  /** Privacy target delta. */
  readonly delta: number;
  /** L2 clip bound of each client's vector. @defaultValue 1 */
  readonly clip?: number;
}

/** Keys a workload file may have. */
export const WORKLOAD_KEYS = [
  'clients',
  'dimension',
  'dropout',
  'epsilon',
  'delta',
  'clip',
] as const;

/**
 * Check a workload (from flags or a JSON file).
 * @param w - the workload
 * @returns the workload with defaults filled in
 * @throws {@link !TypeError} for an unknown key or a wrong type
 * @throws {@link !RangeError} for a value out of range
 * @internal
 */
export function validateWorkload(w: Workload): Required<Workload> {
  aOptions('workload', w, WORKLOAD_KEYS);
  aInteger('workload.clients', w.clients, 2, 1_000_000);
  aInteger('workload.dimension', w.dimension, 1, 2 ** 26);
  aNumberInRange('workload.dropout', w.dropout, 0, 0.9);
  aFinite('workload.epsilon', w.epsilon);
  if (!(w.epsilon > 0)) throw new RangeError(`"workload.epsilon" expected > 0, got ${w.epsilon}`);
  aNumberInRange('workload.delta', w.delta, 0, 1, { min: true, max: true });
  const clip = w.clip === undefined ? 1 : w.clip;
  aFinite('workload.clip', clip);
  if (!(clip > 0)) throw new RangeError(`"workload.clip" expected > 0, got ${clip}`);
  return { ...w, clip };
}

/**
 * One protection x privacy combination's outcome.
 * @internal
 */
export interface WorkloadRow {
  /** Short label, e.g. `secagg+ / distributed-dp`. */
  readonly label: string;
  /** The protection config used. */
  readonly protection: ProtectionConfig;
  /** The privacy kind. */
  readonly privacy: PrivacyConfig['kind'];
  /** `ok`, `unsupported` (the API refuses the combination) or `failed` (it threw while running). */
  readonly status: 'ok' | 'unsupported' | 'failed';
  /** Why it is unsupported or failed. */
  readonly reason?: string;
  /** Seconds of one simulated round (clients and server together). */
  readonly totalSeconds?: Stat;
  /**
   * Seconds of one client's work per round (clip, encode, noise, share, mask or encrypt), from
   * the round's `roleSeconds.perClient`: clients run one after the other in a simulation, so each
   * role is timed on its own. Null for rows that did not run.
   */
  readonly clientSeconds: Stat | null;
  /** Seconds of the server's work per round (sum, unmask, decrypt, decode), from `roleSeconds.server`. */
  readonly serverSeconds: Stat | null;
  /** Bytes one client uploads per round, from describe(). */
  readonly bytesPerClient?: number;
  /** Largest absolute error of the mean against the plaintext mean of the participants. */
  readonly errorMaxAbs?: Stat;
  /** Root-mean-square error of the mean per coordinate. */
  readonly errorRmse?: Stat;
  /** The plan's predicted standard deviation per coordinate of the mean (quantization and noise; not clipping). */
  readonly predictedRmse?: number;
  /** CKKS: the round's bound on |sum - exact| per coordinate from encryption and flooding (last run). */
  readonly encryptionErrorBound?: number;
  /** Clients whose vector was clipped (last run). */
  readonly clipped?: number;
  /** Clients whose input is in the sum (last run). */
  readonly participants?: number;
  /** Epsilon the plan delivers for one round (with the minimum cohort). */
  readonly epsilon?: number;
  /** Lower bound of the round's work at the primitives' raw rates on this machine, in seconds. */
  readonly limitSeconds?: number;
  /** What the limit counts. */
  readonly limitModel?: string;
  /** totalSeconds.median / limitSeconds. */
  readonly ratioToLimit?: number;
}

/**
 * The protections the comparison runs, in display order.
 * @internal
 */
export const PROTECTIONS: readonly {
  label: string;
  config: (dropout: number) => ProtectionConfig;
}[] = [
  { label: 'none', config: () => ({ kind: 'none' }) },
  {
    label: 'secagg',
    config: (dropout) => ({ kind: 'secagg', dropoutTolerance: dropout }),
  },
  {
    label: 'secagg+',
    config: (dropout) => ({ kind: 'secagg+', dropoutTolerance: dropout }),
  },
  { label: 'shamir 2/2 (additive)', config: () => ({ kind: 'shamir', servers: 2 }) },
  { label: 'shamir 3-of-5', config: () => ({ kind: 'shamir', servers: 5, threshold: 3 }) },
  { label: 'ckks', config: () => ({ kind: 'ckks' }) },
  {
    label: 'ckks 3-of-5 keys',
    config: () => ({ kind: 'ckks', keys: 'threshold', parties: 5, threshold: 3 }),
  },
];

/** @internal The privacy kinds, in display order. */
export const PRIVACIES: readonly PrivacyConfig['kind'][] = [
  'none',
  'central-dp',
  'distributed-dp',
  'local-dp',
];

/**
 * Clients' vectors: uniform coordinates in [-1, 1], scaled to an L2 norm uniform in
 * [0.25, 1.25] x clip, so about a fifth of the clients are clipped.
 * @internal
 */
export function workloadVectors(n: number, d: number, clip: number, seed = 1): Float64Array[] {
  const rng = deterministicRngForTesting(new Uint8Array(32).fill(seed));
  const norms = drawWords(rng, n);
  return Array.from({ length: n }, (_, i) => {
    const w = drawWords(rng, d);
    const x = Float64Array.from(w, (u) => (u / 2 ** 31 - 1) as number);
    let s = 0;
    for (const v of x) s += v * v;
    const target = clip * (0.25 + (norms[i] as number) / 2 ** 32);
    const f = s > 0 ? target / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) x[j] = (x[j] as number) * f;
    return x;
  });
}

/**
 * The configuration of one combination.
 * @internal
 */
export function workloadConfig(
  w: Required<Workload>,
  protection: ProtectionConfig,
  privacy: PrivacyConfig['kind'],
): AggregationConfig {
  const dropped = Math.round(w.dropout * w.clients);
  return {
    dimension: w.dimension,
    clients: { expected: w.clients, minimum: w.clients - dropped },
    clip: { l2: w.clip },
    protection,
    privacy:
      privacy === 'none' ? { kind: 'none' } : { kind: privacy, epsilon: w.epsilon, delta: w.delta },
  };
}

/** CKKS slots per ciphertext at N = 8192 (the plans' parameter set). */
const CKKS_SLOTS = 4096;

/**
 * Seconds per CKKS encryption (4096 slots, N = 8192) through privagg/he, the primitive a CKKS
 * round is made of.
 * @internal
 */
export async function measureCkksEncrypt(repeats: number): Promise<Stat> {
  using ctx = await createCkksContext('n8192');
  const keys = ctx.generateKeys();
  try {
    const v = new Float64Array(CKKS_SLOTS).fill(0.25);
    const s = await timeRepeated(() => ctx.encryptToBytes(v, keys.publicKey), repeats * 4);
    return s;
  } finally {
    keys.secretKey.dispose();
    keys.publicKey.dispose();
  }
}

/**
 * A lower bound of one round's work at the primitives' raw rates (DP noise sampling,
 * encoding, Shamir sharing of seeds and AES-GCM are not counted).
 * @internal
 */
export function roundLimit(
  d: PlanDescription,
  survivors: number,
  dropped: number,
  limits: PrimitiveLimits,
  ckksEncryptSeconds: number | undefined,
): { seconds: number; model: string } | undefined {
  const n = d.clients.expected;
  const dim = d.protectedDimension;
  const p = d.protection;
  switch (p.kind) {
    case 'none':
      return {
        seconds: (survivors * dim) / limits.floatAddsPerSecond.median,
        model: 'survivors x d float additions',
      };
    case 'secagg':
    case 'secagg+': {
      const k = p.neighbors ?? n - 1;
      const words = dim * (survivors * (k + 1) + survivors + dropped * k);
      const agreements = 2 * n * k + dropped * k;
      return {
        seconds:
          (4 * words) / limits.aesCtrBytesPerSecond.median +
          agreements / limits.x25519PerSecond.median,
        model:
          'AES-CTR mask words d x (s(k+1) + s + dropped k) and X25519 agreements 2nk + dropped k',
      };
    }
    case 'shamir': {
      const t = p.threshold ?? 2;
      const servers = p.neighbors ?? 2;
      const randomWords = survivors * dim * (t === servers ? servers - 1 : t - 1);
      return {
        seconds: (4 * randomWords) / limits.csprngBytesPerSecond.median,
        model: 'CSPRNG words for the shares: survivors x d x (t - 1)',
      };
    }
    case 'ckks':
      if (ckksEncryptSeconds === undefined) return undefined;
      return {
        seconds: survivors * Math.ceil(dim / CKKS_SLOTS) * ckksEncryptSeconds,
        model: 'survivors x ceil(d / 4096) CKKS encryptions (N = 8192)',
      };
  }
}

function errors(mean: Float64Array, exact: Float64Array): { maxAbs: number; rmse: number } {
  let maxAbs = 0;
  let sq = 0;
  for (let j = 0; j < exact.length; j++) {
    const e = Math.abs((mean[j] as number) - (exact[j] as number));
    if (e > maxAbs) maxAbs = e;
    sq += e * e;
  }
  return { maxAbs, rmse: Math.sqrt(sq / exact.length) };
}

/**
 * Options of {@link runWorkload}.
 * @internal
 */
export interface WorkloadOptions {
  /** Timed rounds per combination. */
  readonly repeats: number;
  /** Raw primitive rates measured in the same run. */
  readonly limits: PrimitiveLimits;
  /** Progress lines. */
  readonly progress: (line: string) => void;
}

/**
 * Run every combination on the workload.
 * @param workload - the workload
 * @param options - repeats, limits, progress
 * @returns one row per combination (unsupported ones say why)
 * @internal
 */
export async function runWorkload(
  workload: Workload,
  options: WorkloadOptions,
): Promise<WorkloadRow[]> {
  const w = validateWorkload(workload);
  const vectors = workloadVectors(w.clients, w.dimension, w.clip);
  const droppedCount = Math.round(w.dropout * w.clients);
  const dropouts = Array.from({ length: droppedCount }, (_, i) => i);
  const survivors = w.clients - droppedCount;
  const exact = new Float64Array(w.dimension);
  for (let i = droppedCount; i < w.clients; i++) {
    const v = vectors[i] as Float64Array;
    for (let j = 0; j < w.dimension; j++) exact[j] = (exact[j] as number) + (v[j] as number);
  }
  for (let j = 0; j < w.dimension; j++) exact[j] = (exact[j] as number) / survivors;
  const total = PROTECTIONS.length * PRIVACIES.length;
  let ckksEncrypt: number | undefined;
  const rows: WorkloadRow[] = [];
  let index = 0;
  for (const prot of PROTECTIONS) {
    for (const privacy of PRIVACIES) {
      index++;
      const label = `${prot.label} / ${privacy}`;
      const protection = prot.config(w.dropout);
      const config = workloadConfig(w, protection, privacy);
      const base = { label, protection, privacy, clientSeconds: null, serverSeconds: null };
      let description: PlanDescription;
      try {
        description = planAggregation(config).describe();
      } catch (e) {
        const reason = (e as Error).message;
        options.progress(`[${index}/${total}] ${label}: unsupported (${reason})`);
        rows.push({ ...base, status: 'unsupported', reason });
        continue;
      }
      try {
        if (protection.kind === 'ckks' && ckksEncrypt === undefined)
          ckksEncrypt = (await measureCkksEncrypt(options.repeats)).median;
        const seconds: number[] = [];
        const clientTimes: number[] = [];
        const serverTimes: number[] = [];
        const maxAbs: number[] = [];
        const rmse: number[] = [];
        let clipped = 0;
        let participants = 0;
        let encryptionErrorBound: number | undefined;
        // one untimed round first (JIT, lazy WebAssembly), on a fresh plan: a DP plan's budget covers one round
        await planAggregation(config).simulate(vectors, { dropouts });
        for (let r = 0; r < options.repeats; r++) {
          const plan = planAggregation(config);
          const t0 = performance.now();
          const result = await plan.simulate(vectors, { dropouts });
          seconds.push((performance.now() - t0) / 1000);
          if (result.roleSeconds !== undefined) {
            clientTimes.push(result.roleSeconds.perClient);
            serverTimes.push(result.roleSeconds.server);
          }
          const e = errors(result.mean, exact);
          maxAbs.push(e.maxAbs);
          rmse.push(e.rmse);
          clipped = result.clipped;
          encryptionErrorBound = result.encryptionErrorBound;
          participants = result.participants.length;
        }
        const totalSeconds = summarize(seconds);
        const limit = roundLimit(description, survivors, droppedCount, options.limits, ckksEncrypt);
        const row: WorkloadRow = {
          ...base,
          status: 'ok',
          totalSeconds,
          clientSeconds: clientTimes.length === 0 ? null : summarize(clientTimes),
          serverSeconds: serverTimes.length === 0 ? null : summarize(serverTimes),
          bytesPerClient: description.bytesPerClient,
          errorMaxAbs: summarize(maxAbs),
          errorRmse: summarize(rmse),
          predictedRmse: description.expectedError.meanStd,
          clipped,
          participants,
          ...(encryptionErrorBound === undefined ? {} : { encryptionErrorBound }),
          ...(Number.isFinite(description.privacy.perRound.epsilon)
            ? { epsilon: description.privacy.perRound.epsilon }
            : {}),
          ...(limit === undefined
            ? {}
            : {
                limitSeconds: limit.seconds,
                limitModel: limit.model,
                ratioToLimit: totalSeconds.median / limit.seconds,
              }),
        };
        options.progress(
          `[${index}/${total}] ${label}: ${totalSeconds.median.toFixed(3)} s (median of ${options.repeats}), RMSE ${summarize(rmse).median.toExponential(2)}`,
        );
        rows.push(row);
      } catch (e) {
        const reason = (e as Error).message;
        options.progress(`[${index}/${total}] ${label}: FAILED (${reason})`);
        rows.push({ ...base, status: 'failed', reason });
      }
    }
  }
  return rows;
}
