/**
 * The round client (`plan.client(id, transport)`): announces its plan to the server, answers
 * invitations with the caller's update (clipped, weighted, encoded and noised as the plan says,
 * then protected), and reports how each round ended. Frames from the server are decoded at the
 * boundary; a bad one is dropped and reported.
 * @module
 */
import {
  aBytes,
  ByteWriter,
  aFunction,
  aOptions,
  ed25519PublicKeyFast,
  type ClientTransport,
  type ClientTransportEvent,
  equalBytes,
  isPrivaggError,
  type Rng,
  randomBytes,
} from '../../core/index.ts';
import { aKernels, defaultKernels } from '../../kernels/index.ts';
import { SecAggClient } from '../../secagg/index.ts';
import {
  checkClientVector,
  checkClientWeight,
  encodeClientVector,
  noiseCkksClientVector,
  prepareClientVector,
} from '../pipeline.ts';
import { PLAN_CKKS_PRESET } from '../protect.ts';
import { type CkksContext, type CkksPublicKey, createCkksContext } from '../../he/index.ts';
import { EventHub } from './events.ts';
import { keyLayout } from './keyholders.ts';
import { aHelperKeys, makeReport, shareAad, shareLayout } from './helpers.ts';
import {
  decodeEnd,
  decodeEnvelope,
  decodeInvite,
  EndStatus,
  encodeEnvelope,
  encodeInput,
  type Envelope,
  FrameKind,
  type FrameKindValue,
} from './protocol.ts';
import { checkKeyDirectory, maxPayloadBytes, roundSecAggPlan, shiftIntoSecAgg } from './secagg.ts';
import type {
  ClientRoundOutcome,
  PlanRuntime,
  RoundClient,
  RoundClientEvent,
  RoundClientOptions,
  RoundUpdate,
} from './types.ts';

interface Pending {
  readonly update: RoundUpdate;
  readonly resolve: (outcome: ClientRoundOutcome) => void;
}

interface ClientRound {
  readonly number: number;
  readonly roundId: Uint8Array;
  readonly cohortSize: number;
  readonly index: number;
  /** The round's rotation seed (plans with the randomized Hadamard rotation). */
  readonly rotationSeed: Uint8Array | undefined;
  /** Resolves the caller's `contribute` promise when the round ends. */
  resolve: ((outcome: ClientRoundOutcome) => void) | undefined;
  /** Waiting for `contribute` (no update was ready when invited). */
  awaiting: boolean;
  secagg: SecAggClient | undefined;
  stage: number;
  /** Malicious tier: the cohort's public keys in index order, from this client's directory. */
  readonly cohortKeys: readonly Uint8Array[] | undefined;
}

const SECAGG_STAGES = ['advertiseKeys', 'shareKeys', 'maskedInput', 'unmask'];
const SECAGG_STAGES_MALICIOUS = [
  'advertiseKeys',
  'shareKeys',
  'maskedInput',
  'consistencyCheck',
  'unmask',
];

/** @internal Create the round client of a plan (see `AggregationPlan.client`). */
export function createRoundClient(
  rt: PlanRuntime,
  clientId: string,
  transport: ClientTransport,
  options: RoundClientOptions = {},
): RoundClient {
  aOptions('options', options, [
    'onRound',
    'onEvent',
    'rng',
    'signingKey',
    'verificationKeys',
    'kernels',
    'helperKeys',
    'ckksPublicKey',
  ]);
  if (options.kernels !== undefined) aKernels('options.kernels', options.kernels);
  const kernels = options.kernels ?? defaultKernels();
  const layout = shareLayout(rt);
  let helperKeys: Uint8Array[] | undefined;
  if (layout !== undefined)
    helperKeys = aHelperKeys(layout, 'options.helperKeys', options.helperKeys);
  else if (options.helperKeys !== undefined)
    throw new TypeError('"options.helperKeys" is used by protection "shamir" only');
  const keyL = keyLayout(rt);
  let ckksPublicKey: Uint8Array | undefined;
  if (keyL !== undefined) {
    if (options.ckksPublicKey === undefined || options.ckksPublicKey.length === 0)
      throw new TypeError(
        '"options.ckksPublicKey" is required by protection "ckks": the key holders\' CKKS public key, from a source the server does not control',
      );
    aBytes('options.ckksPublicKey', options.ckksPublicKey);
    ckksPublicKey = options.ckksPublicKey.slice();
  } else if (options.ckksPublicKey !== undefined)
    throw new TypeError('"options.ckksPublicKey" is used by protection "ckks" only');
  /** The CKKS context and public key, loaded on first use (protection ckks). */
  let ckks: Promise<{ ctx: CkksContext; key: CkksPublicKey }> | undefined;
  const ckksKey = (bytes: Uint8Array): Promise<{ ctx: CkksContext; key: CkksPublicKey }> => {
    ckks ??= (async () => {
      const ctx = await createCkksContext(PLAN_CKKS_PRESET);
      try {
        return { ctx, key: ctx.loadPublicKey(bytes) };
      } catch (e) {
        ctx.dispose();
        throw e;
      }
    })();
    return ckks;
  };
  if (options.onRound !== undefined) aFunction('options.onRound', options.onRound);
  if (options.onEvent !== undefined) aFunction('options.onEvent', options.onEvent);
  if (options.rng !== undefined) aFunction('options.rng', options.rng);
  if (
    typeof transport !== 'object' ||
    transport === null ||
    typeof transport.onEvent !== 'function' ||
    typeof transport.send !== 'function'
  )
    throw new TypeError('"transport" expected a ClientTransport');
  if (typeof clientId !== 'string' || clientId !== transport.clientId)
    throw new RangeError('"clientId" must equal the transport\'s clientId');
  const directory = checkKeyDirectory(rt, 'options.verificationKeys', options.verificationKeys);
  let signingKey: Uint8Array | undefined;
  if (directory !== undefined) {
    aBytes('options.signingKey', options.signingKey, 32);
    signingKey = options.signingKey.slice();
    const mine = directory.get(clientId);
    if (mine === undefined || !equalBytes(mine, ed25519PublicKeyFast(signingKey)))
      throw new RangeError(
        '"options.signingKey" does not match this client\'s key in "options.verificationKeys"',
      );
  } else if (options.signingKey !== undefined)
    throw new TypeError('"options.signingKey" is used by the malicious SecAgg tier only');
  const stages = directory === undefined ? SECAGG_STAGES : SECAGG_STAGES_MALICIOUS;
  const rng: Rng = options.rng ?? randomBytes;
  const hub = new EventHub<RoundClientEvent>(options.onEvent);
  const maxFrame = maxPayloadBytes(rt) + 128;
  let pending: Pending | undefined;
  let current: ClientRound | undefined;
  let lastRoundId: Uint8Array | undefined;
  let isClosed = false;
  let closeReason = '';
  let resolveClosed: (reason: string) => void = () => {};
  const closedPromise = new Promise<string>((resolve) => {
    resolveClosed = resolve;
  });
  // frames are handled one at a time, in arrival order (SecAgg replies are asynchronous)
  let chain: Promise<void> = Promise.resolve();

  const send = (
    kind: FrameKindValue,
    r: { readonly number: number; readonly roundId: Uint8Array } | undefined,
    payload: Uint8Array,
  ): void => {
    const bytes = encodeEnvelope({
      digest: rt.digest,
      round: r?.number ?? 0,
      roundId: r?.roundId ?? new Uint8Array(16),
      kind,
      payload,
    });
    // a closed connection surfaces as a disconnect event
    transport.send(bytes).catch(() => {});
  };

  const endRound = (r: ClientRound, outcome: ClientRoundOutcome): void => {
    if (current === r) current = undefined;
    r.resolve?.(outcome);
    r.resolve = undefined;
    hub.emit({ type: 'round-ended', outcome });
  };

  const rejectFrame = (code: 'MALFORMED_MESSAGE' | 'PROTOCOL_ABORTED', reason: string): void => {
    hub.emit({ type: 'frame-rejected', code, reason });
  };

  /** Protect the update and send the round's first message. */
  const answer = async (r: ClientRound, update: RoundUpdate | undefined): Promise<void> => {
    if (current !== r || isClosed) return;
    if (update === undefined) {
      send(FrameKind.Decline, r, new Uint8Array(0));
      endRound(r, {
        round: r.number,
        status: 'excluded',
        participants: 0,
        reason: 'declined: no update',
      });
      return;
    }
    const { config, description, calibration } = rt;
    const prepared = prepareClientVector(config, description, update.vector, update.weight);
    const q = description.quantization;
    if (keyL !== undefined && ckksPublicKey !== undefined) {
      // CKKS: this client's share of the noise on the grid, then one ciphertext to the server
      noiseCkksClientVector(description, calibration, prepared.vector, rng);
      const { ctx, key } = await ckksKey(ckksPublicKey);
      if (current !== r || isClosed) return;
      let ciphertext: Uint8Array;
      try {
        ciphertext = ctx.encryptToBytes(prepared.vector, key, { bound: keyL.valueBound });
      } catch (e) {
        if (e instanceof RangeError)
          throw new Error("the noisy values exceeded the plan's public CKKS value bound");
        throw e;
      } finally {
        prepared.vector.fill(0);
      }
      send(
        FrameKind.Ciphertext,
        r,
        new ByteWriter(ciphertext.length + 8)
          .u8(prepared.clipped ? 1 : 0)
          .bytes(ciphertext)
          .finish(),
      );
      hub.emit({ type: 'stage-sent', round: r.number, stage: 'input' });
      return;
    }
    if (q === undefined) {
      send(FrameKind.Input, r, encodeInput(prepared.vector, prepared.clipped));
      hub.emit({ type: 'stage-sent', round: r.number, stage: 'input' });
      return;
    }
    const encoded = await encodeClientVector(
      description,
      calibration,
      prepared.vector,
      rng,
      r.rotationSeed,
      kernels,
    );
    // the round may have ended while the vector was encoded
    if (current !== r || isClosed) {
      encoded.fill(0);
      return;
    }
    if (layout !== undefined && helperKeys !== undefined) {
      // the leader's share in the clear, each helper's sealed to that helper
      const report = await makeReport(
        layout,
        encoded,
        prepared.clipped,
        helperKeys,
        (helper) => shareAad(rt.digest, r.number, r.roundId, helper, clientId),
        rng,
        kernels,
      );
      if (current !== r || isClosed) return;
      send(FrameKind.Shares, r, report);
      hub.emit({ type: 'stage-sent', round: r.number, stage: 'input' });
      return;
    }
    if (rt.secagg === undefined) {
      send(FrameKind.Input, r, encodeInput(encoded, prepared.clipped));
      hub.emit({ type: 'stage-sent', round: r.number, stage: 'input' });
      return;
    }
    const shifted = shiftIntoSecAgg(q.ringBits, rt.secagg.offset, encoded);
    if (shifted === undefined) {
      // the noisy input left the planned range (probability below 2^-40 by plan)
      send(FrameKind.Decline, r, new Uint8Array(0));
      endRound(r, {
        round: r.number,
        status: 'excluded',
        participants: 0,
        reason: 'declined: the noisy input left the secure-aggregation range',
      });
      return;
    }
    const plan = roundSecAggPlan(rt.secagg, r.cohortSize, r.roundId);
    r.secagg = new SecAggClient({
      plan,
      id: r.index,
      input: shifted,
      rng,
      kernels,
      ...(r.cohortKeys === undefined || signingKey === undefined
        ? {}
        : { signingKey, verificationKeys: r.cohortKeys }),
    });
    shifted.fill(0);
    encoded.fill(0);
    send(FrameKind.SecAgg, r, r.secagg.start());
    hub.emit({ type: 'stage-sent', round: r.number, stage: stages[0] as string });
  };

  const answerSafely = async (r: ClientRound, update: RoundUpdate | undefined): Promise<void> => {
    try {
      await answer(r, update);
    } catch (e) {
      send(FrameKind.Decline, r, new Uint8Array(0));
      endRound(r, {
        round: r.number,
        status: 'excluded',
        participants: 0,
        reason: `declined: ${e instanceof Error ? e.message : 'the update could not be used'}`,
      });
    }
  };

  const onInvite = async (env: Envelope): Promise<void> => {
    const { cohortSize, index, cohort, rotationSeed } = decodeInvite(
      env.payload,
      rt.config.clients.expected,
    );
    if ((rotationSeed !== undefined) !== rt.calibration.rotation) {
      rejectFrame(
        'PROTOCOL_ABORTED',
        rt.calibration.rotation
          ? 'the invitation lacks the rotation seed this plan needs'
          : 'a rotation seed in an invitation of a plan without rotation',
      );
      return;
    }
    let cohortKeys: Uint8Array[] | undefined;
    if (directory !== undefined) {
      // the cohort's keys come from this client's own directory, never from the server
      let problem: string | undefined;
      if (cohort === undefined) problem = 'the invitation does not name the cohort';
      else if (cohort[index] !== clientId)
        problem = "the invitation puts another client at this client's index";
      else if (cohort.some((id, i) => i > 0 && (cohort[i - 1] as string) >= id))
        problem = 'the cohort is not sorted and unique';
      else if (cohort.some((id) => !directory.has(id)))
        problem = 'a cohort member has no key in the directory';
      if (problem !== undefined) {
        rejectFrame('PROTOCOL_ABORTED', problem);
        send(FrameKind.Decline, { number: env.round, roundId: env.roundId }, new Uint8Array(0));
        return;
      }
      cohortKeys = (cohort as string[]).map((id) => directory.get(id) as Uint8Array);
    } else if (cohort !== undefined) {
      rejectFrame('PROTOCOL_ABORTED', 'a cohort list in an invitation of a semi-honest plan');
      return;
    }
    if (
      (current !== undefined && equalBytes(current.roundId, env.roundId)) ||
      (lastRoundId !== undefined && equalBytes(lastRoundId, env.roundId))
    ) {
      rejectFrame('PROTOCOL_ABORTED', 'repeated invitation');
      return;
    }
    if (current !== undefined)
      endRound(current, {
        round: current.number,
        status: 'aborted',
        participants: 0,
        reason: 'the server started another round',
      });
    const r: ClientRound = {
      number: env.round,
      roundId: env.roundId,
      cohortSize,
      index,
      rotationSeed,
      resolve: undefined,
      awaiting: false,
      secagg: undefined,
      stage: 0,
      cohortKeys,
    };
    current = r;
    lastRoundId = env.roundId;
    hub.emit({ type: 'invited', round: r.number, cohortSize });
    if (pending !== undefined) {
      const p = pending;
      pending = undefined;
      r.resolve = p.resolve;
      await answerSafely(r, p.update);
      return;
    }
    if (options.onRound !== undefined) {
      let update: RoundUpdate | undefined;
      try {
        update = await options.onRound({ round: r.number, cohortSize });
        if (update !== undefined) {
          if (typeof update !== 'object' || update === null)
            throw new TypeError('onRound expected to return { vector, weight? } or undefined');
          checkClientVector(rt.config, 'update.vector', update.vector);
          checkClientWeight(rt.config, 'update.weight', update.weight);
        }
      } catch (e) {
        send(FrameKind.Decline, r, new Uint8Array(0));
        endRound(r, {
          round: r.number,
          status: 'excluded',
          participants: 0,
          reason: `declined: onRound failed (${e instanceof Error ? e.message : 'error'})`,
        });
        return;
      }
      await answerSafely(r, update);
      return;
    }
    r.awaiting = true;
  };

  const onSecAgg = async (env: Envelope): Promise<void> => {
    const r = current;
    if (r === undefined || r.secagg === undefined || !equalBytes(r.roundId, env.roundId)) {
      rejectFrame('PROTOCOL_ABORTED', 'secure-aggregation frame outside a round of this client');
      return;
    }
    let reply: Uint8Array | undefined;
    try {
      reply = await r.secagg.receive(env.payload);
    } catch (e) {
      const code =
        isPrivaggError(e) && e.code === 'PROTOCOL_ABORTED' ? e.code : 'MALFORMED_MESSAGE';
      rejectFrame(code, e instanceof Error ? e.message : 'refused');
      return;
    }
    if (reply === undefined || current !== r) return;
    r.stage = Math.min(r.stage + 1, stages.length - 1);
    send(FrameKind.SecAgg, r, reply);
    hub.emit({ type: 'stage-sent', round: r.number, stage: stages[r.stage] as string });
  };

  const onEnd = (env: Envelope): void => {
    const r = current;
    if (r === undefined || !equalBytes(r.roundId, env.roundId)) {
      rejectFrame('PROTOCOL_ABORTED', 'round end for a round this client is not in');
      return;
    }
    const { status, participants, reason } = decodeEnd(env.payload);
    endRound(r, {
      round: r.number,
      status:
        status === EndStatus.Included
          ? 'completed'
          : status === EndStatus.Excluded
            ? 'excluded'
            : 'aborted',
      participants: status === EndStatus.Aborted ? 0 : participants,
      ...(reason === '' ? {} : { reason }),
    });
  };

  const onFrame = async (bytes: Uint8Array): Promise<void> => {
    let env: Envelope;
    try {
      env = decodeEnvelope(bytes, maxFrame);
    } catch (e) {
      rejectFrame('MALFORMED_MESSAGE', isPrivaggError(e) ? e.message : 'undecodable frame');
      return;
    }
    if (!equalBytes(env.digest, rt.digest)) {
      rejectFrame('PROTOCOL_ABORTED', 'frame for another plan (plan digest differs)');
      return;
    }
    try {
      switch (env.kind) {
        case FrameKind.Invite:
          return await onInvite(env);
        case FrameKind.SecAgg:
          return await onSecAgg(env);
        case FrameKind.End:
          return onEnd(env);
        default:
          rejectFrame('PROTOCOL_ABORTED', `frame kind ${env.kind} is not sent by servers`);
      }
    } catch (e) {
      rejectFrame(
        isPrivaggError(e) && e.code === 'PROTOCOL_ABORTED' ? e.code : 'MALFORMED_MESSAGE',
        e instanceof Error ? e.message : 'refused',
      );
    }
  };

  const shutdown = (reason: string): void => {
    if (isClosed) return;
    isClosed = true;
    closeReason = reason;
    if (current !== undefined)
      endRound(current, { round: current.number, status: 'disconnected', participants: 0, reason });
    if (pending !== undefined) {
      pending.resolve({ round: 0, status: 'disconnected', participants: 0, reason });
      pending = undefined;
    }
    hub.emit({ type: 'disconnected', reason });
    hub.end();
    resolveClosed(reason);
  };

  transport.onEvent((event: ClientTransportEvent) => {
    if (isClosed) return;
    if (event.type === 'disconnect') {
      chain = chain.then(() => shutdown(String(event.reason)));
      return;
    }
    if (event.type === 'message' && event.frame instanceof Uint8Array) {
      const bytes = event.frame;
      chain = chain.then(() => onFrame(bytes));
    }
  });
  send(FrameKind.Hello, undefined, new Uint8Array(0));

  return {
    clientId,
    contribute(vector, opts = {}) {
      aOptions('options', opts, ['weight']);
      checkClientVector(rt.config, 'vector', vector);
      checkClientWeight(rt.config, 'options.weight', opts.weight);
      const update: RoundUpdate = {
        vector: Float64Array.from(vector),
        ...(opts.weight === undefined ? {} : { weight: opts.weight }),
      };
      if (isClosed)
        return Promise.resolve({
          round: 0,
          status: 'disconnected',
          participants: 0,
          reason: closeReason,
        });
      return new Promise<ClientRoundOutcome>((resolve) => {
        const r = current;
        if (r?.awaiting) {
          r.awaiting = false;
          r.resolve = resolve;
          chain = chain.then(() => answerSafely(r, update));
          return;
        }
        pending?.resolve({
          round: 0,
          status: 'excluded',
          participants: 0,
          reason: 'replaced by a later update',
        });
        pending = { update, resolve };
      });
    },
    events: () => hub.iterate(),
    closed: closedPromise,
    async close() {
      await transport.close();
      chain = chain.then(() => shutdown('client closed'));
      await chain;
      const held = ckks;
      ckks = undefined;
      await held?.then(
        ({ ctx, key }) => {
          key.dispose();
          ctx.dispose();
        },
        () => {},
      );
    },
  };
}
