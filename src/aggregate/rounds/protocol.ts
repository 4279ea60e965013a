/**
 * The round protocol's wire format: one versioned envelope for every frame between a round
 * server and its clients, carrying the plan digest (peers with another plan are refused), the
 * round number and identifier, the frame kind and its payload. Decoding untrusted frames fails
 * only with `MALFORMED_MESSAGE`.
 *
 * Layout (little-endian): `"PA" | version u8 = 1 | type u8 = 0x52 | digest 32 | round u32 |
 * roundId 16 | kind u8 | payload (u32 length prefix)`.
 * @module
 * @internal
 */
import {
  ByteReader,
  ByteWriter,
  MAX_MESSAGE_BYTES,
  PrivaggError,
  sha256Digest,
  utf8,
} from '../../core/index.ts';
import { ROTATION_SEED_BYTES } from '../rotation.ts';
import type { AggregationConfig } from '../config.ts';
import type { PlanDescription } from '../plan.ts';

/** @internal Envelope version. */
export const ROUND_WIRE_VERSION: number = 1;
/** @internal Envelope message type ("R"). */
export const ROUND_WIRE_TYPE: number = 0x52;
/** @internal Bytes of the envelope before the payload. */
export const ENVELOPE_BYTES: number = 4 + 32 + 4 + 16 + 1 + 4;

/** @internal Frame kinds. */
export const FrameKind: {
  readonly Hello: 1;
  readonly Invite: 2;
  readonly Decline: 3;
  readonly Input: 4;
  readonly SecAgg: 5;
  readonly End: 6;
  readonly Shares: 7;
  readonly Ciphertext: 8;
} = {
  /** client -> server: "I run this plan" (round 0). */
  Hello: 1,
  /** server -> client: you are in round r (cohort size, your index). */
  Invite: 2,
  /** client -> server: no update this round. */
  Decline: 3,
  /** client -> server: the (encoded) vector, without secure aggregation. */
  Input: 4,
  /** both ways: a secure-aggregation message. */
  SecAgg: 5,
  /** server -> client: the round ended (status, participants, reason). */
  End: 6,
  /** client -> server: the leader's share and the helpers' sealed shares (protection `shamir`). */
  Shares: 7,
  /** client -> server: the clip flag and the CKKS ciphertext of the vector (protection `ckks`). */
  Ciphertext: 8,
} as const;

/** @internal A frame kind. */
export type FrameKindValue = (typeof FrameKind)[keyof typeof FrameKind];

const KINDS = new Set<number>(Object.values(FrameKind));

/** @internal A decoded envelope. */
export interface Envelope {
  readonly digest: Uint8Array;
  readonly round: number;
  readonly roundId: Uint8Array;
  readonly kind: FrameKindValue;
  readonly payload: Uint8Array;
}

/** @internal Encode one frame. */
export function encodeEnvelope(e: Envelope): Uint8Array {
  return new ByteWriter(ENVELOPE_BYTES + e.payload.length)
    .header(ROUND_WIRE_VERSION, ROUND_WIRE_TYPE)
    .raw(e.digest)
    .u32(e.round)
    .raw(e.roundId)
    .u8(e.kind)
    .bytes(e.payload)
    .finish();
}

/**
 * @internal Decode one untrusted frame of at most `maxBytes` bytes.
 * @throws {@link PrivaggError} `MALFORMED_MESSAGE` for anything that is not a whole envelope
 */
export function decodeEnvelope(frame: Uint8Array, maxBytes: number): Envelope {
  const r = new ByteReader(frame, Math.min(maxBytes, MAX_MESSAGE_BYTES));
  r.header(ROUND_WIRE_TYPE, [ROUND_WIRE_VERSION]);
  const digest = r.raw(32);
  const round = r.u32();
  const roundId = r.raw(16);
  const kind = r.u8();
  if (!KINDS.has(kind)) throw new PrivaggError('MALFORMED_MESSAGE', `unknown frame kind ${kind}`);
  const payload = r.bytes(maxBytes);
  r.end();
  return { digest, round, roundId, kind: kind as FrameKindValue, payload };
}

/** @internal Longest client id on the wire, in UTF-8 bytes. */
export const MAX_CLIENT_ID_BYTES = 1024;

/**
 * @internal Invitation payload: cohort size, the invitee's index in it, (malicious tier only)
 * the cohort's client ids in index order, so each client can look their signing keys up in its
 * own copy of the key directory, and (plans with the randomized Hadamard rotation) the round's
 * 32-byte rotation seed.
 */
export function encodeInvite(
  cohortSize: number,
  index: number,
  cohort: readonly string[] | undefined,
  rotationSeed?: Uint8Array,
): Uint8Array {
  const w = new ByteWriter(64)
    .u32(cohortSize)
    .u32(index)
    .u8(cohort === undefined ? 0 : 1);
  if (cohort !== undefined) for (const id of cohort) w.bytes(utf8(id));
  w.u8(rotationSeed === undefined ? 0 : 1);
  if (rotationSeed !== undefined) w.raw(rotationSeed);
  return w.finish();
}

/** @internal Decode an invitation against the plan's largest cohort. */
export function decodeInvite(
  payload: Uint8Array,
  maxCohort: number,
): {
  cohortSize: number;
  index: number;
  cohort: string[] | undefined;
  rotationSeed: Uint8Array | undefined;
} {
  const r = new ByteReader(
    payload,
    10 + ROTATION_SEED_BYTES + maxCohort * (4 + MAX_CLIENT_ID_BYTES),
  );
  const cohortSize = r.u32InRange('cohort size', 1, maxCohort);
  const index = r.u32InRange('index', 0, cohortSize - 1);
  const flag = r.u8();
  if (flag > 1) throw new PrivaggError('MALFORMED_MESSAGE', 'bad cohort flag');
  let cohort: string[] | undefined;
  if (flag === 1) {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    cohort = [];
    for (let i = 0; i < cohortSize; i++) {
      const bytes = r.bytes(MAX_CLIENT_ID_BYTES, 1);
      try {
        cohort.push(decoder.decode(bytes));
      } catch {
        throw new PrivaggError('MALFORMED_MESSAGE', 'a cohort id is not UTF-8');
      }
    }
  }
  const seedFlag = r.u8();
  if (seedFlag > 1) throw new PrivaggError('MALFORMED_MESSAGE', 'bad rotation-seed flag');
  const rotationSeed = seedFlag === 1 ? r.raw(ROTATION_SEED_BYTES) : undefined;
  r.end();
  return { cohortSize, index, cohort, rotationSeed };
}

/** @internal Round-end statuses. */
export const EndStatus: { readonly Included: 0; readonly Excluded: 1; readonly Aborted: 2 } = {
  Included: 0,
  Excluded: 1,
  Aborted: 2,
} as const;

const MAX_REASON_BYTES = 512;

/** @internal Round-end payload. */
export function encodeEnd(status: number, participants: number, reason: string): Uint8Array {
  const text = utf8(reason).subarray(0, MAX_REASON_BYTES);
  return new ByteWriter(16 + text.length).u8(status).u32(participants).bytes(text).finish();
}

/** @internal Decode a round-end payload. */
export function decodeEnd(payload: Uint8Array): {
  status: number;
  participants: number;
  reason: string;
} {
  const r = new ByteReader(payload, 16 + MAX_REASON_BYTES);
  const status = r.u8();
  if (status > EndStatus.Aborted)
    throw new PrivaggError('MALFORMED_MESSAGE', `unknown round-end status ${status}`);
  const participants = r.u32();
  const reason = new TextDecoder('utf-8', { fatal: false }).decode(r.bytes(MAX_REASON_BYTES));
  r.end();
  return { status, participants, reason };
}

/** @internal Input encodings. */
export const InputEncoding: { readonly Float64: 0; readonly Ring: 1 } = {
  Float64: 0,
  Ring: 1,
} as const;

/**
 * @internal An unprotected input (protection `none`: the server sees it anyway): exact floats
 * (no ring) or ring words, and whether the client clipped it.
 */
export function encodeInput(vector: Float64Array | Uint32Array, clipped: boolean): Uint8Array {
  const w = new ByteWriter(8 + vector.byteLength);
  const flag = clipped ? 1 : 0;
  if (vector instanceof Uint32Array)
    return w.u8(InputEncoding.Ring).u8(flag).u32Array(vector).finish();
  const bytes = new Uint8Array(vector.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat64(8 * i, vector[i] as number, true);
  return w.u8(InputEncoding.Float64).u8(flag).u32(vector.length).raw(bytes).finish();
}

/**
 * @internal Decode an unprotected input of exactly `dimension` values: finite floats, or ring
 * words below 2^ringBits.
 * @throws {@link PrivaggError} `MALFORMED_MESSAGE` otherwise
 */
export function decodeInput(
  payload: Uint8Array,
  dimension: number,
  ringBits: number | undefined,
): { vector: Float64Array | Uint32Array; clipped: boolean } {
  const r = new ByteReader(payload, 8 + dimension * 8);
  const encoding = r.u8();
  const flag = r.u8();
  if (flag > 1) throw new PrivaggError('MALFORMED_MESSAGE', 'bad clip flag');
  const clipped = flag === 1;
  if (ringBits === undefined) {
    if (encoding !== InputEncoding.Float64)
      throw new PrivaggError('MALFORMED_MESSAGE', 'expected a float input');
    r.u32InRange('input length', dimension, dimension);
    const bytes = r.raw(dimension * 8);
    r.end();
    const view = new DataView(bytes.buffer);
    const out = new Float64Array(dimension);
    for (let i = 0; i < dimension; i++) {
      const x = view.getFloat64(8 * i, true);
      if (!Number.isFinite(x))
        throw new PrivaggError('MALFORMED_MESSAGE', 'input has a non-finite value');
      out[i] = x;
    }
    return { vector: out, clipped };
  }
  if (encoding !== InputEncoding.Ring)
    throw new PrivaggError('MALFORMED_MESSAGE', 'expected a ring input');
  const words = r.u32Array(dimension, dimension);
  r.end();
  if (ringBits < 32) {
    const limit = 2 ** ringBits;
    for (let i = 0; i < dimension; i++)
      if ((words[i] as number) >= limit)
        throw new PrivaggError('MALFORMED_MESSAGE', `input word outside the ${ringBits}-bit ring`);
  }
  return { vector: words, clipped };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/**
 * @internal The plan digest: SHA-256 of a domain tag and the canonical JSON of the configuration
 * and its resolved description (so two builds that resolve a configuration differently disagree).
 */
export function planDigest(config: AggregationConfig, description: PlanDescription): Uint8Array {
  const text = `privagg/round-plan/v1\n${JSON.stringify(canonical({ config, description }))}`;
  return sha256Digest(utf8(text));
}
