/**
 * privagg's wire format for CKKS vectors and keys, and the checked loading of untrusted bytes:
 * the versioned envelope around SEAL objects, packed seeded ciphertexts, and every check done
 * before SEAL parses a byte (see envelope.ts for SEAL's own layout).
 *
 * Vector envelope (little-endian): `magic 2 | version u8 | type u8 | length u32 | bound f64 |
 * noise free f64 | noise keyed f64 | noise bias f64 | count u32 | count x (u32 size | blob)`,
 * each blob a SEAL 4.1 ciphertext (type 0x48), a packed seeded one (type 0x4e) or a packed full
 * one (type 0x4f; packed.ts). Packed blobs are rebuilt into SEAL's layout and then checked like
 * any other.
 * Keys: `magic | version | type (0x49 public, 0x4a secret) | u32 size | SEAL object`.
 * @module
 * @internal
 */
import type { Ciphertext } from 'node-seal/throws';
import { aBytes, ByteReader, MAGIC, MAX_MESSAGE_BYTES, PrivaggError } from '../core/index.ts';
import type { CkksContext } from './ckks.ts';
import { checkCiphertextBytes, checkSecretKeyBytes } from './envelope.ts';
import {
  CkksPublicKey,
  CkksSecretKey,
  CkksVector,
  TYPE_PUBLIC_KEY,
  TYPE_SECRET_KEY,
  TYPE_VECTOR,
  TYPE_VECTOR_PACKED,
  TYPE_VECTOR_PACKED_FULL,
  WIRE_VERSION,
} from './handles.ts';
import type { Noise } from './noise.ts';
import { unpackFull, unpackSeeded } from './packed.ts';
import { sealCall } from './seal.ts';

/** Largest vector length accepted (2^28 values). */
export const MAX_VALUES: number = 2 ** 28;

function readF64(bytes: Uint8Array, what: string): number {
  const x = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
  if (!Number.isFinite(x) || x < 0)
    throw new PrivaggError('MALFORMED_MESSAGE', `${what}: expected a finite non-negative number`);
  return x;
}

/** @internal Write a vector envelope around serialized ciphertexts. */
export function writeVector(
  length: number,
  bound: number,
  noise: Noise,
  blobs: readonly Uint8Array[],
  type: number = TYPE_VECTOR,
): Uint8Array {
  // one allocation, no intermediate copies (the layout ByteReader reads in loadVector)
  const head = 4 + 4 + 4 * 8 + 4;
  const total = blobs.reduce((a, b) => a + b.length + 4, head);
  if (total > MAX_MESSAGE_BYTES)
    throw new PrivaggError('OVERFLOW', `vector message would exceed ${MAX_MESSAGE_BYTES} bytes`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  out[2] = WIRE_VERSION;
  out[3] = type;
  view.setUint32(4, length, true);
  [bound, noise.free, noise.keyed, noise.bias].forEach((x, i) => {
    view.setFloat64(8 + 8 * i, x, true);
  });
  view.setUint32(40, blobs.length, true);
  let p = head;
  for (const b of blobs) {
    view.setUint32(p, b.length, true);
    out.set(b, p + 4);
    p += 4 + b.length;
  }
  return out;
}

/** @internal The checks and loading behind CkksContext.loadVector. */
export function loadVectorFrom(ctx: CkksContext, bytes: Uint8Array): CkksVector {
  ctx._alive();
  aBytes('bytes', bytes);
  const r = new ByteReader(bytes);
  const type = bytes[3];
  const packed = type === TYPE_VECTOR_PACKED;
  const packedFull = type === TYPE_VECTOR_PACKED_FULL;
  r.header(packed || packedFull ? (type as number) : TYPE_VECTOR, [WIRE_VERSION]);
  const length = r.u32();
  const bound = readF64(r.raw(8), 'vector bound');
  const noise: Noise = {
    free: readF64(r.raw(8), 'vector noise'),
    keyed: readF64(r.raw(8), 'vector noise'),
    bias: readF64(r.raw(8), 'vector bias'),
  };
  if (bound > ctx.headroom)
    throw new PrivaggError('MALFORMED_MESSAGE', 'vector: declared bound exceeds the headroom');
  const count = r.u32();
  if (length > MAX_VALUES || count !== Math.max(1, Math.ceil(length / ctx.slotCount)))
    throw new PrivaggError('MALFORMED_MESSAGE', 'vector: chunk count does not match its length');
  let blobs: Uint8Array[] = [];
  // a lower bound on each blob's size keeps `count` from driving the loop past the input
  for (let i = 0; i < count; i++) blobs.push(r.bytes(bytes.length, 16));
  r.end();
  const n = ctx.parameters.polyModulusDegree;
  if (packed) blobs = blobs.map((b) => unpackSeeded(b, ctx._shape.parmsIds, ctx._shape.primes, n));
  if (packedFull)
    blobs = blobs.map((b) => unpackFull(b, ctx._shape.parmsIds, ctx._shape.primes, n));
  const checked = blobs.map((b, i) =>
    checkCiphertextBytes(b, ctx._shape, {
      allowSeeded: true,
      polys: [2],
      what: `ciphertext ${i}`,
    }),
  );
  const level = (checked[0] as { level: number }).level;
  const scale = (checked[0] as { scale: number }).scale;
  if ((packed && !checked.every((c) => c.seeded)) || (packedFull && checked.some((c) => c.seeded)))
    throw new PrivaggError('MALFORMED_MESSAGE', 'vector: packed ciphertexts must be seeded');
  for (const c of checked) {
    if (c.level === 0 || c.level !== level)
      throw new PrivaggError('MALFORMED_MESSAGE', 'vector: ciphertexts at a wrong or mixed level');
    if (c.scale !== scale)
      throw new PrivaggError('MALFORMED_MESSAGE', 'vector: ciphertexts at mixed scales');
  }
  if (Math.abs(Math.log2(scale) - ctx.parameters.scaleBits) > 1)
    throw new PrivaggError('MALFORMED_MESSAGE', 'vector: scale does not match the parameters');
  ctx._reserve(count * ctx._ctBytes(level), 'loading a vector');
  const seal = ctx._seal;
  const cts: Ciphertext[] = [];
  try {
    for (const b of blobs) {
      const ct = ctx._track(new seal.Ciphertext(), ctx._ctBytes(level));
      cts.push(ct);
      sealCall(seal, 'MALFORMED_MESSAGE', 'loading a ciphertext', () =>
        ct.loadFromArray(ctx._context, b),
      );
    }
  } catch (e) {
    for (const ct of cts) ctx._free(ct);
    throw e;
  }
  return new CkksVector(ctx, cts, { length, bound, noise });
}

/** @internal The checks and loading behind CkksContext.loadPublicKey. */
export function loadPublicKeyFrom(ctx: CkksContext, bytes: Uint8Array): CkksPublicKey {
  ctx._alive();
  aBytes('bytes', bytes);
  const r = new ByteReader(bytes);
  r.header(TYPE_PUBLIC_KEY, [WIRE_VERSION]);
  const raw = r.bytes(bytes.length);
  r.end();
  const c = checkCiphertextBytes(raw, ctx._shape, {
    allowSeeded: false,
    polys: [2],
    what: 'public key',
  });
  if (c.level !== 0) throw new PrivaggError('MALFORMED_MESSAGE', 'public key: wrong level');
  ctx._reserve(ctx._ctBytes(0), 'loading a public key');
  const seal = ctx._seal;
  const pk = ctx._track(new seal.PublicKey(), ctx._ctBytes(0));
  try {
    sealCall(seal, 'MALFORMED_MESSAGE', 'loading a public key', () =>
      pk.loadFromArray(ctx._context, raw),
    );
  } catch (e) {
    ctx._free(pk);
    throw e;
  }
  return new CkksPublicKey(ctx, pk);
}

/** @internal The checks and loading behind CkksContext.loadSecretKey. */
export function loadSecretKeyFrom(ctx: CkksContext, bytes: Uint8Array): CkksSecretKey {
  ctx._alive();
  aBytes('bytes', bytes);
  const r = new ByteReader(bytes);
  r.header(TYPE_SECRET_KEY, [WIRE_VERSION]);
  const raw = r.bytes(bytes.length);
  r.end();
  const primes = ctx._shape.primes[0] as readonly bigint[];
  checkSecretKeyBytes(
    raw,
    ctx._shape.parmsIds[0] as readonly bigint[],
    primes,
    ctx.parameters.polyModulusDegree,
  );
  const bytesNeeded = ctx._ctBytes(0) / 2;
  ctx._reserve(bytesNeeded, 'loading a secret key');
  const seal = ctx._seal;
  const sk = ctx._track(new seal.SecretKey(), bytesNeeded);
  try {
    sealCall(seal, 'MALFORMED_MESSAGE', 'loading a secret key', () =>
      sk.loadFromArray(ctx._context, raw),
    );
  } catch (e) {
    ctx._free(sk);
    throw e;
  }
  return new CkksSecretKey(ctx, sk);
}
