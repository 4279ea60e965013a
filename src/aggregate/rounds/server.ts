/**
 * The round server (`plan.server(transport)`): admits clients that announce the same plan,
 * selects a random cohort, runs the plan's stages with deadlines over the transport, and
 * resolves with the aggregate. Every frame from the network is decoded at the boundary; a bad,
 * late or duplicate frame is dropped and reported, never thrown.
 * @module
 */
import {
  aFunction,
  aInteger,
  aOptions,
  ByteReader,
  drawBytes,
  equalBytes,
  isPrivaggError,
  PrivaggError,
  type Rng,
  randomBelowU32,
  randomBytes,
  type ServerTransport,
  type ServerTransportEvent,
} from '../../core/index.ts';
import { aKernels, defaultKernels, type KernelBackend } from '../../kernels/index.ts';
import { SecAggServer } from '../../secagg/index.ts';
import { decodeRingSum, finishRound } from '../pipeline.ts';
import { drawRotationSeed } from '../rotation.ts';
import { shamirReconstruct } from '../../sharing/index.ts';
import {
  type CkksContext,
  type CkksVector,
  combinePartialDecryptions,
  createCkksContext,
} from '../../he/index.ts';
import { releaseCkksSum } from '../pipeline.ts';
import { addFieldInto, fieldToRing, PLAN_CKKS_PRESET } from '../protect.ts';
import {
  aKeyHolderEndpoints,
  ciphertextBound,
  decodeKeyResponse,
  encodeKeyRequest,
  type KeyLayout,
  type KeyRequest,
  type KeyResponse,
  KeyMode,
  keyLayout,
} from './keyholders.ts';
import { EventHub } from './events.ts';
import {
  aHelperEndpoints,
  type AggregationHelperEndpoint,
  decodeHelperResponse,
  decodeReport,
  encodeHelperRequest,
  type HelperRequest,
  type HelperResponse,
  HelperMode,
  type ShareLayout,
  type ShareReport,
  shareLayout,
} from './helpers.ts';
import {
  decodeEnvelope,
  decodeInput,
  EndStatus,
  encodeEnd,
  encodeEnvelope,
  encodeInvite,
  type Envelope,
  FrameKind,
  type FrameKindValue,
} from './protocol.ts';
import { checkKeyDirectory, maxPayloadBytes, roundSecAggPlan, unshiftSecAggSum } from './secagg.ts';
import type {
  PlanRuntime,
  RoundEvent,
  RoundResult,
  RoundServer,
  RoundServerOptions,
  RunRoundOptions,
} from './types.ts';

const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

/** The state of one running round. */
interface ActiveRound {
  readonly number: number;
  readonly roundId: Uint8Array;
  /** Cohort ids, sorted; the index is the SecAgg id. */
  readonly cohort: readonly string[];
  readonly indexOf: ReadonlyMap<string, number>;
  /** Indices expected to answer in the current stage, and those that did. */
  expected: Set<number>;
  answered: Set<number>;
  /** Bytes of the frames accepted, and sent, in the current stage. */
  bytesIn: number;
  bytesOut: number;
  /** Why a cohort member left the round (disconnected, declined). */
  readonly gone: Map<number, string>;
  /** The current stage's frame handler: true when the frame counts as the sender's answer. */
  onFrame: (index: number, envelope: Envelope) => boolean;
  /** Wakes the stage waiter. */
  poke: () => void;
}

function stageDone(r: ActiveRound): boolean {
  for (const i of r.expected) if (!r.answered.has(i) && !r.gone.has(i)) return false;
  return true;
}

function aborted(message: string): PrivaggError {
  return new PrivaggError('PROTOCOL_ABORTED', message);
}

/** @internal What a cohort of a scaled round hands its coordinator (not decoded, not accounted). */
export interface CohortCapture {
  readonly sum: Uint32Array;
  readonly participants: readonly string[];
  readonly dropped: Readonly<Record<string, readonly string[]>>;
  readonly clipped: number;
}

interface CohortMode {
  readonly clients: ReadonlySet<string>;
  /** Whether this server's plan counts the round against its budget (followers: yes). */
  readonly account: boolean;
  /** The scaled round's rotation seed (shared by every cohort; plans with the rotation). */
  readonly rotationSeed: Uint8Array | undefined;
  capture?: CohortCapture;
}

/** A cohort's own report carries no privacy: the master accounts the combined round. */
const COHORT_ACCOUNTING = {
  round: 0,
  privacy: {
    round: { epsilon: 0, delta: 0 },
    cumulative: { epsilon: 0, delta: 0 },
    accountant: 'accounted by the master of the scaled round',
  },
} as const;

/** @internal A round server that can also run one cohort of a scaled round. */
export interface CohortRoundServer extends RoundServer {
  /**
   * Run a round among `clients` only (claimed for a scaled round) and return the ring sum of its
   * survivors without decoding it (the master decodes once for all cohorts). With `account`, the
   * round counts against this plan's budget (a follower's bookkeeping: it stops taking part once
   * the budget's rounds are spent); the master passes false and accounts the combined round.
   */
  runCohort(
    options: RunRoundOptions & {
      readonly clients: readonly string[];
      readonly account: boolean;
      readonly rotationSeed?: Uint8Array;
    },
  ): Promise<CohortCapture>;
}

/**
 * @internal The master's release of a scaled round: decode the cohorts' combined ring sum, add the
 * central noise (if any) once, and account the round with its actual participants. The caller
 * reserved the round (`rt.reserveRound()`) before opening it.
 */
export async function releaseCombinedSum(
  rt: PlanRuntime,
  ring: Uint32Array,
  participants: number,
  noiseRng: Rng,
  rotationSeed: Uint8Array | undefined,
  kernels: KernelBackend = defaultKernels(),
): Promise<
  Omit<RoundResult, 'participants' | 'dropped' | 'stageDurationsMs' | 'serverRound' | 'clipped'>
> {
  const protectedSum = await decodeRingSum(
    rt.description,
    rt.calibration,
    ring,
    noiseRng,
    rotationSeed,
    kernels,
  );
  const indices = Array.from({ length: participants }, (_, i) => i);
  const finished = finishRound(
    rt.config,
    protectedSum,
    indices,
    {},
    new Set(),
    rt.config.weights !== undefined,
  );
  const { round, privacy } = rt.commitRound(participants);
  return {
    sum: finished.sum,
    mean: finished.mean,
    totalWeight: finished.totalWeight,
    round,
    privacy,
  };
}

/** Ask a helper or key holder one request; its answer must be bytes and come within `timeoutMs`. */
async function withDeadline(
  endpoint: AggregationHelperEndpoint,
  request: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(aborted(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const bytes: unknown = await Promise.race([
      Promise.resolve().then(() => endpoint.handle(request)),
      late,
    ]);
    if (!(bytes instanceof Uint8Array))
      throw new PrivaggError('MALFORMED_MESSAGE', 'the answer is not bytes');
    return bytes;
  } finally {
    clearTimeout(timer);
  }
}

/** @internal Create the round server of a plan (see `AggregationPlan.server`). */
export function createRoundServer(
  rt: PlanRuntime,
  transport: ServerTransport,
  options: RoundServerOptions = {},
): CohortRoundServer {
  aOptions('options', options, [
    'onEvent',
    'rng',
    'noiseRng',
    'waitForClientsMs',
    'stageTimeoutMs',
    'verificationKeys',
    'kernels',
    'helpers',
    'keyHolders',
  ]);
  if (options.kernels !== undefined) aKernels('options.kernels', options.kernels);
  const kernels = options.kernels ?? defaultKernels();
  const layout = shareLayout(rt);
  let helpers: readonly AggregationHelperEndpoint[] = [];
  if (layout !== undefined) helpers = aHelperEndpoints(layout, 'options.helpers', options.helpers);
  else if (options.helpers !== undefined)
    throw new TypeError('"options.helpers" is used by protection "shamir" only');
  const keyL = keyLayout(rt);
  let keyHolders: readonly AggregationHelperEndpoint[] = [];
  if (keyL !== undefined)
    keyHolders = aKeyHolderEndpoints(keyL, 'options.keyHolders', options.keyHolders);
  else if (options.keyHolders !== undefined)
    throw new TypeError('"options.keyHolders" is used by protection "ckks" only');
  /** The server's CKKS context (protection ckks), made on the first round. */
  let ckksCtx: Promise<CkksContext> | undefined;
  if (options.onEvent !== undefined) aFunction('options.onEvent', options.onEvent);
  if (options.rng !== undefined) aFunction('options.rng', options.rng);
  if (options.noiseRng !== undefined) aFunction('options.noiseRng', options.noiseRng);
  const defaultWait = options.waitForClientsMs === undefined ? 30_000 : options.waitForClientsMs;
  aInteger('options.waitForClientsMs', defaultWait, 0, MAX_TIMEOUT_MS);
  const defaultStage = options.stageTimeoutMs === undefined ? 60_000 : options.stageTimeoutMs;
  aInteger('options.stageTimeoutMs', defaultStage, 1, MAX_TIMEOUT_MS);
  if (
    typeof transport !== 'object' ||
    transport === null ||
    typeof transport.onEvent !== 'function' ||
    typeof transport.send !== 'function'
  )
    throw new TypeError('"transport" expected a ServerTransport');
  const keys = checkKeyDirectory(rt, 'options.verificationKeys', options.verificationKeys);
  const rng: Rng = options.rng ?? randomBytes;
  const noiseRng: Rng = options.noiseRng ?? rng;
  const hub = new EventHub<RoundEvent>(options.onEvent);
  const maxPayload = maxPayloadBytes(rt);
  const maxFrame = maxPayload + 128;
  const connected = new Set<string>();
  const ready = new Set<string>();
  let readyWaiter: (() => void) | undefined;
  let active: ActiveRound | undefined;
  let running = false;
  let closed = false;
  let rounds = 0;

  const frame = (kind: FrameKindValue, round: number, roundId: Uint8Array, payload: Uint8Array) =>
    encodeEnvelope({ digest: rt.digest, round, roundId, kind, payload });

  const reject = (
    clientId: string,
    code: 'MALFORMED_MESSAGE' | 'PROTOCOL_ABORTED',
    reason: string,
    bytes: number,
  ): void => {
    hub.emit({ type: 'frame-rejected', round: active?.number ?? 0, clientId, code, reason, bytes });
  };

  const onMessage = (clientId: string, bytes: Uint8Array): void => {
    if (!connected.has(clientId)) return;
    let env: Envelope;
    try {
      env = decodeEnvelope(bytes, maxFrame);
    } catch (e) {
      reject(
        clientId,
        'MALFORMED_MESSAGE',
        isPrivaggError(e) ? e.message : 'undecodable frame',
        bytes.length,
      );
      return;
    }
    if (!equalBytes(env.digest, rt.digest)) {
      if (env.kind === FrameKind.Hello && !ready.has(clientId)) {
        const reason = 'the client runs another plan (plan digest differs)';
        hub.emit({ type: 'client-refused', clientId, reason });
        transport.disconnect(clientId, reason);
      } else reject(clientId, 'PROTOCOL_ABORTED', 'frame for another plan', bytes.length);
      return;
    }
    if (env.kind === FrameKind.Hello) {
      if (ready.has(clientId)) {
        reject(clientId, 'PROTOCOL_ABORTED', 'duplicate hello', bytes.length);
        return;
      }
      if (env.payload.length !== 0) {
        reject(clientId, 'MALFORMED_MESSAGE', 'hello carries a payload', bytes.length);
        return;
      }
      if (keys !== undefined && !keys.has(clientId)) {
        const reason = 'the client has no signing key in the key directory';
        hub.emit({ type: 'client-refused', clientId, reason });
        transport.disconnect(clientId, reason);
        return;
      }
      ready.add(clientId);
      hub.emit({ type: 'client-ready', clientId });
      readyWaiter?.();
      return;
    }
    if (env.kind === FrameKind.Invite || env.kind === FrameKind.End) {
      reject(clientId, 'PROTOCOL_ABORTED', 'a server-only frame from a client', bytes.length);
      return;
    }
    if (!ready.has(clientId)) {
      reject(clientId, 'PROTOCOL_ABORTED', 'frame before hello', bytes.length);
      return;
    }
    const r = active;
    if (r === undefined || env.round !== r.number || !equalBytes(env.roundId, r.roundId)) {
      reject(clientId, 'PROTOCOL_ABORTED', 'late frame: its round is not running', bytes.length);
      return;
    }
    const index = r.indexOf.get(clientId);
    if (index === undefined) {
      reject(clientId, 'PROTOCOL_ABORTED', 'the sender is not in the cohort', bytes.length);
      return;
    }
    if (r.gone.has(index) || !r.expected.has(index)) {
      reject(clientId, 'PROTOCOL_ABORTED', 'late frame: the sender left this stage', bytes.length);
      return;
    }
    if (r.answered.has(index)) {
      reject(clientId, 'PROTOCOL_ABORTED', 'duplicate frame in this stage', bytes.length);
      return;
    }
    if (r.onFrame(index, env)) {
      r.answered.add(index);
      r.bytesIn += bytes.length;
      r.poke();
    }
  };

  transport.onEvent((event: ServerTransportEvent) => {
    if (closed) return;
    switch (event.type) {
      case 'connect':
        connected.add(event.clientId);
        // a reconnection must announce its plan again
        ready.delete(event.clientId);
        return;
      case 'disconnect': {
        connected.delete(event.clientId);
        ready.delete(event.clientId);
        hub.emit({
          type: 'client-disconnected',
          clientId: event.clientId,
          reason: String(event.reason),
        });
        const r = active;
        const index = r?.indexOf.get(event.clientId);
        if (r !== undefined && index !== undefined && !r.gone.has(index)) {
          r.gone.set(index, 'disconnected');
          r.poke();
        }
        return;
      }
      case 'message':
        if (event.frame instanceof Uint8Array) onMessage(event.clientId, event.frame);
        return;
      default:
        return;
    }
  });

  /** Wait until `done()` or the deadline (or the abort signal, which throws). */
  const waitFor = (
    done: () => boolean,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    setPoke: (poke: () => void) => void,
  ): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: PrivaggError): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        signal?.removeEventListener('abort', onAbort);
        setPoke(() => {});
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => finish(aborted('the round was aborted by its signal'));
      const check = (): void => {
        if (closed) finish(new PrivaggError('CONNECTION_CLOSED', 'the round server was closed'));
        else if (done()) finish();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => finish(), timeoutMs);
      setPoke(check);
      check();
    });

  const sendTo = async (r: ActiveRound, index: number, bytes: Uint8Array): Promise<void> => {
    const id = r.cohort[index] as string;
    try {
      r.bytesOut += bytes.length;
      await transport.send(id, bytes);
    } catch {
      if (!r.gone.has(index)) r.gone.set(index, 'disconnected');
    }
  };

  /** Ask helper `h` (1..servers - 1) one request, within `timeoutMs`. */
  const callHelper = async (
    l: ShareLayout,
    request: HelperRequest,
    timeoutMs: number,
  ): Promise<HelperResponse> => {
    const endpoint = helpers[request.helper - 1] as AggregationHelperEndpoint;
    const bytes = await withDeadline(endpoint, encodeHelperRequest(request), timeoutMs);
    return decodeHelperResponse(l, bytes, request);
  };

  /**
   * The helpers' part of a shamir round: every helper verifies the batch (shares it cannot open
   * drop their client), then each returns its total over the final batch; the leader adds its
   * own shares and combines: additive totals add up, Shamir totals interpolate (the leader is
   * x = 1, helper h is x = h + 1).
   */
  const combineWithHelpers = async (
    r: ActiveRound,
    inputs: readonly number[],
    reports: ReadonlyMap<number, ShareReport>,
    timeoutMs: number,
    noteDropped: (stage: string, index: number, reason: string) => void,
  ): Promise<{ ring: Uint32Array; participants: number[]; durationMs: number }> => {
    const l = layout as ShareLayout;
    const t0 = performance.now();
    const needed = l.threshold - 1;
    const request = (helper: number, mode: number, members: readonly number[]): HelperRequest => ({
      digest: rt.digest,
      round: r.number,
      roundId: r.roundId,
      helper,
      mode,
      batch: members.map((i) => ({
        clientId: r.cohort[i] as string,
        sealed: (reports.get(i) as ShareReport).sealed[helper - 1] as Uint8Array,
      })),
    });
    const ask = async (
      live: readonly number[],
      mode: number,
      members: readonly number[],
    ): Promise<Map<number, HelperResponse>> => {
      const out = new Map<number, HelperResponse>();
      const failures: string[] = [];
      await Promise.all(
        live.map(async (h) => {
          try {
            out.set(h, await callHelper(l, request(h, mode, members), timeoutMs));
          } catch (e) {
            const reason = e instanceof Error ? e.message : 'failed';
            failures.push(`helper ${h}: ${reason}`);
            hub.emit({
              type: 'helper-failed',
              round: r.number,
              helper: h,
              request: mode === HelperMode.Verify ? 'verify' : 'aggregate',
              reason,
            });
          }
        }),
      );
      if (out.size < needed)
        throw aborted(
          `only ${out.size} of ${l.servers - 1} helpers answered, ${needed} needed (${failures.sort().join('; ')})`,
        );
      return out;
    };
    const all = Array.from({ length: l.servers - 1 }, (_, h) => h + 1);
    const verified = await ask(all, HelperMode.Verify, inputs);
    const bad = new Set<number>();
    for (const v of verified.values())
      if (v.mode === HelperMode.Verify) for (const p of v.rejected) bad.add(inputs[p] as number);
    for (const i of bad) noteDropped('helpers', i, 'a helper could not open its share');
    const participants = inputs.filter((i) => !bad.has(i));
    if (participants.length < rt.config.clients.minimum)
      throw aborted(
        `only ${participants.length} clients have shares every helper could open, below the minimum of ${rt.config.clients.minimum}`,
      );
    const totals = await ask(
      [...verified.keys()].sort((a, b) => a - b),
      HelperMode.Aggregate,
      participants,
    );
    const leader = new Uint32Array(l.words);
    for (const i of participants) {
      const share = (reports.get(i) as ShareReport).leaderShare;
      if (l.additive) await kernels.add(l.ringBits, leader, share, leader);
      else addFieldInto(leader, share);
    }
    let ring: Uint32Array;
    if (l.additive) {
      ring = leader;
      for (const t of totals.values())
        if (t.mode === HelperMode.Aggregate) await kernels.add(l.ringBits, ring, t.total, ring);
    } else {
      const points: { index: number; value: Uint32Array }[] = [{ index: 1, value: leader }];
      for (const [h, t] of [...totals].sort((a, b) => a[0] - b[0]).slice(0, needed))
        if (t.mode === HelperMode.Aggregate) points.push({ index: h + 1, value: t.total });
      ring = fieldToRing(l.ringBits, shamirReconstruct(points, { threshold: l.threshold }));
    }
    return { ring, participants, durationMs: performance.now() - t0 };
  };

  /**
   * The key holders' part of a ckks round: single keys, the key holder's flooded decryption of
   * the sum; threshold keys, a ping to every key holder, then the first `threshold` that answered
   * each partially decrypt the sum and the server combines their partials.
   */
  const decryptWithKeyHolders = async (
    r: ActiveRound,
    ctx: CkksContext,
    total: CkksVector,
    count: number,
    timeoutMs: number,
  ): Promise<{ values: Float64Array; errorBound: number }> => {
    const l = keyL as KeyLayout;
    const sum = total.serialize();
    const request = (holder: number, mode: number, set: readonly number[]): KeyRequest => ({
      digest: rt.digest,
      round: r.number,
      roundId: r.roundId,
      holder,
      mode,
      count,
      set,
      sum: mode === KeyMode.Ping ? new Uint8Array(0) : sum,
    });
    const ask = async (
      holders: readonly number[],
      mode: number,
      set: readonly number[],
    ): Promise<Map<number, KeyResponse>> => {
      const out = new Map<number, KeyResponse>();
      const failures: string[] = [];
      await Promise.all(
        holders.map(async (h) => {
          const q = request(h, mode, set);
          try {
            const bytes = await withDeadline(
              keyHolders[h - 1] as AggregationHelperEndpoint,
              encodeKeyRequest(q),
              timeoutMs,
            );
            out.set(h, decodeKeyResponse(l, bytes, q));
          } catch (e) {
            const reason = e instanceof Error ? e.message : 'failed';
            failures.push(`key holder ${h}: ${reason}`);
            hub.emit({
              type: 'helper-failed',
              round: r.number,
              helper: h,
              request: mode === KeyMode.Ping ? 'ping' : 'decrypt',
              reason,
            });
          }
        }),
      );
      const needed = mode === KeyMode.Ping ? l.needed : holders.length;
      if (out.size < needed)
        throw aborted(
          `only ${out.size} of ${holders.length} key holders answered, ${needed} needed (${failures.sort().join('; ')})`,
        );
      return out;
    };
    if (!l.threshold) {
      const answer = (await ask([1], KeyMode.Decrypt, [])).get(1) as KeyResponse;
      return { values: answer.values as Float64Array, errorBound: answer.errorBound };
    }
    const all = Array.from({ length: l.parties }, (_, i) => i + 1);
    const alive = [...(await ask(all, KeyMode.Ping, [])).keys()].sort((a, b) => a - b);
    const set = alive.slice(0, l.needed);
    const partials = await ask(set, KeyMode.Decrypt, set);
    let combined: { values: ArrayLike<number>; errorBound: number };
    try {
      combined = combinePartialDecryptions(
        ctx,
        total,
        set.map((h) => (partials.get(h) as KeyResponse).partial as Uint8Array),
        { parties: l.parties },
      );
    } catch (e) {
      throw aborted(
        `the key holders' partial decryptions do not combine: ${e instanceof Error ? e.message : 'failed'}`,
      );
    }
    return {
      values: Float64Array.from(combined.values).subarray(0, l.length),
      errorBound: combined.errorBound,
    };
  };

  const runRound = (opts: RunRoundOptions = {}): Promise<RoundResult> => runAny(opts, undefined);
  const runCohort = async (
    opts: RunRoundOptions & {
      readonly clients: readonly string[];
      readonly account: boolean;
      readonly rotationSeed?: Uint8Array;
    },
  ): Promise<CohortCapture> => {
    const { clients, account, rotationSeed, ...rest } = opts;
    if (layout !== undefined)
      throw new PrivaggError(
        'BACKEND_UNAVAILABLE',
        'scaled rounds of protection "shamir" are not available: each helper accounts the releases it makes, one per cohort; run one leader with its helpers',
      );
    if (rt.description.quantization === undefined)
      throw new PrivaggError(
        'BACKEND_UNAVAILABLE',
        'cohort sums need a ring: plans without protection and without DP sum floats in the clear',
      );
    if (rt.calibration.rotation !== (rotationSeed !== undefined))
      throw new TypeError(
        rt.calibration.rotation
          ? '"rotationSeed" is required: the plan rotates with a seed every cohort shares'
          : '"rotationSeed" given to a plan without rotation',
      );
    const mode: CohortMode = { clients: new Set(clients), account, rotationSeed };
    await runAny(rest, mode);
    if (mode.capture === undefined) throw aborted('the cohort produced no sum');
    return mode.capture;
  };
  const runAny = async (
    opts: RunRoundOptions,
    mode: CohortMode | undefined,
  ): Promise<RoundResult> => {
    aOptions('options', opts, ['waitForClientsMs', 'stageTimeoutMs', 'signal']);
    const waitMs = opts.waitForClientsMs === undefined ? defaultWait : opts.waitForClientsMs;
    aInteger('options.waitForClientsMs', waitMs, 0, MAX_TIMEOUT_MS);
    const stageMs = opts.stageTimeoutMs === undefined ? defaultStage : opts.stageTimeoutMs;
    aInteger('options.stageTimeoutMs', stageMs, 1, MAX_TIMEOUT_MS);
    const signal = opts.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw new TypeError('"options.signal" expected an AbortSignal');
    if (closed) throw new PrivaggError('CONNECTION_CLOSED', 'the round server was closed');
    if (running) throw aborted('a round is already running on this server');
    running = true;
    const { expected: maxCohort, minimum } = rt.config.clients;
    const number = ++rounds;
    const started = performance.now();
    let reserved = false;
    let round: ActiveRound | undefined;
    try {
      // a cohort of a scaled round is accounted once, by the master that combines the cohorts
      if (mode === undefined || mode.account) {
        rt.reserveRound();
        reserved = true;
      }
      const eligible = (id: string): boolean => mode === undefined || mode.clients.has(id);
      const eligibleCount = (): number =>
        mode === undefined ? ready.size : [...ready].filter(eligible).length;
      const wanted = mode === undefined ? maxCohort : Math.min(maxCohort, mode.clients.size);
      // 1. wait for enough ready clients, then draw the cohort (CSPRNG, up to clients.expected)
      await waitFor(
        () => eligibleCount() >= wanted,
        waitMs,
        signal,
        (p) => {
          readyWaiter = p;
        },
      );
      readyWaiter = undefined;
      const pool = [...ready].filter(eligible);
      if (pool.length < minimum)
        throw aborted(
          `only ${pool.length} ready clients after ${waitMs} ms, below the minimum of ${minimum}`,
        );
      const size = Math.min(maxCohort, pool.length);
      for (let i = 0; i < size; i++) {
        const j = i + randomBelowU32(rng, pool.length - i);
        [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
      }
      const cohort = pool.slice(0, size).sort();
      const roundId = drawBytes(rng, 16);
      // the rotation seed: one per round, from the server's noise randomness (as simulate draws it
      // from its serverRng), or the scaled round's shared one
      const rotationSeed = rt.calibration.rotation
        ? (mode?.rotationSeed ?? drawRotationSeed(noiseRng))
        : undefined;
      const r: ActiveRound = {
        number,
        roundId,
        cohort,
        indexOf: new Map(cohort.map((id, i) => [id, i])),
        expected: new Set(cohort.keys()),
        answered: new Set(),
        bytesIn: 0,
        bytesOut: 0,
        gone: new Map(),
        onFrame: () => false,
        poke: () => {},
      };
      round = r;
      active = r;
      hub.emit({ type: 'round-started', round: number, cohortSize: size, available: ready.size });
      const stageDurationsMs: Record<string, number> = {};
      const dropped: Record<string, string[]> = {};
      const noteDropped = (stage: string, index: number, reason: string): void => {
        const id = cohort[index] as string;
        const list = dropped[stage] ?? [];
        list.push(id);
        dropped[stage] = list;
        hub.emit({ type: 'client-dropped', round: number, clientId: id, stage, reason });
      };
      /** Run one stage: wait for answers, close it, report who is missing. */
      const stage = async (
        name: string,
        expected: readonly number[],
        onFrame: ActiveRound['onFrame'],
        dropStage: string,
        open: () => Promise<void>,
      ): Promise<Set<number>> => {
        const t0 = performance.now();
        // the stage accepts answers before its opening messages go out: a fast client's reply
        // may arrive while the last of them is still being sent
        r.expected = new Set(expected);
        r.answered = new Set();
        r.bytesIn = 0;
        r.onFrame = onFrame;
        await open();
        r.poke();
        await waitFor(
          () => stageDone(r),
          stageMs,
          signal,
          (p) => {
            r.poke = p;
          },
        );
        const answered = new Set(r.answered);
        r.expected = new Set();
        r.onFrame = () => false;
        for (const i of expected)
          if (!answered.has(i)) {
            noteDropped(dropStage, i, r.gone.get(i) ?? 'deadline');
            r.gone.set(i, r.gone.get(i) ?? 'deadline');
          }
        const durationMs = performance.now() - t0;
        stageDurationsMs[name] = durationMs;
        hub.emit({
          type: 'stage-done',
          round: number,
          stage: name,
          received: answered.size,
          bytesReceived: r.bytesIn,
          bytesSent: r.bytesOut,
          expected: expected.length,
          durationMs,
        });
        r.bytesOut = 0;
        return answered;
      };
      const atLeastMinimum = (count: number, what: string): void => {
        if (count < minimum)
          throw aborted(`only ${count} clients ${what}, below the minimum of ${minimum}`);
      };

      // 2. the invitations open the first stage
      const invite = async (): Promise<void> => {
        await Promise.all(
          cohort.map((_, i) =>
            sendTo(
              r,
              i,
              frame(
                FrameKind.Invite,
                number,
                roundId,
                encodeInvite(size, i, keys === undefined ? undefined : cohort, rotationSeed),
              ),
            ),
          ),
        );
      };

      // 3. the protection's stages
      const q = rt.description.quantization;
      const pd = rt.description.protectedDimension;
      const declined = (index: number, env: Envelope): boolean => {
        if (env.kind !== FrameKind.Decline) return false;
        r.gone.set(index, 'declined');
        r.poke();
        return false;
      };
      let protectedSum: Float64Array;
      let participants: number[];
      const decodeOrCapture = async (
        ring: Uint32Array,
        inSum: readonly number[],
      ): Promise<Float64Array> => {
        if (mode === undefined)
          return decodeRingSum(
            rt.description,
            rt.calibration,
            ring,
            noiseRng,
            rotationSeed,
            kernels,
          );
        mode.capture = {
          sum: ring,
          participants: inSum.map((i) => cohort[i] as string).sort(),
          dropped: Object.fromEntries(Object.entries(dropped).map(([k, v]) => [k, [...v].sort()])),
          clipped: clippedCount ?? 0,
        };
        return new Float64Array(pd);
      };
      let clippedCount: number | undefined;
      let encryptionErrorBound: number | undefined;
      if (keyL !== undefined) {
        // protection ckks: ciphertexts arrive; the server adds them and the key holders decrypt
        ckksCtx ??= createCkksContext(PLAN_CKKS_PRESET);
        const ctx = await ckksCtx;
        const vectors = new Map<number, { v: CkksVector; clipped: boolean }>();
        try {
          const got = await stage(
            'input',
            [...cohort.keys()],
            (index, env) => {
              if (declined(index, env)) return false;
              if (env.kind !== FrameKind.Ciphertext) {
                reject(
                  cohort[index] as string,
                  'PROTOCOL_ABORTED',
                  'expected a ciphertext frame',
                  env.payload.length,
                );
                return false;
              }
              try {
                const rd = new ByteReader(env.payload, maxPayload);
                const flag = rd.u8();
                if (flag > 1) throw new PrivaggError('MALFORMED_MESSAGE', 'bad clip flag');
                const bytes = rd.bytes(ciphertextBound(keyL));
                rd.end();
                const v = ctx.loadVector(bytes);
                if (v.length !== pd || v.bound > keyL.valueBound) {
                  v.dispose();
                  throw new PrivaggError(
                    'MALFORMED_MESSAGE',
                    "the ciphertext's length or declared bound does not match the plan",
                  );
                }
                vectors.set(index, { v, clipped: flag === 1 });
                return true;
              } catch (e) {
                reject(
                  cohort[index] as string,
                  'MALFORMED_MESSAGE',
                  isPrivaggError(e) ? e.message : 'bad ciphertext',
                  env.payload.length,
                );
                return false;
              }
            },
            'input',
            invite,
          );
          participants = [...got].sort((a, b) => a - b);
          atLeastMinimum(participants.length, 'sent their ciphertext');
          clippedCount = participants.filter((i) => vectors.get(i)?.clipped === true).length;
          const t0 = performance.now();
          const total = ctx.sum(participants.map((i) => (vectors.get(i) as { v: CkksVector }).v));
          try {
            const out = await decryptWithKeyHolders(r, ctx, total, participants.length, stageMs);
            stageDurationsMs['keyHolders'] = performance.now() - t0;
            encryptionErrorBound = out.errorBound;
            protectedSum = out.values;
            releaseCkksSum(rt.description, rt.calibration, protectedSum, noiseRng);
          } finally {
            total.dispose();
          }
        } finally {
          for (const { v } of vectors.values()) v.dispose();
        }
      } else if (layout !== undefined) {
        // protection shamir: the leader's shares arrive with the helpers' sealed shares
        const reports = new Map<number, ShareReport>();
        const got = await stage(
          'input',
          [...cohort.keys()],
          (index, env) => {
            if (declined(index, env)) return false;
            if (env.kind !== FrameKind.Shares) {
              reject(
                cohort[index] as string,
                'PROTOCOL_ABORTED',
                'expected a shares frame',
                env.payload.length,
              );
              return false;
            }
            try {
              reports.set(index, decodeReport(layout, env.payload));
              return true;
            } catch (e) {
              reject(
                cohort[index] as string,
                'MALFORMED_MESSAGE',
                isPrivaggError(e) ? e.message : 'bad shares',
                env.payload.length,
              );
              return false;
            }
          },
          'input',
          invite,
        );
        const inputs = [...got].sort((a, b) => a - b);
        atLeastMinimum(inputs.length, 'sent their shares');
        const combined = await combineWithHelpers(r, inputs, reports, stageMs, noteDropped);
        participants = combined.participants;
        atLeastMinimum(participants.length, 'have shares every helper could open');
        stageDurationsMs['helpers'] = combined.durationMs;
        clippedCount = participants.filter((i) => reports.get(i)?.clipped === true).length;
        protectedSum = await decodeOrCapture(combined.ring, participants);
      } else if (rt.secagg === undefined) {
        // no secure aggregation: each client's (encoded) vector arrives as such
        const inputs = new Map<number, Float64Array | Uint32Array>();
        let clipped = 0;
        const got = await stage(
          'input',
          [...cohort.keys()],
          (index, env) => {
            if (declined(index, env)) return false;
            if (env.kind !== FrameKind.Input) {
              reject(
                cohort[index] as string,
                'PROTOCOL_ABORTED',
                'expected an input frame',
                env.payload.length,
              );
              return false;
            }
            try {
              const { vector, clipped: c } = decodeInput(env.payload, pd, q?.ringBits);
              inputs.set(index, vector);
              clipped += c ? 1 : 0;
              return true;
            } catch (e) {
              reject(
                cohort[index] as string,
                'MALFORMED_MESSAGE',
                isPrivaggError(e) ? e.message : 'bad input',
                env.payload.length,
              );
              return false;
            }
          },
          'input',
          invite,
        );
        participants = [...got].sort((a, b) => a - b);
        atLeastMinimum(participants.length, 'sent their input');
        clippedCount = clipped;
        if (q === undefined) {
          protectedSum = new Float64Array(pd);
          for (const i of participants) {
            const x = inputs.get(i) as Float64Array;
            for (let j = 0; j < pd; j++)
              protectedSum[j] = (protectedSum[j] as number) + (x[j] as number);
          }
        } else {
          const ring = new Uint32Array(pd);
          for (const i of participants)
            await kernels.add(q.ringBits, ring, inputs.get(i) as Uint32Array, ring);
          protectedSum = await decodeOrCapture(ring, participants);
        }
      } else {
        // secure aggregation: the SecAgg server state machine, one stage per deadline
        const setup = rt.secagg;
        let secPlan: ReturnType<typeof roundSecAggPlan>;
        try {
          secPlan = roundSecAggPlan(setup, size, roundId);
        } catch (e) {
          throw aborted(
            `no secure-aggregation plan for a cohort of ${size}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        const sec = new SecAggServer({
          plan: secPlan,
          kernels,
          ...(keys === undefined
            ? {}
            : { verificationKeys: cohort.map((id) => keys.get(id) as Uint8Array) }),
        });
        const feed = (index: number, env: Envelope): boolean => {
          if (declined(index, env)) return false;
          const id = cohort[index] as string;
          if (env.kind !== FrameKind.SecAgg) {
            reject(
              id,
              'PROTOCOL_ABORTED',
              'expected a secure-aggregation frame',
              env.payload.length,
            );
            return false;
          }
          const before = sec.rejections.length;
          if (sec.receive(index, env.payload)) return true;
          const why = sec.rejections[before];
          reject(
            id,
            why?.code ?? 'MALFORMED_MESSAGE',
            why?.reason ?? 'refused',
            env.payload.length,
          );
          return false;
        };
        /** Close the SecAgg stage and open the next one with its messages. */
        const next = async (name: string, dropStage: string): Promise<Set<number>> => {
          const out = sec.advance();
          // members that left are kept: the stage reports them as dropped
          const recipients = [...out.keys()].sort((x, y) => x - y);
          return stage(name, recipients, feed, dropStage, async () => {
            await Promise.all(
              [...out].map(async ([i, messages]) => {
                for (const m of messages)
                  await sendTo(r, i, frame(FrameKind.SecAgg, number, roundId, m));
              }),
            );
          });
        };
        const advertised = await stage(
          'advertiseKeys',
          [...cohort.keys()],
          feed,
          'invitation',
          invite,
        );
        atLeastMinimum(advertised.size, 'advertised keys');
        const shared = await next('shareKeys', 'afterAdvertiseKeys');
        atLeastMinimum(shared.size, 'shared their keys');
        const masked = await next('maskedInput', 'afterShareKeys');
        // never unmask a sum of fewer inputs than the privacy plan assumed
        atLeastMinimum(masked.size, 'sent masked inputs');
        if (secPlan.tier === 'malicious') {
          // the consistency check: survivors sign the survivor list before anyone unmasks
          const signed = await next('consistencyCheck', 'afterMaskedInput');
          atLeastMinimum(signed.size, 'signed the survivor list');
          await next('unmask', 'duringUnmask');
        } else await next('unmask', 'afterMaskedInput');
        const result = await sec.finish();
        participants = [...result.survivors];
        atLeastMinimum(participants.length, 'are in the sum');
        if (!(result.sum instanceof Uint32Array))
          throw aborted('wide SecAgg sums are not supported by plans');
        const ring = unshiftSecAggSum(
          secPlan.modulusBits,
          setup.offset,
          participants.length,
          result.sum,
        );
        protectedSum = await decodeOrCapture(ring, participants);
      }

      // 4. the result, the accounting, and the round-end frames
      const finished = finishRound(
        rt.config,
        protectedSum,
        participants,
        {},
        new Set(),
        rt.config.weights !== undefined,
      );
      const { round: planRound, privacy } =
        mode === undefined || mode.account
          ? rt.commitRound(participants.length)
          : COHORT_ACCOUNTING;
      reserved = false;
      const inSum = new Set(participants);
      await Promise.all(
        cohort.map((_, i) =>
          r.gone.get(i) === 'disconnected'
            ? undefined
            : sendTo(
                r,
                i,
                frame(
                  FrameKind.End,
                  number,
                  roundId,
                  encodeEnd(
                    inSum.has(i) ? EndStatus.Included : EndStatus.Excluded,
                    participants.length,
                    inSum.has(i) ? '' : `dropped: ${r.gone.get(i) ?? 'not in the sum'}`,
                  ),
                ),
              ),
        ),
      );
      const durationMs = performance.now() - started;
      hub.emit({
        type: 'round-finished',
        round: number,
        participants: participants.length,
        durationMs,
      });
      const sortedDropped: Record<string, readonly string[]> = {};
      for (const [k, v] of Object.entries(dropped)) sortedDropped[k] = [...v].sort();
      return {
        sum: finished.sum,
        mean: finished.mean,
        totalWeight: finished.totalWeight,
        clipped: clippedCount,
        round: planRound,
        privacy,
        serverRound: number,
        participants: participants.map((i) => cohort[i] as string),
        dropped: sortedDropped,
        stageDurationsMs,
        ...(encryptionErrorBound === undefined ? {} : { encryptionErrorBound }),
      };
    } catch (e) {
      if (reserved) rt.releaseRound();
      const reason = isPrivaggError(e) || e instanceof Error ? e.message : 'round failed';
      hub.emit({
        type: 'round-aborted',
        round: number,
        reason,
        durationMs: performance.now() - started,
      });
      if (round !== undefined) {
        const r = round;
        const end = frame(
          FrameKind.End,
          r.number,
          r.roundId,
          encodeEnd(EndStatus.Aborted, 0, reason),
        );
        await Promise.all(r.cohort.map((_, i) => (r.gone.has(i) ? undefined : sendTo(r, i, end))));
      }
      throw isPrivaggError(e) ? e : aborted(`round ${number} failed: ${reason}`);
    } finally {
      active = undefined;
      readyWaiter = undefined;
      running = false;
    }
  };

  return {
    get readyClients() {
      return [...ready].sort();
    },
    runRound,
    runCohort,
    events: () => hub.iterate(),
    async close() {
      if (closed) return;
      closed = true;
      active?.poke();
      readyWaiter?.();
      hub.end();
      await transport.close();
      const ctx = ckksCtx;
      ckksCtx = undefined;
      await ctx?.then(
        (c) => c.dispose(),
        () => {},
      );
    },
  };
}
