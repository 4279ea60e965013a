/**
 * Protection `shamir` over a transport, after the Distributed Aggregation Protocol
 * (draft-ietf-ppm-dap, the leader/helper split of Prio deployments): the round server is the
 * leader and holds server index 0; `servers - 1` helpers hold the others. A client sends the
 * leader one report: its own share in the clear (to the leader, over the transport) and each
 * helper's share sealed to that helper's X25519 public key (ephemeral X25519, HKDF-SHA256,
 * AES-256-GCM), with associated data binding the plan digest, round, round id, helper index and
 * client id, so the leader can neither read a helper's share nor move it to another client,
 * round or helper.
 *
 * The leader fixes the batch and asks each helper twice: `verify` (which sealed shares fail to
 * open; nothing released) and `aggregate` (the helper's total over the batch). A helper releases
 * at most one total per round id, never for a batch below the plan's minimum cohort, and counts
 * every release against its own copy of the plan's privacy budget, so a leader cannot difference
 * two overlapping batches of the same reports or run past the budget.
 *
 * Shares: with additive sharing (threshold = servers) a helper's share is a 32-byte seed that it
 * expands with AES-256-CTR into ring words, and the leader's share is the input minus the
 * expansions (so a report is d words plus 80 bytes per helper, as in Prio3's helper seeds); with
 * Shamir sharing (threshold below servers) shares are GF(2^31 - 1) vectors at x = server index + 1,
 * and any `threshold` servers' totals interpolate to the sum.
 *
 * Like SecAgg's semi-honest tier, the leader is trusted to admit only real clients (a leader that
 * invents clients could shrink the honest part of a batch); helpers are trusted not to collude
 * beyond `threshold - 1` servers.
 * @module
 * @internal
 */
import {
  aBytes,
  aesGcmDecryptFast,
  aesGcmEncryptFast,
  aFunction,
  aInteger,
  aOptions,
  ByteReader,
  ByteWriter,
  bytesToWordsLE,
  concatBytes,
  drawBytes,
  equalBytes,
  hkdfSha256,
  isPrivaggError,
  PrivaggError,
  type Rng,
  randomBytes,
  toHex,
  utf8,
  wordsToBytesLE,
  x25519Agreement,
  x25519KeyPairFast,
  x25519PublicKeyFast,
  x25519SharedSecretFast,
} from '../../core/index.ts';
import { aKernels, defaultKernels, type KernelBackend } from '../../kernels/index.ts';
import { FIELD_MODULUS, shamirShare } from '../../sharing/index.ts';
import { addFieldInto, ringToField } from '../protect.ts';
import { MAX_CLIENT_ID_BYTES } from './protocol.ts';
import type { PlanRuntime } from './types.ts';

/** @internal Message type of a leader's request to a helper ("H"). */
export const HELPER_REQUEST_TYPE: number = 0x48;
/** @internal Message type of a helper's answer ("h"). */
export const HELPER_RESPONSE_TYPE: number = 0x68;
const VERSION = 1;
const SEED_BYTES = 32;
/** Sealed share overhead: ephemeral public key and GCM tag. */
const SEAL_OVERHEAD = 32 + 16;
const ZERO_NONCE = new Uint8Array(12);
const SEAL_SALT = utf8('privagg/helper-share/v1');

/** @internal The two requests a leader makes of a helper. */
export const HelperMode: { readonly Verify: 0; readonly Aggregate: 1 } = {
  Verify: 0,
  Aggregate: 1,
} as const;

/**
 * A helper as the leader reaches it: one call that takes a request's bytes and answers with
 * bytes. {@link AggregationHelper} is one (in process); a network deployment puts any
 * request/response channel (HTTPS, a message queue) in between.
 * @since 0.1.0
 * @public
 */
export interface AggregationHelperEndpoint {
  /**
   * Answer a leader's request.
   * @param request - the request's bytes
   * @returns the answer's bytes
   */
  handle(request: Uint8Array): Promise<Uint8Array>;
}

/**
 * One helper server of a `shamir` plan run over a transport ({@link AggregationPlan.helper}).
 * @since 0.1.0
 * @public
 */
export interface AggregationHelper extends AggregationHelperEndpoint {
  /** This helper's server index, 1..servers - 1 (the leader is 0). */
  readonly index: number;
  /** Its X25519 public key: clients seal its shares to this key. */
  readonly publicKey: Uint8Array;
  /** Round ids this helper has released a total for (hex), oldest first. */
  readonly releasedRounds: readonly string[];
}

/**
 * Options of {@link AggregationPlan.helper}.
 * @since 0.1.0
 * @public
 */
export interface AggregationHelperOptions {
  /** The helper's 32-byte X25519 secret key (copied); clients are given its public key. */
  readonly secretKey: Uint8Array;
  /**
   * Round ids already released by this helper (hex, for example saved from
   * {@link AggregationHelper.releasedRounds} before a restart): they are never released again.
   * @defaultValue none
   */
  readonly releasedRounds?: readonly string[];
  /** Kernels that expand seeds and add shares. @defaultValue `defaultKernels()` */
  readonly kernels?: KernelBackend;
}

/** @internal The shares layout of a `shamir` plan. */
export interface ShareLayout {
  readonly servers: number;
  readonly threshold: number;
  readonly additive: boolean;
  readonly ringBits: number;
  /** Words per share (the protected, padded dimension). */
  readonly words: number;
  /** Bytes of one helper's plaintext share. */
  readonly plainBytes: number;
}

/** @internal The layout of a shamir plan's shares, or `undefined` for other protections. */
export function shareLayout(rt: PlanRuntime): ShareLayout | undefined {
  const p = rt.config.protection;
  if (p.kind !== 'shamir') return undefined;
  const q = rt.description.quantization;
  if (q === undefined) throw new PrivaggError('INVALID_PARAMETER', 'a shamir plan needs a ring');
  const threshold = p.threshold ?? p.servers;
  const additive = threshold === p.servers;
  const words = rt.description.rotation.paddedDimension;
  return {
    servers: p.servers,
    threshold,
    additive,
    ringBits: q.ringBits,
    words,
    plainBytes: additive ? SEED_BYTES : 4 * words,
  };
}

/** @internal Bytes of a client's report for a layout (the Shares frame's payload). */
export function reportBytes(l: ShareLayout): number {
  return 1 + 4 + 4 * l.words + 1 + (l.servers - 1) * (4 + SEAL_OVERHEAD + l.plainBytes);
}

/** @internal Associated data of one sealed share. */
export function shareAad(
  digest: Uint8Array,
  round: number,
  roundId: Uint8Array,
  helper: number,
  clientId: string,
): Uint8Array {
  return new ByteWriter(128)
    .raw(SEAL_SALT)
    .raw(digest)
    .u32(round)
    .raw(roundId)
    .u8(helper)
    .bytes(utf8(clientId))
    .finish();
}

function sealKey(shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): Uint8Array {
  return hkdfSha256(shared, SEAL_SALT, concatBytes(ephemeral, recipient), 32);
}

/**
 * @internal Seal `plaintext` to `recipient` (an X25519 public key): a fresh ephemeral key pair
 * from `rng`, a key from HKDF-SHA256 over the agreement, AES-256-GCM with `aad` (the key is used
 * once, so the nonce is zero). Returns ephemeral public key || ciphertext || tag.
 */
export async function sealShare(
  recipient: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  rng: Rng,
): Promise<Uint8Array> {
  const eph = x25519KeyPairFast(rng);
  const shared = x25519SharedSecretFast(eph.secretKey, recipient);
  const key = sealKey(shared, eph.publicKey, recipient);
  try {
    return concatBytes(eph.publicKey, await aesGcmEncryptFast(key, ZERO_NONCE, plaintext, aad));
  } finally {
    eph.secretKey.fill(0);
    shared.fill(0);
    key.fill(0);
  }
}

/**
 * @internal Open a sealed share with the recipient's key agreement.
 * @throws {@link PrivaggError} `MALFORMED_MESSAGE` when it does not open
 */
export async function openShare(
  agree: (peer: Uint8Array) => Uint8Array,
  recipient: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (sealed.length < SEAL_OVERHEAD)
    throw new PrivaggError('MALFORMED_MESSAGE', 'sealed share shorter than its overhead');
  const ephemeral = sealed.subarray(0, 32);
  const shared = agree(ephemeral);
  const key = sealKey(shared, ephemeral, recipient);
  try {
    return await aesGcmDecryptFast(key, ZERO_NONCE, sealed.subarray(32), aad);
  } finally {
    shared.fill(0);
    key.fill(0);
  }
}

/** @internal A decoded client report. */
export interface ShareReport {
  readonly clipped: boolean;
  /** The leader's share: ring words (additive) or field elements (Shamir). */
  readonly leaderShare: Uint32Array;
  /** Sealed shares by helper, helper index 1 first. */
  readonly sealed: readonly Uint8Array[];
}

/**
 * @internal A client's report: split the encoded (ring) vector into the leader's share and one
 * sealed share per helper. Consumes `encoded`.
 */
export async function makeReport(
  l: ShareLayout,
  encoded: Uint32Array,
  clipped: boolean,
  helperKeys: readonly Uint8Array[],
  aadOf: (helper: number) => Uint8Array,
  rng: Rng,
  kernels: KernelBackend,
): Promise<Uint8Array> {
  const plains: Uint8Array[] = [];
  let leader: Uint32Array;
  if (l.additive) {
    leader = encoded;
    for (let h = 1; h < l.servers; h++) {
      const seed = drawBytes(rng, SEED_BYTES);
      await kernels.addStream(l.ringBits, leader, seedStream(seed), leader, true);
      plains.push(seed);
    }
  } else {
    const field = ringToField(l.ringBits, encoded, new Uint32Array(l.words));
    encoded.fill(0);
    const shares = shamirShare(field, { threshold: l.threshold, shares: l.servers }, rng);
    field.fill(0);
    leader = (shares[0] as { value: Uint32Array }).value;
    for (let h = 1; h < l.servers; h++) {
      const v = (shares[h] as { value: Uint32Array }).value;
      plains.push(wordsToBytesLE(v));
      v.fill(0);
    }
  }
  const w = new ByteWriter(reportBytes(l))
    .u8(clipped ? 1 : 0)
    .u32Array(leader)
    .u8(l.servers - 1);
  leader.fill(0);
  for (const [i, plain] of plains.entries()) {
    w.bytes(await sealShare(helperKeys[i] as Uint8Array, plain, aadOf(i + 1), rng));
    plain.fill(0);
  }
  return w.finish();
}

/**
 * @internal Decode a report of this layout.
 * @throws {@link PrivaggError} `MALFORMED_MESSAGE` for anything else
 */
export function decodeReport(l: ShareLayout, payload: Uint8Array): ShareReport {
  const r = new ByteReader(payload, reportBytes(l));
  const flag = r.u8();
  if (flag > 1) throw new PrivaggError('MALFORMED_MESSAGE', 'bad clip flag');
  const leaderShare = r.u32Array(l.words, l.words);
  checkShareWords(l, leaderShare);
  const count = r.u8();
  if (count !== l.servers - 1)
    throw new PrivaggError(
      'MALFORMED_MESSAGE',
      `report carries ${count} helper shares, expected ${l.servers - 1}`,
    );
  const sealed: Uint8Array[] = [];
  const size = SEAL_OVERHEAD + l.plainBytes;
  for (let h = 0; h < count; h++) sealed.push(r.bytes(size, size));
  r.end();
  return { clipped: flag === 1, leaderShare, sealed };
}

function checkShareWords(l: ShareLayout, words: Uint32Array): void {
  const limit = l.additive ? 2 ** l.ringBits : FIELD_MODULUS;
  if (l.additive && l.ringBits === 32) return;
  for (let j = 0; j < words.length; j++)
    if ((words[j] as number) >= limit)
      throw new PrivaggError(
        'MALFORMED_MESSAGE',
        l.additive
          ? `share word outside the ${l.ringBits}-bit ring`
          : 'share word outside the field',
      );
}

function seedStream(seed: Uint8Array): { key: Uint8Array; algorithm: 'aes-256-ctr' } {
  return { key: seed, algorithm: 'aes-256-ctr' };
}

/** @internal One batch entry of a helper request. */
export interface BatchEntry {
  readonly clientId: string;
  readonly sealed: Uint8Array;
}

/** @internal A leader's request to helper `helper`. */
export interface HelperRequest {
  readonly digest: Uint8Array;
  readonly round: number;
  readonly roundId: Uint8Array;
  readonly helper: number;
  readonly mode: number;
  readonly batch: readonly BatchEntry[];
}

/** @internal Encode a helper request. */
export function encodeHelperRequest(q: HelperRequest): Uint8Array {
  const w = new ByteWriter(64 + q.batch.length * 128)
    .header(VERSION, HELPER_REQUEST_TYPE)
    .raw(q.digest)
    .u32(q.round)
    .raw(q.roundId)
    .u8(q.helper)
    .u8(q.mode)
    .u32(q.batch.length);
  for (const e of q.batch) w.bytes(utf8(e.clientId)).bytes(e.sealed);
  return w.finish();
}

function requestBound(l: ShareLayout, maxBatch: number): number {
  return 64 + maxBatch * (8 + MAX_CLIENT_ID_BYTES + SEAL_OVERHEAD + l.plainBytes);
}

/**
 * @internal Decode an untrusted helper request for a layout and a batch bound.
 * @throws {@link PrivaggError} `MALFORMED_MESSAGE`
 */
export function decodeHelperRequest(
  l: ShareLayout,
  bytes: Uint8Array,
  maxBatch: number,
): HelperRequest {
  const r = new ByteReader(bytes, requestBound(l, maxBatch));
  r.header(HELPER_REQUEST_TYPE, [VERSION]);
  const digest = r.raw(32);
  const round = r.u32();
  const roundId = r.raw(16);
  const helper = r.u8();
  const mode = r.u8();
  if (mode !== HelperMode.Verify && mode !== HelperMode.Aggregate)
    throw new PrivaggError('MALFORMED_MESSAGE', `unknown helper request mode ${mode}`);
  const count = r.u32InRange('batch size', 0, maxBatch);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const batch: BatchEntry[] = [];
  const size = SEAL_OVERHEAD + l.plainBytes;
  for (let i = 0; i < count; i++) {
    let clientId: string;
    try {
      clientId = decoder.decode(r.bytes(MAX_CLIENT_ID_BYTES, 1));
    } catch (e) {
      if (isPrivaggError(e)) throw e;
      throw new PrivaggError('MALFORMED_MESSAGE', 'a client id is not UTF-8');
    }
    batch.push({ clientId, sealed: r.bytes(size, size) });
  }
  r.end();
  return { digest, round, roundId, helper, mode, batch };
}

/** @internal A helper's answer. */
export type HelperResponse =
  | { readonly mode: 0; readonly roundId: Uint8Array; readonly rejected: readonly number[] }
  | {
      readonly mode: 1;
      readonly roundId: Uint8Array;
      readonly count: number;
      readonly total: Uint32Array;
    };

function encodeHelperResponse(
  digest: Uint8Array,
  helper: number,
  response: HelperResponse,
): Uint8Array {
  const w = new ByteWriter(64)
    .header(VERSION, HELPER_RESPONSE_TYPE)
    .raw(digest)
    .raw(response.roundId)
    .u8(helper)
    .u8(response.mode);
  if (response.mode === HelperMode.Verify) w.u32Array(Uint32Array.from(response.rejected));
  else w.u32(response.count).u32Array(response.total);
  return w.finish();
}

/**
 * @internal Decode a helper's untrusted answer to `request`: it must answer that request (digest,
 * round id, helper, mode), name only batch positions, and carry a total of share words.
 * @throws {@link PrivaggError} `MALFORMED_MESSAGE`
 */
export function decodeHelperResponse(
  l: ShareLayout,
  bytes: Uint8Array,
  request: HelperRequest,
): HelperResponse {
  const r = new ByteReader(bytes, 128 + 4 * Math.max(l.words, request.batch.length));
  r.header(HELPER_RESPONSE_TYPE, [VERSION]);
  const digest = r.raw(32);
  const roundId = r.raw(16);
  const helper = r.u8();
  const mode = r.u8();
  if (
    !equalBytes(digest, request.digest) ||
    !equalBytes(roundId, request.roundId) ||
    helper !== request.helper ||
    mode !== request.mode
  )
    throw new PrivaggError('MALFORMED_MESSAGE', 'the helper answered another request');
  if (mode === HelperMode.Verify) {
    const rejected = [...r.u32Array(request.batch.length)];
    r.end();
    const seen = new Set<number>();
    for (const p of rejected)
      if (p >= request.batch.length || seen.has(p))
        throw new PrivaggError('MALFORMED_MESSAGE', 'the helper rejected an unknown batch entry');
      else seen.add(p);
    return { mode: 0, roundId, rejected };
  }
  const count = r.u32();
  const total = r.u32Array(l.words, l.words);
  r.end();
  if (count !== request.batch.length)
    throw new PrivaggError('MALFORMED_MESSAGE', 'the helper summed another batch size');
  checkShareWords(l, total);
  return { mode: 1, roundId, count, total };
}

/** @internal Create a helper for a plan (see `AggregationPlan.helper`). */
export function createAggregationHelper(
  rt: PlanRuntime,
  index: number,
  options: AggregationHelperOptions,
): AggregationHelper {
  const l = shareLayout(rt);
  if (l === undefined)
    throw new TypeError(
      `helpers serve protection "shamir" only; this plan's protection is "${rt.config.protection.kind}"`,
    );
  aInteger('index', index, 1, l.servers - 1);
  aOptions('options', options, ['secretKey', 'releasedRounds', 'kernels']);
  aBytes('options.secretKey', options.secretKey, 32);
  if (options.kernels !== undefined) aKernels('options.kernels', options.kernels);
  const kernels = options.kernels ?? defaultKernels();
  const released = aReleasedRounds('options.releasedRounds', options.releasedRounds);
  const releasedSet = new Set(released);
  const secretKey = options.secretKey.slice();
  const publicKey = x25519PublicKeyFast(secretKey);
  const agree = x25519Agreement(secretKey);
  secretKey.fill(0);
  const { minimum, expected } = rt.config.clients;
  const refuse = (message: string): PrivaggError => new PrivaggError('PROTOCOL_ABORTED', message);

  /** Open every sealed share of a batch; `undefined` marks one that does not open. */
  const openAll = async (q: HelperRequest): Promise<(Uint8Array | Uint32Array | undefined)[]> =>
    Promise.all(
      q.batch.map(async (e) => {
        try {
          const plain = await openShare(
            agree,
            publicKey,
            e.sealed,
            shareAad(q.digest, q.round, q.roundId, index, e.clientId),
          );
          if (l.additive) return plain;
          const words = bytesToWordsLE(plain);
          plain.fill(0);
          for (let j = 0; j < words.length; j++)
            if ((words[j] as number) >= FIELD_MODULUS) {
              words.fill(0);
              return undefined;
            }
          return words;
        } catch (err) {
          if (isPrivaggError(err)) return undefined;
          throw err;
        }
      }),
    );

  const handle = async (request: Uint8Array): Promise<Uint8Array> => {
    const q = decodeHelperRequest(l, request, expected);
    if (!equalBytes(q.digest, rt.digest))
      throw refuse('the request is for another plan (plan digest differs)');
    if (q.helper !== index) throw refuse(`the request is for helper ${q.helper}, not ${index}`);
    const key = toHex(q.roundId);
    if (releasedSet.has(key))
      throw refuse('this helper already released a total for this round id');
    const ids = new Set(q.batch.map((e) => e.clientId));
    if (ids.size !== q.batch.length) throw refuse('the batch names a client twice');
    if (q.mode === HelperMode.Verify) {
      const plains = await openAll(q);
      const rejected: number[] = [];
      for (const [i, p] of plains.entries())
        if (p === undefined) rejected.push(i);
        else p.fill(0);
      return encodeHelperResponse(rt.digest, index, { mode: 0, roundId: q.roundId, rejected });
    }
    if (q.batch.length < minimum)
      throw refuse(
        `a batch of ${q.batch.length} clients is below the plan's minimum of ${minimum}; nothing released`,
      );
    // the budget: this helper's own copy of the plan counts every release
    rt.reserveRound();
    let committed = false;
    try {
      const plains = await openAll(q);
      if (plains.some((p) => p === undefined)) {
        for (const p of plains) p?.fill(0);
        throw refuse('a sealed share in the batch does not open; nothing released');
      }
      const total = new Uint32Array(l.words);
      const share = new Uint32Array(l.words);
      for (const p of plains as (Uint8Array | Uint32Array)[]) {
        if (p instanceof Uint32Array) addFieldInto(total, p);
        else {
          share.fill(0);
          await kernels.addStream(l.ringBits, share, seedStream(p), share);
          await kernels.add(l.ringBits, total, share, total);
        }
        p.fill(0);
      }
      share.fill(0);
      // recorded before the answer leaves: a second request for this round id is refused
      releasedSet.add(key);
      released.push(key);
      rt.commitRound(q.batch.length);
      committed = true;
      return encodeHelperResponse(rt.digest, index, {
        mode: 1,
        roundId: q.roundId,
        count: q.batch.length,
        total,
      });
    } finally {
      if (!committed) rt.releaseRound();
    }
  };

  return {
    index,
    publicKey: publicKey.slice(),
    get releasedRounds() {
      return [...released];
    },
    handle,
  };
}

/**
 * A fresh X25519 key pair for a helper server ({@link AggregationPlan.helper}): the secret key
 * stays with the helper, the public key goes to every client as `helperKeys`.
 * @param rng - randomness @defaultValue the CSPRNG
 * @returns the key pair (32 bytes each)
 * @since 0.1.0
 * @public
 */
export function helperKeyPair(rng: Rng = randomBytes): {
  /** The helper's secret key (for {@link AggregationHelperOptions.secretKey}). */
  readonly secretKey: Uint8Array;
  /** Its public key (for the clients' `helperKeys`). */
  readonly publicKey: Uint8Array;
} {
  return x25519KeyPairFast(rng);
}

/**
 * @internal Check a list of `count` endpoints (objects with a `handle(bytes)` method); `what`
 * names them in the error.
 */
export function aEndpoints(
  name: string,
  endpoints: unknown,
  count: number,
  what: string,
): readonly AggregationHelperEndpoint[] {
  if (!Array.isArray(endpoints) || endpoints.length !== count)
    throw new TypeError(`"${name}" expected ${what}`);
  for (const [i, h] of endpoints.entries()) {
    if (typeof h !== 'object' || h === null)
      throw new TypeError(`"${name}[${i}]" expected an object with a handle(bytes) method`);
    aFunction(`${name}[${i}].handle`, (h as { handle?: unknown }).handle);
  }
  return endpoints as AggregationHelperEndpoint[];
}

/** @internal Check a server's `helpers` option against a layout. */
export function aHelperEndpoints(
  l: ShareLayout,
  name: string,
  helpers: unknown,
): readonly AggregationHelperEndpoint[] {
  return aEndpoints(
    name,
    helpers,
    l.servers - 1,
    `${l.servers - 1} helper endpoints (servers 1..${l.servers - 1}) for a plan of ${l.servers} servers`,
  );
}

/** @internal Check a `releasedRounds` option: lowercase hex round ids (copied). */
export function aReleasedRounds(name: string, ids: unknown): string[] {
  if (ids === undefined) return [];
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)))
    throw new TypeError(`"${name}" expected an array of 32-character lowercase hex round ids`);
  return [...(ids as string[])];
}

/** @internal Check a client's `helperKeys` option against a layout (copies). */
export function aHelperKeys(l: ShareLayout, name: string, keys: unknown): Uint8Array[] {
  if (!Array.isArray(keys) || keys.length !== l.servers - 1)
    throw new TypeError(
      `"${name}" expected the X25519 public keys of the ${l.servers - 1} helpers (servers 1..${l.servers - 1}), from a source the leader does not control`,
    );
  return keys.map((k, i) => {
    aBytes(`${name}[${i}]`, k, 32);
    return (k as Uint8Array).slice();
  });
}
