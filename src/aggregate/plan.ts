/**
 * `planAggregation`: validate a configuration, resolve every parameter (quantization, noise,
 * protection), explain it, and run it.
 * @module
 */
import { PrivaggError } from '../core/errors.ts';
import { type Rng, randomBytes } from '../core/random.ts';
import { aFunction, aInteger, aOptions } from '../core/validate.ts';
import type { ClientTransport, ServerTransport } from '../core/transport.ts';
import { createRoundClient } from './rounds/client.ts';
import {
  type AggregationHelper,
  type AggregationHelperOptions,
  createAggregationHelper,
} from './rounds/helpers.ts';
import {
  type AggregationKeyHolder,
  type AggregationKeyHolderOptions,
  combineKeyShares,
  createKeyHolder,
} from './rounds/keyholders.ts';
import { planDigest } from './rounds/protocol.ts';
import { createRoundServer } from './rounds/server.ts';
import type {
  PlanRuntime,
  RoundClient,
  RoundClientOptions,
  RoundServer,
  RoundServerOptions,
} from './rounds/types.ts';
import type { AggregationConfig } from './config.ts';
import { validateConfig } from './config.ts';
import {
  calibratePrivacy,
  type PrivacyCalibration,
  privacySpent,
  roundRdp,
  roundRho,
  zcdpEpsilon,
  maxNoiseVariance,
  laplaceScale,
  MAX_LAPLACE_SCALE,
  noiseStd,
  roundedNormBound,
} from './privacy.ts';
import { drawRotationSeed, ROUNDING_ATTEMPTS, ROUNDING_BETA } from './rotation.ts';
import {
  checkClientVector,
  checkRoundWeights,
  decodeRingSum,
  encodeClientVector,
  finishRound,
  noiseCkksClientVector,
  prepareClientVector,
  releaseCkksSum,
} from './pipeline.ts';
import { RdpAccountant } from '../dp/index.ts';
import { CKKS_PRESETS } from '../he/index.ts';
import { aKernels, defaultKernels, type KernelBackend } from '../kernels/index.ts';
import { planSecAgg, type SecAggPlan } from '../secagg/index.ts';
import {
  ckksSum,
  type DropoutSchedule,
  normalizeDropouts,
  RoleClock,
  SHAMIR_RING_BITS,
  secureSum,
} from './protect.ts';
import {
  secaggInputRange,
  resolveScalePerClient,
  describePerClient,
  coordinateBound,
  describeQuantization,
  type ResolvedQuantization,
  resolveScale,
  tailFactor,
  WRAP_PROBABILITY,
} from './quantize.ts';

/**
 * An (epsilon, delta) pair.
 * @since 0.1.0
 * @public
 */
export interface PrivacyLoss {
  /** Epsilon (infinite without DP). */
  readonly epsilon: number;
  /** Delta (1 without DP). */
  readonly delta: number;
}

/**
 * The resolved parameters of a plan, as plain data.
 * @since 0.1.0
 * @public
 */
export interface PlanDescription {
  /** Length of the clients' vectors. */
  readonly dimension: number;
  /** Coordinates actually protected (dimension, plus one for the weight of a weighted mean). */
  readonly protectedDimension: number;
  /** Cohort size and the minimum a round may finish with. */
  readonly clients: AggregationConfig['clients'];
  /** The clip applied to every client's vector. */
  readonly clip: {
    /** `l2`, `linf`, or `none`. */
    readonly kind: 'l2' | 'linf' | 'none';
    /** The bound (0 without clipping). */
    readonly bound: number;
  };
  /** The resolved protection. */
  readonly protection: {
    /** The protection's kind. */
    readonly kind: AggregationConfig['protection']['kind'];
    /** The adversary it is meant for; `trusted-server` for no protection. */
    readonly threat: 'semi-honest' | 'malicious' | 'trusted-server';
    /** SecAgg(+): neighbours per client; shamir: servers; threshold CKKS: key holders. */
    readonly neighbors?: number;
    /** CKKS: `single` (one key holder) or `threshold` (t of `neighbors` key holders). */
    readonly keys?: 'single' | 'threshold';
    /**
     * CKKS: the public bound on each client's encrypted values (clip plus its noise tail), which
     * the ciphertexts declare so that the error bound and the flooding do not depend on the data.
     */
    readonly valueBound?: number;
    /** Shares needed to reconstruct (SecAgg threshold, or Shamir threshold). */
    readonly threshold?: number;
    /** Set for `none`: the server sees every input. */
    readonly insecure: boolean;
  };
  /** Absent when no ring is used (no protection and no DP: an exact float sum). */
  readonly quantization?: ResolvedQuantization;
  /**
   * The randomized Hadamard rotation of distributed DP (TFF's distributed DP sum): `hadamard`
   * with the protected vector padded with zeros to `paddedDimension` (a power of two) and a
   * seed drawn from the CSPRNG each round, or `none` (`paddedDimension` is then the protected
   * dimension). The ring vectors, the noise and the bytes have `paddedDimension` coordinates.
   */
  readonly rotation: {
    /** `hadamard` or `none`. */
    readonly kind: 'hadamard' | 'none';
    /** Coordinates after padding: what is protected and noised. */
    readonly paddedDimension: number;
  };
  /**
   * Conditional stochastic rounding (DP over a ring): each client re-draws its unbiased
   * stochastic rounding until the rounded, scaled vector's L2 norm is within `normBound`
   * (Kairouz-Liu-Steinke 2021, Lemma 4.1: one draw exceeds it with probability at most
   * `beta`); after `maxAttempts` failures (probability at most `fallbackProbability`) it rounds
   * toward zero instead. The DP sensitivity is `normBound`.
   */
  readonly rounding?: {
    /** Probability bound that one draw exceeds the norm bound. */
    readonly beta: number;
    /** Draws before the fallback. */
    readonly maxAttempts: number;
    /** beta ^ maxAttempts: probability of the (biased, still bounded) fallback per client and round. */
    readonly fallbackProbability: number;
    /** Bound on the L2 norm of one client's rounded vector, in quantized units. */
    readonly normBound: number;
  };
  /** The DP noise. */
  readonly noise: {
    /** The noise distribution. */
    readonly mechanism: 'none' | 'discrete-gaussian' | 'skellam' | 'discrete-laplace';
    /**
     * Who adds it: the server (central DP), every client a share of the sum's noise
     * (distributed DP), or every client all of its own (local DP).
     */
    readonly where: 'none' | 'server' | 'clients' | 'local';
    /**
     * Noise multiplier z: std of the sum's noise (local DP: of one client's) divided by the L2
     * sensitivity; for the discrete Laplace, its scale divided by the L1 sensitivity (1 / epsilon
     * per round).
     */
    readonly noiseMultiplier: number;
    /** Discrete Laplace only: the scale t of each client's noise, quantized units. */
    readonly laplaceScale?: number;
    /** The noise is integer multiples of 1 / gridScale (the quantization scale, or CKKS's noise grid). */
    readonly gridScale: number;
    /** Variance of one client's noise, in quantized units (distributed and local DP). */
    readonly perClientVariance: number;
    /** Variance of the noise in the aggregate sum, in input units, when the minimum number of clients survive. */
    readonly sumVariance: number;
  };
  /** The error the plan predicts for the mean. */
  readonly expectedError: {
    /** Variance per coordinate of the mean from stochastic rounding (at most, with the minimum cohort). */
    readonly quantizationVariance: number;
    /** Variance per coordinate of the mean from DP noise (with the minimum cohort). */
    readonly noiseVariance: number;
    /** Standard deviation per coordinate of the mean, from both. */
    readonly meanStd: number;
    /** Clipping biases the mean toward zero for clients above the bound; reported per round as `clipped`. */
    readonly clippingBias: string;
  };
  /** The privacy the plan delivers. */
  readonly privacy: {
    /** The configured kind of privacy. */
    readonly kind: AggregationConfig['privacy']['kind'];
    /** Rounds the budget covers. */
    readonly rounds: number;
    /** Poisson sampling rate of clients per round. */
    readonly samplingRate: number;
    /** One round's loss (with the minimum cohort; local DP: of each client against everyone). */
    readonly perRound: PrivacyLoss;
    /** All rounds' loss (with the minimum cohort; local DP: of each client against everyone). */
    readonly cumulative: PrivacyLoss;
    /** How the loss is accounted. */
    readonly accountant: string;
  };
  /** Approximate bytes one client uploads per round: the protected vector plus protocol messages (headers not counted). */
  readonly bytesPerClient: number;
}

/**
 * Options of {@link AggregationPlan.simulate}.
 * @since 0.1.0
 * @public
 */
export interface SimulateOptions {
  /**
   * Clients that stop responding: a list of indices (dropped before sending their input), or
   * per stage for secure aggregation. @defaultValue none
   */
  readonly dropouts?: DropoutSchedule;
  /** Per-client weights for a weighted mean (required when the plan has `weights`). */
  readonly weights?: readonly number[];
  /** @defaultValue the CSPRNG */
  readonly rng?: Rng;
  /**
   * Client `i`'s own randomness (its stochastic rounding and its share of distributed noise),
   * so that a round over a transport with the same per-client generators gives the same sum.
   * @defaultValue `rng` for every client
   */
  readonly clientRng?: (index: number) => Rng;
  /** The server's own randomness (central noise). @defaultValue `rng` */
  readonly serverRng?: Rng;
  /**
   * The privagg/kernels backend for the round's bulk arithmetic: secure aggregation's masks, ring
   * sums and the distributed-DP rotation (e.g. from `selectBackend()`). Exact operations give
   * the same bits on every backend; the rotation computes in the backend's float precision.
   * The caller keeps ownership (the round does not dispose it).
   * @defaultValue the exact `cpu` reference
   */
  readonly kernels?: KernelBackend;
}

/**
 * The outcome of one round.
 * @since 0.1.0
 * @public
 */
export interface AggregationResult {
  /** Sum of the surviving clients' (clipped, weighted) vectors, with the plan's noise. */
  readonly sum: Float64Array;
  /** `sum` divided by the number of participants, or by the sum of weights for a weighted mean. */
  readonly mean: Float64Array;
  /** Sum of the weights (weighted plans) or the number of participants. */
  readonly totalWeight: number;
  /** Indices of the clients whose input is in the sum. */
  readonly participants: readonly number[];
  /** Clients that dropped, per stage. */
  readonly dropped: Readonly<Record<string, readonly number[]>>;
  /** How many participants' vectors were clipped. */
  readonly clipped: number;
  /**
   * CKKS only: bound on |sum - exact| per coordinate from encryption and the noise flooding of the
   * released decryption (DP noise not included).
   */
  readonly encryptionErrorBound?: number;
  /**
   * `simulate` only: seconds of client-side work per client (the mean over the round's clients:
   * clipping, encoding, noise, sharing or masking, encryption) and of server-side work (summing,
   * unmasking, decoding; helpers' and key holders' work counts as the server's). Clients run one
   * after the other in a simulation, so each role's time is measured on its own.
   */
  readonly roleSeconds?: {
    /** Seconds of one client's work (the mean over the round's clients). */
    readonly perClient: number;
    /** Seconds of the server's work. */
    readonly server: number;
  };
  /** 1-based index of this round. */
  readonly round: number;
  /** What this round and all rounds so far spent. */
  readonly privacy: PrivacyReport;
}

/**
 * The privacy a run has spent.
 * @since 0.1.0
 * @public
 */
export interface PrivacyReport {
  /** This round's loss, with its actual survivors. */
  readonly round: PrivacyLoss;
  /** All rounds so far. */
  readonly cumulative: PrivacyLoss;
  /** How the loss is accounted. */
  readonly accountant: string;
}

/**
 * A validated, resolved aggregation. A plan is a description plus a round counter: it refuses to
 * run more rounds than its privacy budget covers.
 * @since 0.1.0
 * @public
 */
export interface AggregationPlan {
  /** The configuration the plan was made from (frozen copy). */
  readonly config: AggregationConfig;
  /** Rounds run so far. */
  readonly roundsRun: number;
  /** The resolved parameters. */
  describe(): PlanDescription;
  /**
   * Run one round in process with real cryptography.
   * @param vectors - one vector per client in the cohort (at most `clients.expected`)
   * @param options - dropouts, weights, rng
   */
  simulate(
    vectors: readonly (Float64Array | Float32Array | readonly number[])[],
    options?: SimulateOptions,
  ): Promise<AggregationResult>;
  /**
   * A round server for this plan over a transport: it admits clients that announce the same plan
   * and runs rounds among them ({@link RoundServer.runRound}), sharing this plan's privacy budget
   * with {@link AggregationPlan.simulate}.
   * @param transport - the server side of a transport (for example {@link createMemoryTransport})
   * @param options - events, randomness, default deadlines
   * @returns the round server (it owns the transport's event handler)
   * @throws {@link !TypeError} for wrong or unknown options, and for a malicious-tier plan without
   *   `verificationKeys` (the clients' Ed25519 key directory)
   * @throws {@link !RangeError} for out-of-range deadlines
   * @throws {@link !TypeError} for a `shamir` plan without `helpers` (its helper servers)
   * @throws {@link !TypeError} for a `ckks` plan without `keyHolders`
   * @example
   * ```ts
   * import { createMemoryTransport, deterministicRngForTesting, planAggregation } from 'privagg';
   * const plan = planAggregation({
   *   dimension: 2,
   *   clients: { expected: 3, minimum: 3 },
   *   clip: { linf: 4 },
   *   protection: { kind: 'secagg', dropoutTolerance: 0 },
   *   privacy: { kind: 'none' },
   * });
   * const transport = createMemoryTransport();
   * const server = plan.server(transport.server, { rng: deterministicRngForTesting(new Uint8Array(32)) });
   * const inputs = [[1, 2], [3, -1], [0.5, 0.5]];
   * inputs.forEach((v, i) => void plan.client(`c${i}`, transport.connect(`c${i}`)).contribute(v));
   * const result = await server.runRound({ waitForClientsMs: 1000 });
   * console.log([...result.sum].join(','), result.participants.join(',')); // 4.5,1.5 c0,c1,c2
   * await server.close();
   * ```
   */
  server(transport: ServerTransport, options?: RoundServerOptions): RoundServer;
  /**
   * A round client for this plan over a transport: it announces the plan to the server and
   * answers its invitations with the updates given to {@link RoundClient.contribute} (or by
   * `options.onRound`), clipping, weighting, encoding, noising and protecting them as the plan
   * says.
   * @param clientId - this client's id; must equal `transport.clientId`
   * @param transport - the client side of a transport
   * @param options - an `onRound` callback, events, randomness
   * @returns the round client (it owns the transport's event handler)
   * @throws {@link !RangeError} when `clientId` is not the transport's id, or `signingKey` does not
   *   match this client's key in `verificationKeys`
   * @throws {@link !TypeError} for wrong or unknown options, and for a malicious-tier plan without
   *   `signingKey` and `verificationKeys`
   * @throws {@link !TypeError} for a `shamir` plan without `helperKeys` (its helpers' public keys)
   * @throws {@link !TypeError} for a `ckks` plan without `ckksPublicKey`
   * @example
   * ```ts
   * import { createMemoryTransport, planAggregation } from 'privagg';
   * const plan = planAggregation({
   *   dimension: 3,
   *   clients: { expected: 2, minimum: 2 },
   *   protection: { kind: 'none' },
   *   privacy: { kind: 'none' },
   * });
   * const transport = createMemoryTransport();
   * const server = plan.server(transport.server);
   * const a = plan.client('a', transport.connect('a'));
   * const b = plan.client('b', transport.connect('b'), { onRound: () => ({ vector: [1, 1, 1] }) });
   * const outcome = a.contribute([1, 2, 3]);
   * const result = await server.runRound();
   * console.log([...result.mean].join(','), (await outcome).status); // 1,1.5,2 completed
   * await server.close();
   * ```
   */
  client(clientId: string, transport: ClientTransport, options?: RoundClientOptions): RoundClient;
  /**
   * A helper server of a `shamir` plan run over a transport. The round server (the leader,
   * server 0) sends it the round's batch of sealed shares; the helper opens them, refuses a
   * batch below `clients.minimum`, a round id it already answered, or a round past the budget of
   * this plan (make one plan per server: each keeps its own budget), and returns its total.
   * Fewer than `threshold` servers together learn nothing about any input. The wire format
   * follows the leader/helper split of draft-ietf-ppm-dap.
   * @param index - the helper's server index, 1..servers - 1
   * @param options - its X25519 secret key (its public key goes to clients as `helperKeys`)
   * @returns the helper: give it to the leader's `helpers` option, or serve its
   *   {@link AggregationHelperEndpoint.handle} over any request/response channel
   * @throws {@link !TypeError} for a plan whose protection is not `shamir`, and for wrong options
   * @throws {@link !RangeError} for an index outside 1..servers - 1
   * @example
   * ```ts
   * import { createMemoryTransport, helperKeyPair, planAggregation } from 'privagg';
   * const config = {
   *   dimension: 2,
   *   clients: { expected: 3, minimum: 3 },
   *   clip: { linf: 4 },
   *   protection: { kind: 'shamir', servers: 2 },
   *   privacy: { kind: 'none' },
   * } as const;
   * const keys = helperKeyPair();
   * const helper = planAggregation(config).helper(1, { secretKey: keys.secretKey });
   * const leader = planAggregation(config);
   * const transport = createMemoryTransport();
   * const server = leader.server(transport.server, { helpers: [helper] });
   * const inputs = [[1, 2], [3, -1], [0.5, 0.5]];
   * inputs.forEach((v, i) => {
   *   const client = planAggregation(config).client(`c${i}`, transport.connect(`c${i}`), {
   *     helperKeys: [helper.publicKey],
   *   });
   *   void client.contribute(v);
   * });
   * const result = await server.runRound({ waitForClientsMs: 1000 });
   * console.log([...result.sum].join(',')); // 4.5,1.5
   * await server.close();
   * ```
   */
  helper(index: number, options: AggregationHelperOptions): AggregationHelper;
  /**
   * A key holder of a `ckks` plan run over a transport. With single keys (index 1) it makes a
   * key pair and gives clients its {@link AggregationKeyHolder.publicKey}; with threshold keys
   * (index 1..parties, one shared `seed`) it makes a key share: the key holders exchange
   * {@link AggregationKeyHolder.dealShares} (t-of-N) and publish their
   * {@link AggregationKeyHolder.publicKeyShare}, which {@link AggregationPlan.combineKeyShares}
   * turns into the clients' public key. The round server sends it the sum of the round's
   * ciphertexts; it returns a decryption flooded at `protection.floodingBits` (single keys) or a
   * flooded partial decryption (threshold keys), once per round id, never for a sum of fewer than
   * `clients.minimum` inputs, and never past this plan's budget (make one plan per key holder).
   * @param index - the key holder's index
   * @param options - the shared seed (threshold keys), randomness, released round ids
   * @returns the key holder (call `dispose()` when done: it holds SEAL memory)
   * @throws {@link !TypeError} for a plan whose protection is not `ckks`, and for wrong options
   * @throws {@link !RangeError} for an index out of range
   * @example
   * ```ts
   * import { createMemoryTransport, planAggregation } from 'privagg';
   * const config = {
   *   dimension: 2,
   *   clients: { expected: 3, minimum: 3 },
   *   clip: { linf: 4 },
   *   protection: { kind: 'ckks' },
   *   privacy: { kind: 'none' },
   * } as const;
   * const holder = await planAggregation(config).keyHolder(1);
   * const transport = createMemoryTransport();
   * const server = planAggregation(config).server(transport.server, { keyHolders: [holder] });
   * [[1, 2], [3, -1], [0.5, 0.5]].forEach((v, i) => {
   *   const id = `c${i}`;
   *   const client = planAggregation(config).client(id, transport.connect(id), {
   *     ckksPublicKey: holder.publicKey,
   *   });
   *   void client.contribute(v).then(() => client.close());
   * });
   * const result = await server.runRound({ waitForClientsMs: 1000 });
   * console.log([...result.sum].map((x) => x.toFixed(3)).join(',')); // 4.500,1.500
   * await server.close();
   * holder.dispose();
   * ```
   */
  keyHolder(index: number, options?: AggregationKeyHolderOptions): Promise<AggregationKeyHolder>;
  /**
   * The CKKS public key of a threshold-key `ckks` plan, from every key holder's
   * {@link AggregationKeyHolder.publicKeyShare} and the seed they share: what clients get as
   * `ckksPublicKey`. Anyone can compute it (the shares are public).
   * @param seed - the key holders' shared 32-byte seed
   * @param shares - the public-key shares of key holders 1..parties
   * @returns the serialized public key
   * @throws {@link !TypeError} for a plan without threshold CKKS keys, or wrong arguments
   * @throws {@link PrivaggError} `MALFORMED_MESSAGE` for a malformed or repeated share
   */
  combineKeyShares(seed: Uint8Array, shares: readonly Uint8Array[]): Promise<Uint8Array>;
}

interface Resolved {
  readonly description: PlanDescription;
  readonly calibration: PrivacyCalibration;
  /** The secure-aggregation round plan and input shift (secagg and secagg+ only). */
  readonly secagg?: SecAggSetup;
}

/** @internal How a plan drives secure aggregation. */
export interface SecAggSetup {
  readonly plan: SecAggPlan;
  /** Added to every signed coordinate so inputs lie in [0, plan.maxInputValue]. */
  readonly offset: number;
}

/** The calibrated noise missed the target once the plan's own terms were added (retry with more). */
class NeedsMoreNoise extends RangeError {}

/**
 * Resolve with a shrinking share of the budget for the base mechanism until the plan's exact
 * accounting (rounding sensitivity, the distributed discrete Gaussian's tau and, with sampling,
 * its looser subsampling bound) meets the target.
 */
function resolveWithHeadroom(config: AggregationConfig): Resolved {
  let last: unknown;
  for (const headroom of [0.99, 0.9, 0.8, 0.65, 0.5, 0.35, 0.2]) {
    try {
      return resolve(config, headroom);
    } catch (e) {
      if (!(e instanceof NeedsMoreNoise)) throw e;
      last = e;
    }
  }
  throw new RangeError((last as Error).message);
}

function resolve(config: AggregationConfig, headroom: number): Resolved {
  validateConfig(config);
  const { dimension, clients, protection, privacy } = config;
  const weighted = config.weights !== undefined;
  const protectedDimension = dimension + (weighted ? 1 : 0);
  const maxWeight = config.weights?.max ?? 1;
  const ckks = protection.kind === 'ckks';
  if (config.accountant?.kind === 'pld')
    throw new RangeError(
      '"accountant.kind" pld does not apply to plans: privagg/dp\'s PLD accountant models the continuous Gaussian and Laplace, while plans add discrete Gaussian or Skellam noise to integer vectors, whose privacy curves are not proven dominated by the continuous ones (CKS20 show them close, not dominated); use "rdp"',
    );
  // CKKS adds floats under encryption: no ring; every other protection, and DP, uses one
  const usesRing = !ckks && (protection.kind !== 'none' || privacy.kind !== 'none');
  if (ckks && config.clip === undefined)
    throw new RangeError(
      '"clip" is required with CKKS: the encoding bound and the noise are derived from it',
    );
  if (privacy.kind === 'distributed-dp' && protection.kind === 'none')
    throw new RangeError(
      '"privacy.kind" distributed-dp needs a protection that hides individual inputs (secagg, secagg+, shamir or ckks); with protection none use local-dp',
    );
  if (usesRing && config.clip === undefined)
    throw new RangeError(
      '"clip" is required with a protection or DP: the ring size and noise are derived from it',
    );

  const clipBound = config.clip === undefined ? 0 : coordinateBound(config.clip);
  // per-coordinate bound of the protected vector (weighted: w * x and w itself)
  const bound = Math.max(clipBound * maxWeight, weighted ? maxWeight : 0);
  const calibration = calibratePrivacy(config, protectedDimension, headroom);
  const ringDimension = calibration.noiseDimension;

  // the exact samplers draw bounded variances (maxNoiseVariance): cap the scale so the noise fits
  // (a coarser grid; the rounding error then stays far below the noise)
  let maxScale = Number.POSITIVE_INFINITY;
  if (calibration.where !== 'none') {
    // distributed: each client draws its share (variance / minimum); central and local: one draw
    const m = calibration.where === 'clients' ? clients.minimum : 1;
    maxScale = calibration.pure
      ? // the discrete Laplace scale z sqrt(D) (rounding + sensitivity * s) within the sampler's
        (MAX_LAPLACE_SCALE / (calibration.noiseMultiplier * Math.sqrt(ringDimension)) -
          calibration.sensitivityRounding) /
        calibration.sensitivity
      : (Math.sqrt(maxNoiseVariance(calibration) * m) / calibration.noiseMultiplier -
          calibration.sensitivityRounding) /
        calibration.sensitivity;
    if (!(maxScale >= 1))
      throw new RangeError(
        'the noise this privacy target needs exceeds what the exact sampler draws; lower the clip bound or the dimension',
      );
  }
  let quantization: ResolvedQuantization | undefined;
  let secagg: SecAggSetup | undefined;
  const secaggKind = protection.kind === 'secagg' || protection.kind === 'secagg+';
  if (usesRing) {
    // each client's own noise inside the ring, in quantized units: std a + b * scale (a share of
    // the sum's for distributed DP, all of its own for local DP; central noise is added after
    // decoding); the sum carries every expected client's
    const z = calibration.noiseMultiplier;
    const share =
      calibration.where === 'clients'
        ? 1 / Math.sqrt(clients.minimum)
        : calibration.where === 'local'
          ? 1
          : 0;
    let clientNoise =
      share === 0
        ? undefined
        : {
            a: calibration.sensitivityRounding * z * share,
            b: calibration.sensitivity * z * share,
          };
    let noise =
      clientNoise === undefined
        ? undefined
        : {
            a: clientNoise.a * Math.sqrt(clients.expected),
            b: clientNoise.b * Math.sqrt(clients.expected),
          };
    if (calibration.pure) {
      // discrete Laplace of scale t <= z sqrt(D) (rounding + sensitivity * s), whose tails
      // P(|X| >= x) <= 2 exp(-x / t) are heavier than a Gaussian's: x = t ln(2 c / p) over c
      // coordinates, written as an effective std for the Gaussian factor the sizing applies;
      // the sum is bounded by the sum of the clients' magnitudes (union over all of them)
      const root = z * Math.sqrt(ringDimension);
      const count = clients.expected * ringDimension;
      const reach = Math.log((2 * count) / WRAP_PROBABILITY);
      const perClient = reach / tailFactor(count, WRAP_PROBABILITY);
      const total = (clients.expected * reach) / tailFactor(ringDimension, WRAP_PROBABILITY);
      const t = { a: root * calibration.sensitivityRounding, b: root * calibration.sensitivity };
      clientNoise = { a: t.a * perClient, b: t.b * perClient };
      noise = { a: t.a * total, b: t.b * total };
    }
    // the rotation flattens each vector: a coordinate of HD x (fixed x, random signs) is a
    // Rademacher sum with variance proxy |x|^2 / d, so by Hoeffding it stays within
    // |x| sqrt(2 ln(2 m / p)) / sqrt(d) for all m coordinates but with probability p
    const coordinateCount = secaggKind ? clients.expected * ringDimension : ringDimension;
    const rotatedBound = calibration.rotation
      ? (calibration.vectorNorm * tailFactor(coordinateCount, WRAP_PROBABILITY)) /
        Math.sqrt(ringDimension)
      : bound;
    const rotationTail = rotatedBound < bound;
    const coordinate = Math.min(bound, rotatedBound);
    const shamirThreshold =
      protection.kind === 'shamir' &&
      (protection.threshold ?? protection.servers) < protection.servers;
    const ringBits = shamirThreshold ? SHAMIR_RING_BITS : (config.quantization?.ringBits ?? 32);
    if (
      shamirThreshold &&
      config.quantization !== undefined &&
      config.quantization.ringBits !== SHAMIR_RING_BITS
    )
      throw new RangeError(
        `"quantization.ringBits" must be ${SHAMIR_RING_BITS} for Shamir aggregation (threshold below servers): sums live in GF(2^31 - 1)`,
      );
    if (ringBits > 32)
      throw new RangeError(
        `"quantization.ringBits" above 32 is not supported by the ${protection.kind} protection yet`,
      );
    if (secaggKind) {
      const range = secaggInputRange(ringBits, clients.expected);
      const perClientLimit = range.offset;
      const fixedScale = config.quantization?.scale;
      quantization =
        fixedScale === undefined
          ? resolveScalePerClient(
              ringBits,
              clients.expected,
              coordinate,
              ringDimension,
              perClientLimit,
              clientNoise,
              maxScale,
            )
          : describePerClient(
              ringBits,
              fixedScale,
              clients.expected,
              coordinate,
              ringDimension,
              perClientLimit,
              clientNoise,
            );
      const p = protection as Extract<
        AggregationConfig['protection'],
        { kind: 'secagg' | 'secagg+' }
      >;
      const secaggPlan = planSecAgg({
        clients: clients.expected,
        dimension: ringDimension,
        modulusBits: ringBits,
        maxInputValue: range.maxInputValue,
        neighbors: p.kind === 'secagg' ? 'all' : 'auto',
        tier: p.threat ?? 'semi-honest',
        dropoutRate: p.dropoutTolerance ?? 0.1,
      });
      if (secaggPlan.threshold > clients.minimum)
        throw new RangeError(
          `the SecAgg threshold ${secaggPlan.threshold} exceeds "clients.minimum" (${clients.minimum}): a round that ends with the minimum cohort could not be unmasked; raise clients.minimum or lower protection.dropoutTolerance`,
        );
      secagg = { plan: secaggPlan, offset: range.offset };
    } else {
      const fixedScale = config.quantization?.scale;
      quantization =
        fixedScale === undefined
          ? resolveScale(ringBits, clients.expected, coordinate, ringDimension, noise, maxScale)
          : describeQuantization(
              ringBits,
              fixedScale,
              clients.expected,
              coordinate,
              ringDimension,
              noise,
            );
    }
    // the rotation's tail is a second wrap event beside the noise's
    if (rotationTail)
      quantization = {
        ...quantization,
        wrapProbability: quantization.wrapProbability + WRAP_PROBABILITY,
      };
  }
  // CKKS with DP: the key holder rounds the decrypted sum to this grid (and, for central DP, adds
  // exact integer noise there; clients add theirs on the grid before encrypting); the CKKS error's
  // data-dependent part, far below one grid step, counts as rounding slack
  const noiseGrid =
    ckks && calibration.where !== 'none'
      ? 2 ** Math.floor(Math.log2(Math.min(maxScale, 2 ** 24)))
      : undefined;
  const scale = quantization?.scale ?? noiseGrid ?? 1;
  // the sum's noise std (central, distributed), or one client's (local), in quantized units
  const stdScaled = calibration.where === 'none' ? 0 : noiseStd(calibration, scale);
  const perClientVariance =
    calibration.where === 'clients'
      ? stdScaled ** 2 / clients.minimum
      : calibration.where === 'local'
        ? stdScaled ** 2
        : 0;
  const sumVariance =
    (calibration.where === 'local' ? clients.minimum : 1) * (stdScaled / scale) ** 2;
  const n = clients.minimum;
  const quantizationVariance =
    quantization === undefined ? 0 : (n * 0.25) / (scale * scale) / (n * n);
  const noiseVariance = sumVariance / (n * n);
  // CKKS: a public bound on every client's encrypted values, declared in its ciphertexts, so that
  // the error bound and the flooding derived from it do not depend on the data: the clip, plus
  // the client's own noise (on the grid) up to its tail at WRAP_PROBABILITY over all values
  let ckksValueBound: number | undefined;
  if (ckks) {
    const count = clients.expected * protectedDimension;
    const perClientStd =
      calibration.where === 'clients'
        ? stdScaled / Math.sqrt(clients.minimum)
        : calibration.where === 'local'
          ? stdScaled
          : 0;
    const tail = calibration.pure
      ? laplaceScale(calibration, scale) * Math.log((2 * count) / WRAP_PROBABILITY)
      : perClientStd * tailFactor(count, WRAP_PROBABILITY);
    ckksValueBound = bound + tail / scale;
    // privagg/he tracks the sum's bound as the sum of the declared bounds, and refuses a sum past
    // the headroom of its parameters (2^(q0 bits - scale bits - 2)): check it now
    const n8192 = CKKS_PRESETS.n8192;
    const headroom = 2 ** ((n8192.coeffModulusBits[0] as number) - n8192.scaleBits - 2);
    if (clients.expected * ckksValueBound > headroom)
      throw new PrivaggError(
        'OVERFLOW',
        `CKKS (n8192) holds sums up to ${headroom}: ${clients.expected} clients x values up to ${ckksValueBound.toPrecision(4)} (the clip bound${calibration.where === 'clients' || calibration.where === 'local' ? " plus each client's noise tail" : ''}) can exceed it; lower the clip bound or clients.expected`,
      );
  }
  const prot = describeProtection(config, secagg?.plan, ckksValueBound);
  const bytesPerRingElement = quantization === undefined ? 8 : Math.ceil(quantization.ringBits / 8);
  const vectorBytes = ringDimension * bytesPerRingElement;
  // SecAgg (privagg/secagg's wire format, message headers left out): two advertised public keys;
  // per neighbour one sealed share pair (sender, receiver, two 36-byte field-element shares, a
  // 16-byte tag) and at most one revealed 36-byte share with its owner id in unmasking
  const overhead = secaggKind ? 2 * 32 + (prot.neighbors ?? 0) * (8 + 2 * 36 + 16 + 4 + 36) : 0;
  // CKKS at N = 8192: one ciphertext (2 polynomials x 8192 coefficients x 2 primes x 8 bytes) per 4096 values
  const ckksBytes = Math.ceil(protectedDimension / 4096) * 2 * 8192 * 2 * 8;
  const bytesPerClient = ckks
    ? ckksBytes
    : protection.kind === 'shamir'
      ? // the leader's share plus each helper's sealed share (ephemeral key, tag, length): a
        // 32-byte seed with additive sharing, a whole vector with Shamir sharing
        vectorBytes +
        (protection.servers - 1) *
          (52 +
            ((protection.threshold ?? protection.servers) === protection.servers
              ? 32
              : vectorBytes))
      : vectorBytes + overhead;
  // the privacy the plan delivers when only the minimum cohort survives (the worst case)
  const planned = (() => {
    if (calibration.where === 'none' || calibration.pure)
      return { perRound: calibration.perRound, cumulative: calibration.cumulative };
    const delta = calibration.delta;
    let out: { perRound: PrivacyLoss; cumulative: PrivacyLoss };
    if (calibration.rdp) {
      const one = roundRdp(calibration, scale, clients.minimum, 1).epsilon(delta).epsilon;
      const all = roundRdp(calibration, scale, clients.minimum, calibration.rounds).epsilon(
        delta,
      ).epsilon;
      out = { perRound: { epsilon: one, delta }, cumulative: { epsilon: all, delta } };
    } else {
      const rho = roundRho(calibration, scale);
      out = {
        perRound: { epsilon: zcdpEpsilon(rho, delta), delta },
        cumulative: { epsilon: zcdpEpsilon(rho * calibration.rounds, delta), delta },
      };
    }
    if (
      config.privacy.kind !== 'none' &&
      out.cumulative.epsilon > config.privacy.epsilon * (1 + 1e-9)
    )
      throw new NeedsMoreNoise(
        `the noise cannot meet "privacy.epsilon" ${config.privacy.epsilon}: the distributed noise of ${clients.minimum} clients reaches ${out.cumulative.epsilon.toPrecision(4)}; raise clients.minimum`,
      );
    return out;
  })();
  const description: PlanDescription = {
    dimension,
    protectedDimension,
    clients: { expected: clients.expected, minimum: clients.minimum },
    clip:
      config.clip === undefined
        ? { kind: 'none', bound: 0 }
        : 'l2' in config.clip
          ? { kind: 'l2', bound: config.clip.l2 }
          : { kind: 'linf', bound: config.clip.linf },
    protection: prot,
    ...(quantization === undefined ? {} : { quantization }),
    rotation: {
      kind: calibration.rotation ? 'hadamard' : 'none',
      paddedDimension: ringDimension,
    },
    ...(quantization !== undefined && calibration.conditionalRounding
      ? {
          rounding: {
            beta: ROUNDING_BETA,
            maxAttempts: ROUNDING_ATTEMPTS,
            fallbackProbability: ROUNDING_BETA ** ROUNDING_ATTEMPTS,
            normBound: roundedNormBound(calibration, scale),
          },
        }
      : {}),
    noise: {
      mechanism: calibration.mechanism,
      where: calibration.where,
      noiseMultiplier: calibration.noiseMultiplier,
      ...(calibration.pure ? { laplaceScale: laplaceScale(calibration, scale) } : {}),
      gridScale: scale,
      perClientVariance,
      sumVariance,
    },
    expectedError: {
      quantizationVariance,
      noiseVariance,
      meanStd: Math.sqrt(quantizationVariance + noiseVariance),
      clippingBias:
        config.clip === undefined
          ? 'none (no clipping)'
          : 'vectors above the clip bound are scaled down; counted per round in result.clipped',
    },
    privacy: {
      kind: privacy.kind,
      rounds: calibration.rounds,
      samplingRate: calibration.samplingRate,
      perRound: planned.perRound,
      cumulative: planned.cumulative,
      accountant: calibration.accountant,
    },
    bytesPerClient,
  };
  return {
    description: deepFreeze(description),
    calibration,
    ...(secagg === undefined ? {} : { secagg }),
  };
}

function describeProtection(
  config: AggregationConfig,
  secaggPlan: SecAggPlan | undefined,
  ckksValueBound: number | undefined,
): PlanDescription['protection'] {
  const p = config.protection;
  switch (p.kind) {
    case 'none':
      return { kind: 'none', threat: 'trusted-server', insecure: true };
    case 'shamir':
      return {
        kind: 'shamir',
        threat: 'semi-honest',
        neighbors: p.servers,
        threshold: p.threshold ?? p.servers,
        insecure: false,
      };
    case 'ckks':
      return (p.keys ?? 'single') === 'single'
        ? {
            kind: 'ckks',
            threat: 'semi-honest',
            keys: 'single',
            valueBound: ckksValueBound ?? 1,
            insecure: false,
          }
        : {
            kind: 'ckks',
            threat: 'semi-honest',
            keys: 'threshold',
            neighbors: p.parties ?? 0,
            threshold: p.threshold ?? p.parties ?? 0,
            valueBound: ckksValueBound ?? 1,
            insecure: false,
          };
    default:
      if (secaggPlan === undefined)
        throw new PrivaggError('INVALID_PARAMETER', 'secure aggregation needs a ring');
      return {
        kind: p.kind,
        threat: secaggPlan.tier,
        neighbors: secaggPlan.neighbors,
        threshold: secaggPlan.threshold,
        insecure: false,
      };
  }
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !ArrayBuffer.isView(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Validate an aggregation configuration and resolve a plan: quantization chosen so the sum cannot
 * wrap (or `OVERFLOW`), noise calibrated to the privacy target over all rounds, and the
 * protection's parameters. Nothing runs until {@link AggregationPlan.simulate}.
 *
 * @param config - the aggregation to plan
 * @returns the plan
 * @throws {@link !TypeError} for a wrongly typed or unknown option
 * @throws {@link !RangeError} for a value out of range or a combination that cannot be safe
 * @throws {@link PrivaggError} `OVERFLOW` when no quantization can hold the sum
 * @example
 * ```ts
 * import { planAggregation, deterministicRngForTesting } from 'privagg';
 * const plan = planAggregation({
 *   dimension: 3,
 *   clients: { expected: 4, minimum: 3 },
 *   clip: { linf: 1 },
 *   protection: { kind: 'shamir', servers: 2 },
 *   privacy: { kind: 'none' },
 * });
 * const rng = deterministicRngForTesting(new Uint8Array(32));
 * const result = await plan.simulate([[0.5, 0, 1], [0.25, 1, -1], [0, 0, 0], [0.25, 1, 0]], { rng });
 * console.log([...result.sum].join(',')); // 1,2,0
 * ```
 * @since 0.1.0
 * @public
 */
export function planAggregation(config: AggregationConfig): AggregationPlan {
  const { description, calibration, secagg } = resolveWithHeadroom(config);
  let roundsRun = 0;
  let roundsReserved = 0;
  let rhoSpent = 0;
  const rdpSpent = new RdpAccountant();
  const frozen = deepFreeze(structuredClone(config));
  // the budget is shared by simulate and the rounds over transports: a round reserves its place
  // before it starts and is accounted with its actual participants when it finishes
  const reserveRound = (): void => {
    if (calibration.where !== 'none' && roundsRun + roundsReserved >= calibration.rounds)
      throw new PrivaggError(
        'BUDGET_EXHAUSTED',
        `the privacy budget (epsilon ${calibration.cumulative.epsilon.toPrecision(4)}, delta ${calibration.cumulative.delta}) covers ${calibration.rounds} round(s), all spent`,
      );
    roundsReserved++;
  };
  const releaseRound = (): void => {
    roundsReserved--;
  };
  const commitRound = (participants: number): { round: number; privacy: PrivacyReport } => {
    roundsReserved--;
    roundsRun++;
    const g = description.noise.gridScale;
    let spent: PrivacyReport;
    if (calibration.where !== 'none' && calibration.rdp) {
      // Poisson-sampled rounds: compose RDP curves with this round's actual survivors
      const round = roundRdp(calibration, g, participants, 1);
      rdpSpent.compose(round);
      const delta = calibration.delta;
      spent = {
        round: { epsilon: round.epsilon(delta).epsilon, delta },
        cumulative: { epsilon: rdpSpent.epsilon(delta).epsilon, delta },
        accountant: calibration.accountant,
      };
    } else {
      const rho = calibration.where === 'none' ? 0 : roundRho(calibration, g);
      rhoSpent += rho;
      spent = privacySpent(calibration, rho, rhoSpent);
    }
    return { round: roundsRun, privacy: spent };
  };
  let runtime: PlanRuntime | undefined;
  const getRuntime = (): PlanRuntime => {
    runtime ??= {
      config: frozen,
      description,
      calibration,
      secagg,
      digest: planDigest(frozen, description),
      reserveRound,
      releaseRound,
      commitRound,
    };
    return runtime;
  };
  const plan: AggregationPlan = {
    config: frozen,
    get roundsRun() {
      return roundsRun;
    },
    describe: () => description,
    async simulate(vectors, options = {}) {
      aOptions('options', options, [
        'dropouts',
        'weights',
        'rng',
        'clientRng',
        'serverRng',
        'kernels',
      ]);
      if (options.clientRng !== undefined) aFunction('options.clientRng', options.clientRng);
      if (options.serverRng !== undefined) aFunction('options.serverRng', options.serverRng);
      if (options.kernels !== undefined) aKernels('options.kernels', options.kernels);
      reserveRound();
      let result: Omit<AggregationResult, 'round' | 'privacy'>;
      try {
        const rng = options.rng ?? randomBytes;
        result = await runRound(config, description, calibration, secagg, vectors, options, rng);
      } catch (e) {
        releaseRound();
        throw e;
      }
      return { ...result, ...commitRound(result.participants.length) };
    },
    server: (transport, options) => createRoundServer(getRuntime(), transport, options),
    client: (clientId, transport, options) =>
      createRoundClient(getRuntime(), clientId, transport, options),
    helper: (index, options) => createAggregationHelper(getRuntime(), index, options),
    keyHolder: (index, options) => createKeyHolder(getRuntime(), index, options),
    combineKeyShares: (seed, shares) => combineKeyShares(getRuntime(), seed, shares),
  };
  PLAN_RUNTIMES.set(plan, getRuntime);
  return plan;
}

const PLAN_RUNTIMES = new WeakMap<AggregationPlan, () => PlanRuntime>();

/**
 * @internal The runtime behind a plan made by {@link planAggregation} (for the service's
 * scale-out, which runs cohorts and releases their combined sum).
 * @throws {@link !TypeError} for an object that is not such a plan
 */
export function planRuntime(plan: AggregationPlan): PlanRuntime {
  const get = PLAN_RUNTIMES.get(plan);
  if (get === undefined) throw new TypeError('"plan" expected a plan made by planAggregation');
  return get();
}

async function runRound(
  config: AggregationConfig,
  description: PlanDescription,
  calibration: PrivacyCalibration,
  secagg: SecAggSetup | undefined,
  vectors: readonly (Float64Array | Float32Array | readonly number[])[],
  options: SimulateOptions,
  rng: Rng,
): Promise<Omit<AggregationResult, 'round' | 'privacy'>> {
  if (!Array.isArray(vectors)) throw new TypeError('"vectors" expected an array of vectors');
  const n = vectors.length;
  aInteger('vectors.length', n, 1, config.clients.expected);
  const weights = checkRoundWeights(config, n, options.weights);
  for (const [i, v] of vectors.entries()) checkClientVector(config, `vectors[${i}]`, v);
  const dropouts = normalizeDropouts(options.dropouts, n);
  if (dropouts.survivorCount < config.clients.minimum)
    throw new PrivaggError(
      'PROTOCOL_ABORTED',
      `only ${dropouts.survivorCount} clients can finish the round, below the minimum of ${config.clients.minimum}`,
    );

  // client side: clip, weight (then encode and noise for ring protections)
  const clock = new RoleClock();
  const clippedClients = new Set<number>();
  const prepared = vectors.map((v, i) => {
    const { vector, clipped } = prepareClientVector(config, description, v, weights?.[i]);
    if (clipped) clippedClients.add(i);
    return vector;
  });
  clock.charge('client');
  const weighted = weights !== undefined;
  /** The result from the protected sum, the server's last step of every path. */
  const finish = (
    sum: Float64Array,
    participants: readonly number[],
    dropped: Readonly<Record<string, readonly number[]>>,
  ): Omit<AggregationResult, 'round' | 'privacy'> => {
    const finished = finishRound(config, sum, participants, dropped, clippedClients, weighted);
    clock.charge('server');
    return {
      ...finished,
      roleSeconds: { perClient: clock.clientMs / 1000 / n, server: clock.serverMs / 1000 },
    };
  };

  if (config.protection.kind === 'ckks') {
    const participants = [...prepared.keys()].filter((i) => !dropouts.excludedBeforeInput.has(i));
    const clientRng = options.clientRng;
    for (const i of participants)
      noiseCkksClientVector(
        description,
        calibration,
        prepared[i] as Float64Array,
        clientRng === undefined ? rng : clientRng(i),
      );
    clock.charge('client');
    const { sum, errorBound } = await ckksSum(
      config.protection,
      prepared,
      participants,
      description.protection.valueBound ?? 1,
      rng,
      clock,
    );
    releaseCkksSum(description, calibration, sum, options.serverRng ?? rng);
    return { ...finish(sum, participants, dropouts.dropped), encryptionErrorBound: errorBound };
  }
  if (description.quantization === undefined) {
    // no protection and no DP: the exact float sum of the participants
    const sum = new Float64Array(description.protectedDimension);
    const participants = [...prepared.keys()].filter((i) => !dropouts.excludedBeforeInput.has(i));
    for (const i of participants) {
      const x = prepared[i] as Float64Array;
      for (let j = 0; j < sum.length; j++) sum[j] = (sum[j] as number) + (x[j] as number);
    }
    return finish(sum, participants, dropouts.dropped);
  }

  // the round's rotation seed: fresh from the server's randomness, shared by every client (a
  // round over a transport sends it with the invitation)
  const serverRng = options.serverRng ?? rng;
  const seed = calibration.rotation ? drawRotationSeed(serverRng) : undefined;
  clock.charge('server');
  const clientRng = options.clientRng;
  const kernels = options.kernels ?? defaultKernels();
  const encoded: Uint32Array[] = [];
  for (const [i, x] of prepared.entries())
    encoded.push(
      await encodeClientVector(
        description,
        calibration,
        x,
        clientRng === undefined ? rng : clientRng(i),
        seed,
        kernels,
      ),
    );
  clock.charge('client');
  const {
    sum: ringSum,
    participants,
    dropped,
  } = await secureSum(config, description, secagg, encoded, dropouts, rng, kernels, clock);
  const sum = await decodeRingSum(description, calibration, ringSum, serverRng, seed, kernels);
  return finish(sum, participants, dropped);
}
