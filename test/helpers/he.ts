/** Small helpers shared by the he tests. */
import { isPrivaggError } from '../../src/index.ts';

/** The error code (PrivaggError) or class name (other errors) `fn` throws, or undefined. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isPrivaggError(e) ? e.code : (e as Error).name;
  }
  return undefined;
}

/** max_i |a_i - b_i|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
