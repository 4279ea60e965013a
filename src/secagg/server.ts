/**
 * The server state machine of secure aggregation: collects each stage's messages, closes the
 * stage when the caller says so (a deadline, or everyone answered), and after unmasking returns
 * the sum of the survivors' inputs and nothing else. Untrusted messages never throw: a bad one
 * is refused, recorded in {@link SecAggServer.rejections}, and leaves the round untouched.
 * @module
 */
import {
  aBytes,
  aInteger,
  aOptions,
  ed25519VerifyFast,
  equalBytes,
  isPrivaggError,
  PrivaggError,
  x25519PublicKeyFast,
  x25519Agreement,
} from '../core/index.ts';
import { NeighborGraph } from './graph.ts';
import {
  addInto,
  deriveSelfMaskKey,
  derivePairMaskKey,
  type MaskJob,
  pairSign,
  reduceRing,
  unpackRing,
  wordsPerElement,
} from './masks.ts';
import {
  type AdvertisedKeys,
  advertiseSignedBytes,
  computeSessionId,
  consistencySignedBytes,
  decodeAdvertiseKeys,
  decodeConsistencySignature,
  decodeMaskedInput,
  decodeShareKeys,
  decodeUnmaskResponse,
  encodeForwardedShares,
  encodeKeyList,
  encodeSignatureList,
  encodeSurvivors,
  encodeUnmaskRequest,
  limitsOf,
  MessageType,
  maxMessageBytes,
  peekType,
  type RevealedShare,
  type SealedShare,
  ShareKind,
  type WireLimits,
} from './messages.ts';
import type { SecAggPlan } from './params.ts';
import { aborted, holdersOf, orDefault, type SecAggStage } from './stages.ts';
import { aKernels, defaultKernels, type KernelBackend } from '../kernels/index.ts';
import { addMasks, SecAggWorkerPool } from './pool.ts';
import { combineSecret, shareValue } from './shares.ts';

/**
 * A refused client message, as the server records it.
 * @since 0.1.0
 * @public
 */
export interface SecAggRejection {
  /** The transport's id of the sender. */
  readonly clientId: number;
  /** The server stage when the message arrived. */
  readonly stage: SecAggStage;
  /** `MALFORMED_MESSAGE` (bad bytes) or `PROTOCOL_ABORTED` (out of order, duplicate, not allowed). */
  readonly code: 'MALFORMED_MESSAGE' | 'PROTOCOL_ABORTED';
  /** What was wrong (public facts only). */
  readonly reason: string;
}

/**
 * Which clients the server saw drop, per stage: advertised keys but sent no shares
 * (`afterAdvertiseKeys`), sent shares but no masked input (`afterShareKeys`), sent a masked
 * input but did not answer the next request (`afterMaskedInput`: the consistency check in the
 * malicious tier, the unmask request otherwise), signed the survivor list but sent no unmask
 * response (`duringUnmask`, malicious tier only).
 * @since 0.1.0
 * @public
 */
export interface SecAggDropped {
  /** Advertised keys, never shared them. */
  readonly afterAdvertiseKeys: readonly number[];
  /** Shared keys, never sent a masked input (their inputs are not in the sum). */
  readonly afterShareKeys: readonly number[];
  /** Sent a masked input (included in the sum), then did not answer. */
  readonly afterMaskedInput: readonly number[];
  /** Signed the survivor list, then sent no unmask response (malicious tier). */
  readonly duringUnmask: readonly number[];
}

/**
 * The outcome of a round.
 * @since 0.1.0
 * @public
 */
export interface SecAggResult {
  /** The sum mod 2^k of the survivors' inputs: `Uint32Array` for k <= 32, `BigUint64Array` above. */
  readonly sum: Uint32Array | BigUint64Array;
  /** The clients whose inputs the sum contains (their masked inputs arrived), sorted. */
  readonly survivors: readonly number[];
  /** Who dropped at each stage. */
  readonly dropped: SecAggDropped;
}

/**
 * Options of a {@link SecAggServer}.
 * @since 0.1.0
 * @public
 */
export interface SecAggServerOptions {
  /** The round plan. */
  plan: SecAggPlan;
  /** Ed25519 public keys of all clients by id; required in the malicious tier. @defaultValue none */
  verificationKeys?: readonly Uint8Array[];
  /** The vector id the clients mask under. @defaultValue 0 */
  vectorId?: number;
  /**
   * Worker threads for unmasking, each regenerating the masks of one coordinate range.
   * @defaultValue none: the work runs in this thread
   */
  workerPool?: SecAggWorkerPool;
  /**
   * The kernel backend that regenerates and removes masks when unmasking (rings of at most 32
   * bits, when no `workerPool` takes the job); every backend gives the same sum.
   * @defaultValue the `cpu` reference backend of privagg/kernels
   */
  kernels?: KernelBackend;
}

type Outgoing = Map<number, Uint8Array[]>;

function push(out: Outgoing, to: number, message: Uint8Array): void {
  const list = out.get(to);
  if (list === undefined) out.set(to, [message]);
  else list.push(message);
}

/**
 * The server of a secure-aggregation round. Feed it client messages with
 * {@link SecAggServer.receive}; call {@link SecAggServer.advance} to close a stage and get the
 * messages to deliver; after the unmasking stage call {@link SecAggServer.finish} for the sum.
 * Whenever fewer than `threshold` clients survive a stage the round aborts with
 * `PROTOCOL_ABORTED` and produces no partial output.
 *
 * @example
 * ```ts
 * import { planSecAgg, SecAggServer } from 'privagg/secagg';
 * const plan = planSecAgg({ clients: 3, dimension: 2, neighbors: 'all', threshold: 2, corruptFraction: 0 });
 * const server = new SecAggServer({ plan });
 * console.log(server.receive(0, Uint8Array.of(1, 2, 3))); // false
 * console.log(server.rejections[0]?.code); // MALFORMED_MESSAGE
 * ```
 * @since 0.1.0
 * @public
 */
export class SecAggServer {
  private readonly plan: SecAggPlan;
  private readonly limits: WireLimits;
  private readonly maxBytes: number;
  private readonly vectorId: number;
  private readonly workerPool: SecAggWorkerPool | undefined;
  private readonly kernels: KernelBackend;
  private readonly verificationKeys: readonly Uint8Array[] | undefined;
  private state: SecAggStage = 'advertise-keys';
  private readonly rejected: SecAggRejection[] = [];
  private sessionId: Uint8Array = new Uint8Array(32);
  private readonly advertised = new Map<number, AdvertisedKeys>();
  private u1: number[] = [];
  private graph: NeighborGraph = new NeighborGraph([], 0, new Uint8Array(32));
  private readonly sharesFrom = new Map<number, Map<number, Uint8Array>>();
  /** Per owner, the 1-based share index of each of its holders (cached). */
  private readonly holderIndex = new Map<number, Map<number, number>>();
  private u2 = new Set<number>();
  private sum: Uint32Array;
  private readonly masked = new Set<number>();
  private u3: number[] = [];
  private readonly signatures = new Map<number, Uint8Array>();
  private u4: number[] = [];
  /** What each unmask recipient was asked: alive and dropped owners among its holdings. */
  private readonly requests = new Map<number, { alive: Set<number>; dropped: Set<number> }>();
  private readonly responses = new Map<number, RevealedShare[]>();

  /**
   * @param options - see {@link SecAggServerOptions}
   * @throws {@link !TypeError} for wrong option types or unknown options
   * @throws {@link !RangeError} for out-of-range values or missing malicious-tier keys
   */
  constructor(options: SecAggServerOptions) {
    aOptions('options', options, ['plan', 'verificationKeys', 'vectorId', 'workerPool', 'kernels']);
    const { plan } = options;
    if (typeof plan !== 'object' || plan === null || !Object.isFrozen(plan))
      throw new TypeError('"plan" expected a plan from planSecAgg');
    this.vectorId = orDefault(options.vectorId, 0);
    aInteger('vectorId', this.vectorId, 0, 2 ** 32 - 1);
    if (options.workerPool !== undefined && !(options.workerPool instanceof SecAggWorkerPool))
      throw new TypeError('"workerPool" expected a SecAggWorkerPool');
    this.workerPool = options.workerPool;
    if (options.kernels !== undefined) aKernels('kernels', options.kernels);
    this.kernels = options.kernels ?? defaultKernels();
    if (plan.tier === 'malicious') {
      if (
        !Array.isArray(options.verificationKeys) ||
        options.verificationKeys.length !== plan.clients
      )
        throw new RangeError(
          `the malicious tier needs "verificationKeys" for ${plan.clients} clients`,
        );
      for (const [i, k] of options.verificationKeys.entries())
        aBytes(`verificationKeys[${i}]`, k, 32);
    }
    this.verificationKeys = options.verificationKeys?.map((k) => k.slice());
    this.plan = plan;
    this.limits = limitsOf(plan);
    this.maxBytes = maxMessageBytes(this.limits);
    this.sum = new Uint32Array(plan.dimension * wordsPerElement(plan.modulusBits));
  }

  /** Where the round stands. */
  get stage(): SecAggStage {
    return this.state;
  }

  /** Every refused message so far, in arrival order. */
  get rejections(): readonly SecAggRejection[] {
    return this.rejected;
  }

  private reject(clientId: number, code: SecAggRejection['code'], reason: string): false {
    this.rejected.push({ clientId, stage: this.state, code, reason });
    return false;
  }

  /**
   * Offer one client message to the server. Never throws for bad bytes: a malformed, oversized,
   * out-of-order, duplicate or unauthenticated message is refused and recorded.
   * @param clientId - the sender as the (authenticated) transport knows it
   * @param message - untrusted bytes
   * @returns `true` when the message was accepted
   * @throws {@link !RangeError} when `clientId` is outside the cohort
   */
  receive(clientId: number, message: Uint8Array): boolean {
    aInteger('clientId', clientId, 0, this.plan.clients - 1);
    try {
      return this.dispatch(clientId, message);
    } catch (e) {
      if (isPrivaggError(e) && (e.code === 'MALFORMED_MESSAGE' || e.code === 'PROTOCOL_ABORTED'))
        return this.reject(clientId, e.code, e.message);
      if (e instanceof TypeError || e instanceof RangeError)
        return this.reject(clientId, 'MALFORMED_MESSAGE', e.message);
      throw e;
    }
  }

  private dispatch(clientId: number, message: Uint8Array): boolean {
    const type = peekType(message);
    if (type !== undefined && message.length > this.maxBytes)
      return this.reject(
        clientId,
        'MALFORMED_MESSAGE',
        `message of ${message.length} bytes exceeds the limit of ${this.maxBytes}`,
      );
    if (type === undefined)
      return this.reject(clientId, 'MALFORMED_MESSAGE', 'not a secagg message');
    const expected: Partial<Record<SecAggStage, number>> = {
      'advertise-keys': MessageType.AdvertiseKeys,
      'share-keys': MessageType.ShareKeys,
      'masked-input': MessageType.MaskedInput,
      'consistency-check': MessageType.ConsistencySignature,
      unmasking: MessageType.UnmaskResponse,
    };
    if (expected[this.state] !== type)
      return this.reject(
        clientId,
        'PROTOCOL_ABORTED',
        `message type ${type} is out of order in stage ${this.state}`,
      );
    switch (type) {
      case MessageType.AdvertiseKeys:
        return this.onAdvertise(clientId, message);
      case MessageType.ShareKeys:
        return this.onShareKeys(clientId, message);
      case MessageType.MaskedInput:
        return this.onMaskedInput(clientId, message);
      case MessageType.ConsistencySignature:
        return this.onSignature(clientId, message);
      default:
        return this.onUnmaskResponse(clientId, message);
    }
  }

  private checkSession(sessionId: Uint8Array): void {
    if (!equalBytes(sessionId, this.sessionId))
      throw new PrivaggError('MALFORMED_MESSAGE', 'message belongs to another session');
  }

  private onAdvertise(clientId: number, message: Uint8Array): boolean {
    const { roundId, keys } = decodeAdvertiseKeys(message, this.limits);
    if (!equalBytes(roundId, this.plan.roundId))
      return this.reject(clientId, 'MALFORMED_MESSAGE', 'advertised keys for another round');
    if (keys.id !== clientId)
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'advertised keys name another client');
    if (this.advertised.has(clientId))
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'duplicate advertised keys');
    if (this.verificationKeys !== undefined) {
      const ok =
        keys.signature !== undefined &&
        ed25519VerifyFast(
          keys.signature,
          advertiseSignedBytes(roundId, keys),
          this.verificationKeys[clientId] as Uint8Array,
        );
      if (!ok)
        return this.reject(clientId, 'PROTOCOL_ABORTED', 'advertised keys carry a bad signature');
    }
    this.advertised.set(clientId, keys);
    return true;
  }

  private onShareKeys(clientId: number, message: Uint8Array): boolean {
    const { sessionId, self, shares } = decodeShareKeys(message, this.limits);
    this.checkSession(sessionId);
    if (self !== clientId)
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'shares name another sender');
    const neighbors = this.graph.has(clientId) ? this.graph.neighbors(clientId) : undefined;
    if (neighbors === undefined)
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'sender did not advertise keys');
    if (this.sharesFrom.has(clientId))
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'duplicate shares');
    if (shares.length !== neighbors.length || shares.some((s, i) => s.peer !== neighbors[i]))
      return this.reject(
        clientId,
        'PROTOCOL_ABORTED',
        'shares are not addressed to exactly the sender neighbours',
      );
    this.sharesFrom.set(clientId, new Map(shares.map((s) => [s.peer, s.ciphertext])));
    return true;
  }

  private onMaskedInput(clientId: number, message: Uint8Array): boolean {
    const { sessionId, sender, vectorId, packed } = decodeMaskedInput(message, this.limits);
    this.checkSession(sessionId);
    if (sender !== clientId)
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'masked input names another sender');
    if (!this.u2.has(clientId))
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'sender did not share its keys');
    if (vectorId !== this.vectorId)
      return this.reject(clientId, 'MALFORMED_MESSAGE', 'masked input for another vector');
    if (this.masked.has(clientId))
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'duplicate masked input (counted once)');
    const y = unpackRing(packed, this.plan.modulusBits, this.plan.dimension);
    addInto(this.sum, y, this.plan.modulusBits);
    this.masked.add(clientId);
    return true;
  }

  private onSignature(clientId: number, message: Uint8Array): boolean {
    const { sessionId, sender, signature } = decodeConsistencySignature(message, this.limits);
    this.checkSession(sessionId);
    if (sender !== clientId)
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'signature names another sender');
    if (!this.u3.includes(clientId))
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'signer is not a survivor');
    if (this.signatures.has(clientId))
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'duplicate signature');
    const vk = (this.verificationKeys as readonly Uint8Array[])[clientId] as Uint8Array;
    if (!ed25519VerifyFast(signature, consistencySignedBytes(this.sessionId, this.u3), vk))
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'consistency signature does not verify');
    this.signatures.set(clientId, signature);
    return true;
  }

  private onUnmaskResponse(clientId: number, message: Uint8Array): boolean {
    const { sessionId, sender, shares } = decodeUnmaskResponse(message, this.limits);
    this.checkSession(sessionId);
    if (sender !== clientId)
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'unmask response names another sender');
    const request = this.requests.get(clientId);
    if (request === undefined)
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'sender was not asked to unmask');
    if (this.responses.has(clientId))
      return this.reject(clientId, 'PROTOCOL_ABORTED', 'duplicate unmask response');
    if (shares.length !== request.alive.size + request.dropped.size)
      return this.reject(
        clientId,
        'PROTOCOL_ABORTED',
        'unmask response does not answer the request',
      );
    for (const s of shares) {
      const wanted = request.alive.has(s.owner)
        ? ShareKind.SelfSeed
        : request.dropped.has(s.owner)
          ? ShareKind.MaskingKey
          : undefined;
      if (wanted !== s.kind)
        return this.reject(
          clientId,
          'PROTOCOL_ABORTED',
          'unmask response reveals an unrequested share',
        );
      shareValue(s.share).fill(0); // field elements in range, else MALFORMED_MESSAGE
    }
    this.responses.set(clientId, shares);
    return true;
  }

  private shareIndex(owner: number, holder: number): number {
    let m = this.holderIndex.get(owner);
    if (m === undefined) {
      m = new Map(holdersOf(owner, this.graph.neighbors(owner)).map((h, i) => [h, i + 1]));
      this.holderIndex.set(owner, m);
    }
    return m.get(holder) ?? 0;
  }

  private need(count: number, what: string): void {
    if (count < this.plan.threshold) {
      this.state = 'aborted';
      this.sum.fill(0);
      throw aborted(`only ${count} clients ${what}, below the threshold ${this.plan.threshold}`);
    }
  }

  /**
   * Close the current stage and return the messages to deliver, by client id (each client gets
   * its messages in order). Call it when a deadline passes or every expected client answered.
   * @returns the outgoing messages
   * @throws {@link index.PrivaggError} `PROTOCOL_ABORTED` when fewer than `threshold` clients survive
   *   the stage (the round is over, with no output), or when called in the unmasking stage or
   *   after the round ended
   */
  advance(): Map<number, Uint8Array[]> {
    const out: Outgoing = new Map();
    switch (this.state) {
      case 'advertise-keys': {
        this.u1 = [...this.advertised.keys()].sort((a, b) => a - b);
        this.need(this.u1.length, 'advertised keys');
        const entries = this.u1.map((id) => this.advertised.get(id) as AdvertisedKeys);
        this.sessionId = computeSessionId(this.plan, entries);
        this.graph = new NeighborGraph(this.u1, this.plan.neighbors, this.sessionId);
        const list = encodeKeyList(this.plan.roundId, entries);
        for (const id of this.u1) push(out, id, list);
        this.state = 'share-keys';
        return out;
      }
      case 'share-keys': {
        this.u2 = new Set(this.sharesFrom.keys());
        this.need(this.u2.size, 'shared their keys');
        for (const v of [...this.u2].sort((a, b) => a - b)) {
          const forwarded: SealedShare[] = [];
          for (const u of this.graph.neighbors(v)) {
            if (!this.u2.has(u)) continue;
            const ciphertext = (this.sharesFrom.get(u) as Map<number, Uint8Array>).get(
              v,
            ) as Uint8Array;
            forwarded.push({ peer: u, ciphertext });
          }
          push(out, v, encodeForwardedShares(this.sessionId, v, forwarded));
        }
        this.sharesFrom.clear();
        this.state = 'masked-input';
        return out;
      }
      case 'masked-input': {
        this.u3 = [...this.masked].sort((a, b) => a - b);
        this.need(this.u3.length, 'sent masked inputs');
        if (this.plan.tier === 'malicious') {
          const list = encodeSurvivors(this.sessionId, this.u3);
          for (const id of this.u3) push(out, id, list);
          this.state = 'consistency-check';
          return out;
        }
        this.requestUnmask(this.u3, out);
        return out;
      }
      case 'consistency-check': {
        this.u4 = [...this.signatures.keys()].sort((a, b) => a - b);
        this.need(this.u4.length, 'signed the survivor list');
        const list = encodeSignatureList(
          this.sessionId,
          this.u4.map((id) => ({ id, signature: this.signatures.get(id) as Uint8Array })),
        );
        for (const id of this.u4) push(out, id, list);
        this.requestUnmask(this.u4, out);
        return out;
      }
      default:
        throw aborted(
          `advance() is not available in stage ${this.state}; use finish() after unmasking`,
        );
    }
  }

  private requestUnmask(recipients: readonly number[], out: Outgoing): void {
    const alive = new Set(this.u3);
    for (const c of recipients) {
      const held = holdersOf(
        c,
        this.graph.neighbors(c).filter((v) => this.u2.has(v)),
      );
      const a = held.filter((v) => alive.has(v));
      const d = held.filter((v) => !alive.has(v));
      this.requests.set(c, { alive: new Set(a), dropped: new Set(d) });
      push(out, c, encodeUnmaskRequest(this.sessionId, a, d));
    }
    this.state = 'unmasking';
  }

  /**
   * Close the unmasking stage: reconstruct the survivors' self-mask seeds and the dropped
   * clients' masking keys from the revealed shares, remove every mask, and return the sum.
   * @returns the {@link SecAggResult}
   * @throws {@link index.PrivaggError} `PROTOCOL_ABORTED` when some secret has fewer than `threshold`
   *   revealed shares, a reconstructed key does not match its advertised public key, or the
   *   round is not in the unmasking stage
   */
  async finish(): Promise<SecAggResult> {
    if (this.state !== 'unmasking')
      throw aborted(`finish() is not available in stage ${this.state}`);
    const responders = [...this.responses.keys()].sort((a, b) => a - b);
    this.need(responders.length, 'answered the unmask request');
    type Indexed = { index: number; share: Uint8Array };
    const seedShares = new Map<number, Indexed[]>();
    const keyShares = new Map<number, Indexed[]>();
    for (const [holder, shares] of this.responses)
      for (const s of shares) {
        const m = s.kind === ShareKind.SelfSeed ? seedShares : keyShares;
        const entry = { index: this.shareIndex(s.owner, holder), share: s.share };
        const list = m.get(s.owner);
        if (list === undefined) m.set(s.owner, [entry]);
        else list.push(entry);
      }
    const t = this.plan.threshold;
    const jobs: MaskJob[] = [];
    const reconstruct = (owner: number, list: Indexed[] | undefined, what: string): Uint8Array => {
      if (list === undefined || list.length < t) {
        this.state = 'aborted';
        throw aborted(
          `only ${list?.length ?? 0} shares of the ${what} of client ${owner}, threshold ${t}`,
        );
      }
      try {
        return combineSecret(list, t);
      } catch (cause) {
        this.state = 'aborted';
        throw aborted(`the ${what} of client ${owner} does not reconstruct`, cause);
      }
    };
    for (const v of this.u3) {
      const seed = reconstruct(v, seedShares.get(v), 'self-mask seed');
      jobs.push({ key: deriveSelfMaskKey(seed, this.sessionId, v, this.vectorId), sign: -1 });
      seed.fill(0);
    }
    const alive = new Set(this.u3);
    for (const v of [...this.u2].sort((a, b) => a - b)) {
      if (alive.has(v)) continue;
      const secret = reconstruct(v, keyShares.get(v), 'masking key');
      const advertised = this.advertised.get(v) as AdvertisedKeys;
      if (!equalBytes(x25519PublicKeyFast(secret), advertised.maskingKey)) {
        this.state = 'aborted';
        throw aborted(`the masking key of client ${v} reconstructs to a key it never advertised`);
      }
      const agree = x25519Agreement(secret);
      for (const u of this.graph.neighbors(v)) {
        if (!alive.has(u)) continue;
        const agreement = agree((this.advertised.get(u) as AdvertisedKeys).maskingKey);
        // u added pairSign(u, v) * PRG(s_uv); remove it
        jobs.push({
          key: derivePairMaskKey(agreement, this.sessionId, u, v, this.vectorId),
          sign: pairSign(u, v) === 1 ? -1 : 1,
        });
        agreement.fill(0);
      }
      secret.fill(0);
    }
    const total = await addMasks(
      this.sum,
      jobs,
      this.plan.modulusBits,
      this.plan.dimension,
      this.workerPool,
      undefined,
      this.kernels,
    );
    for (const j of jobs) j.key.fill(0);
    reduceRing(total, this.plan.modulusBits);
    const survivors = this.u3.slice();
    const responded = new Set(responders);
    const asked = this.plan.tier === 'malicious' ? this.u4 : this.u3;
    const signedSet = new Set(this.u4);
    const dropped: SecAggDropped = {
      afterAdvertiseKeys: this.u1.filter((v) => !this.u2.has(v)),
      afterShareKeys: [...this.u2].sort((a, b) => a - b).filter((v) => !alive.has(v)),
      afterMaskedInput:
        this.plan.tier === 'malicious'
          ? this.u3.filter((v) => !signedSet.has(v))
          : this.u3.filter((v) => !responded.has(v)),
      duringUnmask: this.plan.tier === 'malicious' ? asked.filter((v) => !responded.has(v)) : [],
    };
    this.state = 'done';
    this.responses.clear();
    return { sum: toOutput(total, this.plan.modulusBits, this.plan.dimension), survivors, dropped };
  }
}

function toOutput(
  words: Uint32Array,
  bits: number,
  dimension: number,
): Uint32Array | BigUint64Array {
  if (bits <= 32) return words;
  const out = new BigUint64Array(dimension);
  for (let i = 0; i < dimension; i++)
    out[i] = (BigInt(words[2 * i + 1] as number) << 32n) | BigInt(words[2 * i] as number);
  return out;
}
