#!/usr/bin/env node
/**
 * The `privagg` command line.
 * @module
 * @internal
 */
import { parseArgs } from 'node:util';
import { VERSION } from '../version.ts';
import { BENCH_HELP, runBenchCli } from './bench.ts';
import { formatDoctor, runDoctor } from './doctor.ts';
import { DEMO_DEFAULTS, type DemoOptions, runDemo } from './simulate.ts';

const HELP = `privagg ${VERSION}: private aggregation for federated learning

Usage:
  privagg simulate [options]  the main job: federated training of a spam filter on the
                              SpamAssassin corpus across simulated clients, with secure
                              aggregation and distributed DP, next to a non-private baseline
      --clients N             simulated clients (default ${DEMO_DEFAULTS.clients})
      --rounds N              federated rounds (default ${DEMO_DEFAULTS.rounds})
      --dimension N           hashed features (default ${DEMO_DEFAULTS.dimension})
      --epsilon X --delta X   privacy target over all rounds (default ${DEMO_DEFAULTS.epsilon}, ${DEMO_DEFAULTS.delta})
      --protection KIND       secagg+ | secagg | shamir | none (default ${DEMO_DEFAULTS.protection})
      --privacy KIND          distributed-dp | central-dp | none (default ${DEMO_DEFAULTS.privacy})
      --clip X                L2 clip of each client's update (default ${DEMO_DEFAULTS.clip})
      --dropout X             fraction of clients dropping each round (default ${DEMO_DEFAULTS.dropout})
      --out DIR               where results.json and accuracy.svg go (default ${DEMO_DEFAULTS.out})
      --seed HEX              reproducible run (test randomness; never for real deployments)
  privagg doctor [--json]     report the Node version, whether node-seal loads, and which
                              kernel backends are usable, with a fix for each that is not
${BENCH_HELP}
  privagg --version         print the version
  privagg --help            print this help

More subcommands (serve, join, account) arrive with their modules.`;

async function main(argv: string[]): Promise<number> {
  // bench has its own options (parsed in ./bench.ts)
  if (argv[0] === 'bench') return runBenchCli(argv.slice(1), (line) => console.log(line));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      json: { type: 'boolean' },
      clients: { type: 'string' },
      rounds: { type: 'string' },
      dimension: { type: 'string' },
      epsilon: { type: 'string' },
      delta: { type: 'string' },
      protection: { type: 'string' },
      privacy: { type: 'string' },
      clip: { type: 'string' },
      dropout: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    console.log(HELP);
    return command === undefined && !values.help ? 1 : 0;
  }
  if (command === 'doctor') {
    if (rest.length > 0) throw new TypeError(`doctor takes no arguments, got: ${rest.join(' ')}`);
    const checks = await runDoctor();
    console.log(values.json ? JSON.stringify(checks, null, 2) : formatDoctor(checks));
    return checks.some((c) => c.required && !c.ok) ? 1 : 0;
  }
  if (command === 'simulate') {
    if (rest.length > 0) throw new TypeError(`simulate takes options only, got: ${rest.join(' ')}`);
    const num = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const x = Number(v);
      if (!Number.isFinite(x)) throw new RangeError(`--${name} expected a number, got ${v}`);
      return x;
    };
    const partial: Partial<DemoOptions> = {};
    const set = <K extends keyof DemoOptions>(k: K, v: DemoOptions[K] | undefined): void => {
      if (v !== undefined) partial[k] = v;
    };
    set('clients', num('clients', values.clients));
    set('rounds', num('rounds', values.rounds));
    set('dimension', num('dimension', values.dimension));
    set('epsilon', num('epsilon', values.epsilon));
    set('delta', num('delta', values.delta));
    set('clip', num('clip', values.clip));
    set('dropout', num('dropout', values.dropout));
    set('protection', values.protection as DemoOptions['protection'] | undefined);
    set('privacy', values.privacy as DemoOptions['privacy'] | undefined);
    set('out', values.out);
    set('seed', values.seed);
    const report = await runDemo(partial, (line) => console.log(line));
    if (values.json) console.log(JSON.stringify(report.final));
    return 0;
  }
  console.error(`privagg: unknown command '${command}'\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`privagg: ${(e as Error).message}`);
    process.exitCode = 2;
  },
);
