/**
 * Scale-out: several coordinator processes behind one address run one logical round together.
 * Each coordinator runs a secure-aggregation cohort among the clients connected to it (the
 * arithmetic stays in its memory, and in its workers); Redis holds only the round's shared state
 * ({@link RedisRoundStore}); the leader is the master aggregator that adds the cohorts' partial
 * sums and releases the result.
 *
 * One round, as every coordinator runs it:
 * 1. heartbeat; the leader (lease holder) aborts a stale round whose master died, then opens the
 *    next one with a join cut-off and a submit deadline on Redis's clock;
 * 2. each coordinator claims its ready clients for the round (at most one coordinator per client)
 *    until the cut-off, up to its cohort size, and runs its cohort's secure aggregation;
 * 3. it submits the cohort's ring sum once, before the deadline;
 * 4. the master waits for every coordinator that claimed clients (or the deadline), closes the
 *    round atomically, checks the partials, adds them and releases the result. A coordinator that
 *    dies mid-round simply never submits: the round completes without its cohort if the others
 *    still meet `clients.minimum` (the privacy report counts the actual survivors), and aborts
 *    otherwise. It never completes with a partial it cannot check.
 * @module
 */
import { PrivaggError, isPrivaggError } from '../../core/errors.ts';
import { aFunction, aInteger, aOptions } from '../../core/validate.ts';
import { toHex } from '../../core/bytes.ts';
import {
  type CohortPartial,
  combineCohortPartials,
  decodeCohortPartial,
  encodeCohortPartial,
} from './cohort.ts';
import type { RedisRoundStore, SharedRound } from './store.ts';

/**
 * What a coordinator's own cohort produced.
 * @since 0.1.0
 * @internal
 */
export interface CohortOutcome {
  /** Ring sum of the survivors' protected vectors. */
  readonly sum: Uint32Array;
  /** Clients whose input is in `sum`. */
  readonly participants: readonly string[];
  /** Clients that dropped, per stage. */
  readonly dropped: Readonly<Record<string, readonly string[]>>;
  /** Participants that reported clipping (0 when not reported). */
  readonly clipped: number;
}

/**
 * How the scale-out loop reaches the plan and the local round server.
 * @since 0.1.0
 * @internal
 */
export interface ScaleOutParticipant {
  /** SHA-256 digest of the plan (32 bytes). */
  readonly planDigest: Uint8Array;
  /** The plan's ring size in bits. */
  readonly ringBits: number;
  /** Length of the plan's ring vectors (protected dimension, padded when the plan rotates). */
  readonly protectedDimension: number;
  /** `clients.expected` (the most clients a round may have, over all coordinators). */
  readonly maxClients: number;
  /** `clients.minimum` (the fewest participants a released round may have). */
  readonly minClients: number;
  /** Clients connected here that announced the plan. */
  readyClients(): readonly string[];
  /**
   * Run this coordinator's cohort among `clients` (claimed for this round), finishing before
   * `deadlineMs` (milliseconds from now); `master` tells whether this coordinator masters the round.
   */
  runCohort(
    clients: readonly string[],
    deadlineMs: number,
    master: boolean,
    round: SharedRound,
  ): Promise<CohortOutcome>;
  /** The plan's rotation seed for a new round (plans with the rotation; called by the master). */
  drawRotationSeed?(): Uint8Array;
  /** Called on the leader before it opens a round (refuse by throwing, e.g. `BUDGET_EXHAUSTED`). */
  beforeOpen?(): void;
  /** Called on the leader when a round it opened ends without a release. */
  abandon?(): void;
}

/**
 * Options of {@link runScaledRound}.
 * @since 0.1.0
 * @internal
 */
export interface ScaledRoundOptions {
  /** How long clients may be claimed after the round opens. @defaultValue 5000 */
  readonly joinMs?: number;
  /** How long coordinators may run their cohorts and submit, from the opening. @defaultValue 60000 */
  readonly submitMs?: number;
  /** Most clients this coordinator claims in a round. @defaultValue `maxClients` */
  readonly cohortSize?: number;
  /** How often to poll Redis while waiting. @defaultValue 50 */
  readonly pollMs?: number;
  /** Called with public progress facts (for logs and metrics). */
  readonly onEvent?: (event: ScaledRoundEvent) => void;
}

/**
 * What a coordinator reports while running a scaled round.
 * @since 0.1.0
 * @public
 */
export interface ScaledRoundEvent {
  /** `opened`, `aborted-stale`, `claimed`, `submitted`, `closed`, `released`, `aborted`. */
  readonly type:
    | 'opened'
    | 'aborted-stale'
    | 'claimed'
    | 'cohort-failed'
    | 'submitted'
    | 'closed'
    | 'released'
    | 'aborted';
  /** The shared round number. */
  readonly round: number;
  /** A count (clients claimed, partials closed, participants released), when relevant. */
  readonly count?: number;
  /** Why, for failures (public facts only). */
  readonly reason?: string;
}

/**
 * What {@link runScaledRound} returns: the combined partial on the master, nothing elsewhere.
 * @since 0.1.0
 * @internal
 */
export interface ScaledRoundOutcome {
  /** The shared round number. */
  readonly round: number;
  /** Whether this coordinator was the master. */
  readonly master: boolean;
  /** The master's combined ring sum and participants (undefined on other coordinators). */
  readonly combined?: CohortPartial;
  /** The round's rotation seed (plans with the rotation). */
  readonly rotationSeed?: Uint8Array;
  /** How many clients this coordinator's cohort contributed (0 when it ran none). */
  readonly contributed: number;
}

/** The last round each store (coordinator) took part in: a round is joined once. */
const lastRound = new WeakMap<RedisRoundStore, number>();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Run one shared round on this coordinator (every coordinator calls it in a loop).
 * @param store - the Redis round store of this coordinator
 * @param me - the plan's facts and the local cohort runner
 * @param options - timings and events
 * @returns the round's outcome here
 * @throws {@link index!PrivaggError} `PROTOCOL_ABORTED` on the master when the round cannot be
 * released (too few participants, a partial that does not check); `CONNECTION_CLOSED` when Redis
 * is unreachable
 * @since 0.1.0
 * @internal
 */
export async function runScaledRound(
  store: RedisRoundStore,
  me: ScaleOutParticipant,
  options: ScaledRoundOptions = {},
): Promise<ScaledRoundOutcome> {
  aOptions('options', options, ['joinMs', 'submitMs', 'cohortSize', 'pollMs', 'onEvent']);
  const joinMs = options.joinMs ?? 5000;
  aInteger('options.joinMs', joinMs, 1, 3_600_000);
  const submitMs = options.submitMs ?? 60_000;
  aInteger('options.submitMs', submitMs, joinMs, 86_400_000);
  const cohortSize = options.cohortSize ?? me.maxClients;
  aInteger('options.cohortSize', cohortSize, 1, me.maxClients);
  const pollMs = options.pollMs ?? 50;
  aInteger('options.pollMs', pollMs, 1, 10_000);
  if (options.onEvent !== undefined) aFunction('options.onEvent', options.onEvent);
  let leading = false;
  const emit = (e: ScaledRoundEvent): void => {
    try {
      options.onEvent?.(e);
    } catch {
      // an observer's bug must not break the round
    }
  };
  const digestHex = toHex(me.planDigest);
  // keep this coordinator visibly alive (and the lease held) while its cohort runs
  const keepalive = setInterval(
    () => {
      store.heartbeat().catch(() => {});
      if (leading) store.lead().catch(() => {});
    },
    Math.max(20, Math.floor(Math.min(store.leaseMs, store.livenessMs) / 3)),
  );
  try {
    return await scaledRound(
      store,
      me,
      emit,
      digestHex,
      joinMs,
      submitMs,
      cohortSize,
      pollMs,
      (l) => {
        leading = l;
      },
    );
  } finally {
    clearInterval(keepalive);
  }
}

async function scaledRound(
  store: RedisRoundStore,
  me: ScaleOutParticipant,
  emit: (e: ScaledRoundEvent) => void,
  digestHex: string,
  joinMs: number,
  submitMs: number,
  cohortSize: number,
  pollMs: number,
  setLeading: (leading: boolean) => void,
): Promise<ScaledRoundOutcome> {
  // 1. leadership and the round to join: a follower keeps asking for the lease while it waits,
  // so a dead master is replaced and its round aborted
  const after = (lastRound.get(store) ?? 0) + 1;
  const patienceMs = joinMs + submitMs + 2 * store.leaseMs;
  const started = Date.now();
  let leading = false;
  let round: SharedRound | undefined;
  for (;;) {
    const live = await store.heartbeat();
    leading = await store.lead();
    setLeading(leading);
    const latest = await store.latestRound();
    const now = await store.now();
    if (leading) {
      if (latest !== undefined && latest.state === 'open') {
        const stale =
          (latest.master !== store.coordinatorId && !live.includes(latest.master)) ||
          now > latest.submitDeadline + store.leaseMs;
        if (stale) {
          if (await store.abortRound(latest.round, 'the master coordinator stopped'))
            emit({ type: 'aborted-stale', round: latest.round });
        } else if (latest.round >= after && now <= latest.joinCutoff) {
          // a round this coordinator opened, or one whose live master lost the lease: join it
          // (and master it: this coordinator now holds the lease)
          me.beforeOpen?.();
          round = latest;
          break;
        }
      }
      // never two open rounds: open only when the latest is finished, aborted or stale
      const again = await store.latestRound();
      if (again === undefined || again.state !== 'open') {
        me.beforeOpen?.();
        round = await store.openRound(
          digestHex,
          joinMs,
          submitMs,
          me.maxClients,
          me.drawRotationSeed?.(),
        );
        if (round === undefined) {
          me.abandon?.();
          throw new PrivaggError('PROTOCOL_ABORTED', 'lost the leadership while opening a round');
        }
        emit({ type: 'opened', round: round.round });
        break;
      }
    } else if (
      latest !== undefined &&
      latest.state === 'open' &&
      latest.round >= after &&
      now <= latest.joinCutoff
    ) {
      round = latest;
      break;
    }
    if (Date.now() - started > patienceMs)
      throw new PrivaggError('CONNECTION_CLOSED', 'no round opened: is a leader running?');
    await sleep(pollMs);
  }
  lastRound.set(store, round.round);
  if (round.planDigest !== digestHex)
    throw new PrivaggError('DOMAIN_MISMATCH', `round ${round.round} runs another plan`);

  // 2-3. claim clients until the cut-off, run the cohort, submit its partial
  const claimed = await claimUntilCutoff(store, me, round, cohortSize, pollMs);
  emit({ type: 'claimed', round: round.round, count: claimed.length });
  let contributed = 0;
  if (claimed.length > 0) {
    const now = await store.now();
    try {
      const outcome = await me.runCohort(
        claimed,
        Math.max(1, round.submitDeadline - now - pollMs),
        leading,
        round,
      );
      const partial = encodeCohortPartial({
        planDigest: me.planDigest,
        round: round.round,
        ringBits: me.ringBits,
        sum: outcome.sum,
        participants: outcome.participants,
        dropped: outcome.dropped,
        clipped: outcome.clipped,
      });
      const submitted = await store.submitPartial(round.round, partial);
      if (submitted === 'ok') contributed = outcome.participants.length;
      emit({ type: 'submitted', round: round.round, count: contributed, reason: submitted });
    } catch (e) {
      if (!isPrivaggError(e)) throw e;
      emit({ type: 'cohort-failed', round: round.round, reason: e.message });
    }
  }
  if (!leading) return { round: round.round, master: false, contributed };

  // 4. the master: wait for the cohorts, close, check, combine
  const open = round;
  try {
    await waitForPartials(store, open, pollMs);
    if (!(await store.lead()))
      throw new PrivaggError('PROTOCOL_ABORTED', 'lost the leadership before closing the round');
  } catch (e) {
    me.abandon?.();
    throw e;
  }
  const raw = await store.closeRound(round.round);
  emit({ type: 'closed', round: round.round, count: raw.size });
  try {
    const partials = [...raw.values()].map((bytes) =>
      decodeCohortPartial(bytes, {
        planDigest: me.planDigest,
        round: round.round,
        ringBits: me.ringBits,
        protectedDimension: me.protectedDimension,
        maxClients: me.maxClients,
      }),
    );
    const combined = combineCohortPartials(partials);
    if (combined.participants.length < me.minClients)
      throw new PrivaggError(
        'PROTOCOL_ABORTED',
        `only ${combined.participants.length} clients finished, below the minimum of ${me.minClients}`,
      );
    await store.finishRound(round.round);
    emit({ type: 'released', round: round.round, count: combined.participants.length });
    return {
      round: round.round,
      master: true,
      combined,
      contributed,
      ...(round.rotationSeed === undefined ? {} : { rotationSeed: round.rotationSeed }),
    };
  } catch (e) {
    const reason = isPrivaggError(e) ? e.message : 'the partial sums could not be combined';
    me.abandon?.();
    await store.abortRound(round.round, reason);
    emit({ type: 'aborted', round: round.round, reason });
    throw isPrivaggError(e) ? e : new PrivaggError('PROTOCOL_ABORTED', reason, { cause: e });
  }
}

async function claimUntilCutoff(
  store: RedisRoundStore,
  me: ScaleOutParticipant,
  round: SharedRound,
  cohortSize: number,
  pollMs: number,
): Promise<string[]> {
  const claimed = new Set<string>();
  const refused = new Set<string>();
  for (;;) {
    for (const id of me.readyClients()) {
      if (claimed.size >= cohortSize) break;
      if (claimed.has(id) || refused.has(id)) continue;
      const outcome = await store.claimClient(round.round, id);
      if (outcome === 'ok') claimed.add(id);
      else if (outcome === 'duplicate') refused.add(id);
      else if (outcome === 'full') break;
      else return [...claimed].sort(); // closed
    }
    // every coordinator waits for the cut-off even with a full cohort: membership is final before
    // anyone computes, and a coordinator busy with its cohort cannot starve the others' claims
    const now = await store.now();
    if (now >= round.joinCutoff) return [...claimed].sort();
    await sleep(Math.min(pollMs, Math.max(1, round.joinCutoff - now)));
  }
}

async function waitForPartials(
  store: RedisRoundStore,
  round: SharedRound,
  pollMs: number,
): Promise<void> {
  for (;;) {
    const now = await store.now();
    if (now >= round.submitDeadline) return;
    // once the join cut-off has passed, membership is final: wait for each coordinator with members
    if (now > round.joinCutoff) {
      const members = await store.members(round.round);
      const live = new Set(await store.heartbeat());
      const expected = [...members.keys()].filter((c) => live.has(c)).length;
      if ((await store.partialCount(round.round)) >= expected) return;
    }
    await sleep(Math.min(pollMs, Math.max(1, round.submitDeadline - now)));
  }
}
