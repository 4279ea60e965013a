/**
 * DP benchmark: exact samplers in samples/s against the raw CSPRNG rate of 32-bit words and a
 * naive (unsafe, floating-point) Box-Muller Gaussian in JavaScript on the same CSPRNG, measured
 * in the same run; the time to noise a 1e6-parameter update; RDP and PLD accounting time.
 */
import { randomBytes } from '../src/core/random.ts';
import {
  PldAccountant,
  RdpAccountant,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  samplePoisson,
  sampleSkellam,
} from '../src/dp/index.ts';
import { compare, fmtRate, table } from './_shared.ts';

export interface DpBenchRow {
  what: string;
  rate: number;
  vsWords: number;
  vsBoxMuller: number;
  spread: number;
}

/** Naive Box-Muller on CSPRNG words: the unsafe baseline (Mironov 2012 attacks it). */
function boxMuller(out: Float64Array, sigma: number): void {
  const w = new Uint32Array(out.length + (out.length & 1));
  crypto.getRandomValues(w);
  for (let i = 0; i < out.length; i += 2) {
    const u1 = ((w[i] as number) + 1) / 4294967297;
    const u2 = (w[i + 1] as number) / 4294967296;
    const r = sigma * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}

export function runDpBench(quick = false): DpBenchRow[] {
  const ms = quick ? 80 : 250;
  const repeats = quick ? 3 : 5;
  const n = 16384; // one call = 64 KiB of words for the raw rate (getRandomValues' quota)
  const words = new Uint32Array(n);
  const bm = new Float64Array(n);
  const cases: Record<string, { fn: () => unknown; units: number }> = {
    'raw CSPRNG 32-bit words': { fn: () => crypto.getRandomValues(words), units: n },
    'naive Box-Muller (unsafe)': { fn: () => boxMuller(bm, 10), units: n },
    'discrete Gaussian sigma=1': { fn: () => sampleDiscreteGaussian(1, n), units: n },
    'discrete Gaussian sigma=10': { fn: () => sampleDiscreteGaussian(100, n), units: n },
    'discrete Gaussian sigma=1000': { fn: () => sampleDiscreteGaussian(1e6, n), units: n },
    'discrete Laplace scale=10': { fn: () => sampleDiscreteLaplace(10, n), units: n },
    'Poisson lambda=50': { fn: () => samplePoisson(50, n), units: n },
    'Skellam mu=50 (variance 100)': { fn: () => sampleSkellam(50, n), units: n },
  };
  console.log(
    `\nExact samplers (default CSPRNG), ${n} samples per call; ratios are to the raw word rate and to naive Box-Muller in the same run`,
  );
  const r = compare(cases, { ms, repeats });
  const raw = r['raw CSPRNG 32-bit words']?.median ?? Number.NaN;
  const bmRate = r['naive Box-Muller (unsafe)']?.median ?? Number.NaN;
  const rows: DpBenchRow[] = [];
  for (const [what, m] of Object.entries(r)) {
    if (what.startsWith('raw')) continue;
    rows.push({
      what,
      rate: m.median,
      vsWords: m.median / raw,
      vsBoxMuller: m.median / bmRate,
      spread: m.spread,
    });
  }
  table(
    ['sampler', 'samples/s', 'x raw words/s', 'x Box-Muller', 'spread'],
    [
      ['raw CSPRNG 32-bit words', fmtRate(raw, 'word'), '1.00', '', ''],
      ...rows.map((row) => [
        row.what,
        fmtRate(row.rate, 'sample'),
        row.vsWords.toFixed(3),
        row.vsBoxMuller.toFixed(2),
        `${(row.spread * 100).toFixed(0)}%`,
      ]),
    ],
  );
  const dg = rows.find((x) => x.what === 'discrete Gaussian sigma=10');
  if (dg !== undefined)
    console.log(
      `discrete Gaussian target 5 M samples/s: ${dg.rate >= 5e6 ? 'met' : 'NOT met'} (${(dg.rate / 1e6).toFixed(2)} M/s at sigma=10)`,
    );

  // a 1e6-parameter update
  const times: number[] = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const t0 = performance.now();
    sampleDiscreteGaussian(1e4, 1_000_000, randomBytes);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  console.log(
    `noise for a 1e6-parameter update (discrete Gaussian sigma=100): ${median.toFixed(1)} ms median (target < 250 ms)`,
  );

  // RDP accounting: 10,000 steps of the Poisson-subsampled Gaussian over the 151 default orders,
  // a fresh accountant and a new noise multiplier each time (nothing cached)
  const rdpTimes: number[] = [];
  for (let i = 0; i < (quick ? 5 : 15); i++) {
    const t0 = performance.now();
    new RdpAccountant()
      .subsampledGaussian({ noiseMultiplier: 1.1 + i * 0.01, samplingRate: 0.01, steps: 10_000 })
      .epsilon(1e-5);
    rdpTimes.push(performance.now() - t0);
  }
  const first = rdpTimes[0] as number;
  rdpTimes.sort((a, b) => a - b);
  console.log(
    `RDP accounting of 10,000 subsampled Gaussian steps (151 orders): ${(rdpTimes[Math.floor(rdpTimes.length / 2)] as number).toFixed(2)} ms median, ${first.toFixed(2)} ms first call incl. JIT warm-up (target < 5 ms)`,
  );
  const pldTimes: number[] = [];
  let pldEps = 0;
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const t0 = performance.now();
    pldEps = new PldAccountant()
      .subsampledGaussian({ noiseMultiplier: 1 + i * 0.01, samplingRate: 0.01, steps: 1000 })
      .epsilon(1e-5);
    pldTimes.push(performance.now() - t0);
  }
  pldTimes.sort((a, b) => a - b);
  const rdpEps = new RdpAccountant()
    .subsampledGaussian({ noiseMultiplier: 1.02, samplingRate: 0.01, steps: 1000 })
    .epsilon(1e-5).epsilon;
  console.log(
    `PLD composition of 1,000 subsampled Gaussian steps (grid 1e-4) with epsilon at delta 1e-5: ${(pldTimes[Math.floor(pldTimes.length / 2)] as number).toFixed(0)} ms median (target < 2000 ms); epsilon PLD ${pldEps.toFixed(4)} vs RDP ${rdpEps.toFixed(4)} (noise 1.02, rate 0.01)`,
  );
  return rows;
}
