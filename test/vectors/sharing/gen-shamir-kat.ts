/**
 * Generates shamir-kat.json: known answers for `split` with an injected Rng, computed with the
 * BigInt reference (test/helpers/sharing-reference.ts) and the version-1 share layout written
 * out here by hand (not with the library's encoder), so the vectors pin the encoding
 * independently. Run: npx node test/vectors/sharing/gen-shamir-kat.ts > test/vectors/sharing/shamir-kat.json
 */
import { deterministicRngForTesting } from '../../../src/index.ts';
import { refShare } from '../../helpers/sharing-reference.ts';

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

function u32le(x: number): number[] {
  return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
}

/** 30-bit little-endian packing, bit by bit from its definition. */
function pack(bytes: Uint8Array): bigint[] {
  const count = Math.ceil((8 * bytes.length) / 30);
  const out: bigint[] = new Array(count).fill(0n);
  for (let bit = 0; bit < 8 * bytes.length; bit++) {
    const on = ((bytes[bit >> 3] as number) >> (bit & 7)) & 1;
    if (on) out[Math.floor(bit / 30)] = (out[Math.floor(bit / 30)] as bigint) | (1n << BigInt(bit % 30));
  }
  return out;
}

const cases = [
  { name: '32-byte key, 2 of 3', secret: Uint8Array.from({ length: 32 }, (_, i) => i), threshold: 2, shares: 3, seed: 1 },
  { name: '1 byte, 3 of 5', secret: Uint8Array.of(0xff), threshold: 3, shares: 5, seed: 2 },
  { name: '15 bytes (one packing group), 4 of 4', secret: new Uint8Array(15).fill(0xa5), threshold: 4, shares: 4, seed: 3 },
  { name: 'ascii, 5 of 7', secret: new TextEncoder().encode('privagg known answer'), threshold: 5, shares: 7, seed: 4 },
];

const vectors = cases.map((c) => {
  const seed = new Uint8Array(32).fill(c.seed);
  const rng = deterministicRngForTesting(seed);
  const splitId = rng(16);
  const indices = Array.from({ length: c.shares }, (_, i) => i + 1);
  const values = refShare(pack(c.secret), c.threshold, indices, rng);
  const shares = indices.map((index, s) => {
    const limbs = values[s] as bigint[];
    return hex(
      Uint8Array.from([
        0x50, 0x41, 1, 0x21, 1,
        ...splitId,
        ...u32le(c.threshold),
        ...u32le(index),
        ...u32le(c.secret.length),
        ...u32le(limbs.length),
        ...limbs.flatMap((l) => u32le(Number(l))),
      ]),
    );
  });
  return { name: c.name, seedHex: hex(seed), secretHex: hex(c.secret), threshold: c.threshold, shares: c.shares, expected: shares };
});

console.log(
  JSON.stringify(
    {
      source:
        'privagg test/vectors/sharing/gen-shamir-kat.ts: BigInt reference Shamir over GF(2^31 - 1) (test/helpers/sharing-reference.ts) with the version-1 share layout of src/sharing/split.ts written by hand; rng = deterministicRngForTesting(seed), the RFC 8439 ChaCha20 keystream with a zero nonce',
      vectors,
    },
    null,
    2,
  ),
);
