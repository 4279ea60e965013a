/**
 * Noise flooding of decrypted values: exact discrete Gaussian noise on a power-of-two grid.
 * @module
 * @internal
 */
import type { Rng } from '../core/index.ts';
import { discreteGaussianSampler } from './_sampler.ts';

/** Resolution of the noise: its standard deviation spans about 2^20 grid steps. */
const GRID_STEPS_LOG2 = 20;

/**
 * @internal Add independent discrete Gaussian noise of standard deviation >= `sigma` to each
 * value. Values are first rounded to the grid `2^k` (so every sum is exact in binary64, after
 * Google's secure-noise construction), then `grid * Y` is added with `Y` an exact discrete
 * Gaussian integer of parameter `ceil(sigma / grid)`.
 */
export function floodValues(
  values: Float64Array,
  sigma: number,
  headroom: number,
  rng: Rng,
): { values: Float64Array; sigma: number; grid: number } {
  // the grid must keep |value| / grid < 2^50 so that every value and sum is exact
  const minGrid = 2 ** (Math.ceil(Math.log2(headroom)) + 4 - 50);
  const grid = Math.max(minGrid, 2 ** (Math.floor(Math.log2(sigma)) - GRID_STEPS_LOG2));
  const steps = Math.max(1, Math.ceil(sigma / grid));
  const gaussian = discreteGaussianSampler(rng, BigInt(steps) ** 2n, 1n);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = Math.round((values[i] as number) / grid) * grid;
    out[i] = x + gaussian() * grid;
  }
  return { values: out, sigma: steps * grid, grid };
}
