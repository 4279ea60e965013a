/**
 * Protection `ckks` over a transport: the key holders are the helpers. Clients encrypt under the
 * plan's CKKS public key (one key holder's with single keys; the collective key of `parties` key
 * holders with threshold keys, made from their shares and a seed they share) and send the
 * ciphertext to the round server, which loads each one as untrusted bytes and adds them. The
 * server sends the sum (never a client's ciphertext) to the key holders: with single keys the key
 * holder returns the flooded decryption; with threshold keys `threshold` key holders each return
 * a flooded partial decryption and the server combines them.
 *
 * A key holder releases at most one decryption per round id, never for a sum the server says has
 * fewer than `clients.minimum` inputs, never past its own plan's budget, and (threshold keys)
 * never twice for the same ciphertext. It cannot check the server's count: CKKS over a transport
 * assumes a server that sums honestly and key holders that do not collude with it (below
 * `threshold`); against a server that would pass off one client's ciphertext as a sum, use
 * `shamir` with helpers, which verify the batch themselves.
 * @module
 * @internal
 */
import {
  aBytes,
  aFunction,
  aInteger,
  aOptions,
  ByteReader,
  ByteWriter,
  equalBytes,
  PrivaggError,
  type Rng,
  randomBytes,
  toHex,
} from '../../core/index.ts';
import {
  type CkksContext,
  type CkksKeyPair,
  type CkksVector,
  combinePublicKeyShares,
  createCkksContext,
  createThresholdParty,
  type ThresholdParty,
} from '../../he/index.ts';
import { PLAN_CKKS_PRESET } from '../protect.ts';
import { type AggregationHelperEndpoint, aEndpoints, aReleasedRounds } from './helpers.ts';
import type { PlanRuntime } from './types.ts';

/** @internal Message type of a server's request to a key holder ("K"). */
export const KEY_REQUEST_TYPE: number = 0x4b;
/** @internal Message type of a key holder's answer ("k"). */
export const KEY_RESPONSE_TYPE: number = 0x6b;
const VERSION = 1;

/** @internal The two requests a server makes of a key holder. */
export const KeyMode: { readonly Ping: 0; readonly Decrypt: 1 } = { Ping: 0, Decrypt: 1 } as const;

/**
 * One key holder of a `ckks` plan run over a transport ({@link AggregationPlan.keyHolder}).
 * @since 0.1.0
 * @public
 */
export interface AggregationKeyHolder extends AggregationHelperEndpoint {
  /** Its index: 1 with single keys, 1..parties with threshold keys. */
  readonly index: number;
  /** Single keys: the CKKS public key every client encrypts under (`ckksPublicKey`). */
  readonly publicKey: Uint8Array | undefined;
  /** Threshold keys: this key holder's public-key share ({@link AggregationPlan.combineKeyShares}). */
  readonly publicKeyShare: Uint8Array | undefined;
  /**
   * Threshold keys below `parties`: this key holder's Shamir shares of its secret for the others
   * (entry j for key holder j + 1; its own entry is `undefined`), to be sent over private,
   * authenticated channels.
   */
  dealShares(): (Uint8Array | undefined)[];
  /** Threshold keys below `parties`: take another key holder's dealt share. */
  receiveShare(message: Uint8Array): void;
  /** Round ids this key holder has released a decryption for (hex), oldest first. */
  readonly releasedRounds: readonly string[];
  /** Free the keys and the CKKS context. Idempotent. */
  dispose(): void;
}

/**
 * Options of {@link AggregationPlan.keyHolder}.
 * @since 0.1.0
 * @public
 */
export interface AggregationKeyHolderOptions {
  /** Threshold keys: the 32-byte seed every key holder shares (the common random polynomial). */
  readonly seed?: Uint8Array;
  /** Randomness for keys and flooding. @defaultValue the CSPRNG */
  readonly rng?: Rng;
  /** Round ids released before a restart (hex): never released again. @defaultValue none */
  readonly releasedRounds?: readonly string[];
}

/** @internal The key layout of a ckks plan. */
export interface KeyLayout {
  readonly threshold: boolean;
  /** Key holders (1 with single keys). */
  readonly parties: number;
  /** Key holders needed to decrypt (1 with single keys). */
  readonly needed: number;
  readonly securityBits: number;
  readonly valueBound: number;
  readonly length: number;
}

/** @internal The key layout of a ckks plan, or `undefined` for other protections. */
export function keyLayout(rt: PlanRuntime): KeyLayout | undefined {
  const p = rt.config.protection;
  if (p.kind !== 'ckks') return undefined;
  const threshold = (p.keys ?? 'single') === 'threshold';
  const parties = threshold ? (p.parties ?? 2) : 1;
  return {
    threshold,
    parties,
    needed: threshold ? (p.threshold ?? parties) : 1,
    securityBits: p.floodingBits ?? 40,
    valueBound: rt.description.protection.valueBound ?? 1,
    length: rt.description.protectedDimension,
  };
}

/** @internal Bound on one client's ciphertext bytes (public-key encryption, packed, plus slack). */
export function ciphertextBound(l: KeyLayout): number {
  return 4096 + Math.ceil(l.length / 4096) * 2 * 8192 * 4 * 8;
}

/** @internal A server's request to a key holder. */
export interface KeyRequest {
  readonly digest: Uint8Array;
  readonly round: number;
  readonly roundId: Uint8Array;
  readonly holder: number;
  readonly mode: number;
  /** Inputs in the sum, as the server says. */
  readonly count: number;
  /** Threshold keys: the key holders decrypting together. */
  readonly set: readonly number[];
  /** The serialized sum (empty for a ping). */
  readonly sum: Uint8Array;
}

/** @internal Encode a key-holder request. */
export function encodeKeyRequest(q: KeyRequest): Uint8Array {
  const w = new ByteWriter(96 + q.sum.length)
    .header(VERSION, KEY_REQUEST_TYPE)
    .raw(q.digest)
    .u32(q.round)
    .raw(q.roundId)
    .u8(q.holder)
    .u8(q.mode)
    .u32(q.count)
    .u8(q.set.length);
  for (const j of q.set) w.u8(j);
  return w.bytes(q.sum).finish();
}

/**
 * @internal Decode an untrusted key-holder request.
 * @throws {@link PrivaggError} `MALFORMED_MESSAGE`
 */
export function decodeKeyRequest(l: KeyLayout, bytes: Uint8Array): KeyRequest {
  const r = new ByteReader(bytes, 128 + ciphertextBound(l));
  r.header(KEY_REQUEST_TYPE, [VERSION]);
  const digest = r.raw(32);
  const round = r.u32();
  const roundId = r.raw(16);
  const holder = r.u8();
  const mode = r.u8();
  if (mode !== KeyMode.Ping && mode !== KeyMode.Decrypt)
    throw new PrivaggError('MALFORMED_MESSAGE', `unknown key-holder request mode ${mode}`);
  const count = r.u32();
  const size = r.u8();
  const set: number[] = [];
  for (let i = 0; i < size; i++) set.push(r.u8());
  const sum = r.bytes(ciphertextBound(l));
  r.end();
  return { digest, round, roundId, holder, mode, count, set, sum };
}

/** @internal A key holder's answer: a flooded decryption (single) or a partial one (threshold). */
export interface KeyResponse {
  readonly values: Float64Array | undefined;
  readonly errorBound: number;
  readonly partial: Uint8Array | undefined;
}

function encodeKeyResponse(
  digest: Uint8Array,
  q: KeyRequest,
  values: Float64Array | undefined,
  errorBound: number,
  partial: Uint8Array | undefined,
): Uint8Array {
  const w = new ByteWriter(128 + (values?.length ?? 0) * 8 + (partial?.length ?? 0))
    .header(VERSION, KEY_RESPONSE_TYPE)
    .raw(digest)
    .raw(q.roundId)
    .u8(q.holder)
    .u8(q.mode);
  if (q.mode === KeyMode.Ping) return w.finish();
  const f = new Uint8Array(8);
  new DataView(f.buffer).setFloat64(0, errorBound, true);
  w.raw(f);
  if (values !== undefined) {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i] as number, true);
    w.u8(0).u32(values.length).raw(bytes);
  } else w.u8(1).bytes(partial as Uint8Array);
  return w.finish();
}

/**
 * @internal Decode a key holder's untrusted answer to `q`.
 * @throws {@link PrivaggError} `MALFORMED_MESSAGE`
 */
export function decodeKeyResponse(l: KeyLayout, bytes: Uint8Array, q: KeyRequest): KeyResponse {
  const r = new ByteReader(bytes, 256 + Math.max(l.length * 8, ciphertextBound(l)));
  r.header(KEY_RESPONSE_TYPE, [VERSION]);
  const digest = r.raw(32);
  const roundId = r.raw(16);
  const holder = r.u8();
  const mode = r.u8();
  if (
    !equalBytes(digest, q.digest) ||
    !equalBytes(roundId, q.roundId) ||
    holder !== q.holder ||
    mode !== q.mode
  )
    throw new PrivaggError('MALFORMED_MESSAGE', 'the key holder answered another request');
  if (mode === KeyMode.Ping) {
    r.end();
    return { values: undefined, errorBound: 0, partial: undefined };
  }
  const errorBound = new DataView(r.raw(8).buffer).getFloat64(0, true);
  if (!Number.isFinite(errorBound) || errorBound < 0)
    throw new PrivaggError('MALFORMED_MESSAGE', 'bad error bound');
  const kind = r.u8();
  if (kind !== (l.threshold ? 1 : 0))
    throw new PrivaggError('MALFORMED_MESSAGE', 'the key holder answered with the wrong kind');
  if (kind === 1) {
    const partial = r.bytes(ciphertextBound(l));
    r.end();
    return { values: undefined, errorBound, partial };
  }
  r.u32InRange('values', l.length, l.length);
  const raw = r.raw(l.length * 8);
  r.end();
  const view = new DataView(raw.buffer);
  const values = new Float64Array(l.length);
  for (let i = 0; i < l.length; i++) {
    const x = view.getFloat64(8 * i, true);
    if (!Number.isFinite(x)) throw new PrivaggError('MALFORMED_MESSAGE', 'a non-finite value');
    values[i] = x;
  }
  return { values, errorBound, partial: undefined };
}

/** @internal Create a key holder for a plan (see `AggregationPlan.keyHolder`). */
export async function createKeyHolder(
  rt: PlanRuntime,
  index: number,
  options: AggregationKeyHolderOptions = {},
): Promise<AggregationKeyHolder> {
  const l = keyLayout(rt);
  if (l === undefined)
    throw new TypeError(
      `key holders serve protection "ckks" only; this plan's protection is "${rt.config.protection.kind}"`,
    );
  aInteger('index', index, 1, l.parties);
  aOptions('options', options, ['seed', 'rng', 'releasedRounds']);
  const rng = options.rng ?? randomBytes;
  aFunction('options.rng', rng);
  if (l.threshold) aBytes('options.seed', options.seed, 32);
  else if (options.seed !== undefined)
    throw new TypeError('"options.seed" is used by threshold keys only');
  const released = aReleasedRounds('options.releasedRounds', options.releasedRounds);
  const releasedSet = new Set(released);
  const ctx = await createCkksContext(PLAN_CKKS_PRESET);
  let keys: CkksKeyPair | undefined;
  let party: ThresholdParty | undefined;
  let publicKey: Uint8Array | undefined;
  let publicKeyShare: Uint8Array | undefined;
  try {
    if (l.threshold) {
      party = createThresholdParty(ctx, {
        parties: l.parties,
        threshold: l.needed,
        index,
        seed: options.seed as Uint8Array,
        rng,
      });
      publicKeyShare = party.publicKeyShare();
    } else {
      keys = ctx.generateKeys();
      publicKey = keys.publicKey.serialize();
    }
  } catch (e) {
    ctx.dispose();
    throw e;
  }
  let disposed = false;
  const { minimum, expected } = rt.config.clients;
  const refuse = (message: string): PrivaggError => new PrivaggError('PROTOCOL_ABORTED', message);
  const thresholdOnly = (what: string): ThresholdParty => {
    if (party === undefined) throw new TypeError(`${what} is for threshold keys only`);
    if (l.needed === l.parties)
      throw new TypeError(`${what} is for threshold keys below parties (t-of-N)`);
    return party;
  };

  const handle = async (bytes: Uint8Array): Promise<Uint8Array> => {
    if (disposed) throw new PrivaggError('CONNECTION_CLOSED', 'the key holder was disposed');
    const q = decodeKeyRequest(l, bytes);
    if (!equalBytes(q.digest, rt.digest))
      throw refuse('the request is for another plan (plan digest differs)');
    if (q.holder !== index) throw refuse(`the request is for key holder ${q.holder}, not ${index}`);
    const key = toHex(q.roundId);
    if (releasedSet.has(key))
      throw refuse('this key holder already released a decryption for this round id');
    if (q.mode === KeyMode.Ping) return encodeKeyResponse(rt.digest, q, undefined, 0, undefined);
    if (q.count < minimum || q.count > expected)
      throw refuse(
        `a sum of ${q.count} inputs is outside the plan's cohort (minimum ${minimum}, at most ${expected}); nothing released`,
      );
    if (l.threshold) {
      const set = [...q.set];
      if (
        set.length !== l.needed ||
        !set.includes(index) ||
        new Set(set).size !== set.length ||
        set.some((j) => j < 1 || j > l.parties)
      )
        throw refuse(
          `the decrypting set must be ${l.needed} distinct key holders including this one`,
        );
    } else if (q.set.length !== 0) throw refuse('a decrypting set with single keys');
    rt.reserveRound();
    let committed = false;
    let sum: CkksVector | undefined;
    try {
      sum = ctx.loadVector(q.sum);
      if (sum.length !== l.length)
        throw new PrivaggError(
          'MALFORMED_MESSAGE',
          `the sum holds ${sum.length} values, not ${l.length}`,
        );
      let values: Float64Array | undefined;
      let errorBound = 0;
      let partial: Uint8Array | undefined;
      if (party !== undefined)
        partial = party.partialDecrypt(sum, q.set, { securityBits: l.securityBits });
      else {
        const out = ctx.decryptForRelease(sum, (keys as CkksKeyPair).secretKey, {
          securityBits: l.securityBits,
          rng,
        });
        values = Float64Array.from(out.values);
        errorBound = out.errorBound;
      }
      releasedSet.add(key);
      released.push(key);
      rt.commitRound(q.count);
      committed = true;
      return encodeKeyResponse(rt.digest, q, values, errorBound, partial);
    } catch (e) {
      if (e instanceof RangeError)
        throw refuse(`the sum cannot be decrypted with flooding: ${e.message}`);
      throw e;
    } finally {
      sum?.dispose();
      if (!committed) rt.releaseRound();
    }
  };

  return {
    index,
    publicKey: publicKey?.slice(),
    publicKeyShare: publicKeyShare?.slice(),
    dealShares: () => thresholdOnly('dealShares').dealShares(),
    receiveShare: (message) => thresholdOnly('receiveShare').receiveShare(message),
    get releasedRounds() {
      return [...released];
    },
    handle,
    dispose() {
      if (disposed) return;
      disposed = true;
      party?.dispose();
      keys?.secretKey.dispose();
      keys?.publicKey.dispose();
      ctx.dispose();
    },
  };
}

/** @internal The collective public key of a threshold plan, serialized (see `AggregationPlan.combineKeyShares`). */
export async function combineKeyShares(
  rt: PlanRuntime,
  seed: Uint8Array,
  shares: readonly Uint8Array[],
): Promise<Uint8Array> {
  const l = keyLayout(rt);
  if (l === undefined || !l.threshold)
    throw new TypeError('"combineKeyShares" is for protection "ckks" with threshold keys only');
  aBytes('seed', seed, 32);
  if (!Array.isArray(shares) || shares.length !== l.parties)
    throw new TypeError(`"shares" expected the public-key shares of all ${l.parties} key holders`);
  const ctx: CkksContext = await createCkksContext(PLAN_CKKS_PRESET);
  try {
    const key = combinePublicKeyShares(ctx, seed, shares);
    try {
      return key.serialize();
    } finally {
      key.dispose();
    }
  } finally {
    ctx.dispose();
  }
}

/** @internal Check a server's `keyHolders` option against a layout. */
export function aKeyHolderEndpoints(
  l: KeyLayout,
  name: string,
  holders: unknown,
): readonly AggregationHelperEndpoint[] {
  return aEndpoints(
    name,
    holders,
    l.parties,
    `${l.parties} key holder endpoint${l.parties === 1 ? '' : 's'} (key holders 1..${l.parties})`,
  );
}
