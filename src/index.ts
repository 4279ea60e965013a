/**
 * privagg: private aggregation for federated learning. The root entry holds the common types
 * (errors, randomness) today; the private-aggregate API joins it as the modules land.
 * @module
 */
export { PrivaggError, isPrivaggError, ERROR_CODES, type ErrorCode } from './core/errors.ts';
export { type Rng, randomBytes, deterministicRngForTesting } from './core/random.ts';
export { VERSION } from './version.ts';
