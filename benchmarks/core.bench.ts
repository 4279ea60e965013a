/**
 * Core benchmark: CSPRNG bytes/s through the Rng versus raw crypto.getRandomValues, and keystream
 * 32-bit words/s versus raw node:crypto AES-256-CTR on the same buffer sizes. Ratios are
 * raw / ours (1.00 = as fast as the primitive; target <= 1.3).
 */
import { createCipheriv } from 'node:crypto';
import { createKeystream } from '../src/core/keystream.ts';
import { randomBytes } from '../src/core/random.ts';
import { compare, fmtBytes, fmtRate, table } from './_shared.ts';

export interface CoreBenchRow {
  what: string;
  size: number;
  ours: number;
  raw: number;
  ratio: number;
  spread: number;
}

export function runCoreBench(quick = false): CoreBenchRow[] {
  const ms = quick ? 60 : 200;
  const repeats = quick ? 3 : 5;
  const rows: CoreBenchRow[] = [];

  console.log(
    '\nCSPRNG bytes/s: randomBytes(n) (fresh array) vs raw getRandomValues into a fresh array; randomBytes.fill(buf) vs raw into a reused buffer (64 KiB per call)',
  );
  for (const size of [32, 4096, 65536, 1 << 20]) {
    const buf = new Uint8Array(size);
    const r = compare(
      {
        'randomBytes(n)': { fn: () => randomBytes(size), units: size },
        'randomBytes.fill(buf)': { fn: () => randomBytes.fill?.(buf), units: size },
        raw: {
          fn: () => {
            for (let i = 0; i < size; i += 65536)
              crypto.getRandomValues(buf.subarray(i, i + 65536));
          },
          units: size,
        },
        'raw fresh': {
          fn: () => {
            const fresh = new Uint8Array(size);
            for (let i = 0; i < size; i += 65536)
              crypto.getRandomValues(fresh.subarray(i, i + 65536));
          },
          units: size,
        },
      },
      { ms, repeats },
    );
    // a fresh array is compared with raw getRandomValues into a fresh array, a caller buffer with a reused one
    for (const [name, base] of [
      ['randomBytes(n)', 'raw fresh'],
      ['randomBytes.fill(buf)', 'raw'],
    ] as const) {
      const m = r[name];
      const b = r[base];
      if (m === undefined || b === undefined) continue;
      rows.push({
        what: `csprng ${name} vs ${base === 'raw' ? 'reused' : 'fresh'}`,
        size,
        ours: m.median,
        raw: b.median,
        ratio: b.median / m.median,
        spread: Math.max(m.spread, b.spread),
      });
    }
  }

  console.log(
    'Keystream: createKeystream fillWordsSync vs raw node:crypto AES-256-CTR update, 32-bit words/s',
  );
  const key = randomBytes(32);
  const iv = new Uint8Array(16);
  const aes = createKeystream(key, { backend: 'node' });
  const chacha = createKeystream(key, { algorithm: 'chacha20' });
  for (const size of [4096, 65536, 1 << 20, 1 << 24]) {
    const words = size / 4;
    const out = new Uint32Array(words);
    const zeros = new Uint8Array(size);
    const r = compare(
      {
        'aes-256-ctr (node)': { fn: () => aes.fillWordsSync(out, 12345), units: words },
        raw: { fn: () => createCipheriv('aes-256-ctr', key, iv).update(zeros), units: words },
        'chacha20 (portable)': { fn: () => chacha.fillWordsSync(out, 12345), units: words },
      },
      { ms: size >= 1 << 24 ? ms * 2 : ms, repeats },
    );
    const raw = r.raw?.median ?? 0;
    for (const name of ['aes-256-ctr (node)', 'chacha20 (portable)']) {
      const m = r[name];
      if (m === undefined) continue;
      rows.push({
        what: `keystream ${name}`,
        size,
        ours: m.median,
        raw,
        ratio: raw / m.median,
        spread: Math.max(m.spread, r.raw?.spread ?? 0),
      });
    }
  }

  table(
    ['what', 'buffer', 'ours', 'raw limit', 'raw/ours', 'spread'],
    rows.map((row) => [
      row.what,
      fmtBytes(row.size),
      fmtRate(row.ours, row.what.startsWith('csprng') ? 'B' : 'word'),
      fmtRate(row.raw, row.what.startsWith('csprng') ? 'B' : 'word'),
      `${row.ratio.toFixed(2)}x${row.what.includes('chacha') ? '' : row.ratio <= 1.3 ? ' (ok)' : ' (over 1.3x target)'}`,
      `${(row.spread * 100).toFixed(0)}%`,
    ]),
  );
  return rows;
}
