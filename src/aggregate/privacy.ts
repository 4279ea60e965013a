/**
 * Calibrating DP noise for a plan and accounting what each round spends.
 *
 * Accounting is in zero-concentrated DP (zCDP), which composes additively over rounds and is
 * exact for the discrete Gaussian: adding DG(sigma^2) to an integer-valued sum of L2 sensitivity
 * D is (D^2 / (2 sigma^2))-zCDP (Canonne, Kamath and Steinke 2020, Theorem 14), converted with
 * CKS20 Corollary 13. Distributed noise (the sum of n clients' discrete Gaussian or Skellam noise,
 * Kairouz-Liu-Steinke 2021 / Agarwal-Kairouz-Liu 2021) and Poisson-sampled rounds are accounted
 * with privagg/dp's RDP accountant and its improved conversion.
 * @module
 * @internal
 */
import type { Rng } from '../core/random.ts';
import {
  MAX_GAUSSIAN_SIGMA2,
  MAX_POISSON_MEAN,
  RdpAccountant,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  sampleSkellam,
  searchNoiseMultiplier,
  zcdpToEpsilon,
} from '../dp/index.ts';
import type { AggregationConfig } from './config.ts';
import { inflatedNorm, paddedLength } from './rotation.ts';

/** @internal The noise a plan adds and the privacy it buys. */
export interface PrivacyCalibration {
  /** Who adds the noise: the server, every client as a share of the sum's, or every client for itself. */
  readonly where: 'none' | 'server' | 'clients' | 'local';
  readonly mechanism: 'none' | 'discrete-gaussian' | 'skellam' | 'discrete-laplace';
  /** Pure epsilon (local discrete Laplace): rounds compose by adding epsilons, delta 0. */
  readonly pure: boolean;
  /** Whether rounds are accounted with RDP (sampling or Skellam) rather than zCDP. */
  readonly rdp: boolean;
  /** z: the sum's noise standard deviation over the L2 sensitivity (with the minimum cohort). */
  readonly noiseMultiplier: number;
  /**
   * L2 sensitivity in input units: of the sum (one client's protected vector) for central and
   * distributed DP; of one client's output (twice its norm bound) for local DP.
   */
  readonly sensitivity: number;
  /**
   * Extra L2 sensitivity in quantized units from rounding, at most: sqrt of the noised dimension
   * (twice that for CKKS, whose decryption error adds up to one more step; twice for local DP).
   * Used to size the ring; the accounting uses {@link scaledSensitivity}, tighter with
   * conditional rounding.
   */
  readonly sensitivityRounding: number;
  /** L2 bound of one client's protected vector in input units. */
  readonly vectorNorm: number;
  /** Randomized Hadamard rotation of the protected vector (distributed DP with an L2 clip). */
  readonly rotation: boolean;
  /** Coordinates that carry noise: the protected dimension, padded to a power of two when rotated. */
  readonly noiseDimension: number;
  /** Clients round conditionally (bounded norm increase, KLS21) before adding noise. */
  readonly conditionalRounding: boolean;
  readonly rounds: number;
  readonly samplingRate: number;
  readonly minimumClients: number;
  readonly protectedDimension: number;
  readonly delta: number;
  readonly perRound: { readonly epsilon: number; readonly delta: number };
  readonly cumulative: { readonly epsilon: number; readonly delta: number };
  readonly accountant: string;
}

/** epsilon(delta) of rho-zCDP (CKS20 Corollary 13, through privagg/dp), rounded up. */
export function zcdpEpsilon(rho: number, delta: number): number {
  return rho === 0 ? 0 : zcdpToEpsilon(rho, delta);
}

/** The largest total rho whose (epsilon, delta) conversion meets the target. */
function rhoForTarget(epsilon: number, delta: number): number {
  let lo = 0;
  let hi = epsilon; // rho-zCDP implies (rho + 2 sqrt(rho log 1/delta))-DP > rho, so rho <= epsilon
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (zcdpEpsilon(mid, delta) <= epsilon) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** L2 sensitivity of one client's protected vector, in input units. */
function sensitivityOf(config: AggregationConfig, dimension: number): number {
  const clip = config.clip;
  if (clip === undefined) throw new RangeError('"clip" is required with differential privacy');
  const w = config.weights?.max ?? 1;
  const vector = 'l2' in clip ? clip.l2 : clip.linf * Math.sqrt(dimension);
  return config.weights === undefined ? vector : Math.hypot(w * vector, w);
}

/** @internal Resolve the noise for a configuration. */
export function calibratePrivacy(
  config: AggregationConfig,
  protectedDimension: number,
  headroomShare: number = 0.99,
): PrivacyCalibration {
  const rounds = config.accountant?.rounds ?? 1;
  const samplingRate = config.accountant?.samplingRate ?? 1;
  const privacy = config.privacy;
  const minimumClients = config.clients.minimum;
  if (privacy.kind === 'none')
    return {
      where: 'none',
      mechanism: 'none',
      pure: false,
      rdp: false,
      noiseMultiplier: 0,
      sensitivity: 0,
      sensitivityRounding: 0,
      vectorNorm: 0,
      rotation: false,
      noiseDimension: protectedDimension,
      conditionalRounding: false,
      rounds,
      samplingRate,
      minimumClients,
      protectedDimension,
      delta: 1,
      perRound: { epsilon: Number.POSITIVE_INFINITY, delta: 1 },
      cumulative: { epsilon: Number.POSITIVE_INFINITY, delta: 1 },
      accountant: 'none (no differential privacy)',
    };
  const mechanism = privacy.mechanism ?? 'discrete-gaussian';
  if (mechanism === 'skellam' && privacy.kind !== 'distributed-dp')
    throw new RangeError(
      '"privacy.mechanism" skellam is for distributed DP; central and local DP use the discrete Gaussian',
    );
  const local = privacy.kind === 'local-dp';
  const pure = mechanism === 'discrete-laplace';
  const ckks = config.protection.kind === 'ckks';
  // distributed noise (privagg/dp's DDG and Skellam RDP) and Poisson-sampled rounds are accounted
  // with RDP; central discrete Gaussian noise without sampling, and local noise, with zCDP
  // (local DP counts no amplification by sampling: the server may see each noisy vector)
  const rdp = !local && (samplingRate < 1 || privacy.kind === 'distributed-dp');
  // the base mechanism gets this share of the budget; distributed DP leaves the rest for the
  // distributed discrete Gaussian's own terms (tau, and its looser subsampling bound)
  const headroom = privacy.kind === 'distributed-dp' ? headroomShare : 1;
  let noiseMultiplier: number;
  if (pure) {
    // pure epsilon per round, rounds composing additively: z is the discrete Laplace scale per
    // unit of L1 sensitivity, 1 / (epsilon per round), inflated so float rounding stays below
    noiseMultiplier = (rounds / privacy.epsilon) * (1 + 1e-12);
  } else if (rdp) {
    // the Gaussian with amplification by subsampling sets z; the mechanism's exact RDP is then
    // checked by the planner, which retries with more noise if it misses the target
    noiseMultiplier = searchNoiseMultiplier({
      targetEpsilon: privacy.epsilon * headroom,
      delta: privacy.delta,
      samplingRate,
      steps: rounds,
    });
  } else {
    // z such that `rounds` rounds of a Gaussian-like mechanism with rho = 1 / (2 z^2) meet the target
    const rhoTotal = rhoForTarget(privacy.epsilon, privacy.delta);
    if (!(rhoTotal > 0))
      throw new RangeError('"privacy.epsilon" is too small to reach at this delta');
    // (inflated by 1e-12 so float rounding never takes the loss above the target)
    noiseMultiplier = Math.sqrt(rounds / (2 * rhoTotal * headroom)) * (1 + 1e-12);
  }
  const vectorNorm = sensitivityOf(config, protectedDimension);
  const sensitivity = (local ? 2 : 1) * vectorNorm;
  if (!local && noiseMultiplier / minimumClients > 1)
    throw new RangeError(
      `"clients.minimum" (${minimumClients}) is too small for this privacy target ("privacy.epsilon" ${privacy.epsilon}): the noise on the mean (noise multiplier ${noiseMultiplier.toFixed(2)} / ${minimumClients} clients) would exceed the clip bound itself${privacy.kind === 'distributed-dp' ? '; distributed noise is calibrated to the clients.minimum survivors, so a dropout rate that lets the cohort fall this low makes the epsilon unreachable' : ''}`,
    );
  const rotation =
    privacy.kind === 'distributed-dp' &&
    !ckks &&
    config.clip !== undefined &&
    'l2' in config.clip &&
    (privacy.rotation ?? 'hadamard') === 'hadamard';
  if (privacy.rotation === 'hadamard' && !rotation)
    throw new RangeError(
      '"privacy.rotation" hadamard needs an L2 clip and a ring protection (not ckks)',
    );
  const noiseDimension = rotation ? paddedLength(protectedDimension) : protectedDimension;
  const where =
    privacy.kind === 'central-dp'
      ? ('server' as const)
      : local
        ? ('local' as const)
        : ('clients' as const);
  const base = {
    where,
    mechanism,
    pure,
    rdp,
    noiseMultiplier,
    sensitivity,
    // rounding to the grid moves each coordinate by less than one step (CKKS: plus its decryption
    // error, far below one step, so less than two); local DP: two roundings
    sensitivityRounding: (ckks ? 2 : 1) * (local ? 2 : 1) * Math.sqrt(noiseDimension),
    vectorNorm,
    rotation,
    noiseDimension,
    conditionalRounding: !ckks,
    rounds,
    samplingRate,
    minimumClients,
    protectedDimension,
    delta: privacy.delta,
    accountant: pure
      ? `pure epsilon per client (local discrete Laplace, L1 sensitivity; neighbours: any two inputs of one client), epsilons added over ${rounds} round(s); no amplification by sampling counted`
      : local
        ? `zCDP per client (local discrete Gaussian; neighbours: any two inputs of one client), composed over ${rounds} round(s), CKS20 conversion; no amplification by sampling counted`
        : rdp
          ? `RDP (${mechanism === 'skellam' ? 'distributed Skellam, Agarwal-Kairouz-Liu 2021' : privacy.kind === 'distributed-dp' ? 'distributed discrete Gaussian, Kairouz-Liu-Steinke 2021' : 'Gaussian, Mironov-Talwar-Zhang'}${samplingRate < 1 ? `, Poisson-subsampled at rate ${samplingRate}` : ''}), composed over ${rounds} round(s), improved conversion`
          : `zCDP (discrete Gaussian), composed over ${rounds} round(s), CKS20 conversion`,
  };
  if (pure)
    return {
      ...base,
      delta: 0,
      perRound: { epsilon: 1 / noiseMultiplier, delta: 0 },
      cumulative: { epsilon: rounds / noiseMultiplier, delta: 0 },
    };
  const perRoundRho = 1 / (2 * noiseMultiplier * noiseMultiplier);
  return {
    ...base,
    perRound: { epsilon: zcdpEpsilon(perRoundRho, privacy.delta), delta: privacy.delta },
    cumulative: { epsilon: zcdpEpsilon(perRoundRho * rounds, privacy.delta), delta: privacy.delta },
  };
}

/**
 * @internal L2 sensitivity at quantization scale `scale`, in quantized units: one client's
 * rounded vector (distributed and central DP) or the difference of two (local DP). With
 * conditional rounding, the KLS21 inflated bound; otherwise norm plus one step per coordinate.
 */
export function scaledSensitivity(calibration: PrivacyCalibration, scale: number): number {
  const linear = calibration.sensitivity * scale + calibration.sensitivityRounding;
  if (!calibration.conditionalRounding || calibration.where === 'none') return linear;
  const factor = calibration.where === 'local' ? 2 : 1;
  return Math.min(
    linear,
    factor * inflatedNorm(calibration.vectorNorm * scale, calibration.noiseDimension),
  );
}

/** @internal The bound conditional rounding enforces on one client's rounded, scaled vector. */
export function roundedNormBound(calibration: PrivacyCalibration, scale: number): number {
  return inflatedNorm(calibration.vectorNorm * scale, calibration.noiseDimension);
}

/**
 * @internal L1 sensitivity at `scale` in quantized units (local discrete Laplace): an integer
 * vector of L2 norm D in d coordinates has L1 norm at most min(sqrt(d) D, D^2).
 */
export function scaledL1Sensitivity(calibration: PrivacyCalibration, scale: number): number {
  const l2 = scaledSensitivity(calibration, scale);
  return Math.min(Math.sqrt(calibration.noiseDimension) * l2, l2 * l2);
}

/** @internal The discrete Laplace scale t of a pure-epsilon plan at `scale`: epsilon per round = L1 / t. */
export function laplaceScale(calibration: PrivacyCalibration, scale: number): number {
  return calibration.noiseMultiplier * scaledL1Sensitivity(calibration, scale);
}

/** Variance of the discrete Laplace with scale t (P(k) proportional to exp(-|k| / t)). */
function discreteLaplaceVariance(t: number): number {
  const q = Math.exp(-1 / t);
  return (2 * q) / (1 - q) ** 2;
}

/** @internal Standard deviation of the noise in the sum (central, distributed) or of one client (local), quantized units. */
export function noiseStd(calibration: PrivacyCalibration, scale: number): number {
  if (calibration.pure) return Math.sqrt(discreteLaplaceVariance(laplaceScale(calibration, scale)));
  return calibration.noiseMultiplier * scaledSensitivity(calibration, scale);
}

/**
 * @internal The RDP of `steps` Poisson-sampled rounds at this scale with `participants` clients'
 * noise in the sum (used when the sampling rate is below 1).
 */
export function roundRdp(
  calibration: PrivacyCalibration,
  scale: number,
  participants: number,
  steps: number,
): RdpAccountant {
  const sensitivity = scaledSensitivity(calibration, scale);
  const sumStd = calibration.noiseMultiplier * sensitivity;
  const samplingRate = calibration.samplingRate;
  if (calibration.where === 'server')
    return new RdpAccountant().subsampledGaussian({
      noiseMultiplier: sumStd / sensitivity,
      samplingRate,
      steps,
    });
  const localVariance = (sumStd * sumStd) / calibration.minimumClients;
  if (calibration.mechanism === 'skellam')
    return new RdpAccountant().skellam({
      variance: participants * localVariance,
      l2Sensitivity: sensitivity,
      // an integer vector of L2 norm D has L1 norm at most min(sqrt(d) D, D^2)
      l1Sensitivity: sensitivity * Math.min(Math.sqrt(calibration.noiseDimension), sensitivity),
      samplingRate,
      steps,
    });
  return new RdpAccountant().distributedDiscreteGaussian({
    localSigma2: (sumStd * sumStd) / calibration.minimumClients,
    clients: participants,
    dimension: calibration.noiseDimension,
    l2Sensitivity: sensitivity,
    samplingRate,
    steps,
  });
}

/**
 * @internal What one round spends at this scale, in the unit that adds up over rounds: rho of
 * zCDP (discrete Gaussian), or epsilon for a pure-epsilon plan (L1 / t = 1 / z, whatever the
 * survivors).
 */
export function roundRho(calibration: PrivacyCalibration, scale: number): number {
  if (calibration.where === 'none') return Number.POSITIVE_INFINITY;
  if (calibration.pure) return calibration.perRound.epsilon;
  const sensitivity = scaledSensitivity(calibration, scale);
  const sumStd = calibration.noiseMultiplier * sensitivity;
  return (sensitivity * sensitivity) / (2 * sumStd * sumStd);
}

/** @internal Convert spent rho (epsilon for a pure-epsilon plan, see {@link roundRho}) to a report. */
export function privacySpent(
  calibration: PrivacyCalibration,
  rhoThisRound: number,
  rhoSoFar: number,
): {
  round: { epsilon: number; delta: number };
  cumulative: { epsilon: number; delta: number };
  accountant: string;
} {
  if (calibration.where === 'none')
    return {
      round: calibration.perRound,
      cumulative: calibration.cumulative,
      accountant: calibration.accountant,
    };
  if (calibration.pure)
    return {
      round: { epsilon: rhoThisRound, delta: 0 },
      cumulative: { epsilon: rhoSoFar, delta: 0 },
      accountant: calibration.accountant,
    };
  return {
    round: { epsilon: zcdpEpsilon(rhoThisRound, calibration.delta), delta: calibration.delta },
    cumulative: { epsilon: zcdpEpsilon(rhoSoFar, calibration.delta), delta: calibration.delta },
    accountant: calibration.accountant,
  };
}

/**
 * @internal privagg/dp's largest discrete Laplace scale (its `MAX_LAPLACE_SCALE`, which the
 * module does not export; the sampler refuses larger scales, so a drift would fail loudly).
 */
export const MAX_LAPLACE_SCALE: number = 2 ** 20;

/** @internal The largest noise variance the exact samplers accept (privagg/dp): Skellam(mu) has variance 2 mu. */
export function maxNoiseVariance(calibration: PrivacyCalibration): number {
  if (calibration.pure) return discreteLaplaceVariance(MAX_LAPLACE_SCALE);
  return calibration.mechanism === 'skellam' ? 2 * MAX_POISSON_MEAN : MAX_GAUSSIAN_SIGMA2;
}

/** @internal Exact integer noise of the given variance for `count` coordinates (privagg/dp). */
export function sampleIntegerNoise(
  calibration: PrivacyCalibration,
  variance: number,
  count: number,
  rng: Rng,
  laplaceScaleOf?: number,
): Int32Array {
  if (calibration.pure) {
    if (laplaceScaleOf === undefined)
      throw new RangeError('a pure-epsilon plan needs its Laplace scale');
    return sampleDiscreteLaplace(laplaceScaleOf, count, rng);
  }
  return calibration.mechanism === 'skellam'
    ? sampleSkellam(variance / 2, count, rng)
    : sampleDiscreteGaussian(variance, count, rng);
}
