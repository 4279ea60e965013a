/**
 * Power-of-two grids for float mechanisms built on integer noise (Google's secure noise):
 * inputs are rounded to a multiple of a power of two g and noise is an integer multiple of g,
 * so every output is an exact double and no floating-point operation shapes the noise.
 * @module
 * @internal
 */
import { aFiniteVector } from '../../core/index.ts';

/** @internal The smallest power of two >= x (x > 0, finite). */
export function ceilPow2(x: number): number {
  let g = 2 ** Math.ceil(Math.log2(x));
  // correct log2 rounding either way
  while (g < x) g *= 2;
  while (g / 2 >= x) g /= 2;
  return g;
}

/** @internal Round x to the nearest multiple of the power of two g (ties up); exact. */
export function roundToGrid(x: number, g: number): number {
  return Math.round(x / g) * g;
}

/** @internal Accept a number or a vector of finite numbers; returns a Float64Array copy. */
export function toVector(name: string, data: unknown): Float64Array {
  if (typeof data === 'number') {
    if (!Number.isFinite(data))
      throw new RangeError(`"${name}" expected a finite number, got ${data}`);
    return Float64Array.of(data);
  }
  aFiniteVector(name, data);
  return Float64Array.from(data);
}
