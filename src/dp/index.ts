/**
 * privagg/dp: differential privacy with exact integer samplers, calibration, accountants and
 * mechanisms. Noise is drawn only by the samplers here, from CSPRNG bits by default.
 * @module
 */
export type { RationalInput } from './samplers/_params.ts';
export { sampleBernoulli, sampleBernoulliExp } from './samplers/bernoulli.ts';
export {
  sampleGeometric,
  sampleDiscreteLaplace,
  sampleDiscreteGaussian,
} from './samplers/discrete.ts';
export { samplePoisson, sampleSkellam, sampleBinomial } from './samplers/poisson.ts';
