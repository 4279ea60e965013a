/**
 * `privagg/sharing`: Shamir secret sharing over the prime field GF(2^31 - 1) for byte secrets
 * (`split`, `combine`) and for vectors of field elements (`shamirShare`, `shamirReconstruct`),
 * with the field arithmetic and Lagrange coefficients that protocols build on.
 * @module
 */
export {
  FIELD_MODULUS,
  fieldAdd,
  fieldSub,
  fieldMul,
  fieldInv,
} from './field.ts';
export { packedLength, bytesToFieldElements, fieldElementsToBytes } from './pack.ts';
export {
  MAX_SHARES,
  type ShamirShare,
  type ShamirShareOptions,
  type ShamirReconstructOptions,
  lagrangeCoefficients,
  shamirShare,
  shamirReconstruct,
} from './shamir.ts';
export {
  type ReconstructBytesOptions,
  type DecodeFieldShareOptions,
  shareBytes,
  reconstructBytes,
  encodeFieldShare,
  decodeFieldShare,
} from './bytes-shamir.ts';
export {
  MAX_SECRET_BYTES,
  type SplitOptions,
  type ShareInfo,
  split,
  combine,
  parseShare,
} from './split.ts';
export {
  type AdditiveModulus,
  type AdditiveShareOptions,
  type AdditiveCombineOptions,
  additiveShare,
  additiveCombine,
  additiveReshare,
  shamirToAdditive,
  type WideVector,
  type WideShareOptions,
  additiveShareWide,
  additiveCombineWide,
  additiveReshareWide,
} from './additive.ts';
export {
  type RobustReconstructOptions,
  type RobustResult,
  type RobustCombineResult,
  robustReconstruct,
  robustCombine,
} from './robust.ts';
export {
  VSS_GROUP_ORDER,
  type VssScheme,
  type VssDealOptions,
  type VssDealing,
  type VssReconstructResult,
  vssDeal,
  vssVerify,
  vssReconstruct,
} from './vss.ts';
