/**
 * Stage names and shared helpers of the secure-aggregation state machines (after Flower's
 * `Stage` and fcp's `secagg_client_r*_state` / `secagg_server_r*_state`): AdvertiseKeys ->
 * ShareKeys -> MaskedInputCollection -> (ConsistencyCheck, malicious tier) -> Unmasking.
 * @module
 */
import { PrivaggError } from '../core/index.ts';

/**
 * Where a client or server state machine stands. `'done'` and `'aborted'` are final.
 * @since 0.1.0
 * @public
 */
export type SecAggStage =
  | 'advertise-keys'
  | 'share-keys'
  | 'masked-input'
  | 'consistency-check'
  | 'unmasking'
  | 'done'
  | 'aborted';

/** @internal A protocol abort (the message names public facts only). */
export function aborted(message: string, cause?: unknown): PrivaggError {
  return new PrivaggError('PROTOCOL_ABORTED', message, cause === undefined ? undefined : { cause });
}

/** @internal Set of a list, with whether the list repeated an element. */
export function toSet(list: readonly number[]): { set: Set<number>; repeated: boolean } {
  const set = new Set(list);
  return { set, repeated: set.size !== list.length };
}

/** @internal The share holders of a client: itself and its neighbours, sorted. */
export function holdersOf(self: number, neighbors: readonly number[]): number[] {
  return [...neighbors, self].sort((a, b) => a - b);
}

/** @internal An option's value, or its default when absent (`null` is a value, and gets rejected). */
export function orDefault<T, D>(value: T | undefined, fallback: D): T | D {
  return value === undefined ? fallback : value;
}
