/**
 * Polynomials in SEAL's RNS/NTT representation, read and written in TypeScript: the forward
 * NTT of small integer polynomials (computed by SEAL itself), element-wise arithmetic modulo
 * the primes, a seeded uniform sampler, and the byte layouts of SEAL 4.1 public keys and
 * plaintexts (see envelope.ts for the format).
 *
 * A polynomial at a level with `k` primes is a `BigUint64Array` of `k * N` words, residue `i`
 * (modulo prime `q_i`) in words `[i N, (i + 1) N)`, each in evaluation (NTT) form: SEAL's own
 * layout, so words move between SEAL objects and this code without any transform.
 *
 * The NTT of a small polynomial: SEAL's NTT tables depend only on N and each prime, not on
 * the scheme, so a BFV context over the same primes transforms a coefficient-form plaintext
 * (`Evaluator.plainTransformToNtt`) into exactly the residues a CKKS object would hold. BFV
 * plaintext coefficients are non-negative, so a signed polynomial is transformed as its
 * positive part minus its negative part. Pinned by test/unit/he/rns.test.ts.
 * @module
 * @internal
 */
import type { Evaluator, SEALContext } from 'node-seal/throws';
import { chacha20Blocks, PrivaggError } from '../core/index.ts';
import type { CkksContext } from './ckks.ts';
import { SEAL_HEADER_BYTES, SEAL_MAGIC } from './envelope.ts';
import { sealCall } from './seal.ts';

/** @internal Write a SEAL 4.1 header for an uncompressed object of `size` bytes. */
export function writeSealHeader(view: DataView, offset: number, size: number): void {
  view.setUint16(offset, SEAL_MAGIC, true);
  view.setUint8(offset + 2, SEAL_HEADER_BYTES);
  view.setUint8(offset + 3, 4);
  view.setUint8(offset + 4, 1);
  view.setUint8(offset + 5, 0);
  view.setUint16(offset + 6, 0, true);
  view.setBigUint64(offset + 8, BigInt(size), true);
}

function writeDynArray(view: DataView, offset: number, words: BigUint64Array): number {
  const size = SEAL_HEADER_BYTES + 8 + 8 * words.length;
  writeSealHeader(view, offset, size);
  view.setBigUint64(offset + SEAL_HEADER_BYTES, BigInt(words.length), true);
  let p = offset + SEAL_HEADER_BYTES + 8;
  for (let i = 0; i < words.length; i++, p += 8) view.setBigUint64(p, words[i] as bigint, true);
  return p;
}

/** @internal SEAL bytes of a ciphertext-shaped object (public key: size 2, scale 1). */
export function ciphertextBytes(
  parmsId: readonly bigint[],
  n: number,
  k: number,
  polys: readonly BigUint64Array[],
  scale: number,
): Uint8Array {
  const words = new BigUint64Array(polys.length * k * n);
  for (const [i, p] of polys.entries()) words.set(p, i * k * n);
  const size = SEAL_HEADER_BYTES + 32 + 1 + 8 * 5 + SEAL_HEADER_BYTES + 8 + 8 * words.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  writeSealHeader(view, 0, size);
  let p = SEAL_HEADER_BYTES;
  for (let i = 0; i < 4; i++, p += 8) view.setBigUint64(p, parmsId[i] as bigint, true);
  view.setUint8(p, 1);
  p += 1;
  for (const x of [polys.length, n, k]) {
    view.setBigUint64(p, BigInt(x), true);
    p += 8;
  }
  view.setFloat64(p, scale, true);
  p += 8;
  view.setBigUint64(p, 1n, true); // correction factor
  p += 8;
  writeDynArray(view, p, words);
  return out;
}

/** @internal SEAL bytes of a plaintext (NTT form when `parmsId` is a level's id). */
export function plaintextBytes(
  parmsId: readonly bigint[],
  words: BigUint64Array,
  scale: number,
): Uint8Array {
  const size = SEAL_HEADER_BYTES + 32 + 8 + 8 + SEAL_HEADER_BYTES + 8 + 8 * words.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  writeSealHeader(view, 0, size);
  let p = SEAL_HEADER_BYTES;
  for (let i = 0; i < 4; i++, p += 8) view.setBigUint64(p, parmsId[i] as bigint, true);
  view.setBigUint64(p, BigInt(words.length), true);
  view.setFloat64(p + 8, scale, true);
  writeDynArray(view, p + 16, words);
  return out;
}

/** @internal The data words of a serialized ciphertext or plaintext (after its fixed fields). */
export function dataWords(bytes: Uint8Array, fixedBytes: number): BigUint64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const start = SEAL_HEADER_BYTES + fixedBytes;
  const count = Number(view.getBigUint64(start + SEAL_HEADER_BYTES, true));
  const out = new BigUint64Array(count);
  let p = start + SEAL_HEADER_BYTES + 8;
  for (let i = 0; i < count; i++, p += 8) out[i] = view.getBigUint64(p, true);
  return out;
}

/** @internal Fixed bytes before a ciphertext's data array. */
export const CT_FIXED: number = 32 + 1 + 8 * 5;
/** @internal Fixed bytes before a plaintext's data array. */
export const PT_FIXED: number = 32 + 8 + 8;

/** Element-wise `f(a[j], b[j], q)` over the residues. */
function zip(
  a: BigUint64Array,
  b: BigUint64Array,
  primes: readonly bigint[],
  n: number,
  f: (x: bigint, y: bigint, q: bigint) => bigint,
): BigUint64Array {
  const out = new BigUint64Array(primes.length * n);
  for (let i = 0; i < primes.length; i++) {
    const q = primes[i] as bigint;
    for (let j = i * n; j < (i + 1) * n; j++) out[j] = f(a[j] as bigint, b[j] as bigint, q);
  }
  return out;
}

/** @internal a + b mod q, element-wise over residues. */
export function polyAdd(
  a: BigUint64Array,
  b: BigUint64Array,
  primes: readonly bigint[],
  n: number,
): BigUint64Array {
  return zip(a, b, primes, n, (x, y, q) => (x + y >= q ? x + y - q : x + y));
}

/** @internal a - b mod q. */
export function polySub(
  a: BigUint64Array,
  b: BigUint64Array,
  primes: readonly bigint[],
  n: number,
): BigUint64Array {
  return zip(a, b, primes, n, (x, y, q) => (x >= y ? x - y : x + q - y));
}

/** @internal a * b mod q, element-wise (a product of polynomials in NTT form). */
export function polyMul(
  a: BigUint64Array,
  b: BigUint64Array,
  primes: readonly bigint[],
  n: number,
): BigUint64Array {
  return zip(a, b, primes, n, (x, y, q) => (x * y) % q);
}

/** @internal c * a mod q for one constant per prime. */
export function polyScale(
  a: BigUint64Array,
  c: readonly bigint[],
  primes: readonly bigint[],
  n: number,
): BigUint64Array {
  const out = new BigUint64Array(primes.length * n);
  for (let i = 0; i < primes.length; i++) {
    const q = primes[i] as bigint;
    const ci = c[i] as bigint;
    for (let j = i * n; j < (i + 1) * n; j++) out[j] = ((a[j] as bigint) * ci) % q;
  }
  return out;
}

/** @internal The first `k` residues of a polynomial (drop primes to reach a lower level). */
export function polyTruncate(a: BigUint64Array, k: number, n: number): BigUint64Array {
  return a.slice(0, k * n);
}

/**
 * @internal A polynomial with uniform residues (NTT form) expanded from a 32-byte seed by the
 * ChaCha20 keystream (RFC 8439, nonce "privagg-crs", one 64-bit candidate per two words,
 * rejection-sampled to below each prime): the common random polynomial every party derives.
 */
export function uniformFromSeed(
  seed: Uint8Array,
  primes: readonly bigint[],
  n: number,
): BigUint64Array {
  const key = new Uint32Array(8);
  const dv = new DataView(seed.buffer, seed.byteOffset, 32);
  for (let i = 0; i < 8; i++) key[i] = dv.getUint32(4 * i, true);
  const nonce = Uint32Array.from([0x76697270, 0x2d676761, 0x00737263]); // "privagg-crs\0"
  const block = new Uint32Array(16 * 64);
  let counter = 0;
  let pos = block.length;
  const out = new BigUint64Array(primes.length * n);
  for (let i = 0; i < primes.length; i++) {
    const q = primes[i] as bigint;
    const bits = q.toString(2).length;
    const mask = (1n << BigInt(bits)) - 1n;
    for (let j = i * n; j < (i + 1) * n; ) {
      if (pos >= block.length) {
        chacha20Blocks(key, nonce, counter, block, 0, 64);
        counter += 64;
        pos = 0;
      }
      const x = ((BigInt(block[pos + 1] as number) << 32n) | BigInt(block[pos] as number)) & mask;
      pos += 2;
      if (x < q) out[j++] = x;
    }
  }
  return out;
}

/**
 * @internal Forward NTT of small signed integer polynomials at a context's key level, by SEAL
 * (through a BFV context over the same primes). Owns SEAL objects: dispose it.
 */
export class NttHelper {
  private readonly ctx: CkksContext;
  private readonly bfv: SEALContext;
  private readonly evaluator: Evaluator;
  private readonly keyParmsId: readonly bigint[];
  private readonly plainModulus: bigint;
  readonly n: number;
  readonly primes: readonly bigint[];

  constructor(ctx: CkksContext) {
    this.ctx = ctx;
    const seal = ctx._seal;
    this.n = ctx.parameters.polyModulusDegree;
    this.primes = ctx._shape.primes[0] as readonly bigint[];
    const made = sealCall(seal, 'INVALID_PARAMETER', 'NTT helper', () => {
      const parms = new seal.EncryptionParameters(seal.SchemeType.bfv);
      try {
        parms.setPolyModulusDegree(this.n);
        const vec = new seal.VectorModulus();
        for (const p of this.primes) {
          const m = new seal.Modulus(p);
          vec.push_back(m);
          m.delete();
        }
        parms.setCoeffModulus(vec);
        vec.delete();
        // a plain modulus coprime to every prime and larger than any coefficient we transform
        let t: bigint | undefined;
        for (const bits of [59, 58, 57, 56]) {
          const m = seal.PlainModulus.Batching(this.n, bits);
          const v = m.value();
          m.delete();
          if (!this.primes.includes(v)) {
            t = v;
            break;
          }
        }
        if (t === undefined) throw new PrivaggError('INVALID_PARAMETER', 'no plain modulus');
        const tm = new seal.Modulus(t);
        parms.setPlainModulus(tm);
        tm.delete();
        const bfv = new seal.SEALContext(parms, false, seal.SecLevelType.none);
        return { bfv, t };
      } finally {
        parms.delete();
      }
    });
    this.bfv = made.bfv;
    this.plainModulus = made.t;
    if (!this.bfv.parametersSet()) {
      this.bfv.delete();
      throw new PrivaggError('INVALID_PARAMETER', 'NTT helper: SEAL rejected the BFV twin');
    }
    ctx._adopt(this.bfv);
    this.evaluator = ctx._adopt(new seal.Evaluator(this.bfv));
    const pid = this.bfv.keyParmsId();
    this.keyParmsId = [...(pid.values() as BigUint64Array)];
    pid.delete();
  }

  /** Transform non-negative coefficients (each < plain modulus / 2). */
  private transformNonNegative(coeffs: BigUint64Array): BigUint64Array {
    const seal = this.ctx._seal;
    const bytes = plaintextBytes([0n, 0n, 0n, 0n], coeffs, 1);
    const pt = new seal.Plaintext();
    const out = new seal.Plaintext();
    try {
      return sealCall(seal, 'INVALID_PARAMETER', 'NTT', () => {
        pt.loadFromArray(this.bfv, bytes);
        const kp = this.bfv.keyParmsId();
        try {
          this.evaluator.plainTransformToNtt(pt, kp, out);
        } finally {
          kp.delete();
        }
        return dataWords(out.saveToArray(seal.ComprModeType.none) as Uint8Array, PT_FIXED);
      });
    } finally {
      pt.delete();
      out.delete();
    }
  }

  /**
   * NTT of a polynomial with signed safe-integer coefficients (|c| < 2^53), at the key level
   * (all primes). Returns `k * N` words.
   */
  forward(coeffs: ArrayLike<number>): BigUint64Array {
    const n = this.n;
    if (coeffs.length !== n) throw new RangeError(`"coeffs" expected ${n} coefficients`);
    const pos = new BigUint64Array(n);
    const neg = new BigUint64Array(n);
    const half = this.plainModulus / 2n;
    for (let i = 0; i < n; i++) {
      const c = coeffs[i] as number;
      const b = BigInt(c);
      if (b >= half || -b >= half) throw new RangeError('"coeffs" too large for the NTT helper');
      if (c >= 0) pos[i] = b;
      else neg[i] = -b;
    }
    return polySub(this.transformNonNegative(pos), this.transformNonNegative(neg), this.primes, n);
  }

  /** @internal The BFV twin's key parms_id (for tests). */
  get twinParmsId(): readonly bigint[] {
    return this.keyParmsId;
  }

  /** Free the SEAL objects now (the context frees them otherwise). */
  dispose(): void {
    this.ctx._free(this.evaluator);
    this.ctx._free(this.bfv);
  }

  /** The context's shared helper, made on first use and freed with the context. */
  static of(ctx: CkksContext): NttHelper {
    const cached = ctx._cache.get('ntt');
    if (cached instanceof NttHelper) return cached;
    const helper = new NttHelper(ctx);
    ctx._cache.set('ntt', helper);
    return helper;
  }
}
