/**
 * The configuration of a private aggregation, and its validation. Everything a plan needs is
 * checked here, before any client is contacted.
 * @module
 */
import { aFinite, aInteger, aNumberInRange, aOptions } from '../core/validate.ts';

/**
 * Per-client clipping: the L2 norm or the largest absolute coordinate of each client's vector
 * is scaled down to this bound before anything else happens. Clipping is counted, never silent.
 * @since 0.1.0
 * @public
 */
export type ClipConfig =
  | {
      /** Largest L2 norm a client's vector may have. */
      readonly l2: number;
    }
  | {
      /** Largest absolute value any coordinate may have. */
      readonly linf: number;
    };

/**
 * Fixed-point encoding of the vectors into the ring Z_{2^ringBits}.
 * @since 0.1.0
 * @public
 */
export interface QuantizationConfig {
  /** Ring size k: 2..62 (k > 32 uses the two-limb representation). */
  readonly ringBits: number;
  /**
   * Multiplier applied before stochastic rounding; a power of two is recommended.
   * @defaultValue the largest power of two for which the sum cannot wrap in `ringBits`
   */
  readonly scale?: number;
}

/**
 * How the inputs are hidden from the aggregator.
 * - `none`: the server sees every vector (for baselines; labelled insecure in the report).
 * - `secagg` / `secagg+`: secure aggregation (complete graph / sparse Harary graph).
 * - `shamir`: each client sends additive (threshold = servers) or Shamir shares to several
 *   non-colluding servers, Prio-style.
 * - `ckks`: clients encrypt under CKKS; the aggregator adds ciphertexts; one key holder
 *   (`keys: 'single'`) or any `threshold` of `parties` key holders decrypt the sum, with noise
 *   flooding. With distributed or local DP each client adds its exact integer noise on the
 *   plan's noise grid (multiples of 1 / `noise.gridScale`) before it encrypts, and the release
 *   is rounded to that grid. **Precision**: the released sum differs from the noisy sum by the
 *   CKKS error, reported per round as `encryptionErrorBound` (mostly the flooding, which grows
 *   as 2^(floodingBits / 2): units per slot at 40 bits, about 1e-2 at 20 bits for a few
 *   clients); the DP accounting counts the data-dependent part of that error (far below one
 *   grid step) as one more step of rounding sensitivity.
 * @since 0.1.0
 * @public
 */
export type ProtectionConfig =
  | {
      /** No protection (insecure; for baselines). */
      readonly kind: 'none';
    }
  | {
      /** Secure aggregation on the complete graph (`secagg`) or a sparse Harary graph (`secagg+`). */
      readonly kind: 'secagg' | 'secagg+';
      /** @defaultValue `'semi-honest'` */
      readonly threat?: 'semi-honest' | 'malicious';
      /** Fraction of the cohort that may drop out, in [0, 1). @defaultValue `0.1` */
      readonly dropoutTolerance?: number;
    }
  | {
      /** Shares to several non-colluding servers. */
      readonly kind: 'shamir';
      /** Number of non-colluding servers, 2..64. */
      readonly servers: number;
      /** Shares needed to reconstruct; equal to `servers` for additive sharing. @defaultValue `servers` */
      readonly threshold?: number;
    }
  | {
      /** CKKS homomorphic encryption. */
      readonly kind: 'ckks';
      /**
       * `single`: one key holder (not the aggregator) decrypts the sum. `threshold`: the
       * secret key is shared among `parties` key holders, any `threshold` of whom decrypt
       * together (privagg/he's multiparty CKKS); no single key holder can decrypt.
       * @defaultValue `'single'`
       */
      readonly keys?: 'single' | 'threshold';
      /** Threshold keys: number of key holders, 2..64 (required with `keys: 'threshold'`). */
      readonly parties?: number;
      /** Threshold keys: key holders needed to decrypt, 2..parties. @defaultValue `parties` */
      readonly threshold?: number;
      /**
       * Statistical security s (bits) of the noise flooding of every released decryption (Li and
       * Micciancio 2021): the flooding grows as 2^(s/2), and with it the error of the sum.
       * @defaultValue `40`
       */
      readonly floodingBits?: number;
    };

/**
 * The differential-privacy target of the whole run (all rounds together).
 * - `central-dp`: the aggregator adds noise to the sum (it must be trusted with the sum).
 * - `distributed-dp`: each client adds a share of the noise inside the protected vector, so the
 *   sum released by secure aggregation is already private (needs secagg, secagg+, shamir or
 *   ckks). With an L2 clip, vectors are first rotated by a randomized Hadamard transform
 *   (TFF's distributed DP sum) unless `rotation: 'none'`.
 * - `local-dp`: each client adds enough noise for the target on its own, against everyone
 *   including the aggregator (which may see each noisy vector, e.g. with protection `none`).
 *   Neighbouring inputs are any two vectors of one client (L2 distance up to twice the clip).
 * @since 0.1.0
 * @public
 */
export type PrivacyConfig =
  | {
      /** No differential privacy. */
      readonly kind: 'none';
    }
  | {
      /**
       * Noise added by the server (`central-dp`), by every client as a share of the sum's noise
       * (`distributed-dp`), or by every client for itself (`local-dp`).
       */
      readonly kind: 'central-dp' | 'distributed-dp' | 'local-dp';
      /**
       * `skellam` for distributed DP only; `discrete-laplace` for local DP only (pure epsilon:
       * per-coordinate discrete Laplace noise calibrated to the L1 sensitivity, delta 0).
       * @defaultValue `'discrete-gaussian'`
       */
      readonly mechanism?: 'discrete-gaussian' | 'skellam' | 'discrete-laplace';
      /** Total epsilon over all rounds, >= 2^-50. */
      readonly epsilon: number;
      /** Total delta over all rounds, in (0, 1); 0 is allowed (and delivered) with `discrete-laplace`. */
      readonly delta: number;
      /**
       * Distributed DP with an L2 clip: rotate each vector (padded to a power of two) by a
       * randomized Hadamard transform whose seed the round draws from the CSPRNG, so that
       * coordinates are small and the ring can be narrow; the server rotates the sum back.
       * @defaultValue `'hadamard'` (distributed DP with an L2 clip, ring protections), else `'none'`
       */
      readonly rotation?: 'hadamard' | 'none';
    };

/**
 * How rounds compose.
 * @since 0.1.0
 * @public
 */
export interface AccountantConfig {
  /**
   * `rdp` (Renyi DP, with zCDP for unsampled central discrete Gaussian noise). `pld` (privacy
   * loss distributions) is refused with the reason: privagg/dp's PLD accountant models the
   * continuous Gaussian and Laplace, not the discrete noise that plans add.
   * @defaultValue `'rdp'`
   */
  readonly kind?: 'rdp' | 'pld';
  /** Number of rounds the budget must cover. @defaultValue `1` */
  readonly rounds?: number;
  /**
   * Probability with which each member of the population was independently selected into a round
   * (Poisson sampling, done by the caller); below 1, rounds are accounted with RDP and
   * amplification by subsampling, and the guarantee is relative to the whole population.
   * @defaultValue `1`
   */
  readonly samplingRate?: number;
}

/**
 * Everything {@link planAggregation} needs.
 * @since 0.1.0
 * @public
 */
export interface AggregationConfig {
  /** Length of every client's vector. */
  readonly dimension: number;
  /** Cohort size per round, and the fewest clients a round may finish with. */
  readonly clients: {
    /** Clients asked to take part in a round (the most that can contribute). */
    readonly expected: number;
    /** The fewest clients whose input a round may finish with; fewer aborts the round. */
    readonly minimum: number;
  };
  /** Required whenever privacy is not `none` (DP needs a sensitivity bound). */
  readonly clip?: ClipConfig;
  /** Resolved from the clip bound and the cohort when absent. */
  readonly quantization?: QuantizationConfig;
  /** How inputs are hidden from the aggregator. */
  readonly protection: ProtectionConfig;
  /** The differential-privacy target. */
  readonly privacy: PrivacyConfig;
  /** How rounds compose. @defaultValue one round, every client sampled */
  readonly accountant?: AccountantConfig;
  /**
   * Weighted mean: each client submits a weight in [0, maxWeight] that travels inside the
   * protected vector (never in the clear). @defaultValue unweighted
   */
  readonly weights?: {
    /** Largest weight a client may submit. */
    readonly max: number;
  };
}

const KINDS_PROTECTION = ['none', 'secagg', 'secagg+', 'shamir', 'ckks'] as const;
const KINDS_PRIVACY = ['none', 'central-dp', 'distributed-dp', 'local-dp'] as const;

/** @internal Largest supported vector length (2^26 coordinates). */
export const MAX_DIMENSION: number = 2 ** 26;

function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string')
    throw new TypeError(`"${name}" expected a string, got ${typeof value}`);
  if (!(allowed as readonly string[]).includes(value))
    throw new RangeError(`"${name}" expected one of ${allowed.join(', ')}, got ${value}`);
}

/**
 * @internal Check the shape and ranges of a config (unknown keys, types, NaN, ranges). The
 * cross-parameter safety checks live in the planner.
 */
export function validateConfig(config: AggregationConfig): void {
  aOptions('config', config, [
    'dimension',
    'clients',
    'clip',
    'quantization',
    'protection',
    'privacy',
    'accountant',
    'weights',
  ]);
  aInteger('dimension', config.dimension, 1, MAX_DIMENSION);
  aOptions('clients', config.clients, ['expected', 'minimum']);
  aInteger('clients.expected', config.clients.expected, 1, 1_000_000);
  aInteger('clients.minimum', config.clients.minimum, 1, 1_000_000);
  if (config.clients.minimum > config.clients.expected)
    throw new RangeError(
      `"clients.minimum" (${config.clients.minimum}) exceeds "clients.expected" (${config.clients.expected})`,
    );
  if (config.clip !== undefined) {
    aOptions('clip', config.clip, ['l2', 'linf']);
    const keys = Object.keys(config.clip);
    if (keys.length !== 1) throw new TypeError('"clip" expected exactly one of { l2 } or { linf }');
    const bound = 'l2' in config.clip ? config.clip.l2 : config.clip.linf;
    aFinite(`clip.${keys[0]}`, bound);
    if (!(bound > 0)) throw new RangeError(`"clip.${keys[0]}" expected > 0, got ${bound}`);
  }
  if (config.quantization !== undefined) {
    aOptions('quantization', config.quantization, ['ringBits', 'scale']);
    aInteger('quantization.ringBits', config.quantization.ringBits, 2, 62);
    if (config.quantization.scale !== undefined) {
      aFinite('quantization.scale', config.quantization.scale);
      if (!(config.quantization.scale > 0))
        throw new RangeError(`"quantization.scale" expected > 0, got ${config.quantization.scale}`);
    }
  }
  const p = config.protection;
  if (typeof p !== 'object' || p === null) throw new TypeError('"protection" expected an object');
  oneOf('protection.kind', p.kind, KINDS_PROTECTION);
  switch (p.kind) {
    case 'none':
      aOptions('protection', p, ['kind']);
      break;
    case 'secagg':
    case 'secagg+':
      aOptions('protection', p, ['kind', 'threat', 'dropoutTolerance']);
      if (p.threat !== undefined)
        oneOf('protection.threat', p.threat, ['semi-honest', 'malicious']);
      if (p.dropoutTolerance !== undefined)
        aNumberInRange('protection.dropoutTolerance', p.dropoutTolerance, 0, 1, { max: true });
      break;
    case 'shamir':
      aOptions('protection', p, ['kind', 'servers', 'threshold']);
      aInteger('protection.servers', p.servers, 2, 64);
      if (p.threshold !== undefined) aInteger('protection.threshold', p.threshold, 2, p.servers);
      break;
    case 'ckks':
      aOptions('protection', p, ['kind', 'keys', 'parties', 'threshold', 'floodingBits']);
      if (p.floodingBits !== undefined) aInteger('protection.floodingBits', p.floodingBits, 1, 128);
      if (p.keys !== undefined) oneOf('protection.keys', p.keys, ['single', 'threshold']);
      if ((p.keys ?? 'single') === 'single') {
        if (p.parties !== undefined || p.threshold !== undefined)
          throw new TypeError(
            '"protection.parties" and "protection.threshold" apply to keys: "threshold" only',
          );
      } else {
        if (p.parties === undefined)
          throw new TypeError('"protection.parties" is required with keys: "threshold"');
        aInteger('protection.parties', p.parties, 2, 64);
        if (p.threshold !== undefined) {
          aInteger('protection.threshold', p.threshold, 1, Number.MAX_SAFE_INTEGER);
          if (p.threshold > p.parties || p.threshold < 2)
            throw new RangeError(
              `"protection.threshold" (${p.threshold}) must be in [2, protection.parties = ${p.parties}]`,
            );
        }
      }
      break;
  }
  const q = config.privacy;
  if (typeof q !== 'object' || q === null) throw new TypeError('"privacy" expected an object');
  oneOf('privacy.kind', q.kind, KINDS_PRIVACY);
  if (q.kind === 'none') aOptions('privacy', q, ['kind']);
  else {
    aOptions('privacy', q, ['kind', 'mechanism', 'epsilon', 'delta', 'rotation']);
    if (q.rotation !== undefined) {
      oneOf('privacy.rotation', q.rotation, ['hadamard', 'none']);
      if (q.kind !== 'distributed-dp' && q.rotation === 'hadamard')
        throw new RangeError('"privacy.rotation" hadamard applies to distributed-dp only');
    }
    if (q.mechanism !== undefined)
      oneOf('privacy.mechanism', q.mechanism, ['discrete-gaussian', 'skellam', 'discrete-laplace']);
    if (q.mechanism === 'discrete-laplace' && q.kind !== 'local-dp')
      throw new RangeError('"privacy.mechanism" discrete-laplace is for local-dp only');
    aNumberInRange('privacy.epsilon', q.epsilon, 2 ** -50, Number.MAX_VALUE);
    aNumberInRange('privacy.delta', q.delta, 0, 1, {
      min: q.mechanism !== 'discrete-laplace',
      max: true,
    });
    if (config.clip === undefined)
      throw new RangeError(
        '"clip" is required with differential privacy: the noise is calibrated to the clip bound',
      );
  }
  if (config.accountant !== undefined) {
    const a = config.accountant;
    aOptions('accountant', a, ['kind', 'rounds', 'samplingRate']);
    if (a.kind !== undefined) oneOf('accountant.kind', a.kind, ['rdp', 'pld']);
    if (a.rounds !== undefined) aInteger('accountant.rounds', a.rounds, 1, 1_000_000);
    if (a.samplingRate !== undefined)
      aNumberInRange('accountant.samplingRate', a.samplingRate, 0, 1, { min: true });
  }
  if (config.weights !== undefined) {
    aOptions('weights', config.weights, ['max']);
    aFinite('weights.max', config.weights.max);
    if (!(config.weights.max > 0))
      throw new RangeError(`"weights.max" expected > 0, got ${config.weights.max}`);
  }
}
