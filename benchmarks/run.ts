/**
 * Benchmark runner: `npm run bench -- [part...] [--quick] [--out DIR] [workload flags]`, or
 * `npm run bench -- --compare a.json b.json`.
 *
 * The same suite as `privagg bench` (src/bench: primitive limits, workload comparison, scaling
 * curves), plus this checkout's module micro-suites and the peer libraries of
 * benchmarks/thirdparty. Module suites register in `suites`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResults, PeerRow } from '../src/bench/index.ts';
import { runBenchCli } from '../src/cli/bench.ts';
import { runApiBench } from './api.bench.ts';
import { runCoreBench } from './core.bench.ts';
import { runSharingCt } from './ct/sharing.ct.ts';
import { runDpBench } from './dp.bench.ts';
import { runHeBench } from './he.bench.ts';
import { runKernelsBench } from './kernels.bench.ts';
import { runSecaggBench } from './secagg.bench.ts';
import { runServiceBench } from './service.bench.ts';
import { runSharingBench, type SharingBenchRow } from './sharing.bench.ts';

const suites: Record<string, (quick: boolean) => unknown> = {
  core: runCoreBench,
  dp: runDpBench,
  sharing: runSharingBench,
  'sharing-ct': runSharingCt,
  secagg: runSecaggBench,
  he: runHeBench,
  kernels: runKernelsBench,
  api: runApiBench,
  service: runServiceBench,
};

const thirdparty = fileURLToPath(new URL('./thirdparty/node_modules/', import.meta.url));

/** Peer rows of the sharing suite: each peer's time beside privagg's on the same work. */
function sharingPeers(rows: readonly SharingBenchRow[]): PeerRow[] {
  return rows
    .filter((r) => r.impl !== 'privagg')
    .map((r) => ({
      part: 'sharing',
      work: r.work,
      op: r.op,
      peer: r.impl,
      privaggMs: r.ms / r.speedup,
      peerMs: r.ms,
      speedup: r.speedup,
    }));
}

async function runModules(
  selected: readonly string[],
  results: BenchResults,
  quick: boolean,
): Promise<BenchResults> {
  const modules: Record<string, { seconds: number; output: unknown }> = {};
  const peers: PeerRow[] = [];
  const installedBefore = existsSync(thirdparty);
  for (const name of selected) {
    // start each suite on a settled heap: the garbage an earlier suite leaves (the he suite's
    // is gigabytes) otherwise keeps V8's concurrent collector busy on a core, which the next
    // suite's worker threads need (measured: workers/cpu 1.29x after he, 1.95x after a gc)
    (globalThis as { gc?: () => void }).gc?.();
    console.log(`\n== module suite: ${name} ==`);
    const t0 = performance.now();
    const output = await suites[name]?.(quick);
    modules[name] = { seconds: (performance.now() - t0) / 1000, output };
    if (name === 'sharing') peers.push(...sharingPeers(output as SharingBenchRow[]));
  }
  const installed = existsSync(thirdparty);
  const note = !selected.includes('sharing')
    ? 'peer comparisons come from the sharing suite, which did not run'
    : installed
      ? `peer libraries from benchmarks/thirdparty${installedBefore ? '' : ' (installed by this run)'}: shamir-secret-sharing, secrets.js-grempe (sharing); the he suite compares with raw node-seal in its own output`
      : 'benchmarks/thirdparty is not installed (npm install --prefix benchmarks/thirdparty): no peer comparison in this run';
  return { ...results, modules, peers: { installed, note, rows: peers } };
}

try {
  process.exitCode = await runBenchCli(process.argv.slice(2), (line) => console.log(line), {
    parts: Object.keys(suites),
    run: runModules,
  });
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exitCode = 2;
}
