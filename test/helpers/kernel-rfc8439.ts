/**
 * RFC 8439 ChaCha20 known answers (sections 2.3.2 and 2.4.2, the JSON shared with the core tests)
 * through `expandStream` and `addStream` of a backend.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, wordsToBytesLE } from '../../src/core/index.ts';
import type { KernelBackend } from '../../src/kernels/index.ts';

const v = JSON.parse(
  readFileSync(new URL('../vectors/core/chacha20-rfc8439.json', import.meta.url), 'utf8'),
) as {
  block: { key: string; nonce: string; counter: number; serialized: string };
  encryption: {
    key: string;
    nonce: string;
    counter: number;
    plaintextUtf8: string;
    ciphertext: string;
  };
};

/** Register the RFC 8439 known-answer tests for one backend (made lazily). */
export function rfc8439Suite(name: string, get: () => KernelBackend): void {
  describe(`RFC 8439 ChaCha20 on ${name}`, () => {
    let backend: KernelBackend;
    beforeAll(() => {
      backend = get();
    });
    it('2.3.2 block function: words 16..31 of the stream are block 1', async () => {
      const out = await backend.expandStream(
        {
          key: fromHex(v.block.key),
          nonce: fromHex(v.block.nonce),
          wordOffset: 16 * v.block.counter,
        },
        new Uint32Array(16),
      );
      expect(toHex(wordsToBytesLE(out))).toBe(v.block.serialized);
    });
    it('2.4.2 encryption: keystream from block 1 XOR plaintext gives the ciphertext', async () => {
      const pt = new TextEncoder().encode(v.encryption.plaintextUtf8);
      const words = Math.ceil(pt.length / 4);
      const ks = wordsToBytesLE(
        await backend.expandStream(
          {
            key: fromHex(v.encryption.key),
            nonce: fromHex(v.encryption.nonce),
            wordOffset: 16 * v.encryption.counter,
          },
          new Uint32Array(words),
        ),
      );
      const ct = pt.map((b, i) => b ^ (ks[i] as number));
      expect(toHex(ct)).toBe(v.encryption.ciphertext);
    });
    it('2.4.2 via addStream with k = 32: mask = keystream words, removable', async () => {
      const stream = {
        key: fromHex(v.encryption.key),
        nonce: fromHex(v.encryption.nonce),
        wordOffset: 16,
      };
      const ks = await backend.expandStream(stream, new Uint32Array(29));
      const zero = new Uint32Array(29);
      const masked = await backend.addStream(32, zero, stream, new Uint32Array(29));
      expect(masked).toEqual(ks);
      const back = await backend.addStream(32, masked, stream, new Uint32Array(29), true);
      expect(back).toEqual(zero);
    });
  });
}
