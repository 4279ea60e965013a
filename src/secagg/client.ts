/**
 * The client state machine of secure aggregation (Bonawitz et al. 2017, figure 4; SecAgg+ of
 * Bell et al. 2020): transport-agnostic, it turns each server message into the reply to send,
 * and enforces the double-masking rule in the unmasking stage.
 * @module
 */
import {
  aBytes,
  aesGcmDecryptFast,
  aesGcmEncryptFast,
  aInteger,
  aOptions,
  aU32Array,
  clean,
  drawBytes,
  ed25519SignFast,
  ed25519VerifyFast,
  equalBytes,
  isPrivaggError,
  type KeyPair,
  PrivaggError,
  type Rng,
  randomBytes,
  x25519KeyPairFast,
  toHex,
  x25519Agreement,
} from '../core/index.ts';
import { NeighborGraph } from './graph.ts';
import {
  deriveSelfMaskKey,
  derivePairMaskKey,
  deriveShareKey,
  type MaskJob,
  packRing,
  pairSign,
  reduceRing,
  wordsPerElement,
} from './masks.ts';
import {
  type AdvertisedKeys,
  advertiseSignedBytes,
  computeSessionId,
  consistencySignedBytes,
  decodeForwardedShares,
  decodeKeyList,
  decodeSignatureList,
  decodeSurvivors,
  decodeUnmaskRequest,
  decodeSharePlaintext,
  encodeAdvertiseKeys,
  encodeConsistencySignature,
  encodeMaskedInput,
  encodeShareKeys,
  encodeSharePlaintext,
  encodeUnmaskResponse,
  limitsOf,
  MessageType,
  peekType,
  type RevealedShare,
  type SealedShare,
  shareAssociatedData,
  ShareKind,
  type WireLimits,
} from './messages.ts';
import type { SecAggPlan } from './params.ts';
import { aKernels, defaultKernels, type KernelBackend } from '../kernels/index.ts';
import { addMasks, SecAggWorkerPool } from './pool.ts';
import { shareValue, splitSecret } from './shares.ts';
import { aborted, holdersOf, orDefault, type SecAggStage, toSet } from './stages.ts';

/**
 * Options of a {@link SecAggClient}.
 * @since 0.1.0
 * @public
 */
export interface SecAggClientOptions {
  /** The round plan every party shares ({@link planSecAgg}). */
  plan: SecAggPlan;
  /** This client's id, in `[0, plan.clients)`. */
  id: number;
  /** The input vector: `plan.dimension` values in `[0, plan.maxInputValue]` (never clipped). */
  input: Uint32Array;
  /** Ed25519 secret key (32-byte seed) of this client; required in the malicious tier. @defaultValue none */
  signingKey?: Uint8Array;
  /** Ed25519 public keys of all clients by id (the PKI); required in the malicious tier. @defaultValue none */
  verificationKeys?: readonly Uint8Array[];
  /** Which vector of the round this is (bound into every mask key). @defaultValue 0 */
  vectorId?: number;
  /** Worker threads for mask generation (by coordinate range). @defaultValue none: this thread */
  workerPool?: SecAggWorkerPool;
  /**
   * The kernel backend that expands and adds the masks (rings of at most 32 bits, when no
   * `workerPool` takes the job); every backend gives the same bits.
   * @defaultValue the `cpu` reference backend of privagg/kernels
   */
  kernels?: KernelBackend;
  /** @defaultValue {@link randomBytes} */
  rng?: Rng;
}

const NONCE = new Uint8Array(12); // every share key encrypts exactly one message

/**
 * One client of a secure-aggregation round. Call {@link SecAggClient.start} for the first
 * message, then hand every server message to {@link SecAggClient.receive} and send back what it
 * returns. A malformed or out-of-order message is refused with `MALFORMED_MESSAGE` and leaves the
 * client where it was; a message that breaks the protocol (a share that fails authentication, a
 * bad signature, an unmask request that breaks the double-masking rule) aborts the client for
 * good with `PROTOCOL_ABORTED`.
 *
 * @example
 * ```ts
 * import { planSecAgg, SecAggClient } from 'privagg/secagg';
 * const plan = planSecAgg({ clients: 3, dimension: 2, neighbors: 'all', threshold: 2, corruptFraction: 0 });
 * const client = new SecAggClient({ plan, id: 0, input: Uint32Array.of(1, 2) });
 * console.log(client.start().length > 0, client.stage); // true advertise-keys
 * ```
 * @since 0.1.0
 * @public
 */
export class SecAggClient {
  /** This client's id. */
  readonly id: number;
  private readonly plan: SecAggPlan;
  private readonly limits: WireLimits;
  private readonly rng: Rng;
  private readonly workerPool: SecAggWorkerPool | undefined;
  private readonly kernels: KernelBackend;
  private readonly vectorId: number;
  private readonly signingKey: Uint8Array | undefined;
  private readonly verificationKeys: readonly Uint8Array[] | undefined;
  private input: Uint32Array;
  private state: SecAggStage = 'advertise-keys';
  private started = false;
  private encryption: KeyPair | undefined;
  private masking: KeyPair | undefined;
  private sessionId: Uint8Array = new Uint8Array(32);
  /** Advertised keys of this client and its neighbours (the only ones it uses). */
  private keys = new Map<number, AdvertisedKeys>();
  /** Every client that advertised keys, in increasing order. */
  private advertisedIds: Uint32Array = new Uint32Array(0);
  private neighbors: number[] = [];
  private holders: number[] = [];
  /** For each neighbour, this client's share index (1-based position in that neighbour's holders). */
  private indexAt = new Map<number, number>();
  private seed: Uint8Array | undefined;
  /** Shares this client holds, by owner (its own included). */
  private held = new Map<number, { seedShare: Uint8Array; keyShare: Uint8Array }>();
  private survivors: number[] | undefined;
  private signaturesChecked = false;
  /** Share-decryption keys, one per neighbour (derived with the outbound ones). */
  private readonly inboundKeys = new Map<number, Uint8Array>();
  private agreeEncryption: (peer: Uint8Array) => Uint8Array = () => new Uint8Array(32);

  /**
   * @param options - see {@link SecAggClientOptions}
   * @throws {@link !TypeError} for wrong option types or unknown options
   * @throws {@link !RangeError} for an id outside the cohort, a wrong input length or an input
   *   coordinate above `plan.maxInputValue`, or missing malicious-tier keys
   */
  constructor(options: SecAggClientOptions) {
    aOptions('options', options, [
      'plan',
      'id',
      'input',
      'signingKey',
      'verificationKeys',
      'vectorId',
      'rng',
      'workerPool',
      'kernels',
    ]);
    const { plan } = options;
    if (typeof plan !== 'object' || plan === null || !Object.isFrozen(plan))
      throw new TypeError('"plan" expected a plan from planSecAgg');
    aInteger('id', options.id, 0, plan.clients - 1);
    aU32Array('input', options.input, plan.dimension);
    let max = 0;
    const input = options.input;
    for (let i = 0; i < input.length; i++) max = Math.max(max, input[i] as number);
    if (max > plan.maxInputValue)
      throw new RangeError(`"input" has a coordinate above maxInputValue ${plan.maxInputValue}`);
    this.vectorId = orDefault(options.vectorId, 0);
    aInteger('vectorId', this.vectorId, 0, 2 ** 32 - 1);
    if (plan.tier === 'malicious') {
      if (options.signingKey === undefined || options.verificationKeys === undefined)
        throw new RangeError('the malicious tier needs "signingKey" and "verificationKeys"');
      aBytes('signingKey', options.signingKey, 32);
      if (
        !Array.isArray(options.verificationKeys) ||
        options.verificationKeys.length !== plan.clients
      )
        throw new RangeError(`"verificationKeys" expected ${plan.clients} keys`);
      for (const [i, k] of options.verificationKeys.entries())
        aBytes(`verificationKeys[${i}]`, k, 32);
    }
    this.signingKey = options.signingKey?.slice();
    this.verificationKeys = options.verificationKeys?.map((k) => k.slice());
    this.plan = plan;
    this.limits = limitsOf(plan);
    this.id = options.id;
    this.input = options.input.slice();
    this.rng = orDefault(options.rng, randomBytes);
    if (options.workerPool !== undefined && !(options.workerPool instanceof SecAggWorkerPool))
      throw new TypeError('"workerPool" expected a SecAggWorkerPool');
    this.workerPool = options.workerPool;
    if (options.kernels !== undefined) aKernels('kernels', options.kernels);
    this.kernels = options.kernels ?? defaultKernels();
  }

  /** Where this client stands. */
  get stage(): SecAggStage {
    return this.state;
  }

  /**
   * The AdvertiseKeys message: two fresh X25519 public keys (share encryption, pairwise masks),
   * signed with Ed25519 in the malicious tier.
   * @returns the message for the server
   * @throws {@link index.PrivaggError} `PROTOCOL_ABORTED` when called twice
   */
  start(): Uint8Array {
    if (this.started) throw aborted('start() was already called');
    this.started = true;
    this.encryption = x25519KeyPairFast(this.rng);
    this.masking = x25519KeyPairFast(this.rng);
    const keys = {
      id: this.id,
      encryptionKey: this.encryption.publicKey,
      maskingKey: this.masking.publicKey,
    };
    const signed =
      this.signingKey === undefined
        ? keys
        : {
            ...keys,
            signature: ed25519SignFast(
              advertiseSignedBytes(this.plan.roundId, keys),
              this.signingKey,
            ),
          };
    return encodeAdvertiseKeys(this.plan.roundId, signed);
  }

  /**
   * Process one server message and return the reply to send (`undefined` when the message needs
   * none: the signature list of the consistency check).
   * @param message - untrusted bytes from the server
   * @returns the reply, or `undefined`
   * @throws {@link index.PrivaggError} `MALFORMED_MESSAGE` for a malformed, unexpected or out-of-order
   *   message (the client stays where it was); `PROTOCOL_ABORTED` when the message breaks the
   *   protocol (the client is aborted from then on)
   */
  async receive(message: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.state === 'aborted' || this.state === 'done')
      throw aborted(`client ${this.id} is ${this.state} and accepts no messages`);
    const type = peekType(message);
    const expected = this.expectedTypes();
    if (!this.started || type === undefined || !expected.includes(type))
      throw new PrivaggError(
        'MALFORMED_MESSAGE',
        `client ${this.id} in stage ${this.state} does not expect this message`,
      );
    try {
      switch (type) {
        case MessageType.KeyList:
          return await this.onKeyList(message);
        case MessageType.ForwardedShares:
          return await this.onForwardedShares(message);
        case MessageType.Survivors:
          return this.onSurvivors(message);
        case MessageType.SignatureList:
          this.onSignatureList(message);
          return undefined;
        default:
          return this.onUnmaskRequest(message);
      }
    } catch (e) {
      if (isPrivaggError(e) && e.code === 'PROTOCOL_ABORTED') this.abort();
      throw e;
    }
  }

  private expectedTypes(): number[] {
    switch (this.state) {
      case 'advertise-keys':
        return [MessageType.KeyList];
      case 'share-keys':
        return [MessageType.ForwardedShares];
      case 'masked-input':
        return this.plan.tier === 'malicious'
          ? [MessageType.Survivors]
          : [MessageType.UnmaskRequest];
      case 'consistency-check':
        return this.signaturesChecked ? [MessageType.UnmaskRequest] : [MessageType.SignatureList];
      default:
        return [];
    }
  }

  private abort(): void {
    this.state = 'aborted';
    this.wipe();
  }

  private wipe(): void {
    if (this.encryption) clean(this.encryption.secretKey);
    if (this.masking) clean(this.masking.secretKey);
    if (this.seed) clean(this.seed);
    for (const h of this.held.values()) clean(h.seedShare, h.keyShare);
    for (const k of this.inboundKeys.values()) clean(k);
    this.inboundKeys.clear();
    this.held.clear();
    clean(this.input);
  }

  private checkSession(sessionId: Uint8Array): void {
    if (!equalBytes(sessionId, this.sessionId))
      throw new PrivaggError('MALFORMED_MESSAGE', 'message belongs to another session');
  }

  private async onKeyList(message: Uint8Array): Promise<Uint8Array> {
    const { roundId, entries } = decodeKeyList(message, this.limits);
    if (!equalBytes(roundId, this.plan.roundId))
      throw new PrivaggError('MALFORMED_MESSAGE', 'key list belongs to another round');
    const t = this.plan.threshold;
    if (entries.length < t)
      throw aborted(`only ${entries.length} clients advertised keys, threshold ${t}`);
    const mine = entries.find((e) => e.id === this.id);
    const enc = this.encryption as KeyPair;
    const mask = this.masking as KeyPair;
    if (
      mine === undefined ||
      !equalBytes(mine.encryptionKey, enc.publicKey) ||
      !equalBytes(mine.maskingKey, mask.publicKey)
    )
      throw aborted('the key list omits or alters this client keys');
    this.sessionId = computeSessionId(this.plan, entries);
    this.agreeEncryption = x25519Agreement(enc.secretKey);
    this.advertisedIds = Uint32Array.from(entries, (e) => e.id);
    const graph = new NeighborGraph(
      entries.map((e) => e.id),
      this.plan.neighbors,
      this.sessionId,
    );
    this.neighbors = graph.neighbors(this.id);
    this.holders = holdersOf(this.id, this.neighbors);
    // keep only the keys this client uses: a simulation holds every client at once, and a
    // copy of all n keys in each of them grows as n^2 (3,000 SecAgg+ clients exhausted 4 GB)
    const used = new Set(this.neighbors);
    used.add(this.id);
    for (const e of entries) if (used.has(e.id)) this.keys.set(e.id, e);
    for (const v of this.neighbors)
      this.indexAt.set(v, holdersOf(v, graph.neighbors(v)).indexOf(this.id) + 1);
    if (this.holders.length < t) throw aborted('fewer share holders than the threshold');
    // the keys this client will use must be distinct and, in the malicious tier, signed
    const seen = new Set<string>();
    for (const h of this.holders) {
      const e = this.keys.get(h) as AdvertisedKeys;
      for (const k of [e.encryptionKey, e.maskingKey]) {
        const hex = toHex(k);
        if (seen.has(hex)) throw aborted('two advertised public keys are equal');
        seen.add(hex);
      }
      if (this.verificationKeys !== undefined) {
        const vk = this.verificationKeys[e.id] as Uint8Array;
        const ok =
          e.signature !== undefined &&
          ed25519VerifyFast(e.signature, advertiseSignedBytes(roundId, e), vk);
        if (!ok) throw aborted(`the advertised keys of client ${e.id} carry a bad signature`);
      }
    }
    this.seed = drawBytes(this.rng, 32);
    const seedShares = splitSecret(this.seed, t, this.holders.length, this.rng);
    const keyShares = splitSecret(mask.secretKey, t, this.holders.length, this.rng);
    const sealed: SealedShare[] = [];
    for (const [i, holder] of this.holders.entries()) {
      const seedShare = seedShares[i] as Uint8Array;
      const keyShare = keyShares[i] as Uint8Array;
      if (holder === this.id) {
        this.held.set(this.id, { seedShare, keyShare });
        continue;
      }
      const peer = this.keys.get(holder) as AdvertisedKeys;
      const agreement = this.agreeEncryption(peer.encryptionKey);
      const key = deriveShareKey(agreement, this.sessionId, this.id, holder);
      // the reverse direction's key decrypts this neighbour's share in the next stage
      this.inboundKeys.set(holder, deriveShareKey(agreement, this.sessionId, holder, this.id));
      const plain = encodeSharePlaintext(this.id, holder, seedShare, keyShare);
      const ciphertext = await aesGcmEncryptFast(
        key,
        NONCE,
        plain,
        shareAssociatedData(this.sessionId, this.id, holder),
      );
      clean(agreement, key, plain, seedShare, keyShare);
      sealed.push({ peer: holder, ciphertext });
    }
    this.state = 'share-keys';
    return encodeShareKeys(this.sessionId, this.id, sealed);
  }

  private async onForwardedShares(message: Uint8Array): Promise<Uint8Array> {
    const { sessionId, self, shares } = decodeForwardedShares(message, this.limits);
    this.checkSession(sessionId);
    if (self !== this.id)
      throw new PrivaggError('MALFORMED_MESSAGE', 'forwarded shares addressed to another client');
    const t = this.plan.threshold;
    const neighborSet = new Set(this.neighbors);
    const received = new Map<number, { seedShare: Uint8Array; keyShare: Uint8Array }>();
    for (const { peer, ciphertext } of shares) {
      if (!neighborSet.has(peer))
        throw aborted(`a share arrived from client ${peer}, not a neighbour`);
      const key = this.inboundKeys.get(peer) as Uint8Array;
      let plain: Uint8Array;
      try {
        plain = await aesGcmDecryptFast(
          key,
          NONCE,
          ciphertext,
          shareAssociatedData(this.sessionId, peer, this.id),
        );
      } catch (cause) {
        throw aborted(`the share from client ${peer} failed authentication`, cause);
      } finally {
        clean(key);
      }
      let parsed: { seedShare: Uint8Array; keyShare: Uint8Array };
      try {
        parsed = decodeSharePlaintext(plain, peer, this.id);
        // field elements in range (the evaluation point is implicit: this client's position
        // among the sender's holders)
        for (const s of [parsed.seedShare, parsed.keyShare]) shareValue(s).fill(0);
      } catch (cause) {
        throw aborted(`the share from client ${peer} is malformed`, cause);
      } finally {
        clean(plain);
      }
      received.set(peer, parsed);
    }
    if (received.size + 1 < t)
      throw aborted(
        `only ${received.size + 1} of this client's share holders remain, threshold ${t}`,
      );
    for (const [peer, s] of received) this.held.set(peer, s);
    // y = x + PRG(self seed) + sum over surviving neighbours of +-PRG(pair key), mod 2^k
    const agreeMasking = x25519Agreement((this.masking as KeyPair).secretKey);
    const jobs: MaskJob[] = [
      {
        key: deriveSelfMaskKey(this.seed as Uint8Array, this.sessionId, this.id, this.vectorId),
        sign: 1,
      },
    ];
    for (const peer of received.keys()) {
      const agreement = agreeMasking((this.keys.get(peer) as AdvertisedKeys).maskingKey);
      jobs.push({
        key: derivePairMaskKey(agreement, this.sessionId, this.id, peer, this.vectorId),
        sign: pairSign(this.id, peer),
      });
      clean(agreement);
    }
    const bits = this.plan.modulusBits;
    const d = this.plan.dimension;
    const acc = new Uint32Array(d * wordsPerElement(bits));
    if (wordsPerElement(bits) === 1) acc.set(this.input);
    else for (let i = 0; i < d; i++) acc[2 * i] = this.input[i] as number;
    await addMasks(acc, jobs, bits, d, this.workerPool, undefined, this.kernels);
    for (const j of jobs) clean(j.key);
    reduceRing(acc, bits);
    const packed = packRing(acc, bits, d);
    clean(acc, this.input);
    this.state = 'masked-input';
    return encodeMaskedInput(this.sessionId, this.id, this.vectorId, bits, d, packed);
  }

  private onSurvivors(message: Uint8Array): Uint8Array {
    const { sessionId, ids } = decodeSurvivors(message, this.limits);
    this.checkSession(sessionId);
    const t = this.plan.threshold;
    if (ids.length < t) throw aborted(`only ${ids.length} survivors, threshold ${t}`);
    if (!ids.includes(this.id)) throw aborted('the survivor list omits this client');
    for (const x of ids)
      if (!sortedIncludes(this.advertisedIds, x))
        throw aborted(`survivor ${x} never advertised keys`);
    for (const x of ids)
      if (x !== this.id && this.neighbors.includes(x) && !this.held.has(x))
        throw aborted(`survivor ${x} dropped before sharing its keys`);
    this.survivors = ids;
    this.state = 'consistency-check';
    const signature = ed25519SignFast(
      consistencySignedBytes(this.sessionId, ids),
      this.signingKey as Uint8Array,
    );
    return encodeConsistencySignature(this.sessionId, this.id, signature);
  }

  private onSignatureList(message: Uint8Array): void {
    const { sessionId, entries } = decodeSignatureList(message, this.limits);
    this.checkSession(sessionId);
    const t = this.plan.threshold;
    const survivors = this.survivors as number[];
    if (entries.length < t)
      throw aborted(`only ${entries.length} consistency signatures, threshold ${t}`);
    const signed = consistencySignedBytes(this.sessionId, survivors);
    const survivorSet = new Set(survivors);
    for (const e of entries) {
      if (!survivorSet.has(e.id)) throw aborted(`client ${e.id} signed but is not a survivor`);
      const vk = (this.verificationKeys as readonly Uint8Array[])[e.id] as Uint8Array;
      if (!ed25519VerifyFast(e.signature, signed, vk))
        throw aborted(
          `the consistency signature of client ${e.id} does not match this client's survivor list`,
        );
    }
    this.signaturesChecked = true;
  }

  private onUnmaskRequest(message: Uint8Array): Uint8Array {
    const { sessionId, alive, dropped } = decodeUnmaskRequest(message, this.limits);
    this.checkSession(sessionId);
    const a = toSet(alive);
    const dr = toSet(dropped);
    if (a.repeated || dr.repeated) throw aborted('the unmask request repeats a client id');
    for (const x of dropped)
      if (a.set.has(x))
        throw aborted(`the unmask request lists client ${x} as both alive and dropped`);
    if (dr.set.has(this.id)) throw aborted('the unmask request lists this client as dropped');
    if (!a.set.has(this.id))
      throw aborted('the unmask request omits this client from the survivors');
    for (const x of [...alive, ...dropped])
      if (!this.held.has(x))
        throw aborted(
          `the unmask request names client ${x}, which dropped at an earlier stage or is not a neighbour`,
        );
    if (a.set.size + dr.set.size !== this.held.size)
      throw aborted('the unmask request does not account for every share this client holds');
    if (this.plan.tier === 'malicious') {
      const signedSurvivors = new Set(this.survivors as number[]);
      for (const x of alive)
        if (!signedSurvivors.has(x))
          throw aborted(`client ${x} is listed alive but not among the signed survivors`);
      for (const x of dropped)
        if (signedSurvivors.has(x))
          throw aborted(
            `client ${x} is listed dropped but its masked input arrived (signed survivors)`,
          );
    }
    const out: RevealedShare[] = [];
    for (const owner of [...this.held.keys()].sort((x, y) => x - y)) {
      const h = this.held.get(owner) as { seedShare: Uint8Array; keyShare: Uint8Array };
      out.push(
        a.set.has(owner)
          ? { owner, kind: ShareKind.SelfSeed, share: h.seedShare.slice() }
          : { owner, kind: ShareKind.MaskingKey, share: h.keyShare.slice() },
      );
    }
    const reply = encodeUnmaskResponse(this.sessionId, this.id, out);
    for (const s of out) clean(s.share);
    this.state = 'done';
    this.wipe();
    return reply;
  }
}

/** Whether the increasing array `xs` holds `x` (binary search). */
function sortedIncludes(xs: Uint32Array, x: number): boolean {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = xs[mid] as number;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid;
  }
  return false;
}
