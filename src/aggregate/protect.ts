/**
 * The protections behind a plan: how the clients' encoded vectors become one sum that nobody
 * saw in the clear (or, for `none`, a plain sum), with dropouts.
 * @module
 * @internal
 */
import { PrivaggError } from '../core/errors.ts';
import type { Rng } from '../core/random.ts';
import { drawWords } from '../core/random.ts';
import { aInteger } from '../core/validate.ts';
import { FIELD_MODULUS, shamirReconstruct, shamirShare } from '../sharing/index.ts';
import type { AggregationConfig } from './config.ts';
import type { PlanDescription, SecAggSetup } from './plan.ts';
import { simulateSecAgg } from '../secagg/index.ts';
import {
  combinePartialDecryptions,
  combinePublicKeyShares,
  createCkksContext,
  createThresholdParty,
  type ThresholdParty,
} from '../he/index.ts';
import { defaultKernels, type KernelBackend } from '../kernels/index.ts';

/**
 * Clients that stop responding in a simulated round: a list of client indices that drop before
 * sending their input, or the stages at which they drop (secure aggregation's stages; for other
 * protections, a client dropping before its masked input is simply absent).
 * @since 0.1.0
 * @public
 */
export type DropoutSchedule =
  | readonly number[]
  | {
      /** Drop after advertising keys (their input never arrives). */
      readonly afterAdvertiseKeys?: readonly number[];
      /** Drop after sharing keys, before sending their input (their input never arrives). */
      readonly afterShareKeys?: readonly number[];
      /** Drop after sending their input (it is still included). */
      readonly afterMaskedInput?: readonly number[];
      /** Stop answering during unmasking (their input is included). */
      readonly duringUnmask?: readonly number[];
    };

/** @internal */
export interface NormalizedDropouts {
  readonly stages: {
    readonly afterAdvertiseKeys: readonly number[];
    readonly afterShareKeys: readonly number[];
    readonly afterMaskedInput: readonly number[];
    readonly duringUnmask: readonly number[];
  };
  /** Clients whose input never arrives. */
  readonly excludedBeforeInput: ReadonlySet<number>;
  /** Clients whose input arrives. */
  readonly survivorCount: number;
  readonly dropped: Readonly<Record<string, readonly number[]>>;
}

const STAGES = [
  'afterAdvertiseKeys',
  'afterShareKeys',
  'afterMaskedInput',
  'duringUnmask',
] as const;

/** @internal Validate and normalize a dropout schedule for `n` clients. */
export function normalizeDropouts(
  schedule: DropoutSchedule | undefined,
  n: number,
): NormalizedDropouts {
  const stages: Record<(typeof STAGES)[number], number[]> = {
    afterAdvertiseKeys: [],
    afterShareKeys: [],
    afterMaskedInput: [],
    duringUnmask: [],
  };
  if (Array.isArray(schedule)) stages.afterShareKeys = [...(schedule as number[])];
  else if (schedule !== undefined) {
    if (typeof schedule !== 'object' || schedule === null)
      throw new TypeError('"dropouts" expected an array or an object of stages');
    for (const key of Object.keys(schedule))
      if (!(STAGES as readonly string[]).includes(key))
        throw new TypeError(`"dropouts" has unknown stage "${key}"; allowed: ${STAGES.join(', ')}`);
    const s = schedule as Record<string, unknown>;
    for (const stage of STAGES) {
      const list = s[stage];
      if (list === undefined) continue;
      if (!Array.isArray(list))
        throw new TypeError(`"dropouts.${stage}" expected an array of client indices`);
      stages[stage] = [...list];
    }
  }
  const seen = new Set<number>();
  for (const stage of STAGES)
    for (const i of stages[stage]) {
      aInteger(`dropouts.${stage}[]`, i, 0, n - 1);
      if (seen.has(i)) throw new RangeError(`client ${i} is listed as dropping more than once`);
      seen.add(i);
    }
  const excluded = new Set([...stages.afterAdvertiseKeys, ...stages.afterShareKeys]);
  const dropped: Record<string, readonly number[]> = {};
  for (const stage of STAGES)
    if (stages[stage].length > 0) dropped[stage] = [...stages[stage]].sort((a, b) => a - b);
  return { stages, excludedBeforeInput: excluded, survivorCount: n - excluded.size, dropped };
}

/**
 * @internal Splits a simulated round's time between the clients' side and the server's side:
 * each `charge` gives the time since the previous mark to one role. Clients run one after the
 * other in a simulation, so their charged times add up; the key holders' and helpers' work counts
 * as the server's.
 */
export class RoleClock {
  clientMs = 0;
  serverMs = 0;
  private mark = performance.now();
  /** Give the time since the last mark to `role`. */
  charge(role: 'client' | 'server'): void {
    const now = performance.now();
    if (role === 'client') this.clientMs += now - this.mark;
    else this.serverMs += now - this.mark;
    this.mark = now;
  }
  /** Add time measured elsewhere (and restart the mark). */
  add(clientSeconds: number, serverSeconds: number): void {
    this.clientMs += clientSeconds * 1000;
    this.serverMs += serverSeconds * 1000;
    this.mark = performance.now();
  }
}

/** @internal The outcome of a secure sum. */
export interface SecureSumResult {
  readonly sum: Uint32Array;
  readonly participants: readonly number[];
  readonly dropped: Readonly<Record<string, readonly number[]>>;
}

/**
 * @internal Sum the encoded vectors under the plan's protection. Ring additions (the `none` and
 * additive paths) and secure aggregation's masks run through `kernels` (privagg/kernels'
 * interface); every backend gives the same bits.
 */
export async function secureSum(
  config: AggregationConfig,
  description: PlanDescription,
  secagg: SecAggSetup | undefined,
  encoded: readonly Uint32Array[],
  dropouts: NormalizedDropouts,
  rng: Rng,
  kernels: KernelBackend = defaultKernels(),
  clock: RoleClock = new RoleClock(),
): Promise<SecureSumResult> {
  const q = description.quantization;
  if (q === undefined)
    throw new PrivaggError('INVALID_PARAMETER', 'a ring protection needs a quantization');
  const k = q.ringBits;
  const participants = encoded.map((_, i) => i).filter((i) => !dropouts.excludedBeforeInput.has(i));
  const p = config.protection;
  switch (p.kind) {
    case 'none': {
      const sum = new Uint32Array(description.rotation.paddedDimension);
      for (const i of participants) await kernels.add(k, sum, encoded[i] as Uint32Array, sum);
      clock.charge('server');
      return { sum, participants, dropped: dropouts.dropped };
    }
    case 'shamir':
      return (p.threshold ?? p.servers) === p.servers
        ? additiveSum(k, p.servers, encoded, participants, dropouts, rng, kernels, clock)
        : shamirSum(
            k,
            p.servers,
            p.threshold ?? p.servers,
            encoded,
            participants,
            dropouts,
            rng,
            clock,
          );
    case 'secagg':
    case 'secagg+':
      if (secagg === undefined)
        throw new PrivaggError('INVALID_PARAMETER', 'secure aggregation was not planned');
      return secaggSum(k, secagg, encoded, dropouts, rng, kernels, clock);
    default:
      throw new PrivaggError(
        'BACKEND_UNAVAILABLE',
        `protection "${p.kind}" is not available in this build yet`,
      );
  }
}

/**
 * Prio-style additive sharing: each client splits its vector into `servers` uniformly random
 * shares summing to it mod 2^k and sends one to each server; each server adds what it receives;
 * the sum of the servers' totals is the sum of inputs. Any `servers - 1` colluding servers see
 * only uniform noise.
 */
async function additiveSum(
  k: number,
  servers: number,
  encoded: readonly Uint32Array[],
  participants: readonly number[],
  dropouts: NormalizedDropouts,
  rng: Rng,
  kernels: KernelBackend,
  clock: RoleClock,
): Promise<SecureSumResult> {
  const d = encoded[0]?.length ?? 0;
  const totals = Array.from({ length: servers }, () => new Uint32Array(d));
  const mask = k === 32 ? -1 : (2 ** k - 1) | 0;
  for (const i of participants) {
    // the client: the last share is the input minus the others (the encoded vector is ours to
    // overwrite)
    let last: Uint32Array = encoded[i] as Uint32Array;
    const shares: Uint32Array[] = [];
    for (let s = 0; s < servers - 1; s++) {
      const share = drawWords(rng, d);
      if (k < 32) for (let j = 0; j < d; j++) share[j] = (share[j] as number) & mask;
      last = await kernels.sub(k, last, share, last);
      shares.push(share);
    }
    shares.push(last);
    clock.charge('client');
    // the servers: each adds its share
    for (const [s, share] of shares.entries())
      await kernels.add(k, totals[s] as Uint32Array, share, totals[s] as Uint32Array);
    clock.charge('server');
  }
  const sum = new Uint32Array(d);
  for (const t of totals) await kernels.add(k, sum, t, sum);
  clock.charge('server');
  return { sum, participants, dropped: dropouts.dropped };
}

/** @internal Ring size used by Shamir aggregation: sums must fit the signed half of GF(2^31 - 1). */
export const SHAMIR_RING_BITS = 31;

/**
 * Shamir aggregation across `servers` non-colluding servers, any `threshold` of which
 * reconstruct: each client maps its encoded vector (signed, |x| < 2^30) into GF(2^31 - 1) and
 * Shamir-shares it with `privagg/sharing`; server s adds the shares at index s + 1; any
 * `threshold` server totals interpolate to the sum (Shamir shares are linear). Fewer than
 * `threshold` colluding servers learn nothing about any input.
 */
function shamirSum(
  k: number,
  servers: number,
  threshold: number,
  encoded: readonly Uint32Array[],
  participants: readonly number[],
  dropouts: NormalizedDropouts,
  rng: Rng,
  clock: RoleClock,
): SecureSumResult {
  if (k !== SHAMIR_RING_BITS)
    throw new PrivaggError(
      'INVALID_PARAMETER',
      `Shamir aggregation needs ${SHAMIR_RING_BITS} ring bits`,
    );
  const d = encoded[0]?.length ?? 0;
  const totals = Array.from({ length: servers }, () => new Uint32Array(d));
  const field = new Uint32Array(d);
  for (const i of participants) {
    ringToField(k, encoded[i] as Uint32Array, field);
    const shares = shamirShare(field, { threshold, shares: servers }, rng);
    clock.charge('client');
    for (let s = 0; s < servers; s++)
      addFieldInto(totals[s] as Uint32Array, (shares[s] as { value: Uint32Array }).value);
    clock.charge('server');
  }
  // any `threshold` servers reconstruct; use the first ones
  const sumField = shamirReconstruct(
    totals.slice(0, threshold).map((value, s) => ({ index: s + 1, value })),
    { threshold },
  );
  const sum = fieldToRing(k, sumField);
  clock.charge('server');
  return { sum, participants, dropped: dropouts.dropped };
}

/**
 * @internal Map ring elements (mod 2^k, read as signed) to GF(2^31 - 1), branch-free: the
 * encoding of signed values Shamir aggregation shares.
 */
export function ringToField(k: number, ring: Uint32Array, out: Uint32Array): Uint32Array {
  const P = FIELD_MODULUS;
  const half = 2 ** (k - 1);
  for (let j = 0; j < ring.length; j++) {
    const x = ring[j] as number;
    const signed = x - 2 * half * +(x >= half);
    out[j] = signed + P * +(signed < 0);
  }
  return out;
}

/** @internal The inverse of {@link ringToField} for sums that fit the signed half of the field. */
export function fieldToRing(k: number, field: Uint32Array): Uint32Array {
  const P = FIELD_MODULUS;
  const sum = new Uint32Array(field.length);
  const mask = 2 ** k - 1;
  for (let j = 0; j < field.length; j++) {
    const y = field[j] as number;
    const signed = y - P * +(y > (P - 1) / 2);
    sum[j] = signed & mask;
  }
  return sum;
}

/** @internal `acc += x` in GF(2^31 - 1), element-wise. */
export function addFieldInto(acc: Uint32Array, x: Uint32Array): void {
  const P = FIELD_MODULUS;
  for (let j = 0; j < acc.length; j++) {
    const s = (acc[j] as number) + (x[j] as number) - P;
    acc[j] = s + (P & (s >> 31));
  }
}

/**
 * Secure aggregation (privagg/secagg): shift each client's signed coordinates by `offset` into
 * [0, maxInputValue], run the real protocol in process with the scheduled dropouts, and shift
 * the sum back by `offset` per survivor.
 */
async function secaggSum(
  k: number,
  setup: SecAggSetup,
  encoded: readonly Uint32Array[],
  dropouts: NormalizedDropouts,
  rng: Rng,
  kernels: KernelBackend,
  clock: RoleClock,
): Promise<SecureSumResult> {
  const mod = 2 ** k;
  const half = mod / 2;
  const mask = k === 32 ? -1 : (mod - 1) | 0;
  const limit = setup.offset;
  const inputs = encoded.map((e) => {
    const u = new Uint32Array(e.length);
    let outside = 0;
    for (let j = 0; j < e.length; j++) {
      const x = e[j] as number;
      const signed = x - mod * +(x >= half);
      outside |= +(signed > limit || signed < -limit);
      u[j] = (signed + setup.offset) & mask;
    }
    if (outside !== 0)
      throw new PrivaggError(
        'OVERFLOW',
        `a client's noisy input left the secure-aggregation range (probability below the plan's quantization.wrapProbability); the round is refused`,
      );
    return u;
  });
  // the clients' shift into SecAgg's range
  clock.charge('client');
  const result = await simulateSecAgg({
    inputs,
    modulusBits: k,
    maxInputValue: setup.plan.maxInputValue,
    threshold: setup.plan.threshold,
    // a cohort smaller than the planned degree + 1 runs on the complete graph (as over a transport)
    neighbors:
      setup.plan.complete || setup.plan.neighbors >= inputs.length - 1
        ? 'all'
        : setup.plan.neighbors,
    tier: setup.plan.tier,
    dropoutRate: setup.plan.dropoutRate,
    corruptFraction: setup.plan.corruptFraction,
    securityBits: setup.plan.securityBits,
    dropouts: dropouts.stages,
    kernels,
    rng,
  });
  // the protocol's own split (its clients run one at a time)
  const roles = result.roleSeconds;
  if (roles !== undefined) clock.add(roles.clients, roles.server);
  else clock.charge('server');
  if (!(result.sum instanceof Uint32Array))
    throw new PrivaggError('INVALID_PARAMETER', 'wide SecAgg sums are not supported by plans');
  const shift = (result.survivors.length * setup.offset) % mod;
  const sum = new Uint32Array(result.sum.length);
  for (let j = 0; j < sum.length; j++) sum[j] = ((result.sum[j] as number) - shift) & mask;
  const dropped: Record<string, readonly number[]> = {};
  for (const [stage, list] of Object.entries(result.dropped))
    if (list.length > 0) dropped[stage] = list;
  clock.charge('server');
  return { sum, participants: result.survivors, dropped };
}

/** @internal The CKKS preset of plans: room for 40-bit flooding of sums (privagg/he's `n8192-flood`). */
export const PLAN_CKKS_PRESET = 'n8192-flood';

/** @internal The outcome of a CKKS sum. */
export interface CkksSumResult {
  readonly sum: Float64Array;
  /** Bound on |decrypted - exact| per coordinate, flooding included. */
  readonly errorBound: number;
  readonly floodingStd: number;
}

/**
 * CKKS aggregation (privagg/he). Single key: a key holder (not the aggregator) makes the keys;
 * each participant encrypts its vector under the public key and sends the ciphertext bytes; the
 * aggregator loads them as untrusted bytes and adds them; the key holder decrypts the sum with
 * noise flooding (40-bit statistical security, Li-Micciancio) before it leaves. Threshold keys
 * (Mouchet et al. 2021, privagg/he's threshold API): `parties` key holders make a collective
 * public key from a shared seed (t-of-N: each deals Shamir shares of its secret to the others);
 * clients encrypt under it unchanged; `threshold` key holders each publish a partial decryption
 * of the sum with their own flooding (40 bits), and the aggregator combines them. Every
 * ciphertext declares the plan's public `valueBound` (not its own maximum), so the error bound
 * and the flooding calibrated from it reveal nothing about the data.
 */
export async function ckksSum(
  protection: Extract<AggregationConfig['protection'], { kind: 'ckks' }>,
  vectors: readonly Float64Array[],
  participants: readonly number[],
  valueBound: number,
  rng: Rng,
  clock: RoleClock = new RoleClock(),
): Promise<CkksSumResult> {
  using ctx = await createCkksContext(PLAN_CKKS_PRESET);
  const encrypt = (i: number, key: Parameters<typeof ctx.encryptToBytes>[1]): Uint8Array => {
    // key generation and the server's work before this are the server's; encryption the client's
    clock.charge('server');
    try {
      return ctx.encryptToBytes(vectors[i] as Float64Array, key, { bound: valueBound });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new PrivaggError(
        'OVERFLOW',
        "a client's noisy values exceeded the plan's public CKKS value bound (probability below 2^-40 by plan); the round is refused",
        { cause: e },
      );
    } finally {
      clock.charge('client');
    }
  };
  const securityBits = protection.floodingBits ?? 40;
  if ((protection.keys ?? 'single') === 'threshold') {
    const parties = protection.parties ?? 2;
    const threshold = protection.threshold ?? parties;
    const seed = rng(32);
    const holders = Array.from({ length: parties }, (_, i) =>
      createThresholdParty(ctx, { parties, threshold, index: i + 1, seed, rng }),
    );
    try {
      if (threshold < parties) {
        const dealt = holders.map((h) => h.dealShares());
        for (const [from, messages] of dealt.entries())
          for (const [to, m] of messages.entries())
            if (m !== undefined && to !== from) (holders[to] as ThresholdParty).receiveShare(m);
      }
      using publicKey = combinePublicKeyShares(
        ctx,
        seed,
        holders.map((h) => h.publicKeyShare()),
      );
      const wire = participants.map((i) => encrypt(i, publicKey));
      const loaded = wire.map((bytes) => ctx.loadVector(bytes));
      try {
        using total = ctx.sum(loaded);
        // any `threshold` key holders decrypt; the simulation uses the first ones
        const set = Array.from({ length: threshold }, (_, i) => i + 1);
        let partials: Uint8Array[];
        try {
          partials = set.map((j) =>
            (holders[j - 1] as ThresholdParty).partialDecrypt(total, set, { securityBits }),
          );
        } catch (e) {
          if (!(e instanceof RangeError)) throw e;
          throw new PrivaggError(
            'INVALID_PARAMETER',
            `threshold CKKS cannot flood the decryption of a sum of ${participants.length} ciphertexts at "protection.floodingBits" ${securityBits}: the flooding noise exceeds privagg/he's sampler; fewer clients per ciphertext sum or fewer flooding bits`,
            { cause: e },
          );
        }
        const out = combinePartialDecryptions(ctx, total, partials, { parties });
        return { sum: Float64Array.from(out.values), errorBound: out.errorBound, floodingStd: 0 };
      } finally {
        for (const v of loaded) v.dispose();
      }
    } finally {
      for (const h of holders) h.dispose();
    }
  }
  const keys = ctx.generateKeys();
  try {
    const wire = participants.map((i) => encrypt(i, keys.publicKey));
    const loaded = wire.map((bytes) => ctx.loadVector(bytes));
    try {
      using total = ctx.sum(loaded);
      const out = ctx.decryptForRelease(total, keys.secretKey, { securityBits, rng });
      return { sum: out.values, errorBound: out.errorBound, floodingStd: out.floodingStd };
    } finally {
      for (const v of loaded) v.dispose();
    }
  } finally {
    keys.secretKey.dispose();
    keys.publicKey.dispose();
  }
}
