/**
 * `privagg/he`: CKKS homomorphic aggregation through node-seal (Microsoft SEAL 4.1 in
 * WebAssembly). An aggregator adds clients' encrypted vectors (or takes weighted sums of them)
 * without seeing them; only key holders decrypt. node-seal loads lazily on the first
 * {@link createCkksContext}: importing this module loads no WebAssembly.
 * @module
 */
export {
  type CkksContextOptions,
  type CkksDecryption,
  type CkksEncryptOptions,
  type CkksKeyPair,
  type CkksReleasedDecryption,
  CkksContext,
  CkksKey,
  CkksPublicKey,
  CkksSecretKey,
  CkksVector,
  CkksWeightedSum,
  createCkksContext,
} from './ckks.ts';
export { type CkksParameters, type CkksPresetName, CKKS_PRESETS } from './params.ts';
export { type HePoolOptions, HePool, createHePool } from './pool.ts';
export {
  type PartialDecryptOptions,
  type ThresholdPartyOptions,
  ThresholdParty,
  combinePartialDecryptions,
  combinePublicKeyShares,
  createThresholdParty,
} from './threshold.ts';
