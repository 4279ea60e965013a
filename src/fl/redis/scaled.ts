/**
 * A coordinator process of a scaled-out service: the plan's round server over this process's
 * transport, joined to the other coordinators through a {@link RedisRoundStore}.
 * @module
 */
import type { AggregationPlan } from '../../aggregate/plan.ts';
import { planRuntime } from '../../aggregate/plan.ts';
import {
  type CohortRoundServer,
  createRoundServer,
  releaseCombinedSum,
} from '../../aggregate/rounds/server.ts';
import type { RoundEvent, RoundResult } from '../../aggregate/rounds/types.ts';
import { drawRotationSeed } from '../../aggregate/rotation.ts';
import { PrivaggError } from '../../core/errors.ts';
import { type Rng, randomBytes } from '../../core/random.ts';
import type { ServerTransport } from '../../core/transport.ts';
import { aFunction, aInteger, aOptions } from '../../core/validate.ts';
import { aKernels, defaultKernels, type KernelBackend } from '../../kernels/index.ts';
import { runScaledRound, type ScaledRoundEvent } from './coordinator.ts';
import type { RedisRoundStore } from './store.ts';

/**
 * Options of {@link createScaledServer}.
 * @since 0.1.0
 * @public
 */
export interface ScaledServerOptions {
  /** The plan every coordinator of the service runs (the same configuration everywhere). */
  readonly plan: AggregationPlan;
  /** This process's server transport. */
  readonly transport: ServerTransport;
  /** This coordinator's connection to the shared round store. */
  readonly store: RedisRoundStore;
  /** Most clients this coordinator puts in its cohort per round. @defaultValue `clients.expected` */
  readonly cohortSize?: number;
  /** How long clients may be claimed after a round opens, in ms. @defaultValue 2000 */
  readonly joinMs?: number;
  /** How long cohorts may run and submit, from the opening, in ms. @defaultValue 60000 */
  readonly submitMs?: number;
  /** Randomness of cohort selection and round identifiers. @defaultValue the CSPRNG */
  readonly rng?: Rng;
  /** Randomness of the master's central noise (central DP only). @defaultValue `rng` */
  readonly noiseRng?: Rng;
  /**
   * The privagg/kernels backend for this coordinator's bulk arithmetic (its cohort's unmasking,
   * the master's inverse rotation); the caller keeps ownership.
   * @defaultValue the exact `cpu` reference
   */
  readonly kernels?: KernelBackend;
  /** The local round server's events. */
  readonly onRoundEvent?: (event: RoundEvent) => void;
  /** The scaled round's events. */
  readonly onEvent?: (event: ScaledRoundEvent) => void;
}

/**
 * The outcome of one scaled round on one coordinator.
 * @since 0.1.0
 * @public
 */
export interface ScaledRoundResult {
  /** The shared round number. */
  readonly round: number;
  /** Whether this coordinator was the master. */
  readonly master: boolean;
  /** Clients this coordinator's cohort put into the round. */
  readonly contributed: number;
  /** The master's result (sum, mean, participants of every cohort, privacy); undefined elsewhere. */
  readonly result?: Omit<RoundResult, 'stageDurationsMs' | 'serverRound'>;
}

/**
 * A coordinator of a scaled-out service.
 * @since 0.1.0
 * @public
 */
export interface ScaledServer {
  /** Clients connected here that announced the plan. */
  readonly readyClients: readonly string[];
  /**
   * Take part in the next shared round (call in a loop on every coordinator).
   * @returns this coordinator's outcome; the master's carries the result
   */
  runRound(): Promise<ScaledRoundResult>;
  /** Close the local round server and its transport (the store is the caller's to close). */
  close(): Promise<void>;
}

/**
 * Create a coordinator of a scaled-out service: rounds span every coordinator sharing the store;
 * each runs a secure-aggregation cohort among its own clients, and the leader combines them.
 *
 * @param options - plan, transport, store, timings
 * @returns the coordinator
 * @throws {@link !TypeError} / {@link !RangeError} for bad options
 * @throws {@link index!PrivaggError} `BACKEND_UNAVAILABLE` for a plan whose sums are not in a ring
 * (no protection and no DP) or that cannot run over a transport
 * @since 0.1.0
 * @public
 */
export function createScaledServer(options: ScaledServerOptions): ScaledServer {
  aOptions('options', options, [
    'plan',
    'transport',
    'store',
    'cohortSize',
    'joinMs',
    'submitMs',
    'rng',
    'noiseRng',
    'kernels',
    'onRoundEvent',
    'onEvent',
  ]);
  const rt = planRuntime(options.plan);
  const q = rt.description.quantization;
  if (q === undefined)
    throw new PrivaggError(
      'BACKEND_UNAVAILABLE',
      'scale-out adds cohort sums in the plan ring: a plan without protection and without DP has none',
    );
  if (options.rng !== undefined) aFunction('options.rng', options.rng);
  if (options.noiseRng !== undefined) aFunction('options.noiseRng', options.noiseRng);
  const { expected, minimum } = rt.config.clients;
  const cohortSize = options.cohortSize ?? expected;
  aInteger('options.cohortSize', cohortSize, minimum, expected);
  const joinMs = options.joinMs ?? 2000;
  const submitMs = options.submitMs ?? 60_000;
  const rng = options.rng ?? randomBytes;
  const noiseRng = options.noiseRng ?? rng;
  if (options.kernels !== undefined) aKernels('options.kernels', options.kernels);
  const kernels = options.kernels ?? defaultKernels();
  const server: CohortRoundServer = createRoundServer(rt, options.transport, {
    rng,
    noiseRng,
    kernels,
    ...(options.onRoundEvent === undefined ? {} : { onEvent: options.onRoundEvent }),
  });
  const store = options.store;
  return {
    get readyClients() {
      return server.readyClients;
    },
    async runRound() {
      let reserved = false;
      let outcome: Awaited<ReturnType<typeof runScaledRound>>;
      try {
        outcome = await runScaledRound(
          store,
          {
            planDigest: rt.digest,
            ringBits: q.ringBits,
            // ring vectors have the rotation's padded length
            protectedDimension: rt.description.rotation.paddedDimension,
            maxClients: expected,
            minClients: minimum,
            readyClients: () => server.readyClients,
            ...(rt.calibration.rotation
              ? { drawRotationSeed: () => drawRotationSeed(noiseRng) }
              : {}),
            runCohort: async (clients, deadlineMs, master, round) => {
              // four SecAgg stages (or one input stage) share the time left
              const stageTimeoutMs = Math.max(1, Math.floor(deadlineMs / 5));
              return await server.runCohort({
                clients,
                account: !master,
                ...(round.rotationSeed === undefined ? {} : { rotationSeed: round.rotationSeed }),
                waitForClientsMs: Math.min(stageTimeoutMs, 5000),
                stageTimeoutMs,
              });
            },
            beforeOpen: () => {
              rt.reserveRound();
              reserved = true;
            },
            abandon: () => {
              if (reserved) rt.releaseRound();
              reserved = false;
            },
          },
          {
            joinMs,
            submitMs,
            cohortSize,
            ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
          },
        );
      } catch (e) {
        if (reserved) rt.releaseRound();
        throw e;
      }
      const combined = outcome.combined;
      if (combined === undefined)
        return { round: outcome.round, master: outcome.master, contributed: outcome.contributed };
      reserved = false;
      const released = await releaseCombinedSum(
        rt,
        combined.sum,
        combined.participants.length,
        noiseRng,
        outcome.rotationSeed,
        kernels,
      );
      return {
        round: outcome.round,
        master: true,
        contributed: outcome.contributed,
        result: {
          ...released,
          participants: [...combined.participants].sort(),
          dropped: combined.dropped,
          clipped: rt.secagg === undefined ? combined.clipped : undefined,
        },
      };
    },
    close: () => server.close(),
  };
}
