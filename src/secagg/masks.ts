/**
 * Masks of secure aggregation: the HKDF-SHA256 derivations that bind every key to the session,
 * the pair (or the owner) and the vector id, and the hot loop that adds signed keystream masks
 * to a vector in Z_{2^k} in place. Masks are AES-256-CTR keystream words (the seekable core
 * keystream), so any coordinate range can be regenerated on its own.
 *
 * Representation: for k <= 32 a vector is a `Uint32Array` of d words; for 33 <= k <= 62 it is
 * 2d words, element i being `words[2i] + 2^32 * words[2i + 1]`. Arithmetic runs mod 2^32 (resp.
 * 2^64) and is reduced mod 2^k once at the end ({@link reduceRing}); a mask is the keystream
 * reduced mod 2^k, uniform because 2^k divides 2^32 (resp. 2^64).
 * @module
 * @internal
 */
import {
  createKeystream,
  hkdfSha256,
  IS_LITTLE_ENDIAN,
  type Keystream,
  malformed,
  utf8,
} from '../core/index.ts';

const TWO32 = 4294967296;
/** Words per keystream call: 256 KiB, the core keystream's own chunk, small enough for L2. */
export const MASK_CHUNK_WORDS: number = 1 << 16;

/** @internal A mask to add: `sign * PRG(key)`. */
export interface MaskJob {
  /** 32-byte AES-256-CTR key. */
  readonly key: Uint8Array;
  /** +1 adds the mask, -1 subtracts it. */
  readonly sign: 1 | -1;
}

/** @internal Words per ring element: 1 for k <= 32, 2 for k in [33, 62]. */
export function wordsPerElement(ringBits: number): 1 | 2 {
  return ringBits <= 32 ? 1 : 2;
}

function u32(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, true);
  return b;
}

function info(label: string, ...parts: number[]): Uint8Array {
  const l = utf8(`privagg/secagg/v1/${label}`);
  const out = new Uint8Array(l.length + 4 * parts.length);
  out.set(l);
  for (const [i, p] of parts.entries()) out.set(u32(p), l.length + 4 * i);
  return out;
}

/** @internal The AEAD key for shares sent from `sender` to `receiver` (one key per direction). */
export function deriveShareKey(
  agreement: Uint8Array,
  sessionId: Uint8Array,
  sender: number,
  receiver: number,
): Uint8Array {
  return hkdfSha256(agreement, sessionId, info('share-key', sender, receiver), 32);
}

/** @internal The pairwise mask key of clients `a` and `b` for one vector (symmetric in a, b). */
export function derivePairMaskKey(
  agreement: Uint8Array,
  sessionId: Uint8Array,
  a: number,
  b: number,
  vectorId: number,
): Uint8Array {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return hkdfSha256(agreement, sessionId, info('pair-mask', lo, hi, vectorId), 32);
}

/** @internal The self-mask key of `owner` for one vector, from its 32-byte random seed. */
export function deriveSelfMaskKey(
  seed: Uint8Array,
  sessionId: Uint8Array,
  owner: number,
  vectorId: number,
): Uint8Array {
  return hkdfSha256(seed, sessionId, info('self-mask', owner, vectorId), 32);
}

/** @internal Sign of the pairwise mask client `self` adds for its pair with `peer`. */
export function pairSign(self: number, peer: number): 1 | -1 {
  return self < peer ? 1 : -1;
}

function addChunk(
  acc: Uint32Array,
  buf: Uint32Array,
  at: number,
  len: number,
  sign: 1 | -1,
  wide: boolean,
): void {
  if (!wide) {
    if (sign === 1)
      for (let i = 0; i < len; i++)
        acc[at + i] = ((acc[at + i] as number) + (buf[i] as number)) | 0;
    else
      for (let i = 0; i < len; i++)
        acc[at + i] = ((acc[at + i] as number) - (buf[i] as number)) | 0;
    return;
  }
  // wide: (lo, hi) pairs; `at` and `len` are even
  if (sign === 1) {
    for (let i = 0; i < len; i += 2) {
      const lo = (acc[at + i] as number) + (buf[i] as number);
      acc[at + i] = lo;
      acc[at + i + 1] = (acc[at + i + 1] as number) + (buf[i + 1] as number) + ((lo / TWO32) | 0);
    }
  } else {
    for (let i = 0; i < len; i += 2) {
      const lo = (acc[at + i] as number) - (buf[i] as number);
      acc[at + i] = lo;
      acc[at + i + 1] =
        (acc[at + i + 1] as number) - (buf[i + 1] as number) + Math.floor(lo / TWO32);
    }
  }
}

/**
 * @internal Add `sum of sign * mask` over elements `[startElement, startElement + n)` to `acc`
 * (which holds exactly those elements), synchronously. `scratch` is reused between calls.
 */
export function applyMasksSync(
  acc: Uint32Array,
  jobs: readonly MaskJob[],
  ringBits: number,
  startElement: number,
  scratch: Uint32Array = new Uint32Array(Math.min(MASK_CHUNK_WORDS, acc.length)),
): void {
  const wide = wordsPerElement(ringBits) === 2;
  const firstWord = startElement * (wide ? 2 : 1);
  const total = acc.length;
  for (const job of jobs) {
    const ks = createKeystream(job.key);
    for (let at = 0; at < total; at += scratch.length) {
      const len = Math.min(scratch.length, total - at);
      const buf = len === scratch.length ? scratch : scratch.subarray(0, len);
      ks.fillWordsSync(buf, firstWord + at);
      addChunk(acc, buf, at, len, job.sign, wide);
    }
  }
}

/**
 * @internal {@link applyMasksSync} that also runs where the keystream is asynchronous only
 * (WebCrypto AES-CTR in browsers).
 */
export async function applyMasks(
  acc: Uint32Array,
  jobs: readonly MaskJob[],
  ringBits: number,
  startElement: number,
  scratch?: Uint32Array,
): Promise<void> {
  const probe: Keystream | undefined =
    jobs[0] === undefined ? undefined : createKeystream(jobs[0].key);
  if (probe === undefined || probe.syncAvailable) {
    applyMasksSync(acc, jobs, ringBits, startElement, scratch);
    return;
  }
  const wide = wordsPerElement(ringBits) === 2;
  const firstWord = startElement * (wide ? 2 : 1);
  const buf = scratch ?? new Uint32Array(Math.min(MASK_CHUNK_WORDS, acc.length));
  for (const job of jobs) {
    const ks = createKeystream(job.key);
    for (let at = 0; at < acc.length; at += buf.length) {
      const len = Math.min(buf.length, acc.length - at);
      const b = len === buf.length ? buf : buf.subarray(0, len);
      await ks.fillWords(b, firstWord + at);
      addChunk(acc, b, at, len, job.sign, wide);
    }
  }
}

/** @internal Reduce a vector (narrow or interleaved wide) mod 2^k in place. */
export function reduceRing(acc: Uint32Array, ringBits: number): Uint32Array {
  if (ringBits === 32) return acc;
  if (ringBits < 32) {
    const mask = (2 ** ringBits - 1) | 0;
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) & mask;
    return acc;
  }
  const hiMask = (2 ** (ringBits - 32) - 1) | 0;
  for (let i = 1; i < acc.length; i += 2) acc[i] = (acc[i] as number) & hiMask;
  return acc;
}

/** @internal Add vector `b` to `acc` (same representation) mod 2^32 / 2^64, in place. */
export function addInto(acc: Uint32Array, b: Uint32Array, ringBits: number): void {
  addChunk(acc, b, 0, acc.length, 1, wordsPerElement(ringBits) === 2);
}

/** @internal Bytes needed to pack `dimension` elements of `ringBits` bits. */
export function packedLength(dimension: number, ringBits: number): number {
  return Math.ceil((dimension * ringBits) / 8);
}

/**
 * @internal Pack a reduced vector into a little-endian bit stream of `ringBits` bits per element
 * (wide elements: the low 32 bits, then the high `ringBits - 32`). Word-level shifts, so packing
 * runs at memory speed.
 */
export function packRing(words: Uint32Array, ringBits: number, dimension: number): Uint8Array {
  const length = packedLength(dimension, ringBits);
  if (ringBits === 32 && IS_LITTLE_ENDIAN)
    return new Uint8Array(words.buffer, words.byteOffset, dimension * 4).slice();
  const out32 = new Uint32Array(Math.ceil(length / 4) + 1);
  const wide = ringBits > 32;
  const lowBits = wide ? 32 : ringBits;
  const highBits = ringBits - 32;
  let cur = 0;
  let used = 0;
  let w = 0;
  const push = (v: number, bits: number): void => {
    cur |= v << used;
    used += bits;
    if (used >= 32) {
      out32[w++] = cur;
      used -= 32;
      cur = used > 0 ? v >>> (bits - used) : 0;
    }
  };
  if (wide)
    for (let i = 0; i < dimension; i++) {
      push(words[2 * i] as number, 32);
      push(words[2 * i + 1] as number, highBits);
    }
  else for (let i = 0; i < dimension; i++) push(words[i] as number, lowBits);
  if (used > 0) out32[w] = cur;
  if (IS_LITTLE_ENDIAN) return new Uint8Array(out32.buffer, 0, length).slice();
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = ((out32[i >>> 2] as number) >>> (8 * (i & 3))) & 0xff;
  return out;
}

/**
 * @internal Unpack {@link packRing}'s output. Wrong length or non-zero padding bits are
 * `MALFORMED_MESSAGE` (one canonical encoding per vector).
 */
export function unpackRing(bytes: Uint8Array, ringBits: number, dimension: number): Uint32Array {
  const length = packedLength(dimension, ringBits);
  if (bytes.length !== length)
    throw malformed(`masked vector of ${bytes.length} bytes, expected ${length}`);
  const wide = ringBits > 32;
  const out = new Uint32Array(dimension * (wide ? 2 : 1));
  if (ringBits === 32 && IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const tailBits = (dimension * ringBits) % 8;
  if (tailBits !== 0 && (bytes[length - 1] as number) >>> tailBits !== 0)
    throw malformed('masked vector has non-zero padding bits');
  const in32 = new Uint32Array(Math.ceil(length / 4) + 1);
  if (IS_LITTLE_ENDIAN) new Uint8Array(in32.buffer).set(bytes);
  else
    for (let i = 0; i < length; i++)
      in32[i >>> 2] = (in32[i >>> 2] as number) | ((bytes[i] as number) << (8 * (i & 3)));
  let pos = 0;
  const pull = (bits: number): number => {
    const q = pos >>> 5;
    const r = pos & 31;
    let v = (in32[q] as number) >>> r;
    if (r + bits > 32) v |= (in32[q + 1] as number) << (32 - r);
    pos += bits;
    return bits === 32 ? v >>> 0 : v & ((1 << bits) - 1);
  };
  if (wide)
    for (let i = 0; i < dimension; i++) {
      out[2 * i] = pull(32);
      out[2 * i + 1] = pull(ringBits - 32);
    }
  else for (let i = 0; i < dimension; i++) out[i] = pull(ringBits);
  return out;
}
