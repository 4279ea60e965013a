/**
 * Wire format of secure aggregation: one versioned, bounded binary codec per stage message, and
 * the session id (SHA-256 over the round parameters and every advertised key). Decoders take
 * the round's limits and fail with `MALFORMED_MESSAGE` on anything out of bounds: a wrong magic,
 * version or type, truncation, trailing bytes, an id outside the cohort, an oversized count.
 * @module
 * @internal
 */
import { ByteReader, ByteWriter, malformed, sha256DigestFast, utf8 } from '../core/index.ts';
import type { SecAggPlan } from './params.ts';
import { packedLength } from './masks.ts';
import { SHARE_BYTES } from './shares.ts';

/** @internal Wire version of every secagg message. */
export const SECAGG_WIRE_VERSION = 1;

/** @internal Message type bytes. */
export const MessageType = {
  AdvertiseKeys: 1,
  KeyList: 2,
  ShareKeys: 3,
  ForwardedShares: 4,
  MaskedInput: 5,
  Survivors: 6,
  ConsistencySignature: 7,
  SignatureList: 8,
  UnmaskRequest: 9,
  UnmaskResponse: 10,
} as const;
/** @internal */
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** @internal Bytes of a sealed share: sender, receiver, two shares, and the AES-GCM tag. */
export const SEALED_SHARE_BYTES: number = 8 + 2 * SHARE_BYTES + 16;

/** @internal The limits a decoder enforces, from the plan. */
export interface WireLimits {
  readonly clients: number;
  readonly dimension: number;
  readonly modulusBits: number;
  readonly malicious: boolean;
}

/** @internal */
export function limitsOf(plan: SecAggPlan): WireLimits {
  return {
    clients: plan.clients,
    dimension: plan.dimension,
    modulusBits: plan.modulusBits,
    malicious: plan.tier === 'malicious',
  };
}

/** @internal Bytes a message may have before any field is read (masked input dominates). */
export function maxMessageBytes(limits: WireLimits): number {
  const masked = 64 + packedLength(limits.dimension, limits.modulusBits);
  const lists = 64 + limits.clients * (8 + SEALED_SHARE_BYTES + 2 * SHARE_BYTES);
  return Math.min(Math.max(masked, lists), 256 * 1024 * 1024);
}

/** @internal One advertised key pair set. */
export interface AdvertisedKeys {
  readonly id: number;
  /** X25519 public key for share encryption. */
  readonly encryptionKey: Uint8Array;
  /** X25519 public key for pairwise masks. */
  readonly maskingKey: Uint8Array;
  /** Ed25519 signature (malicious tier only). */
  readonly signature?: Uint8Array;
}

function reader(bytes: Uint8Array, type: MessageTypeCode, limits: WireLimits): ByteReader {
  const r = new ByteReader(bytes, maxMessageBytes(limits));
  r.header(type, [SECAGG_WIRE_VERSION]);
  return r;
}

function id(r: ByteReader, limits: WireLimits, what: string): number {
  return r.u32InRange(what, 0, limits.clients - 1);
}

function count(r: ByteReader, limits: WireLimits, what: string, min = 0): number {
  return r.u32InRange(what, min, limits.clients);
}

// ---- AdvertiseKeys (client -> server)

/** @internal The bytes a client signs in the malicious tier when it advertises its keys. */
export function advertiseSignedBytes(
  roundId: Uint8Array,
  keys: Omit<AdvertisedKeys, 'signature'>,
): Uint8Array {
  return new ByteWriter(128)
    .raw(utf8('privagg/secagg/v1/advertise'))
    .raw(roundId)
    .u32(keys.id)
    .raw(keys.encryptionKey)
    .raw(keys.maskingKey)
    .finish();
}

function writeKeys(w: ByteWriter, k: AdvertisedKeys): void {
  w.u32(k.id).raw(k.encryptionKey).raw(k.maskingKey);
  if (k.signature === undefined) w.u8(0);
  else w.u8(1).raw(k.signature);
}

function readKeys(r: ByteReader, limits: WireLimits): AdvertisedKeys {
  const who = id(r, limits, 'client id');
  const encryptionKey = r.raw(32);
  const maskingKey = r.raw(32);
  const flag = r.u8();
  if (flag !== (limits.malicious ? 1 : 0))
    throw malformed(limits.malicious ? 'advertised keys lack a signature' : 'unexpected signature');
  return flag === 1
    ? { id: who, encryptionKey, maskingKey, signature: r.raw(64) }
    : { id: who, encryptionKey, maskingKey };
}

/** @internal */
export function encodeAdvertiseKeys(roundId: Uint8Array, keys: AdvertisedKeys): Uint8Array {
  const w = new ByteWriter(256).header(SECAGG_WIRE_VERSION, MessageType.AdvertiseKeys).raw(roundId);
  writeKeys(w, keys);
  return w.finish();
}

/** @internal */
export function decodeAdvertiseKeys(
  bytes: Uint8Array,
  limits: WireLimits,
): { roundId: Uint8Array; keys: AdvertisedKeys } {
  const r = reader(bytes, MessageType.AdvertiseKeys, limits);
  const roundId = r.raw(16);
  const keys = readKeys(r, limits);
  r.end();
  return { roundId, keys };
}

// ---- KeyList (server -> clients)

/** @internal */
export function encodeKeyList(roundId: Uint8Array, entries: readonly AdvertisedKeys[]): Uint8Array {
  const w = new ByteWriter(64 + entries.length * 140)
    .header(SECAGG_WIRE_VERSION, MessageType.KeyList)
    .raw(roundId)
    .u32(entries.length);
  for (const e of entries) writeKeys(w, e);
  return w.finish();
}

/** @internal Entries come back with strictly increasing ids (a canonical list). */
export function decodeKeyList(
  bytes: Uint8Array,
  limits: WireLimits,
): { roundId: Uint8Array; entries: AdvertisedKeys[] } {
  const r = reader(bytes, MessageType.KeyList, limits);
  const roundId = r.raw(16);
  const n = count(r, limits, 'key list length', 1);
  const entries: AdvertisedKeys[] = [];
  for (let i = 0; i < n; i++) {
    const e = readKeys(r, limits);
    if (i > 0 && e.id <= (entries[i - 1] as AdvertisedKeys).id)
      throw malformed('key list ids are not strictly increasing');
    entries.push(e);
  }
  r.end();
  return { roundId, entries };
}

/**
 * @internal Session id: SHA-256 over a domain label, every round parameter and every advertised
 * key (with its signature) in id order. Every derived key binds it.
 */
export function computeSessionId(plan: SecAggPlan, entries: readonly AdvertisedKeys[]): Uint8Array {
  const w = new ByteWriter(256 + entries.length * 140)
    .raw(utf8('privagg/secagg/v1/session'))
    .raw(plan.roundId)
    .u32(plan.clients)
    .u32(plan.dimension)
    .u8(plan.modulusBits)
    .u64(plan.maxInputValue)
    .u32(plan.threshold)
    .u32(plan.neighbors)
    .u8(plan.complete ? 1 : 0)
    .u8(plan.tier === 'malicious' ? 1 : 0)
    .u32(entries.length);
  for (const e of entries) writeKeys(w, e);
  return sha256DigestFast(w.finish());
}

// ---- ShareKeys (client -> server) and ForwardedShares (server -> client)

/** @internal A sealed share and the other end of it. */
export interface SealedShare {
  /** The receiver (in ShareKeys) or the sender (in ForwardedShares). */
  readonly peer: number;
  readonly ciphertext: Uint8Array;
}

function encodeShareList(
  type: MessageTypeCode,
  sessionId: Uint8Array,
  self: number,
  shares: readonly SealedShare[],
): Uint8Array {
  const w = new ByteWriter(64 + shares.length * 128)
    .header(SECAGG_WIRE_VERSION, type)
    .raw(sessionId)
    .u32(self)
    .u32(shares.length);
  for (const s of shares) w.u32(s.peer).bytes(s.ciphertext);
  return w.finish();
}

function decodeShareList(
  bytes: Uint8Array,
  type: MessageTypeCode,
  limits: WireLimits,
): { sessionId: Uint8Array; self: number; shares: SealedShare[] } {
  const r = reader(bytes, type, limits);
  const sessionId = r.raw(32);
  const self = id(r, limits, 'client id');
  const n = count(r, limits, 'share count');
  const shares: SealedShare[] = [];
  for (let i = 0; i < n; i++) {
    const peer = id(r, limits, 'peer id');
    if (i > 0 && peer <= (shares[i - 1] as SealedShare).peer)
      throw malformed('share list peers are not strictly increasing');
    shares.push({ peer, ciphertext: r.bytes(SEALED_SHARE_BYTES, SEALED_SHARE_BYTES) });
  }
  r.end();
  return { sessionId, self, shares };
}

/** @internal Client -> server: one sealed share per neighbour (`peer` = receiver). */
export function encodeShareKeys(
  sessionId: Uint8Array,
  sender: number,
  shares: readonly SealedShare[],
): Uint8Array {
  return encodeShareList(MessageType.ShareKeys, sessionId, sender, shares);
}
/** @internal */
export function decodeShareKeys(
  bytes: Uint8Array,
  limits: WireLimits,
): { sessionId: Uint8Array; self: number; shares: SealedShare[] } {
  return decodeShareList(bytes, MessageType.ShareKeys, limits);
}
/** @internal Server -> client: the sealed shares addressed to it (`peer` = sender). */
export function encodeForwardedShares(
  sessionId: Uint8Array,
  receiver: number,
  shares: readonly SealedShare[],
): Uint8Array {
  return encodeShareList(MessageType.ForwardedShares, sessionId, receiver, shares);
}
/** @internal */
export function decodeForwardedShares(
  bytes: Uint8Array,
  limits: WireLimits,
): { sessionId: Uint8Array; self: number; shares: SealedShare[] } {
  return decodeShareList(bytes, MessageType.ForwardedShares, limits);
}

/** @internal Associated data of a sealed share: session, sender, receiver and stage. */
export function shareAssociatedData(
  sessionId: Uint8Array,
  sender: number,
  receiver: number,
): Uint8Array {
  return new ByteWriter(96)
    .raw(utf8('privagg/secagg/v1/share-ad'))
    .raw(sessionId)
    .u32(sender)
    .u32(receiver)
    .u8(MessageType.ShareKeys)
    .finish();
}

/** @internal Plaintext of a sealed share: sender, receiver, then the two Shamir shares. */
export function encodeSharePlaintext(
  sender: number,
  receiver: number,
  seedShare: Uint8Array,
  keyShare: Uint8Array,
): Uint8Array {
  return new ByteWriter(16 + seedShare.length + keyShare.length)
    .u32(sender)
    .u32(receiver)
    .raw(seedShare)
    .raw(keyShare)
    .finish();
}

/** @internal Decode (and check the ends of) a share plaintext. */
export function decodeSharePlaintext(
  bytes: Uint8Array,
  sender: number,
  receiver: number,
): { seedShare: Uint8Array; keyShare: Uint8Array } {
  const r = new ByteReader(bytes, 8 + 2 * SHARE_BYTES);
  if (r.u32() !== sender || r.u32() !== receiver) throw malformed('share names other parties');
  const seedShare = r.raw(SHARE_BYTES);
  const keyShare = r.raw(SHARE_BYTES);
  r.end();
  return { seedShare, keyShare };
}

// ---- MaskedInput (client -> server)

/** @internal */
export function encodeMaskedInput(
  sessionId: Uint8Array,
  sender: number,
  vectorId: number,
  modulusBits: number,
  dimension: number,
  packed: Uint8Array,
): Uint8Array {
  return new ByteWriter(64 + packed.length)
    .header(SECAGG_WIRE_VERSION, MessageType.MaskedInput)
    .raw(sessionId)
    .u32(sender)
    .u32(vectorId)
    .u8(modulusBits)
    .u32(dimension)
    .bytes(packed)
    .finish();
}

/** @internal The payload is returned packed; the ring parameters must match the plan exactly. */
export function decodeMaskedInput(
  bytes: Uint8Array,
  limits: WireLimits,
): { sessionId: Uint8Array; sender: number; vectorId: number; packed: Uint8Array } {
  const r = reader(bytes, MessageType.MaskedInput, limits);
  const sessionId = r.raw(32);
  const sender = id(r, limits, 'client id');
  const vectorId = r.u32();
  if (r.u8() !== limits.modulusBits)
    throw malformed('masked input ring size differs from the plan');
  if (r.u32() !== limits.dimension) throw malformed('masked input dimension differs from the plan');
  const len = packedLength(limits.dimension, limits.modulusBits);
  const packed = r.bytes(len, len);
  r.end();
  return { sessionId, sender, vectorId, packed };
}

// ---- id lists: Survivors (server -> client, malicious tier)

function encodeIds(w: ByteWriter, ids: readonly number[]): void {
  w.u32(ids.length);
  for (const x of ids) w.u32(x);
}

function decodeIds(r: ByteReader, limits: WireLimits, strict: boolean): number[] {
  // a canonical list holds each id once; a raw one (an unmask request) may repeat ids, which
  // the client, not the codec, refuses, so it is bounded by twice the cohort
  const n = strict
    ? count(r, limits, 'id list length')
    : r.u32InRange('id list length', 0, 2 * limits.clients);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = id(r, limits, 'listed id');
    if (strict && i > 0 && x <= (out[i - 1] as number))
      throw malformed('id list is not strictly increasing');
    out.push(x);
  }
  return out;
}

/** @internal */
export function encodeSurvivors(sessionId: Uint8Array, ids: readonly number[]): Uint8Array {
  const w = new ByteWriter(64 + 4 * ids.length)
    .header(SECAGG_WIRE_VERSION, MessageType.Survivors)
    .raw(sessionId);
  encodeIds(w, ids);
  return w.finish();
}

/** @internal Survivor lists are canonical (strictly increasing), so equal lists sign alike. */
export function decodeSurvivors(
  bytes: Uint8Array,
  limits: WireLimits,
): { sessionId: Uint8Array; ids: number[] } {
  const r = reader(bytes, MessageType.Survivors, limits);
  const sessionId = r.raw(32);
  const ids = decodeIds(r, limits, true);
  r.end();
  return { sessionId, ids };
}

/** @internal The bytes each client signs in the consistency check. */
export function consistencySignedBytes(
  sessionId: Uint8Array,
  survivors: readonly number[],
): Uint8Array {
  const w = new ByteWriter(64 + 4 * survivors.length)
    .raw(utf8('privagg/secagg/v1/consistency'))
    .raw(sessionId);
  encodeIds(w, survivors);
  return w.finish();
}

/** @internal */
export function encodeConsistencySignature(
  sessionId: Uint8Array,
  sender: number,
  signature: Uint8Array,
): Uint8Array {
  return new ByteWriter(128)
    .header(SECAGG_WIRE_VERSION, MessageType.ConsistencySignature)
    .raw(sessionId)
    .u32(sender)
    .raw(signature)
    .finish();
}

/** @internal */
export function decodeConsistencySignature(
  bytes: Uint8Array,
  limits: WireLimits,
): { sessionId: Uint8Array; sender: number; signature: Uint8Array } {
  const r = reader(bytes, MessageType.ConsistencySignature, limits);
  const sessionId = r.raw(32);
  const sender = id(r, limits, 'client id');
  const signature = r.raw(64);
  r.end();
  return { sessionId, sender, signature };
}

/** @internal */
export function encodeSignatureList(
  sessionId: Uint8Array,
  entries: readonly { id: number; signature: Uint8Array }[],
): Uint8Array {
  const w = new ByteWriter(64 + 68 * entries.length)
    .header(SECAGG_WIRE_VERSION, MessageType.SignatureList)
    .raw(sessionId)
    .u32(entries.length);
  for (const e of entries) w.u32(e.id).raw(e.signature);
  return w.finish();
}

/** @internal */
export function decodeSignatureList(
  bytes: Uint8Array,
  limits: WireLimits,
): { sessionId: Uint8Array; entries: { id: number; signature: Uint8Array }[] } {
  const r = reader(bytes, MessageType.SignatureList, limits);
  const sessionId = r.raw(32);
  const n = count(r, limits, 'signature count');
  const entries: { id: number; signature: Uint8Array }[] = [];
  for (let i = 0; i < n; i++) {
    const who = id(r, limits, 'signer id');
    if (i > 0 && who <= (entries[i - 1] as { id: number }).id)
      throw malformed('signature list ids are not strictly increasing');
    entries.push({ id: who, signature: r.raw(64) });
  }
  r.end();
  return { sessionId, entries };
}

// ---- Unmasking

/**
 * @internal Server -> client: whose self-seed shares (`alive`) and whose key shares (`dropped`)
 * to reveal. Lists are decoded as sent (order and repeats kept) so the client, not the codec,
 * judges them under the double-masking rule.
 */
export function encodeUnmaskRequest(
  sessionId: Uint8Array,
  alive: readonly number[],
  dropped: readonly number[],
): Uint8Array {
  const w = new ByteWriter(64 + 4 * (alive.length + dropped.length))
    .header(SECAGG_WIRE_VERSION, MessageType.UnmaskRequest)
    .raw(sessionId);
  encodeIds(w, alive);
  encodeIds(w, dropped);
  return w.finish();
}

/** @internal */
export function decodeUnmaskRequest(
  bytes: Uint8Array,
  limits: WireLimits,
): { sessionId: Uint8Array; alive: number[]; dropped: number[] } {
  const r = reader(bytes, MessageType.UnmaskRequest, limits);
  const sessionId = r.raw(32);
  const alive = decodeIds(r, limits, false);
  const dropped = decodeIds(r, limits, false);
  r.end();
  return { sessionId, alive, dropped };
}

/** @internal Share kinds in an unmask response. */
export const ShareKind = { SelfSeed: 0, MaskingKey: 1 } as const;

/** @internal One revealed share. */
export interface RevealedShare {
  readonly owner: number;
  readonly kind: 0 | 1;
  readonly share: Uint8Array;
}

/** @internal */
export function encodeUnmaskResponse(
  sessionId: Uint8Array,
  sender: number,
  shares: readonly RevealedShare[],
): Uint8Array {
  const w = new ByteWriter(64 + 48 * shares.length)
    .header(SECAGG_WIRE_VERSION, MessageType.UnmaskResponse)
    .raw(sessionId)
    .u32(sender)
    .u32(shares.length);
  for (const s of shares) w.u32(s.owner).u8(s.kind).raw(s.share);
  return w.finish();
}

/** @internal Owners are strictly increasing (one share per owner). */
export function decodeUnmaskResponse(
  bytes: Uint8Array,
  limits: WireLimits,
): { sessionId: Uint8Array; sender: number; shares: RevealedShare[] } {
  const r = reader(bytes, MessageType.UnmaskResponse, limits);
  const sessionId = r.raw(32);
  const sender = id(r, limits, 'client id');
  const n = count(r, limits, 'share count');
  const shares: RevealedShare[] = [];
  for (let i = 0; i < n; i++) {
    const owner = id(r, limits, 'share owner');
    if (i > 0 && owner <= (shares[i - 1] as RevealedShare).owner)
      throw malformed('revealed shares are not in strictly increasing owner order');
    const kind = r.u8();
    if (kind !== 0 && kind !== 1) throw malformed(`unknown share kind ${kind}`);
    shares.push({ owner, kind, share: r.raw(SHARE_BYTES) });
  }
  r.end();
  return { sessionId, sender, shares };
}

/** @internal The message type of untrusted bytes, or `undefined` when the header is unusable. */
export function peekType(bytes: Uint8Array): number | undefined {
  if (!(bytes instanceof Uint8Array) || !ArrayBuffer.isView(bytes) || bytes.length < 4)
    return undefined;
  if (bytes[0] !== 0x50 || bytes[1] !== 0x41 || bytes[2] !== SECAGG_WIRE_VERSION) return undefined;
  return bytes[3];
}
