import { describe, expect, it } from 'vitest';
import { counterBlock, createKeystream, isPrivaggError, toHex } from '../../../src/core/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';

describe('createKeystream', () => {
  const key = new Uint8Array(32).map((_, i) => 255 - i);
  it('node, webcrypto and chained reads agree on a long AES stream', async () => {
    const node = createKeystream(key, { backend: 'node' });
    const web = createKeystream(key, { backend: 'webcrypto' });
    const a = node.fillWordsSync(new Uint32Array(100_003), 5);
    const b = await web.fillWords(new Uint32Array(100_003), 5);
    expect(a).toEqual(b);
    expect(web.syncAvailable).toBe(false);
    expect(() => web.fillWordsSync(new Uint32Array(4))).toThrow(/asynchronous/);
  });
  it('WebCrypto chunks past 4 MiB stay aligned with the stream', async () => {
    const node = createKeystream(key, { backend: 'node' });
    const web = createKeystream(key, { backend: 'webcrypto' });
    const n = (1 << 20) + 37; // words: 4 MiB + 148 bytes, crosses one WebCrypto chunk
    expect(await web.fillWords(new Uint32Array(n), 3)).toEqual(
      node.fillWordsSync(new Uint32Array(n), 3),
    );
  });
  it('chacha20 rejects offsets past 2^32 blocks and non-portable backends', () => {
    const ks = createKeystream(key, { algorithm: 'chacha20' });
    expect(() => ks.fillWordsSync(new Uint32Array(1), 2 ** 36)).toThrow(RangeError);
    ks.fillWordsSync(new Uint32Array(16), 2 ** 36 - 16);
    try {
      createKeystream(key, { algorithm: 'chacha20', backend: 'node' });
      expect.unreachable();
    } catch (e) {
      expect(isPrivaggError(e) && e.code === 'BACKEND_UNAVAILABLE').toBe(true);
    }
  });
  it('counterBlock adds with carry modulo 2^128', () => {
    const iv = new Uint8Array(16).fill(0xff);
    expect(toHex(counterBlock(iv, 1))).toBe('00'.repeat(16));
    const z = new Uint8Array(16);
    expect(toHex(counterBlock(z, 2 ** 40 + 5))).toBe(`${'00'.repeat(10)}010000000005`);
  });
  it('rejects hostile keys, nonces, options and offsets', () => {
    for (const { name, value } of HOSTILE_VALUES) {
      expect(() => createKeystream(value as Uint8Array), name).toThrow();
      if (value !== undefined)
        expect(() => createKeystream(key, { nonce: value as Uint8Array }), name).toThrow();
      const ks = createKeystream(key, { algorithm: 'chacha20' });
      if (value !== undefined)
        expect(() => ks.fillWordsSync(new Uint32Array(2), value as number), name).toThrow();
      expect(() => ks.fillWordsSync(value as Uint32Array), name).toThrow();
    }
    expect(() => createKeystream(key, { algorithm: 'rc4' as never })).toThrow(RangeError);
    expect(() => createKeystream(key, { extra: 1 } as never)).toThrow(TypeError);
    expect(() => createKeystream(key, { nonce: new Uint8Array(12) })).toThrow(RangeError);
  });
});
