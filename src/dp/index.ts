/**
 * privagg/dp: differential privacy with exact integer samplers, calibration, accountants and
 * mechanisms. Noise is drawn only by the samplers here, from CSPRNG bits by default.
 *
 * **Exactness.** Every sampler decision is an exact comparison of a uniform U (52 random bits,
 * refined 32 bits at a time when needed) with a value r * exp(-gamma), r and gamma rational
 * (parameters given as doubles are read as the exact rationals they store). A double-precision
 * fast path settles a comparison only when a rigorous error bound proves the answer; otherwise
 * bigint arithmetic decides it. The fast path assumes `Math.exp` and `Math.log` are within a
 * relative 2^-40 of the true values (engines are within 2^-52). Tests check that both paths give
 * identical samples from identical random words.
 *
 * **Timing.** Parameters (sigma2, scale, lambda) are public; the samplers run a variable number
 * of rejection rounds that depends on the random bits. A rejected proposal is independent of the
 * value finally returned, so the number of rounds reveals nothing about it. Two things do
 * correlate weakly with the output: the rare exact bigint path (probability about 2^-38 per
 * comparison, more often near 0 for very small uniforms) runs when U falls within the error
 * bound of a decision boundary, and the magnitude of a sample changes nothing else in the work
 * done. Vector calls spend time proportional to `count` plus these effects. This is
 * "algorithmic", not constant-time, code: the JavaScript engine gives no timing guarantee.
 * @module
 */
export type { RationalInput, RationalPair } from './samplers/_params.ts';
export { sampleBernoulli, sampleBernoulliExp } from './samplers/bernoulli.ts';
export {
  sampleGeometric,
  sampleDiscreteLaplace,
  sampleDiscreteGaussian,
  MAX_GAUSSIAN_SIGMA2,
} from './samplers/discrete.ts';
export { discreteGaussianSampler } from './samplers/wide.ts';
export {
  samplePoisson,
  sampleSkellam,
  sampleBinomial,
  MAX_POISSON_MEAN,
} from './samplers/poisson.ts';
export {
  type GaussianDeltaOptions,
  type GaussianSigmaOptions,
  gaussianDelta,
  analyticGaussianSigma,
} from './accountants/gaussian.ts';
export {
  DEFAULT_RDP_ORDERS,
  type RdpConversion,
  type EpsilonAtOrder,
  type DeltaAtOrder,
  type SubsampledGaussianOptions,
  type GaussianStepsOptions,
  type LaplaceStepsOptions,
  RdpAccountant,
} from './accountants/rdp.ts';
export {
  type DiscreteGaussianPrivacyOptions,
  zcdpToDelta,
  zcdpToEpsilon,
  discreteGaussianRho,
  discreteGaussianDelta,
  discreteGaussianVariance,
} from './accountants/zcdp.ts';
export {
  type DistributedDiscreteGaussianOptions,
  type SkellamPrivacyOptions,
  distributedDiscreteGaussianRdp,
  skellamRdp,
} from './accountants/distributed.ts';
export {
  type ApproxDpBudget,
  type ApproxDpAmount,
  PrivacyFilter,
  ZcdpFilter,
} from './accountants/filter.ts';
export { type SearchNoiseMultiplierOptions, searchNoiseMultiplier } from './accountants/search.ts';
export type { Measurement } from './measurement.ts';
export { type LaplaceOptions, makeLaplace } from './mechanisms/laplace.ts';
export { type GaussianOptions, makeGaussian } from './mechanisms/gaussian.ts';
export {
  type RandomizedResponseOptions,
  makeRandomizedResponse,
} from './mechanisms/randomized-response.ts';
export { type PermuteAndFlipOptions, makePermuteAndFlip } from './mechanisms/permute-and-flip.ts';
export {
  type ClipResult,
  type BatchClipResult,
  type AdaptiveClipOptions,
  clipL2,
  clipLinf,
  clipL2Batch,
  AdaptiveClipNorm,
} from './mechanisms/clipping.ts';
export { type PldOptions, PldAccountant } from './accountants/pld.ts';
