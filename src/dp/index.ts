/**
 * privagg/dp: differential privacy with exact integer samplers, calibration, accountants and
 * mechanisms. Noise is drawn only by the samplers here, from CSPRNG bits by default.
 * @module
 */
export type { RationalInput, RationalPair } from './samplers/_params.ts';
export { sampleBernoulli, sampleBernoulliExp } from './samplers/bernoulli.ts';
export {
  sampleGeometric,
  sampleDiscreteLaplace,
  sampleDiscreteGaussian,
} from './samplers/discrete.ts';
export { samplePoisson, sampleSkellam, sampleBinomial } from './samplers/poisson.ts';
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
