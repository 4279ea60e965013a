/**
 * What the round server and client share about a plan's protection over a transport: which
 * protections can run, the per-round secure-aggregation plan, and the shift of signed ring
 * values into SecAgg's unsigned input range.
 * @module
 * @internal
 */
import { aBytes } from '../../core/index.ts';
import { planSecAgg, type SecAggPlan } from '../../secagg/index.ts';
import type { SecAggSetup } from '../plan.ts';
import { reportBytes, shareLayout } from './helpers.ts';
import { ciphertextBound, keyLayout } from './keyholders.ts';
import type { PlanRuntime } from './types.ts';

/**
 * @internal Check a key directory (client id -> 32-byte Ed25519 public key) for the malicious
 * tier, and refuse one where the tier does not use it.
 * @throws {@link !TypeError} / {@link !RangeError} naming `label`
 */
export function checkKeyDirectory(
  rt: PlanRuntime,
  label: string,
  directory: unknown,
): ReadonlyMap<string, Uint8Array> | undefined {
  const malicious = rt.secagg?.plan.tier === 'malicious';
  if (directory === undefined) {
    if (malicious)
      throw new TypeError(
        `"${label}" is required by the malicious SecAgg tier: the Ed25519 public keys of the clients by id, from a source the server does not control`,
      );
    return undefined;
  }
  if (!malicious) throw new TypeError(`"${label}" is used by the malicious SecAgg tier only`);
  if (typeof directory !== 'object' || directory === null || Array.isArray(directory))
    throw new TypeError(`"${label}" expected an object of client id -> public key`);
  const out = new Map<string, Uint8Array>();
  for (const [id, key] of Object.entries(directory)) {
    aBytes(`${label}[${JSON.stringify(id)}]`, key, 32);
    out.set(id, (key as Uint8Array).slice());
  }
  return out;
}

/**
 * @internal The secure-aggregation plan of one round with `cohortSize` invited clients: the
 * plan's threshold and degree (the complete graph when the cohort is smaller than the degree),
 * bound to the round's identifier. Server and clients derive it alike.
 */
export function roundSecAggPlan(
  setup: SecAggSetup,
  cohortSize: number,
  roundId: Uint8Array,
): SecAggPlan {
  const p = setup.plan;
  return planSecAgg({
    clients: cohortSize,
    dimension: p.dimension,
    modulusBits: p.modulusBits,
    maxInputValue: p.maxInputValue,
    threshold: p.threshold,
    neighbors: p.complete || p.neighbors >= cohortSize - 1 ? 'all' : p.neighbors,
    tier: p.tier,
    dropoutRate: p.dropoutRate,
    corruptFraction: p.corruptFraction,
    securityBits: p.securityBits,
    roundId,
  });
}

/**
 * @internal Shift a signed ring vector by `offset` into SecAgg's `[0, 2 * offset]`; `undefined`
 * when a coordinate is outside `[-offset, offset]` (the noisy input left the planned range).
 */
export function shiftIntoSecAgg(
  ringBits: number,
  offset: number,
  encoded: Uint32Array,
): Uint32Array | undefined {
  const mod = 2 ** ringBits;
  const half = mod / 2;
  const mask = ringBits === 32 ? -1 : (mod - 1) | 0;
  const u = new Uint32Array(encoded.length);
  let outside = 0;
  for (let j = 0; j < encoded.length; j++) {
    const x = encoded[j] as number;
    const signed = x - mod * +(x >= half);
    outside |= +(signed > offset || signed < -offset);
    u[j] = (signed + offset) & mask;
  }
  return outside === 0 ? u : undefined;
}

/** @internal Undo the shift on a SecAgg sum of `survivors` inputs. */
export function unshiftSecAggSum(
  ringBits: number,
  offset: number,
  survivors: number,
  sum: Uint32Array,
): Uint32Array {
  const mod = 2 ** ringBits;
  const mask = ringBits === 32 ? -1 : (mod - 1) | 0;
  const shift = (survivors * offset) % mod;
  const out = new Uint32Array(sum.length);
  for (let j = 0; j < sum.length; j++) out[j] = ((sum[j] as number) - shift) & mask;
  return out;
}

/** @internal Bound on one frame's payload for a plan. */
export function maxPayloadBytes(rt: PlanRuntime): number {
  const layout = shareLayout(rt);
  const keys = keyLayout(rt);
  const base = 1024 + rt.description.protectedDimension * 8 + rt.config.clients.expected * 512;
  if (keys !== undefined) return Math.max(base, ciphertextBound(keys) + 64);
  return layout === undefined ? base : Math.max(base, reportBytes(layout) + 64);
}
