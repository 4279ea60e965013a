/**
 * Checks on SEAL's serialization format, done in TypeScript before SEAL sees a byte.
 *
 * SEAL 4.1 (the version node-seal 7 compiles) writes every object as a 16-byte `SEALHeader`
 * followed by the object's members, all little-endian:
 *
 * ```
 * SEALHeader:  magic u16 = 0xA15E | header_size u8 = 16 | version_major u8 = 4 |
 *              version_minor u8 = 1 | compr_mode u8 (0 none, 1 zlib, 2 zstd) | reserved u16 = 0 |
 *              size u64 (bytes of the whole object, header included)
 * Ciphertext:  parms_id 4 x u64 | is_ntt_form u8 | size u64 (polynomials) |
 *              poly_modulus_degree u64 | coeff_modulus_size u64 | scale f64 |
 *              correction_factor u64 | data: DynArray<u64>
 * DynArray:    SEALHeader | count u64 | count x u64
 * seeded ct:   data holds only c0 (count = N x coeff_modulus_size) and is followed by the
 *              PRNG info: SEALHeader | prng_type u8 | seed 8 x u64
 * PublicKey:   the ciphertext layout (size 2, NTT form) of (b, a) = (-a s + e, a)
 * SecretKey:   Plaintext layout: parms_id 4 x u64 | coeff_count u64 | scale f64 | DynArray
 * ```
 *
 * Residues are stored in RNS form: polynomial `j`'s residue modulo prime `i` is the run of N
 * words starting at word `(j * coeff_modulus_size + i) * N` of the data, in NTT (evaluation)
 * form for every CKKS object. privagg accepts only uncompressed objects, so every size is known
 * exactly from the parameters before SEAL parses anything (a compressed stream could expand
 * beyond the bounds checked here).
 * @module
 * @internal
 */
import { PrivaggError } from '../core/index.ts';

/** @internal */
export const SEAL_MAGIC = 0xa15e;
/** @internal */
export const SEAL_HEADER_BYTES = 16;
/** @internal Offset of the DynArray header inside a ciphertext object. */
export const CT_DATA_OFFSET: number = SEAL_HEADER_BYTES + 32 + 1 + 8 + 8 + 8 + 8 + 8;
/** @internal Bytes of a serialized PRNG info block (header, type, 64-byte seed). */
export const PRNG_INFO_BYTES: number = SEAL_HEADER_BYTES + 1 + 64;

function bad(what: string): PrivaggError {
  return new PrivaggError('MALFORMED_MESSAGE', what);
}

/** @internal A parsed SEAL header. */
export interface SealHeader {
  readonly comprMode: number;
  readonly size: number;
}

/** @internal Read a u64 that must be a safe integer. */
export function readU64(view: DataView, offset: number, what: string): number {
  const lo = view.getUint32(offset, true);
  const hi = view.getUint32(offset + 4, true);
  if (hi >= 2 ** 21) throw bad(`${what}: value out of range`);
  return hi * 2 ** 32 + lo;
}

/** @internal Check a SEALHeader at `offset` whose object must span exactly `expectedSize` bytes. */
export function checkSealHeader(
  bytes: Uint8Array,
  offset: number,
  expectedSize: number,
  what: string,
): void {
  if (bytes.length - offset < SEAL_HEADER_BYTES) throw bad(`${what}: truncated header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, SEAL_HEADER_BYTES);
  if (view.getUint16(0, true) !== SEAL_MAGIC) throw bad(`${what}: not a SEAL object`);
  if (view.getUint8(2) !== SEAL_HEADER_BYTES) throw bad(`${what}: unexpected header size`);
  if (view.getUint8(3) !== 4 || view.getUint8(4) !== 1)
    throw bad(`${what}: SEAL version ${view.getUint8(3)}.${view.getUint8(4)} is not 4.1`);
  if (view.getUint8(5) !== 0) throw bad(`${what}: compressed objects are not accepted`);
  if (view.getUint16(6, true) !== 0) throw bad(`${what}: reserved header bits set`);
  const size = readU64(view, 8, what);
  if (size !== expectedSize)
    throw bad(`${what}: declared size ${size} does not match the expected ${expectedSize}`);
}

/** @internal The expected layout of a ciphertext for given parameters. */
export interface CiphertextShape {
  /** parms_id words the ciphertext must carry (one of the context's levels). */
  readonly parmsIds: readonly (readonly bigint[])[];
  /** Coefficient modulus primes at each level (same order as parmsIds). */
  readonly primes: readonly (readonly bigint[])[];
  readonly polyModulusDegree: number;
}

/** @internal What a checked ciphertext turned out to be. */
export interface CheckedCiphertext {
  readonly level: number;
  readonly seeded: boolean;
  readonly size: number;
  readonly scale: number;
}

/**
 * @internal Check a serialized ciphertext (or public key, which has the same layout) against
 * the context: header, exact size, parms_id, NTT flag, polynomial count, degree, modulus count,
 * scale, the data array's header and count, every residue below its prime, and for seeded
 * objects the PRNG block. Throws `MALFORMED_MESSAGE` ({@link index!PrivaggError}) otherwise.
 */
export function checkCiphertextBytes(
  bytes: Uint8Array,
  shape: CiphertextShape,
  options: { allowSeeded: boolean; polys: readonly number[]; what: string },
): CheckedCiphertext {
  const { what } = options;
  if (bytes.length < CT_DATA_OFFSET + SEAL_HEADER_BYTES + 8) throw bad(`${what}: truncated`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let p = SEAL_HEADER_BYTES;
  const pid: bigint[] = [];
  for (let i = 0; i < 4; i++) pid.push(view.getBigUint64(p + 8 * i, true));
  p += 32;
  const level = shape.parmsIds.findIndex((ids) => ids.every((w, i) => w === pid[i]));
  if (level < 0) throw bad(`${what}: parameters do not match this context`);
  const ntt = view.getUint8(p);
  p += 1;
  if (ntt !== 1) throw bad(`${what}: not in NTT form`);
  const size = readU64(view, p, what);
  p += 8;
  if (!options.polys.includes(size)) throw bad(`${what}: unexpected polynomial count ${size}`);
  const degree = readU64(view, p, what);
  p += 8;
  if (degree !== shape.polyModulusDegree) throw bad(`${what}: wrong polynomial degree`);
  const primes = shape.primes[level] as readonly bigint[];
  const k = readU64(view, p, what);
  p += 8;
  if (k !== primes.length) throw bad(`${what}: wrong modulus count`);
  const scale = view.getFloat64(p, true);
  p += 8;
  if (!Number.isFinite(scale) || scale < 1 || scale > 2 ** 200)
    throw bad(`${what}: scale out of range`);
  const correction = readU64(view, p, what);
  p += 8;
  if (correction !== 1) throw bad(`${what}: unexpected correction factor`);
  const words = degree * k;
  const fullCount = size * words;
  const seededCount = words;
  const arrayBytes = (count: number) => SEAL_HEADER_BYTES + 8 + 8 * count;
  let seeded: boolean;
  if (bytes.length === CT_DATA_OFFSET + arrayBytes(fullCount)) seeded = false;
  else if (
    options.allowSeeded &&
    size === 2 &&
    bytes.length === CT_DATA_OFFSET + arrayBytes(seededCount) + PRNG_INFO_BYTES
  )
    seeded = true;
  else throw bad(`${what}: length ${bytes.length} does not fit the declared shape`);
  checkSealHeader(bytes, 0, bytes.length, what);
  const count = seeded ? seededCount : fullCount;
  checkSealHeader(bytes, p, arrayBytes(count), `${what} data`);
  p += SEAL_HEADER_BYTES;
  if (readU64(view, p, what) !== count) throw bad(`${what}: data count mismatch`);
  p += 8;
  // every residue must be reduced modulo its prime
  const polys = seeded ? 1 : size;
  for (let j = 0; j < polys; j++) {
    for (let i = 0; i < k; i++) {
      const q = primes[i] as bigint;
      const qHi = Number(q >> 32n);
      const qLo = Number(q & 0xffffffffn);
      for (let c = 0; c < degree; c++, p += 8) {
        const hi = view.getUint32(p + 4, true);
        if (hi < qHi) continue;
        const lo = view.getUint32(p, true);
        if (hi > qHi || lo >= qLo) throw bad(`${what}: coefficient not reduced`);
      }
    }
  }
  if (seeded) {
    checkSealHeader(bytes, p, PRNG_INFO_BYTES, `${what} seed`);
    const prng = view.getUint8(p + SEAL_HEADER_BYTES);
    if (prng !== 1 && prng !== 2) throw bad(`${what}: unknown PRNG type`);
  }
  return { level, seeded, size, scale };
}

/** @internal Expected serialized size of a secret key (a plaintext at the key level). */
export function secretKeyBytes(degree: number, primes: number): number {
  return SEAL_HEADER_BYTES + 32 + 8 + 8 + SEAL_HEADER_BYTES + 8 + 8 * degree * primes;
}

/** @internal Check a serialized secret key: header, size, parms_id, coefficient count, residues. */
export function checkSecretKeyBytes(
  bytes: Uint8Array,
  keyParmsId: readonly bigint[],
  primes: readonly bigint[],
  degree: number,
): void {
  const what = 'secret key';
  const expected = secretKeyBytes(degree, primes.length);
  if (bytes.length !== expected) throw bad(`${what}: expected ${expected} bytes`);
  checkSealHeader(bytes, 0, expected, what);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let p = SEAL_HEADER_BYTES;
  for (let i = 0; i < 4; i++)
    if (view.getBigUint64(p + 8 * i, true) !== keyParmsId[i])
      throw bad(`${what}: parameters do not match this context`);
  p += 32;
  if (readU64(view, p, what) !== degree * primes.length) throw bad(`${what}: wrong size`);
  p += 16; // coeff_count, scale (unused for keys)
  checkSealHeader(bytes, p, SEAL_HEADER_BYTES + 8 + 8 * degree * primes.length, `${what} data`);
  p += SEAL_HEADER_BYTES;
  if (readU64(view, p, what) !== degree * primes.length) throw bad(`${what}: data count mismatch`);
  p += 8;
  for (const q of primes) {
    for (let c = 0; c < degree; c++, p += 8)
      if (view.getBigUint64(p, true) >= q) throw bad(`${what}: coefficient not reduced`);
  }
}
