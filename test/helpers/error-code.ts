import { isPrivaggError } from '../../src/index.ts';

/** The code of the PrivaggError that `f` throws; rethrows anything else, fails if nothing is thrown. */
export function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isPrivaggError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a PrivaggError');
}

/**
 * Whether `f` throws a documented class: TypeError or RangeError, or (when `privaggOk`) a
 * PrivaggError. A function that returns normally fails the check.
 */
export function throwsDocumented(f: () => unknown, privaggOk = false): boolean {
  try {
    f();
  } catch (e) {
    return e instanceof TypeError || e instanceof RangeError || (privaggOk && isPrivaggError(e));
  }
  return false;
}
