/**
 * Randomness: the {@link Rng} type, the CSPRNG default, and a seeded generator for tests only.
 * Everything in privagg that needs randomness takes an `rng` argument defaulting to
 * {@link randomBytes}; the built-in non-cryptographic generator is never used.
 * @module
 */
import { bytesToWordsLE, IS_LITTLE_ENDIAN } from './bytes.ts';
import { chacha20Blocks } from './chacha20.ts';
import { aBigIntInRange, aBytes, aFunction, aInteger } from './validate.ts';

/**
 * A source of uniformly random bytes: called with a length, returns a fresh `Uint8Array` of
 * exactly that length. An optional `fill(out)` writes random bytes into a caller's buffer
 * (privagg uses it for large draws, to skip an allocation); a plain function is a valid `Rng`.
 * The default is {@link randomBytes}; tests inject a deterministic one.
 * @since 0.1.0
 * @public
 */
export interface Rng {
  /**
   * @param bytesLength - how many bytes
   * @returns a new array of exactly `bytesLength` random bytes
   */
  (bytesLength: number): Uint8Array;
  /**
   * Optional: fill `out` with random bytes and return it.
   * @param out - the buffer to overwrite
   * @returns `out`
   */
  fill?: (out: Uint8Array) => Uint8Array;
}

/** The most bytes `crypto.getRandomValues` fills per call (its quota). */
const QUOTA = 65536;
/** Requests up to this size are served from a pool refilled in one call (fewer calls into the OS). */
const POOL_MAX_REQUEST = 256;
const POOL_SIZE = 8192;
let pool: Uint8Array | undefined;
let poolPos = POOL_SIZE;

function webCrypto(): Crypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c === undefined || typeof c.getRandomValues !== 'function')
    throw new Error('privagg: crypto.getRandomValues is not available in this runtime');
  return c;
}

function fillFromOs(out: Uint8Array): Uint8Array {
  const c = webCrypto();
  if (out.buffer instanceof ArrayBuffer) {
    const own = out as Uint8Array<ArrayBuffer>;
    for (let i = 0; i < out.length; i += QUOTA)
      c.getRandomValues(own.subarray(i, Math.min(out.length, i + QUOTA)));
    return out;
  }
  // getRandomValues refuses shared memory: fill a private chunk and copy it over
  const tmp = new Uint8Array(Math.min(QUOTA, out.length));
  for (let i = 0; i < out.length; i += QUOTA) {
    const n = Math.min(QUOTA, out.length - i);
    c.getRandomValues(tmp.subarray(0, n));
    out.set(tmp.subarray(0, n), i);
  }
  tmp.fill(0);
  return out;
}

/**
 * Cryptographically secure random bytes from `crypto.getRandomValues`, filled in 64 KiB chunks
 * so any length works. Requests of at most 256 bytes are cut from an 8 KiB pool that is refilled
 * from the OS when spent; each pooled byte is handed out once and zeroed when it leaves the pool.
 * This is the default {@link Rng} everywhere; `randomBytes.fill(out)` fills a caller's buffer.
 *
 * @param bytesLength - how many bytes, a safe integer >= 0
 * @returns a new array of `bytesLength` random bytes
 * @throws {@link !TypeError} when `bytesLength` is not a number
 * @throws {@link !RangeError} when `bytesLength` is negative, fractional or unsafe
 * @example
 * ```ts
 * import { randomBytes } from 'privagg';
 * const key = randomBytes(32);
 * console.log(key.length); // 32
 * ```
 * @since 0.1.0
 * @public
 */
export const randomBytes: Rng = Object.assign(
  (bytesLength: number): Uint8Array => {
    aInteger('bytesLength', bytesLength);
    if (bytesLength > POOL_MAX_REQUEST) return fillFromOs(new Uint8Array(bytesLength));
    if (pool === undefined) pool = new Uint8Array(POOL_SIZE);
    if (poolPos + bytesLength > POOL_SIZE) {
      fillFromOs(pool);
      poolPos = 0;
    }
    const out = pool.slice(poolPos, poolPos + bytesLength);
    pool.fill(0, poolPos, poolPos + bytesLength);
    poolPos += bytesLength;
    return out;
  },
  {
    fill: (out: Uint8Array): Uint8Array => {
      aBytes('out', out);
      return fillFromOs(out);
    },
  },
);

/**
 * A deterministic {@link Rng} for tests and reproducible benchmarks ONLY: the ChaCha20 keystream
 * (RFC 8439, zero nonce) under a 32-byte seed. Its output is as unpredictable as the seed is
 * secret, but anyone who knows or guesses the seed reproduces every "random" byte, so it must
 * never stand in for {@link randomBytes} in production. Each call continues the stream.
 *
 * @param seed - exactly 32 bytes
 * @returns a stateful {@link Rng}
 * @throws {@link !TypeError} when `seed` is not a `Uint8Array`
 * @throws {@link !RangeError} when `seed` is not 32 bytes long
 * @example
 * ```ts
 * import { deterministicRngForTesting } from 'privagg';
 * const a = deterministicRngForTesting(new Uint8Array(32))(8);
 * const b = deterministicRngForTesting(new Uint8Array(32))(8);
 * console.log(a.join() === b.join()); // true
 * ```
 * @since 0.1.0
 * @public
 */
export function deterministicRngForTesting(seed: Uint8Array): Rng {
  aBytes('seed', seed, 32);
  const key = bytesToWordsLE(seed);
  const nonce = new Uint32Array(3);
  const block = new Uint32Array(16);
  const blockBytes = new Uint8Array(block.buffer);
  let counter = 0;
  let used = 64; // bytes of `block` already handed out
  const fill = (out: Uint8Array): Uint8Array => {
    aBytes('out', out);
    const bytesLength = out.length;
    let i = 0;
    while (i < bytesLength) {
      if (used === 64) {
        if (counter >= 2 ** 32)
          throw new RangeError('deterministicRngForTesting: stream exhausted (256 GiB)');
        chacha20Blocks(key, nonce, counter++, block, 0, 1);
        if (!IS_LITTLE_ENDIAN) for (let w = 0; w < 16; w++) block[w] = swap32(block[w] as number);
        used = 0;
      }
      const take = Math.min(64 - used, bytesLength - i);
      out.set(blockBytes.subarray(used, used + take), i);
      used += take;
      i += take;
    }
    return out;
  };
  return Object.assign(
    (bytesLength: number): Uint8Array => {
      aInteger('bytesLength', bytesLength);
      return fill(new Uint8Array(bytesLength));
    },
    { fill },
  );
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * @internal Call `rng` and check that it kept the {@link Rng} contract, so a broken injected
 * generator fails loudly instead of producing weak randomness.
 */
export function drawBytes(rng: Rng, bytesLength: number): Uint8Array {
  aFunction('rng', rng);
  const out = rng(bytesLength);
  if (!(out instanceof Uint8Array) || out.length !== bytesLength)
    throw new TypeError(`"rng" must return a Uint8Array of the requested length ${bytesLength}`);
  return out;
}

/** @internal Overwrite `out` with random bytes, through `rng.fill` when the generator has one. */
export function drawBytesInto(rng: Rng, out: Uint8Array): Uint8Array {
  aFunction('rng', rng);
  if (typeof rng.fill === 'function') {
    const r = rng.fill(out);
    if (r !== out) throw new TypeError('"rng.fill" must fill and return the buffer it was given');
    return out;
  }
  out.set(drawBytes(rng, out.length));
  return out;
}

/** @internal `count` uniform 32-bit words from `rng` (little-endian reading of its bytes). */
export function drawWords(rng: Rng, count: number, out?: Uint32Array): Uint32Array {
  aInteger('count', count);
  const words = out ?? new Uint32Array(count);
  if (words.length !== count)
    throw new RangeError(`"out" expected length ${count}, got ${words.length}`);
  drawBytesInto(rng, new Uint8Array(words.buffer, words.byteOffset, count * 4));
  if (!IS_LITTLE_ENDIAN)
    words.set(bytesToWordsLE(new Uint8Array(words.buffer, words.byteOffset, count * 4).slice()));
  return words;
}

/**
 * @internal A uniform integer in [0, bound) for a bound up to 2^32, by rejection sampling on
 * 32-bit words (no modulo bias). Variable time over the public `bound` only.
 */
export function randomBelowU32(rng: Rng, bound: number): number {
  aInteger('bound', bound, 1, 2 ** 32);
  if (bound === 1) return 0;
  // accept words below the largest multiple of bound that fits in 2^32
  const limit = 2 ** 32 - (2 ** 32 % bound);
  for (;;) {
    const w = drawWords(rng, 1)[0] as number;
    if (w < limit) return w % bound;
  }
}

/**
 * @internal A uniform bigint in [0, bound) by rejection on the bit length of `bound - 1`
 * (expected fewer than 2 draws).
 */
export function randomBelowBigInt(rng: Rng, bound: bigint): bigint {
  aBigIntInRange('bound', bound, 1n, 1n << 4096n);
  if (bound === 1n) return 0n;
  const bits = (bound - 1n).toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const topMask = (1 << (bits - 8 * (bytes - 1))) - 1;
  for (;;) {
    const b = drawBytes(rng, bytes);
    b[0] = (b[0] as number) & topMask;
    let x = 0n;
    for (const byte of b) x = (x << 8n) | BigInt(byte);
    if (x < bound) return x;
  }
}
