#!/usr/bin/env node
/**
 * The `privagg` command line.
 * @module
 * @internal
 */
import { readFileSync } from 'node:fs';
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
      --protection KIND       secagg+ | secagg | shamir | ckks | none (default ${DEMO_DEFAULTS.protection})
      --privacy KIND          distributed-dp | central-dp | local-dp | none (default ${DEMO_DEFAULTS.privacy})
      --clip X                L2 clip of each client's update (default ${DEMO_DEFAULTS.clip})
      --dropout X             fraction of clients dropping each round (default ${DEMO_DEFAULTS.dropout})
      --out DIR               where results.json and accuracy.svg go (default ${DEMO_DEFAULTS.out})
      --seed HEX              reproducible run (test randomness; never for real deployments)
  privagg serve --config plan.json [--port N] [--rounds N] [--results FILE]
                              run rounds of a plan as a WebSocket server: the config holds
                              "plan" (the aggregation config), and optionally host, port,
                              path, identityFile (created when missing), clients (registered
                              public keys in hex by client id), tokenIssuers, tls {keyFile,
                              certFile}, rounds, waitForClientsMs, stageTimeoutMs, results
                              (a JSON-lines file of round results), metricsPath, kernels
                              (auto, cpu, workers, webgpu or gpujs: the backend of the
                              server's bulk arithmetic, self-tested), and redis
                              {url, prefix, coordinatorId, cohortSize, joinMs, submitMs} to
                              share rounds with other coordinators (scale-out); progress goes
                              to stdout, structured logs (pino) to stderr
  privagg join --server URL --server-key HEX --client-id ID --key FILE --config plan.json
               --vector FILE [--token HEX] [--weight X] [--rounds N] [--ca FILE]
                              join a server's rounds and contribute the vector (a JSON array)
  privagg keygen --out FILE   write a new Ed25519 secret key (hex) and print its public key
  privagg token --key FILE --client-id ID --public-key HEX [--expires-in SECONDS]
                              issue a client token signed with the key in FILE
  privagg doctor [--json]     report the Node version, whether node-seal loads, and which
                              kernel backends are usable, with a fix for each that is not
${BENCH_HELP}
  privagg --version         print the version
  privagg --help            print this help

More subcommands (account) arrive with their modules.`;

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
      config: { type: 'string' },
      port: { type: 'string' },
      results: { type: 'string' },
      server: { type: 'string' },
      'server-key': { type: 'string' },
      'client-id': { type: 'string' },
      key: { type: 'string' },
      token: { type: 'string' },
      vector: { type: 'string' },
      weight: { type: 'string' },
      ca: { type: 'string' },
      'public-key': { type: 'string' },
      'expires-in': { type: 'string' },
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
  const need = (name: string, v: string | undefined): string => {
    if (v === undefined) throw new TypeError(`${command} needs --${name}`);
    return v;
  };
  const count = (name: string, v: string | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    const x = Number(v);
    if (!Number.isSafeInteger(x) || x < 0)
      throw new RangeError(`--${name} expected a whole number, got ${v}`);
    return x;
  };
  const print = (line: string): void => console.log(line);
  // the network commands load the service (ws, pino, the protocols) only when used
  const net = (): Promise<typeof import('./serve.ts')> => import('./serve.ts');
  if (command === 'serve') {
    const { readConfig, runServe } = await net();
    const config = readConfig(need('config', values.config));
    return runServe(
      {
        ...config,
        ...(values.port === undefined ? {} : { port: count('port', values.port, 0) }),
        ...(values.rounds === undefined ? {} : { rounds: count('rounds', values.rounds, 1) }),
        ...(values.results === undefined ? {} : { results: values.results }),
      },
      print,
    );
  }
  if (command === 'join') {
    const { readConfig, runJoin } = await net();
    const vectorFile = need('vector', values.vector);
    let vector: unknown;
    try {
      vector = JSON.parse(readFileSync(vectorFile, 'utf8'));
    } catch (e) {
      throw new TypeError(`cannot read the vector ${vectorFile}: ${(e as Error).message}`);
    }
    if (!Array.isArray(vector)) throw new TypeError('--vector must hold a JSON array of numbers');
    const weight = values.weight === undefined ? undefined : Number(values.weight);
    return runJoin(
      {
        server: need('server', values.server),
        serverKey: need('server-key', values['server-key']),
        clientId: need('client-id', values['client-id']),
        keyFile: need('key', values.key),
        config: readConfig(need('config', values.config)),
        vector: vector as number[],
        rounds: count('rounds', values.rounds, 1),
        ...(values.token === undefined ? {} : { token: values.token }),
        ...(weight === undefined ? {} : { weight }),
        ...(values.ca === undefined ? {} : { ca: values.ca }),
      },
      print,
    );
  }
  if (command === 'keygen') return (await net()).runKeygen(need('out', values.out), print);
  if (command === 'token')
    return (await net()).runToken(
      need('key', values.key),
      need('client-id', values['client-id']),
      need('public-key', values['public-key']),
      count('expires-in', values['expires-in'], 3600),
      print,
    );
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
