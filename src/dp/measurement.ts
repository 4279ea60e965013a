/**
 * The shape of a DP mechanism (OpenDP's Measurement): parameters fixed at construction,
 * data only through `invoke`, and a privacy map from input distance to privacy loss.
 * @module
 */

/**
 * A differentially private mechanism. `privacyMap(dIn)` bounds the privacy loss (in the
 * measure the constructor documents) of neighbouring inputs at distance `dIn`;
 * `check(dIn, dOut)` says whether that loss is at most `dOut`.
 * @since 0.1.0
 * @public
 */
export interface Measurement<Input, Output> {
  /** The privacy measure `privacyMap` returns: `'pure'` (epsilon) or `'zCDP'` (rho). */
  readonly measure: 'pure' | 'zCDP';
  /**
   * Run the mechanism on `data`.
   * @param data - the input
   * @returns the privatised output
   */
  invoke(data: Input): Output;
  /**
   * The privacy loss for inputs at distance `dIn` (rounded up).
   * @param dIn - the input distance (a sensitivity), finite and >= 0
   * @returns epsilon or rho
   */
  privacyMap(dIn: number): number;
  /**
   * Whether inputs at distance `dIn` lose at most `dOut`.
   * @param dIn - the input distance
   * @param dOut - the privacy loss bound
   * @returns `privacyMap(dIn) <= dOut`
   */
  check(dIn: number, dOut: number): boolean;
}

/** @internal A little up (2 ulps), for outward rounding of a privacy map (as OpenDP's inf_* operations). */
export function roundUp(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return x + Math.abs(x) * 2 ** -51;
}
