/**
 * Calibrating DP noise for a plan and accounting what each round spends.
 * @module
 * @internal
 */
import { PrivaggError } from '../core/errors.ts';
import type { Rng } from '../core/random.ts';
import type { AggregationConfig } from './config.ts';

/** @internal The noise a plan adds and the privacy it buys. */
export interface PrivacyCalibration {
  readonly where: 'none' | 'server' | 'clients';
  readonly mechanism: 'none' | 'discrete-gaussian' | 'skellam';
  /** z: the sum's noise standard deviation over the L2 sensitivity. */
  readonly noiseMultiplier: number;
  /** L2 sensitivity of the sum in input units (one client's protected vector). */
  readonly sensitivity: number;
  /** Extra L2 sensitivity in quantized units from stochastic rounding (sqrt of the dimension). */
  readonly sensitivityRounding: number;
  readonly rounds: number;
  readonly samplingRate: number;
  readonly perRound: { readonly epsilon: number; readonly delta: number };
  readonly cumulative: { readonly epsilon: number; readonly delta: number };
  readonly accountant: string;
}

/** @internal Resolve the noise for a configuration. */
export function calibratePrivacy(
  config: AggregationConfig,
  protectedDimension: number,
): PrivacyCalibration {
  const rounds = config.accountant?.rounds ?? 1;
  const samplingRate = config.accountant?.samplingRate ?? 1;
  if (config.privacy.kind === 'none')
    return {
      where: 'none',
      mechanism: 'none',
      noiseMultiplier: 0,
      sensitivity: 0,
      sensitivityRounding: 0,
      rounds,
      samplingRate,
      perRound: { epsilon: Number.POSITIVE_INFINITY, delta: 1 },
      cumulative: { epsilon: Number.POSITIVE_INFINITY, delta: 1 },
      accountant: 'none (no differential privacy)',
    };
  void protectedDimension;
  throw new PrivaggError(
    'BACKEND_UNAVAILABLE',
    'differential privacy in plans needs privagg/dp, not in this build yet',
  );
}

/** @internal What `roundsRun` rounds have spent. */
export function privacySpent(
  calibration: PrivacyCalibration,
  roundsRun: number,
  participants: number,
): {
  round: { epsilon: number; delta: number };
  cumulative: { epsilon: number; delta: number };
  accountant: string;
} {
  void roundsRun;
  void participants;
  return {
    round: calibration.perRound,
    cumulative: calibration.cumulative,
    accountant: calibration.accountant,
  };
}

/** @internal Integer noise of the given variance for `count` coordinates. */
export function sampleIntegerNoise(
  calibration: PrivacyCalibration,
  variance: number,
  count: number,
  rng: Rng,
): Int32Array {
  void calibration;
  void variance;
  void count;
  void rng;
  throw new PrivaggError('BACKEND_UNAVAILABLE', 'noise sampling needs privagg/dp');
}
