#!/usr/bin/env node
/**
 * The `privagg` command line.
 * @module
 * @internal
 */
import { parseArgs } from 'node:util';
import { VERSION } from '../version.ts';
import { formatDoctor, runDoctor } from './doctor.ts';

const HELP = `privagg ${VERSION}: private aggregation for federated learning

Usage:
  privagg doctor [--json]   report the Node version, whether node-seal loads, and which
                            kernel backends are usable, with a fix for each that is not
  privagg --version         print the version
  privagg --help            print this help

More subcommands (simulate, serve, join, account, bench) arrive with their modules.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      json: { type: 'boolean' },
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
