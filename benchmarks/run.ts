/**
 * Benchmark runner: `npm run bench -- [module] [--quick] [--json file]`.
 * Modules register here as they land.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { machine } from './_shared.ts';
import { runApiBench } from './api.bench.ts';
import { runCoreBench } from './core.bench.ts';
import { runDpBench } from './dp.bench.ts';
import { runSharingCt } from './ct/sharing.ct.ts';
import { runHeBench } from './he.bench.ts';
import { runKernelsBench } from './kernels.bench.ts';
import { runSecaggBench } from './secagg.bench.ts';
import { runServiceBench } from './service.bench.ts';
import { runSharingBench } from './sharing.bench.ts';

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

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean' }, json: { type: 'string' } },
});
const selected = positionals.length > 0 ? positionals : Object.keys(suites);
for (const name of selected) {
  if (!(name in suites)) {
    console.error(`unknown benchmark '${name}'; available: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
}
console.log(`privagg benchmarks on ${machine()}`);
const results: Record<string, unknown> = { machine: machine(), date: new Date().toISOString() };
for (const name of selected) {
  console.log(`\n== ${name} ==`);
  results[name] = await suites[name]?.(values.quick ?? false);
}
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
