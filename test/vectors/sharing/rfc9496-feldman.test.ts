/**
 * Feldman commitments pinned by RFC 9496 Appendix A.1: with secret s and coefficient a_1 chosen
 * small (through an injected Rng), the commitments are exactly the published encodings of s*B and
 * a_1*B, and share i carries s + a_1 i.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Rng } from '../../../src/index.ts';
import { vssDeal, vssReconstruct, vssVerify } from '../../../src/sharing/index.ts';

const { source, multiples } = JSON.parse(
  readFileSync(new URL('./rfc9496-multiples.json', import.meta.url), 'utf8'),
) as { source: string; multiples: string[] };

function toHex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** An Rng whose 32-byte draws read (big-endian, as the rejection sampler does) as `value`. */
function scalarRng(value: number): Rng {
  return (n: number) => {
    const out = new Uint8Array(n);
    out[n - 1] = value;
    return out;
  };
}

describe('RFC 9496 A.1 ristretto255 multiples as Feldman commitments', () => {
  it('cites its source', () => expect(source).toMatch(/RFC 9496/));
  for (let s = 0; s < 16; s++)
    it(`secret ${s}, a_1 = ${15 - s}`, () => {
      const a1 = 15 - s;
      const { shares, commitments } = vssDeal(
        BigInt(s),
        { threshold: 2, shares: 3, scheme: 'feldman' },
        scalarRng(a1),
      );
      // header "PA" 1 0x22, scheme 1, threshold 2, then C_0 = sB and C_1 = a_1 B
      expect(toHex(commitments)).toBe(`5041012201${'02000000'}${multiples[s]}${multiples[a1]}`);
      for (const [i, share] of shares.entries()) {
        expect(vssVerify(share, commitments)).toBe(true);
        // share layout: "PA" 1 0x23, scheme 1, index u32, value 32 bytes little-endian
        expect(share[9]).toBe(s + a1 * (i + 1));
      }
      expect(vssReconstruct(shares.slice(1), commitments).secret).toBe(BigInt(s));
    });
});

describe('Pedersen generator H', () => {
  it('is hash_to_ristretto255 (RFC 9380) of "privagg/sharing/pedersen/H" under the documented DST', async () => {
    const { ristretto255_hasher } = await import('@noble/curves/ed25519.js');
    const h = ristretto255_hasher.hashToCurve(
      new TextEncoder().encode('privagg/sharing/pedersen/H'),
      {
        DST: 'privagg-v1-ristretto255-pedersen-generator',
      },
    );
    // secret 0 with blinding b_0 = 1 commits to exactly H
    const { commitments } = vssDeal(
      0n,
      { threshold: 1, shares: 1, scheme: 'pedersen' },
      scalarRng(1),
    );
    expect(toHex(commitments)).toBe(`5041012202${'01000000'}${toHex(h.toBytes())}`);
    // and H is neither the identity nor a small multiple of B
    expect(multiples).not.toContain(toHex(h.toBytes()));
  });
});
