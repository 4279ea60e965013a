/**
 * Checks of privacy parameters (after Google's go/checks): finite, epsilon >= 2^-50,
 * delta in [0, 1), sensitivities finite and > 0, sampling rate in (0, 1], integer steps.
 * @module
 * @internal
 */
import { aInteger, aNumberInRange, aOptions } from '../core/index.ts';

/** @internal The smallest epsilon accepted (Google's go/checks). */
export const MIN_EPSILON: number = 2 ** -50;

/** @internal */
export function aEpsilon(name: string, value: unknown): asserts value is number {
  aNumberInRange(name, value, MIN_EPSILON, Number.MAX_VALUE);
}

/** @internal delta in [0, 1), or (0, 1) when `positive`. */
export function aDelta(name: string, value: unknown, positive = false): asserts value is number {
  aNumberInRange(name, value, 0, 1, { min: positive, max: true });
}

/** @internal A finite value > 0 (sensitivity, noise multiplier, scale, rho). */
export function aPositive(name: string, value: unknown): asserts value is number {
  aNumberInRange(name, value, 0, Number.MAX_VALUE, { min: true });
}

/** @internal A sampling rate in (0, 1]. */
export function aSamplingRate(name: string, value: unknown): asserts value is number {
  aNumberInRange(name, value, 0, 1, { min: true });
}

/** @internal A step count: a safe integer >= 0. */
export function aSteps(name: string, value: unknown): asserts value is number {
  aInteger(name, value, 0);
}

/**
 * @internal Check an options object: own keys only, unknown keys rejected, required keys present.
 */
export function aRequired<T extends object>(
  name: string,
  value: unknown,
  required: readonly string[],
  optional: readonly string[] = [],
): asserts value is T {
  aOptions(name, value, [...required, ...optional]);
  for (const key of required)
    if ((value as Record<string, unknown>)[key] === undefined)
      throw new TypeError(`"${name}.${key}" is required`);
}
