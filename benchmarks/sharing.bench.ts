/**
 * Sharing benchmark: privagg/sharing against the npm anchors `shamir-secret-sharing` and
 * `secrets.js-grempe` (both GF(2^8)), on the same work, measured in one run:
 * - split and combine of a 32-byte secret with n = 100, t = 51;
 * - split and combine of a 1 MiB secret with n = 10, t = 6;
 * - vector sharing of d = 1e6 field elements among n = 10 with t = 6 (the peers share the same
 *   4 MB as bytes), and reconstruction from 6 shares.
 * Each row prints time per operation and the speedup privagg/peer (peer time / privagg time;
 * target >= 10x over the faster peer on 1 MiB and vectors, >= 1x on 32 bytes), plus the CSPRNG
 * floor: the time to draw the random coefficients alone.
 *
 * Peers live in benchmarks/thirdparty (own package.json), installed on first use.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { randomBytes } from '../src/core/index.ts';
import {
  combine,
  FIELD_MODULUS,
  shamirReconstruct,
  shamirShare,
  split,
} from '../src/sharing/index.ts';
import { table } from './_shared.ts';

type Bytes = Uint8Array;
interface Peers {
  sss?: {
    split(secret: Bytes, shares: number, threshold: number): Promise<Bytes[]>;
    combine(shares: Bytes[]): Promise<Bytes>;
  };
  grempe?: {
    share(secretHex: string, shares: number, threshold: number): string[];
    combine(shares: string[]): string;
  };
}

const thirdparty = fileURLToPath(new URL('./thirdparty/', import.meta.url));

async function loadPeers(): Promise<Peers> {
  if (!existsSync(`${thirdparty}node_modules/shamir-secret-sharing`)) {
    console.log(`installing peer libraries: npm install --prefix ${thirdparty}`);
    try {
      execFileSync('npm', ['install', '--prefix', thirdparty, '--no-audit', '--no-fund'], {
        stdio: 'inherit',
      });
    } catch (e) {
      console.log(`could not install peers (${String(e)}); comparing against none`);
    }
  }
  const peers: Peers = {};
  try {
    peers.sss = (await import(
      `${thirdparty}node_modules/shamir-secret-sharing/esm/index.js`
    )) as NonNullable<Peers['sss']>;
  } catch {
    console.log('shamir-secret-sharing not available');
  }
  try {
    peers.grempe = createRequire(thirdparty)('secrets.js-grempe') as NonNullable<Peers['grempe']>;
  } catch {
    console.log('secrets.js-grempe not available');
  }
  return peers;
}

/** Median milliseconds of `fn` over `repeats` runs after one warm-up run. */
async function timeMs(fn: () => unknown, repeats: number, minMs = 0): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    do {
      await fn();
      calls++;
      now = performance.now();
    } while (now - start < minMs);
    samples.push((now - start) / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

function toHex(b: Bytes): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export interface SharingBenchRow {
  work: string;
  op: string;
  impl: string;
  ms: number;
  speedup: number;
  note: string;
}

export async function runSharingBench(quick = false): Promise<SharingBenchRow[]> {
  const peers = await loadPeers();
  const rows: SharingBenchRow[] = [];
  const repeats = quick ? 3 : 5;
  const add = (work: string, op: string, impl: string, ms: number, base: number, note = '') =>
    rows.push({ work, op, impl, ms, speedup: ms / base, note });

  // 1. 32-byte secret, n = 100, t = 51
  {
    const secret = randomBytes(32);
    const n = 100;
    const t = 51;
    const minMs = quick ? 50 : 200;
    const ours = split(secret, { threshold: t, shares: n });
    const oSplit = await timeMs(() => split(secret, { threshold: t, shares: n }), repeats, minMs);
    const oComb = await timeMs(() => combine(ours.slice(0, t)), repeats, minMs);
    add('32 B, n=100 t=51', 'split', 'privagg', oSplit, oSplit);
    add('32 B, n=100 t=51', 'combine', 'privagg', oComb, oComb);
    if (peers.sss) {
      const sss = peers.sss;
      const theirs = await sss.split(secret, n, t);
      add(
        '32 B, n=100 t=51',
        'split',
        'shamir-secret-sharing',
        await timeMs(() => sss.split(secret, n, t), repeats, minMs),
        oSplit,
      );
      add(
        '32 B, n=100 t=51',
        'combine',
        'shamir-secret-sharing',
        await timeMs(() => sss.combine(theirs.slice(0, t)), repeats, minMs),
        oComb,
      );
    }
    if (peers.grempe) {
      const g = peers.grempe;
      const hex = toHex(secret);
      const theirs = g.share(hex, n, t);
      add(
        '32 B, n=100 t=51',
        'split',
        'secrets.js-grempe',
        await timeMs(() => g.share(hex, n, t), repeats, minMs),
        oSplit,
        'hex in/out',
      );
      add(
        '32 B, n=100 t=51',
        'combine',
        'secrets.js-grempe',
        await timeMs(() => g.combine(theirs.slice(0, t)), repeats, minMs),
        oComb,
        'hex in/out',
      );
    }
  }

  // 2. 1 MiB secret and 3. a vector of 1e6 elements (4 MB as bytes for the peers), n = 10, t = 6
  const n = 10;
  const t = 6;
  const mib = randomBytes(1 << 20);
  const vector = new Uint32Array(1_000_000);
  for (let i = 0; i < vector.length; i++) vector[i] = (i * 2654435761) % FIELD_MODULUS;
  const vectorBytes = new Uint8Array(vector.buffer);
  const big = [
    {
      work: '1 MiB, n=10 t=6',
      bytes: mib,
      oursSplit: () => split(mib, { threshold: t, shares: n }),
      oursCombine: (() => {
        const s = split(mib, { threshold: t, shares: n });
        return () => combine(s.slice(0, t));
      })(),
      // coefficients: ceil(8 * 2^20 / 30) elements x (t - 1) words
      rngBytes: 4 * (t - 1) * Math.ceil((8 << 20) / 30),
    },
    {
      work: 'vector d=1e6, n=10 t=6',
      bytes: vectorBytes,
      oursSplit: () => shamirShare(vector, { threshold: t, shares: n }),
      oursCombine: (() => {
        const s = shamirShare(vector, { threshold: t, shares: n });
        return () => shamirReconstruct(s.slice(0, t), { threshold: t });
      })(),
      rngBytes: 4 * (t - 1) * vector.length,
    },
  ];
  for (const w of big) {
    const oSplit = await timeMs(w.oursSplit, repeats);
    const oComb = await timeMs(w.oursCombine, repeats);
    const floorBuf = new Uint8Array(w.rngBytes);
    const floor = await timeMs(() => randomBytes.fill?.(floorBuf), repeats);
    add(w.work, 'split', 'privagg', oSplit, oSplit, `CSPRNG floor ${floor.toFixed(1)} ms`);
    add(w.work, 'combine', 'privagg', oComb, oComb);
    const peerRepeats = quick ? 1 : 2;
    if (peers.sss) {
      const sss = peers.sss;
      // quick mode: a quarter of the input, scaled (both peers are linear in the secret length)
      const part = quick ? w.bytes.subarray(0, w.bytes.length >> 2) : w.bytes;
      const scale = w.bytes.length / part.length;
      const theirs = await sss.split(part, n, t);
      const note = scale === 1 ? '' : `measured on ${part.length} B, scaled x${scale}`;
      add(
        w.work,
        'split',
        'shamir-secret-sharing',
        scale * (await timeMs(() => sss.split(part, n, t), peerRepeats)),
        oSplit,
        note,
      );
      add(
        w.work,
        'combine',
        'shamir-secret-sharing',
        scale * (await timeMs(() => sss.combine(theirs.slice(0, t)), peerRepeats)),
        oComb,
        note,
      );
    }
    if (peers.grempe) {
      const g = peers.grempe;
      // secrets.js works on hex strings at about 20 KiB/s: measured on a slice and scaled
      const part = w.bytes.subarray(0, quick ? 16384 : 65536);
      const scale = w.bytes.length / part.length;
      const hex = toHex(part);
      const theirs = g.share(hex, n, t);
      const note = `hex in/out; measured on ${part.length} B, scaled x${scale}`;
      add(
        w.work,
        'split',
        'secrets.js-grempe',
        scale * (await timeMs(() => g.share(hex, n, t), 1)),
        oSplit,
        note,
      );
      add(
        w.work,
        'combine',
        'secrets.js-grempe',
        scale * (await timeMs(() => g.combine(theirs.slice(0, t)), 1)),
        oComb,
        note,
      );
    }
  }

  table(
    ['work', 'op', 'implementation', 'time/op', 'speedup privagg/peer', 'note'],
    rows.map((r) => [
      r.work,
      r.op,
      r.impl,
      r.ms >= 100 ? `${r.ms.toFixed(0)} ms` : `${r.ms.toFixed(3)} ms`,
      r.impl === 'privagg' ? '' : `${r.speedup.toFixed(1)}x`,
      r.note,
    ]),
  );
  // verdict against the targets, versus the faster peer of each row
  console.log('\ntargets: >= 10x the faster peer on 1 MiB and vectors, >= 1x on 32 B');
  for (const work of [...new Set(rows.map((r) => r.work))])
    for (const op of ['split', 'combine']) {
      const peerRows = rows.filter((r) => r.work === work && r.op === op && r.impl !== 'privagg');
      if (peerRows.length === 0) continue;
      const best = Math.min(...peerRows.map((r) => r.speedup));
      const target = work.startsWith('32 B') ? 1 : 10;
      console.log(
        `${work} ${op}: ${best.toFixed(1)}x the faster peer (${best >= target ? 'meets' : 'MISSES'} ${target}x)`,
      );
    }
  return rows;
}
