/**
 * Parameter checks and conversions shared by the samplers.
 * @module
 * @internal
 */
import { aFunction, aInteger, aNumberInRange, type Rng } from '../../core/index.ts';
import type { Rational } from './_exact.ts';
import { rationalOf } from './_exact.ts';

/**
 * An exact non-negative rational: a finite double (read as the exact dyadic rational it stores)
 * or a `{ numerator, denominator }` pair of safe integers or bigints.
 * @since 0.1.0
 * @public
 */
export type RationalInput = number | RationalPair;

/**
 * An exact rational as a pair of integers.
 * @since 0.1.0
 * @public
 */
export interface RationalPair {
  /** The numerator, a safe integer or bigint >= 0. */
  readonly numerator: bigint | number;
  /** The denominator, a safe integer or bigint > 0. */
  readonly denominator: bigint | number;
}

/** The most samples one vector call draws. */
export const MAX_COUNT: number = 2 ** 30;

/** @internal Validate `count` and `rng`. */
export function aCountRng(count: unknown, rng: unknown): asserts count is number {
  aInteger('count', count, 0, MAX_COUNT);
  aFunction('rng', rng);
  void (rng as Rng);
}

function aIntLike(name: string, v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v))
      throw new RangeError(`"${name}" expected a safe integer or bigint, got ${v}`);
    return BigInt(v);
  }
  throw new TypeError(`"${name}" expected integer or bigint, got ${typeof v}`);
}

/**
 * @internal Read a {@link RationalInput} as an exact rational in [min, max] (max may be
 * Infinity). Returns the rational and its double approximation.
 */
export function aRational(
  name: string,
  value: unknown,
  min: number,
  max: number,
  openMin = false,
): { exact: Rational; approx: number } {
  if (typeof value === 'number') {
    aNumberInRange(name, value, min, max, { min: openMin });
    return { exact: rationalOf(value), approx: value };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`"${name}" expected number or { numerator, denominator }`);
  const keys = Reflect.ownKeys(value);
  if (keys.length !== 2 || !keys.includes('numerator') || !keys.includes('denominator'))
    throw new TypeError(`"${name}" expected exactly { numerator, denominator }`);
  const v = value as { numerator: unknown; denominator: unknown };
  const num = aIntLike(`${name}.numerator`, v.numerator);
  const den = aIntLike(`${name}.denominator`, v.denominator);
  if (den <= 0n) throw new RangeError(`"${name}.denominator" expected > 0`);
  if (num < 0n) throw new RangeError(`"${name}.numerator" expected >= 0`);
  const approx = ratioToNumber(num, den);
  if (approx < min || approx > max || (openMin && num === 0n && min === 0))
    throw new RangeError(
      `"${name}" expected ${openMin ? '>' : '>='} ${min} and <= ${max}, got ${approx}`,
    );
  return { exact: { num, den }, approx };
}

/** @internal A bigint ratio as a double (correct to a few ulps, for fast paths and checks). */
export function ratioToNumber(num: bigint, den: bigint): number {
  const shift = Math.max(0, num.toString(2).length - 60, den.toString(2).length - 60);
  const s = BigInt(shift);
  return Number(num >> s) / Number(den >> s);
}
