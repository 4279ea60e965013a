/**
 * The public shapes of rounds over a transport: the round server (`plan.server`), the round
 * client (`plan.client`), their options, results and events.
 * @module
 */
import type { Rng } from '../../core/index.ts';
import type { KernelBackend } from '../../kernels/index.ts';
import type { AggregationConfig } from '../config.ts';
import type { AggregationResult, PlanDescription, PrivacyReport, SecAggSetup } from '../plan.ts';
import type { PrivacyCalibration } from '../privacy.ts';
import type { AggregationHelper, AggregationHelperEndpoint } from './helpers.ts';
import type { AggregationKeyHolder } from './keyholders.ts';

/**
 * One client's contribution to a round.
 * @since 0.1.0
 * @public
 */
export interface RoundUpdate {
  /** The client's vector: `dimension` finite numbers (clipped by the plan, never sent in the clear). */
  readonly vector: Float64Array | Float32Array | readonly number[];
  /** Its weight, required by a weighted plan (it travels inside the protected vector). @defaultValue none */
  readonly weight?: number;
}

/**
 * What a client learns when the server invites it to a round.
 * @since 0.1.0
 * @public
 */
export interface RoundInvitation {
  /** The server's round number (1-based, per server). */
  readonly round: number;
  /** Clients invited to the round. */
  readonly cohortSize: number;
}

/**
 * How a round ended, as one client saw it.
 * @since 0.1.0
 * @public
 */
export interface ClientRoundOutcome {
  /** The server's round number. */
  readonly round: number;
  /**
   * `completed`: the round finished with this client's input in the sum; `excluded`: the round
   * finished without it (it missed a deadline before its input counted); `aborted`: the round
   * produced no result; `disconnected`: the connection ended first.
   */
  readonly status: 'completed' | 'excluded' | 'aborted' | 'disconnected';
  /** Participants of the finished round (0 unless completed or excluded). */
  readonly participants: number;
  /** Why, when not completed (public facts only). */
  readonly reason?: string;
}

/**
 * Options of {@link AggregationPlan.server}.
 * @since 0.1.0
 * @public
 */
export interface RoundServerOptions {
  /** Called for every {@link RoundEvent}, synchronously; an exception it throws is ignored. @defaultValue none */
  readonly onEvent?: (event: RoundEvent) => void;
  /** Randomness for cohort selection and round identifiers. @defaultValue the CSPRNG */
  readonly rng?: Rng;
  /** Randomness of the server's noise (central DP only). @defaultValue `rng` */
  readonly noiseRng?: Rng;
  /** Default of {@link RunRoundOptions.waitForClientsMs}. @defaultValue 30000 */
  readonly waitForClientsMs?: number;
  /** Default of {@link RunRoundOptions.stageTimeoutMs}. @defaultValue 60000 */
  readonly stageTimeoutMs?: number;
  /**
   * The key directory of the malicious SecAgg tier (required there, refused otherwise): each
   * client's 32-byte Ed25519 public key by client id. Clients not in it are refused.
   * @defaultValue none
   */
  readonly verificationKeys?: Readonly<Record<string, Uint8Array>>;
  /**
   * The privagg/kernels backend for the server's bulk arithmetic (ring sums, unmasking, the
   * inverse rotation); the caller keeps ownership. @defaultValue the exact `cpu` reference
   */
  readonly kernels?: KernelBackend;
  /**
   * Protection `shamir` (required there, refused otherwise): the helper servers 1..servers - 1,
   * in index order; this server is the leader, server 0 ({@link AggregationPlan.helper}).
   * @defaultValue none
   */
  readonly helpers?: readonly AggregationHelperEndpoint[];
  /**
   * Protection `ckks` (required there, refused otherwise): the key holders, in index order (one
   * with single keys, `parties` with threshold keys; {@link AggregationPlan.keyHolder}).
   * @defaultValue none
   */
  readonly keyHolders?: readonly AggregationHelperEndpoint[];
}

/**
 * Options of {@link RoundServer.runRound}.
 * @since 0.1.0
 * @public
 */
export interface RunRoundOptions {
  /**
   * How long to wait for `clients.expected` ready clients before selecting the cohort among those
   * present (fewer than `clients.minimum` then aborts with `PROTOCOL_ABORTED`).
   * @defaultValue the server's `waitForClientsMs`
   */
  readonly waitForClientsMs?: number;
  /**
   * Deadline of each stage: a client that has not answered by then is dropped for the rest of the
   * round. @defaultValue the server's `stageTimeoutMs`
   */
  readonly stageTimeoutMs?: number;
  /** Aborts the round (with `PROTOCOL_ABORTED`) when it fires. @defaultValue none */
  readonly signal?: AbortSignal;
}

/**
 * The outcome of a round over a transport: the same as {@link AggregationResult}, with clients
 * named by their transport ids.
 * @since 0.1.0
 * @public
 */
export interface RoundResult
  extends Omit<AggregationResult, 'participants' | 'dropped' | 'clipped'> {
  /**
   * How many participants clipped their vector: reported by the clients without secure
   * aggregation; `undefined` under secure aggregation, where a per-client flag in the clear would
   * leak one bit of each input.
   */
  readonly clipped: number | undefined;
  /** The server's round number (the plan-wide count is `round`). */
  readonly serverRound: number;
  /** Ids of the clients whose input is in the sum, sorted. */
  readonly participants: readonly string[];
  /**
   * Clients that dropped, per stage: `invitation` (invited, never sent a first message: declined,
   * disconnected or too late), then the protection's stages (`input` without secure aggregation;
   * `afterAdvertiseKeys`, `afterShareKeys`, `afterMaskedInput`, `duringUnmask` with it).
   */
  readonly dropped: Readonly<Record<string, readonly string[]>>;
  /** Wall-clock milliseconds per stage, in order. */
  readonly stageDurationsMs: Readonly<Record<string, number>>;
}

/**
 * What a round server reports, for logs, progress and metrics. No event carries a secret or an
 * input value.
 * @since 0.1.0
 * @public
 */
export type RoundEvent =
  | {
      /** A client connected and announced the same plan: it can be invited. */
      readonly type: 'client-ready';
      /** The client's transport id. */
      readonly clientId: string;
    }
  | {
      /** A client was refused (another plan, or a broken hello) and disconnected. */
      readonly type: 'client-refused';
      /** The client's transport id. */
      readonly clientId: string;
      /** Why. */
      readonly reason: string;
    }
  | {
      /** A client's connection ended. */
      readonly type: 'client-disconnected';
      /** The client's transport id. */
      readonly clientId: string;
      /** The transport's reason. */
      readonly reason: string;
    }
  | {
      /** A round began: the cohort was selected and invited. */
      readonly type: 'round-started';
      /** The server's round number. */
      readonly round: number;
      /** Clients invited. */
      readonly cohortSize: number;
      /** Ready clients it was drawn from. */
      readonly available: number;
    }
  | {
      /** A stage closed (everyone answered, or its deadline passed). */
      readonly type: 'stage-done';
      /** The server's round number. */
      readonly round: number;
      /** The stage's name. */
      readonly stage: string;
      /** Clients whose answer was accepted. */
      readonly received: number;
      /** Clients that were expected to answer. */
      readonly expected: number;
      /** Bytes of the frames accepted in the stage. */
      readonly bytesReceived: number;
      /** Bytes of the frames that opened the stage (invitations, or the previous stage's replies). */
      readonly bytesSent: number;
      /** Milliseconds the stage took. */
      readonly durationMs: number;
    }
  | {
      /** A cohort member was dropped from the round. */
      readonly type: 'client-dropped';
      /** The server's round number. */
      readonly round: number;
      /** The client's transport id. */
      readonly clientId: string;
      /** The stage it missed. */
      readonly stage: string;
      /** `deadline`, `disconnected`, `declined` or another public reason. */
      readonly reason: string;
    }
  | {
      /** A frame was refused (malformed, another plan or round, late, duplicate, unexpected). */
      readonly type: 'frame-rejected';
      /** The server's round number when it arrived (0 outside a round). */
      readonly round: number;
      /** The sender's transport id. */
      readonly clientId: string;
      /** `MALFORMED_MESSAGE` for bytes that do not decode, `PROTOCOL_ABORTED` for a frame that is not allowed now. */
      readonly code: 'MALFORMED_MESSAGE' | 'PROTOCOL_ABORTED';
      /** Why (public facts only). */
      readonly reason: string;
      /** The frame's length in bytes. */
      readonly bytes: number;
    }
  | {
      /** A helper server (protection `shamir`) failed, refused or did not answer in time. */
      readonly type: 'helper-failed';
      /** The server's round number. */
      readonly round: number;
      /** The helper's server index (1..servers - 1). */
      readonly helper: number;
      /** `verify` or `aggregate`. */
      readonly request: string;
      /** Why (public facts only). */
      readonly reason: string;
    }
  | {
      /** A round finished with a result. */
      readonly type: 'round-finished';
      /** The server's round number. */
      readonly round: number;
      /** Clients whose input is in the sum. */
      readonly participants: number;
      /** Milliseconds from start to result. */
      readonly durationMs: number;
    }
  | {
      /** A round ended without a result. */
      readonly type: 'round-aborted';
      /** The server's round number. */
      readonly round: number;
      /** Why. */
      readonly reason: string;
      /** Milliseconds from start to abort. */
      readonly durationMs: number;
    };

/**
 * A round server over one {@link ServerTransport}: it admits clients that announce the same plan
 * and runs rounds among them, one at a time.
 * @since 0.1.0
 * @public
 */
export interface RoundServer {
  /** Ids of the connected clients that announced this plan, sorted. */
  readonly readyClients: readonly string[];
  /**
   * Run one round: select a random cohort, run the plan's stages with deadlines, and resolve with
   * the aggregate.
   * @param options - deadlines and an abort signal
   * @returns the round's result
   */
  runRound(options?: RunRoundOptions): Promise<RoundResult>;
  /**
   * The server's events as an async iterator, from now until {@link RoundServer.close}.
   * @returns an iterator (each call gets its own)
   */
  events(): AsyncIterableIterator<RoundEvent>;
  /** Abort a running round and close the transport. */
  close(): Promise<void>;
}

/**
 * Options of {@link AggregationPlan.client}.
 * @since 0.1.0
 * @public
 */
export interface RoundClientOptions {
  /**
   * Called when the client is invited and no update was given with
   * {@link RoundClient.contribute}; return the update, or `undefined` to decline the round.
   * @defaultValue none: wait for `contribute`
   */
  readonly onRound?: (
    invitation: RoundInvitation,
  ) => RoundUpdate | undefined | Promise<RoundUpdate | undefined>;
  /** Called for every {@link RoundClientEvent}; an exception it throws is ignored. @defaultValue none */
  readonly onEvent?: (event: RoundClientEvent) => void;
  /** This client's randomness (rounding, its share of distributed noise, protocol keys). @defaultValue the CSPRNG */
  readonly rng?: Rng;
  /** Malicious SecAgg tier: this client's 32-byte Ed25519 secret key (seed). @defaultValue none */
  readonly signingKey?: Uint8Array;
  /**
   * Malicious SecAgg tier: the clients' Ed25519 public keys by client id, from a source the
   * server does not control (the client never takes keys from the server). @defaultValue none
   */
  readonly verificationKeys?: Readonly<Record<string, Uint8Array>>;
  /**
   * The privagg/kernels backend for this client's bulk arithmetic (the rotation, its masks);
   * the caller keeps ownership. @defaultValue the exact `cpu` reference
   */
  readonly kernels?: KernelBackend;
  /**
   * Protection `shamir` (required there, refused otherwise): the X25519 public keys of the
   * helper servers 1..servers - 1 ({@link AggregationHelper.publicKey}), in index order, from a
   * source the leader does not control; each helper's share is sealed to its key.
   * @defaultValue none
   */
  readonly helperKeys?: readonly Uint8Array[];
  /**
   * Protection `ckks` (required there, refused otherwise): the CKKS public key every client
   * encrypts under ({@link AggregationKeyHolder.publicKey} with single keys,
   * {@link AggregationPlan.combineKeyShares} with threshold keys), from a source the server does
   * not control. @defaultValue none
   */
  readonly ckksPublicKey?: Uint8Array;
}

/**
 * What a round client reports.
 * @since 0.1.0
 * @public
 */
export type RoundClientEvent =
  | {
      /** The server invited this client to a round. */
      readonly type: 'invited';
      /** The server's round number. */
      readonly round: number;
      /** Clients invited. */
      readonly cohortSize: number;
    }
  | {
      /** This client sent its message of a stage. */
      readonly type: 'stage-sent';
      /** The server's round number. */
      readonly round: number;
      /** The stage's name. */
      readonly stage: string;
    }
  | {
      /** A round this client was invited to ended. */
      readonly type: 'round-ended';
      /** The outcome. */
      readonly outcome: ClientRoundOutcome;
    }
  | {
      /** A frame from the server was refused. */
      readonly type: 'frame-rejected';
      /** `MALFORMED_MESSAGE` or `PROTOCOL_ABORTED`. */
      readonly code: 'MALFORMED_MESSAGE' | 'PROTOCOL_ABORTED';
      /** Why. */
      readonly reason: string;
    }
  | {
      /** The connection ended. */
      readonly type: 'disconnected';
      /** The transport's reason. */
      readonly reason: string;
    };

/**
 * A round client over one {@link ClientTransport}: it announces its plan, answers the server's
 * invitations with the caller's updates, and runs the plan's protection.
 * @since 0.1.0
 * @public
 */
export interface RoundClient {
  /** This client's transport id. */
  readonly clientId: string;
  /**
   * Supply this client's update for the next round it is invited to (or the one it is invited to
   * now). A later call before that round replaces it.
   * @param vector - `dimension` finite numbers
   * @param options - `weight` for a weighted plan
   * @returns resolves with the outcome of the round that used this update
   */
  contribute(
    vector: Float64Array | Float32Array | readonly number[],
    options?: { readonly weight?: number },
  ): Promise<ClientRoundOutcome>;
  /**
   * The client's events as an async iterator, from now until it is closed or disconnected.
   * @returns an iterator (each call gets its own)
   */
  events(): AsyncIterableIterator<RoundClientEvent>;
  /** Resolves with the reason when the connection ends. */
  readonly closed: Promise<string>;
  /** Close the connection (a running round continues without this client). */
  close(): Promise<void>;
}

/** @internal What a plan shares with its round servers and clients. */
export interface PlanRuntime {
  readonly config: AggregationConfig;
  readonly description: PlanDescription;
  readonly calibration: PrivacyCalibration;
  readonly secagg: SecAggSetup | undefined;
  /** SHA-256 of the plan's canonical form: peers with another plan are refused. */
  readonly digest: Uint8Array;
  /** Take one round of the budget (throws `BUDGET_EXHAUSTED`); give it back or commit it. */
  reserveRound(): void;
  /** Give back a reserved round (it aborted). */
  releaseRound(): void;
  /** Account a reserved round with its actual participants. */
  commitRound(participants: number): { readonly round: number; readonly privacy: PrivacyReport };
}
