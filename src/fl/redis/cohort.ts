/**
 * Partial sums of SecAgg cohorts, as coordinators hand them to the master aggregator through the
 * round store. A cohort's partial is the ring sum of its survivors' protected vectors (already
 * unmasked by its coordinator: the sum of at least `clients.minimum` clients, never one client's
 * input), plus who took part. The master adds the partials in the ring (the plan's overflow check
 * covers the whole round's `clients.expected`, so the total cannot wrap) and decodes once.
 *
 * Layout: `"PA" | version 1 | type 0x43 | digest 32 | round u32 | ringBits u8 | sum (u32 count +
 * words) | participants (u32 count + ids) | stages (u32 count + (name, u32 count + ids)) |
 * clipped u32`; ids are u32-length-prefixed UTF-8.
 * @module
 */
import { ByteReader, ByteWriter, MAX_MESSAGE_BYTES } from '../../core/codec.ts';
import { PrivaggError } from '../../core/errors.ts';
import { aRingVector, ringAdd } from '../../core/ring.ts';
import { aInteger } from '../../core/validate.ts';

const VERSION = 1;
const TYPE = 0x43;
const MAX_ID_BYTES = 256;
const MAX_STAGES = 16;

/**
 * One cohort's contribution to a round.
 * @since 0.1.0
 * @internal
 */
export interface CohortPartial {
  /** SHA-256 digest of the plan (32 bytes). */
  readonly planDigest: Uint8Array;
  /** The round number in the shared store. */
  readonly round: number;
  /** The plan's ring size in bits. */
  readonly ringBits: number;
  /** Ring sum of the cohort's survivors (protected dimension). */
  readonly sum: Uint32Array;
  /** Clients whose input is in `sum`. */
  readonly participants: readonly string[];
  /** Clients that dropped, per stage. */
  readonly dropped: Readonly<Record<string, readonly string[]>>;
  /** How many participants' vectors were clipped. */
  readonly clipped: number;
}

/**
 * What a decoder checks a partial against.
 * @since 0.1.0
 * @internal
 */
export interface CohortPartialExpectation {
  /** The plan digest every partial must carry. */
  readonly planDigest: Uint8Array;
  /** The round being combined. */
  readonly round: number;
  /** The plan's ring bits. */
  readonly ringBits: number;
  /** The plan's protected dimension. */
  readonly protectedDimension: number;
  /** Most clients a round may have (`clients.expected`). */
  readonly maxClients: number;
}

/**
 * Encode a cohort partial.
 * @param p - the partial
 * @returns its bytes
 * @throws {@link !RangeError} for out-of-range fields
 */
export function encodeCohortPartial(p: CohortPartial): Uint8Array {
  if (!(p.planDigest instanceof Uint8Array) || p.planDigest.length !== 32)
    throw new RangeError('"planDigest" expected 32 bytes');
  aInteger('round', p.round, 1, 0xffffffff);
  aInteger('ringBits', p.ringBits, 1, 32);
  aInteger('clipped', p.clipped, 0, p.participants.length);
  const w = new ByteWriter(64 + p.sum.byteLength)
    .header(VERSION, TYPE)
    .raw(p.planDigest)
    .u32(p.round)
    .u8(p.ringBits)
    .u32Array(p.sum);
  const ids = (list: readonly string[]): void => {
    w.u32(list.length);
    for (const id of list) w.bytes(new TextEncoder().encode(id));
  };
  ids(p.participants);
  const stages = Object.entries(p.dropped);
  if (stages.length > MAX_STAGES) throw new RangeError(`at most ${MAX_STAGES} dropout stages`);
  w.u32(stages.length);
  for (const [stage, list] of stages) {
    w.bytes(new TextEncoder().encode(stage));
    ids(list);
  }
  return w.u32(p.clipped).finish();
}

/**
 * Decode and check a partial read from the store (bytes written by another process).
 * @param bytes - the partial's bytes
 * @param expect - the round and plan it must belong to
 * @returns the partial
 * @throws {@link index!PrivaggError} `MALFORMED_MESSAGE` for bytes that do not decode;
 * `DOMAIN_MISMATCH` for a partial of another plan, round or ring
 */
export function decodeCohortPartial(
  bytes: Uint8Array,
  expect: CohortPartialExpectation,
): CohortPartial {
  const r = new ByteReader(bytes, MAX_MESSAGE_BYTES);
  r.header(TYPE, [VERSION]);
  const planDigest = r.raw(32);
  const round = r.u32();
  const ringBits = r.u8();
  if (!equalBytes(planDigest, expect.planDigest))
    throw new PrivaggError('DOMAIN_MISMATCH', 'a cohort partial belongs to another plan');
  if (round !== expect.round)
    throw new PrivaggError('DOMAIN_MISMATCH', `a cohort partial belongs to round ${round}`);
  if (ringBits !== expect.ringBits)
    throw new PrivaggError('DOMAIN_MISMATCH', 'a cohort partial uses another ring');
  const sum = r.u32Array(expect.protectedDimension, expect.protectedDimension);
  aRingVector('partial sum', ringBits, sum);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const ids = (what: string): string[] => {
    const n = r.u32InRange(what, 0, expect.maxClients);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      try {
        out.push(decoder.decode(r.bytes(MAX_ID_BYTES, 1)));
      } catch (e) {
        if (e instanceof PrivaggError) throw e;
        throw new PrivaggError('MALFORMED_MESSAGE', `${what}: an identity is not UTF-8`);
      }
    }
    return out;
  };
  const participants = ids('participants');
  const stageCount = r.u32InRange('stages', 0, MAX_STAGES);
  const dropped: Record<string, string[]> = {};
  for (let i = 0; i < stageCount; i++) {
    let stage: string;
    try {
      stage = decoder.decode(r.bytes(64, 1));
    } catch (e) {
      if (e instanceof PrivaggError) throw e;
      throw new PrivaggError('MALFORMED_MESSAGE', 'a stage name is not UTF-8');
    }
    if (Object.hasOwn(dropped, stage) || stage === '__proto__')
      throw new PrivaggError('MALFORMED_MESSAGE', 'a stage appears twice');
    dropped[stage] = ids('dropped');
  }
  const clipped = r.u32InRange('clipped', 0, participants.length);
  r.end();
  return { planDigest, round, ringBits, sum, participants, dropped, clipped };
}

/**
 * The round's totals from its cohorts' partials: the ring sum of the sums, and the union of
 * participants and dropouts. A client in two partials (a coordinator bug or a replay) fails the
 * round rather than being counted twice.
 * @param partials - decoded partials of one round (at least one)
 * @returns the combined partial
 * @throws {@link index!PrivaggError} `PROTOCOL_ABORTED` for an empty list or a client counted twice
 */
export function combineCohortPartials(partials: readonly CohortPartial[]): CohortPartial {
  const first = partials[0];
  if (first === undefined)
    throw new PrivaggError('PROTOCOL_ABORTED', 'no cohort submitted a partial sum');
  const sum = new Uint32Array(first.sum.length);
  const seen = new Set<string>();
  const participants: string[] = [];
  const dropped: Record<string, string[]> = {};
  let clipped = 0;
  for (const p of partials) {
    if (p.sum.length !== sum.length || p.ringBits !== first.ringBits || p.round !== first.round)
      throw new PrivaggError('DOMAIN_MISMATCH', 'cohort partials of different shapes');
    ringAdd(first.ringBits, sum, p.sum, sum);
    for (const id of p.participants) {
      if (seen.has(id))
        throw new PrivaggError('PROTOCOL_ABORTED', 'a client appears in two cohort partials');
      seen.add(id);
      participants.push(id);
    }
    for (const [stage, list] of Object.entries(p.dropped)) {
      const into = dropped[stage] ?? [];
      into.push(...list);
      dropped[stage] = into;
    }
    clipped += p.clipped;
  }
  return {
    planDigest: first.planDigest,
    round: first.round,
    ringBits: first.ringBits,
    sum,
    participants,
    dropped,
    clipped,
  };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}
