/**
 * Core primitives shared by every module. Internal: the public pieces are re-exported from the
 * package root.
 * @module
 * @internal
 */
export { PrivaggError, isPrivaggError, ERROR_CODES, malformed, type ErrorCode } from './errors.ts';
export {
  aBool,
  aFinite,
  aNumberInRange,
  aInteger,
  aBigIntInRange,
  aBytes,
  aU32Array,
  aFiniteVector,
  aOptions,
  aFunction,
} from './validate.ts';
export {
  IS_LITTLE_ENDIAN,
  concatBytes,
  equalBytes,
  clean,
  bytesToWordsLE,
  wordsToBytesLE,
  u8view,
  utf8,
  toHex,
  fromHex,
} from './bytes.ts';
export {
  type Rng,
  randomBytes,
  deterministicRngForTesting,
  drawBytes,
  drawBytesInto,
  drawWords,
  randomBelowU32,
  randomBelowBigInt,
} from './random.ts';
export { chacha20Blocks } from './chacha20.ts';
export {
  type Keystream,
  type KeystreamAlgorithm,
  type KeystreamBackend,
  type KeystreamOptions,
  createKeystream,
  counterBlock,
} from './keystream.ts';
export {
  type KeyPair,
  x25519KeyPair,
  x25519PublicKey,
  x25519SharedSecret,
  ed25519KeyPair,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  hkdfSha256,
  sha256Digest,
  aesGcmEncrypt,
  aesGcmDecrypt,
} from './crypto.ts';
export {
  type WideRingVector,
  aRingBits,
  aWideRingBits,
  ringMask,
  isRingVector,
  aRingVector,
  ringAdd,
  ringSub,
  ringNeg,
  ringScale,
  ringSum,
  wideZeros,
  wideAdd,
  wideSub,
  wideNeg,
  isWideRingVector,
  wideFromBigInts,
  wideToBigInts,
} from './ring.ts';
export {
  type FixedPointOptions,
  encodeFixedPoint,
  encodeFixedPointUnchecked,
  encodeFixedPointWide,
  decodeFixedPoint,
  decodeFixedPointWide,
  fixedPointRange,
} from './fixed-point.ts';
export { MAGIC, MAX_MESSAGE_BYTES, ByteWriter, ByteReader } from './codec.ts';
export { nodeCrypto } from './node-builtins.ts';
export {
  x25519PublicKeyFast,
  x25519KeyPairFast,
  x25519SharedSecretFast,
  x25519Agreement,
  ed25519PublicKeyFast,
  ed25519KeyPairFast,
  ed25519SignFast,
  ed25519VerifyFast,
  aesGcmEncryptFast,
  aesGcmDecryptFast,
  sha256DigestFast,
} from './fast-crypto.ts';
export { nodeWorkerThreads, hardwareThreads } from './node-workers.ts';
export type {
  ClientTransport,
  ClientTransportEvent,
  ServerTransport,
  ServerTransportEvent,
} from './transport.ts';
