/**
 * Binary codecs for untrusted bytes: a writer and a bounded reader for versioned,
 * length-prefixed messages. Every way a reader can fail (truncation, a length over its bound,
 * trailing bytes, a wrong magic, type or version) is a `MALFORMED_MESSAGE` {@link PrivaggError};
 * nothing else escapes.
 *
 * Message layout: `magic "PA" (2 bytes) | version (u8) | type (u8) | body`. Integers are
 * little-endian; byte strings and word arrays carry a u32 length prefix.
 * @module
 * @internal
 */
import { PrivaggError } from './errors.ts';
import { IS_LITTLE_ENDIAN } from './bytes.ts';
import { aBytes, aInteger, aU32Array } from './validate.ts';

/** @internal The two magic bytes that open every privagg message ("PA"). */
export const MAGIC: readonly [number, number] = [0x50, 0x41];
/** @internal Hard cap on any single message (256 MiB). */
export const MAX_MESSAGE_BYTES: number = 256 * 1024 * 1024;

function bad(message: string): PrivaggError {
  return new PrivaggError('MALFORMED_MESSAGE', message);
}

/** @internal Builds a message in growing chunks. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 256) {
    aInteger('initialCapacity', initialCapacity, 1, MAX_MESSAGE_BYTES);
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    const need = this.pos + n;
    if (need > MAX_MESSAGE_BYTES)
      throw new PrivaggError('OVERFLOW', `message would exceed ${MAX_MESSAGE_BYTES} bytes`);
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(Math.min(cap, MAX_MESSAGE_BYTES));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Write the message header. */
  header(version: number, type: number): this {
    aInteger('version', version, 0, 255);
    aInteger('type', type, 0, 255);
    return this.u8(MAGIC[0]).u8(MAGIC[1]).u8(version).u8(type);
  }

  u8(x: number): this {
    aInteger('u8', x, 0, 0xff);
    this.reserve(1);
    this.buf[this.pos++] = x;
    return this;
  }

  u16(x: number): this {
    aInteger('u16', x, 0, 0xffff);
    this.reserve(2);
    this.view.setUint16(this.pos, x, true);
    this.pos += 2;
    return this;
  }

  u32(x: number): this {
    aInteger('u32', x, 0, 0xffffffff);
    this.reserve(4);
    this.view.setUint32(this.pos, x, true);
    this.pos += 4;
    return this;
  }

  /** An unsigned integer up to 2^53 - 1 as 8 bytes. */
  u64(x: number): this {
    aInteger('u64', x);
    this.reserve(8);
    this.view.setUint32(this.pos, x % 4294967296, true);
    this.view.setUint32(this.pos + 4, Math.floor(x / 4294967296), true);
    this.pos += 8;
    return this;
  }

  /** Bytes without a length prefix (fixed-size fields). */
  raw(bytes: Uint8Array): this {
    aBytes('bytes', bytes);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Bytes with a u32 length prefix. */
  bytes(bytes: Uint8Array): this {
    aBytes('bytes', bytes);
    return this.u32(bytes.length).raw(bytes);
  }

  /** A word array with a u32 count prefix, little-endian words. */
  u32Array(words: Uint32Array): this {
    aU32Array('words', words);
    this.u32(words.length);
    this.reserve(words.length * 4);
    if (IS_LITTLE_ENDIAN) {
      this.buf.set(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), this.pos);
      this.pos += words.byteLength;
    } else {
      for (const w of words) {
        this.view.setUint32(this.pos, w, true);
        this.pos += 4;
      }
    }
    return this;
  }

  /** The message so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** @internal Reads a message, failing with `MALFORMED_MESSAGE` on anything out of bounds. */
export class ByteReader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  /**
   * @param bytes - the untrusted message (not copied; do not mutate it while reading)
   * @param maxLength - reject messages longer than this before reading anything
   */
  constructor(bytes: Uint8Array, maxLength: number = MAX_MESSAGE_BYTES) {
    aInteger('maxLength', maxLength, 0, MAX_MESSAGE_BYTES);
    if (!(bytes instanceof Uint8Array) || !ArrayBuffer.isView(bytes))
      throw bad('message is not a Uint8Array');
    if (bytes.length > maxLength)
      throw bad(`message of ${bytes.length} bytes exceeds the limit of ${maxLength}`);
    this.buf = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining)
      throw bad(
        `truncated message: ${what} needs ${n} bytes at offset ${this.pos}, ${this.remaining} left`,
      );
  }

  /** Read and check the header; returns the version. */
  header(type: number, supportedVersions: readonly number[]): number {
    this.need(4, 'header');
    if (this.buf[0] !== MAGIC[0] || this.buf[1] !== MAGIC[1])
      throw bad('not a privagg message (bad magic)');
    this.pos = 2;
    const version = this.u8();
    const t = this.u8();
    if (!supportedVersions.includes(version)) throw bad(`unsupported message version ${version}`);
    if (t !== type) throw bad(`unexpected message type ${t}, expected ${type}`);
    return version;
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2, 'u16');
    const x = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return x;
  }

  u32(): number {
    this.need(4, 'u32');
    const x = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return x;
  }

  /** An 8-byte unsigned integer that must be a safe integer. */
  u64(): number {
    this.need(8, 'u64');
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    if (hi >= 2 ** 21) throw bad('u64 field exceeds 2^53 - 1');
    this.pos += 8;
    return hi * 4294967296 + lo;
  }

  /** A u32 in [min, max]. */
  u32InRange(what: string, min: number, max: number): number {
    const x = this.u32();
    if (x < min || x > max) throw bad(`${what} = ${x} outside [${min}, ${max}]`);
    return x;
  }

  /** `n` bytes without a prefix (a copy). */
  raw(n: number): Uint8Array {
    aInteger('n', n, 0, MAX_MESSAGE_BYTES);
    this.need(n, 'fixed field');
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Length-prefixed bytes of at most `maxLength` (a copy). */
  bytes(maxLength: number, minLength = 0): Uint8Array {
    aInteger('maxLength', maxLength, 0, MAX_MESSAGE_BYTES);
    const n = this.u32();
    if (n > maxLength || n < minLength)
      throw bad(`byte field of ${n} bytes outside [${minLength}, ${maxLength}]`);
    return this.raw(n);
  }

  /** Count-prefixed word array of at most `maxCount` words (exactly `exactCount` when given). */
  u32Array(maxCount: number, exactCount?: number): Uint32Array {
    aInteger('maxCount', maxCount, 0, MAX_MESSAGE_BYTES / 4);
    const n = this.u32();
    if (n > maxCount) throw bad(`word array of ${n} words exceeds the bound of ${maxCount}`);
    if (exactCount !== undefined && n !== exactCount)
      throw bad(`word array of ${n} words, expected ${exactCount}`);
    this.need(n * 4, 'word array');
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getUint32(this.pos + 4 * i, true);
    this.pos += n * 4;
    return out;
  }

  /** Require that the whole message was consumed. */
  end(): void {
    if (this.remaining !== 0) throw bad(`${this.remaining} trailing bytes after the message`);
  }
}
