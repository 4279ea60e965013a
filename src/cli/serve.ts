/**
 * `privagg serve`, `privagg join`, `privagg keygen` and `privagg token`: the network service
 * from the command line. A JSON config file holds the plan and the server's settings; keys are
 * files of hex text.
 * @module
 * @internal
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type Logger, pino } from 'pino';
import { fromHex, toHex } from '../core/index.ts';
import {
  connectClient,
  createServer,
  generateIdentity,
  identityFromSecretKey,
  issueToken,
} from '../fl/index.ts';
import {
  type AggregationConfig,
  type AggregationPlan,
  planAggregation,
  type RoundEvent,
} from '../index.ts';
import { type KernelBackend, selectBackend } from '../kernels/index.ts';

/** @internal The config file of `serve` (and the `plan` part of `join`). */
export interface ServeConfig {
  readonly plan: AggregationConfig;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  /** File with the server's secret key (hex); created when missing. */
  readonly identityFile?: string;
  /** Registered client public keys (hex) by client id. */
  readonly clients?: Readonly<Record<string, string>>;
  /** Token issuer public keys (hex); default: the server's own key. */
  readonly tokenIssuers?: readonly string[];
  readonly tls?: { readonly keyFile: string; readonly certFile: string };
  readonly rounds?: number;
  readonly waitForClientsMs?: number;
  readonly stageTimeoutMs?: number;
  /** JSON-lines file the round results are appended to. */
  readonly results?: string;
  readonly metricsPath?: string;
  /**
   * The kernel backend of the server's bulk arithmetic (unmasking, ring sums, the inverse
   * rotation), picked by privagg/kernels' `selectBackend` after its self-tests: `"auto"` (a
   * hardware GPU through WebGPU, else worker threads), or one backend by name. Default: the exact
   * `cpu` reference.
   */
  readonly kernels?: 'auto' | 'cpu' | 'workers' | 'webgpu' | 'gpujs';
  /**
   * Scale-out: coordinators sharing this Redis run each round together (each a cohort of its own
   * clients; the leader combines them and writes the results).
   */
  readonly redis?: {
    readonly url: string;
    readonly prefix?: string;
    readonly coordinatorId?: string;
    readonly cohortSize?: number;
    readonly joinMs?: number;
    readonly submitMs?: number;
  };
}

const CONFIG_KEYS = [
  'plan',
  'host',
  'port',
  'path',
  'identityFile',
  'clients',
  'tokenIssuers',
  'tls',
  'rounds',
  'waitForClientsMs',
  'stageTimeoutMs',
  'results',
  'metricsPath',
  'kernels',
  'redis',
];
const KERNEL_CHOICES = ['auto', 'cpu', 'workers', 'webgpu', 'gpujs'];

/** @internal Read and check a config file. */
export function readConfig(file: string): ServeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TypeError(`cannot read the config ${file}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TypeError(`the config ${file} must be a JSON object`);
  for (const k of Object.keys(raw))
    if (!CONFIG_KEYS.includes(k))
      throw new TypeError(`the config has unknown key "${k}"; allowed: ${CONFIG_KEYS.join(', ')}`);
  if (!('plan' in raw)) throw new TypeError('the config needs a "plan" (the aggregation config)');
  const kernels = (raw as { kernels?: unknown }).kernels;
  if (kernels !== undefined && !KERNEL_CHOICES.includes(kernels as string))
    throw new TypeError(`the config's "kernels" must be one of ${KERNEL_CHOICES.join(', ')}`);
  return raw as ServeConfig;
}

function hexKey(name: string, hex: unknown): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/i.test(hex.trim()))
    throw new RangeError(`${name} expected 64 hex characters (a 32-byte key)`);
  return fromHex(hex.trim().toLowerCase());
}

/** @internal Load a secret key file, or create one (mode 0600) when `create` and missing. */
export function loadKeyFile(
  file: string,
  create: boolean,
): { secretKey: Uint8Array; publicKey: Uint8Array } {
  if (!existsSync(file)) {
    if (!create)
      throw new TypeError(`key file ${file} does not exist (make one with privagg keygen)`);
    const id = generateIdentity();
    writeFileSync(file, `${toHex(id.secretKey)}\n`, { mode: 0o600 });
    return id;
  }
  return identityFromSecretKey(hexKey(`the key file ${file}`, readFileSync(file, 'utf8')));
}

function progressLine(e: RoundEvent): string | undefined {
  switch (e.type) {
    case 'round-started':
      return `round ${e.round}: started with ${e.cohortSize} of ${e.available} ready clients`;
    case 'stage-done':
      return `round ${e.round}: ${e.stage} ${e.received}/${e.expected} in ${e.durationMs.toFixed(0)} ms`;
    case 'client-dropped':
      return `round ${e.round}: ${e.clientId} dropped at ${e.stage} (${e.reason})`;
    case 'round-finished':
      return `round ${e.round}: finished with ${e.participants} participants in ${e.durationMs.toFixed(0)} ms`;
    case 'round-aborted':
      return `round ${e.round}: aborted (${e.reason})`;
    default:
      return undefined;
  }
}

/** @internal `privagg serve`: run `rounds` rounds, append results, print progress. Returns the exit code. */
export async function runServe(
  config: ServeConfig,
  print: (line: string) => void,
): Promise<number> {
  const plan = planAggregation(config.plan);
  const identity = loadKeyFile(config.identityFile ?? 'privagg-server.key', true);
  const clients = new Map(
    Object.entries(config.clients ?? {}).map(([id, hex]) => [id, hexKey(`clients.${id}`, hex)]),
  );
  const logger = pino({ name: 'privagg-fl', level: 'info' }, pino.destination(2));
  let kernels: KernelBackend | undefined;
  if (config.kernels !== undefined && config.kernels !== 'cpu') {
    const selection = await selectBackend({ prefer: config.kernels });
    print(`kernels: ${selection.message}`);
    kernels = selection.backend;
  }
  try {
    return await serveWith(config, plan, identity, clients, logger, kernels, print);
  } finally {
    kernels?.dispose();
  }
}

async function serveWith(
  config: ServeConfig,
  plan: AggregationPlan,
  identity: { secretKey: Uint8Array; publicKey: Uint8Array },
  clients: Map<string, Uint8Array>,
  logger: Logger,
  kernels: KernelBackend | undefined,
  print: (line: string) => void,
): Promise<number> {
  const server = await createServer({
    plan,
    identity,
    logger,
    auth: {
      clients,
      ...(config.tokenIssuers === undefined
        ? {}
        : { tokenIssuers: config.tokenIssuers.map((k, i) => hexKey(`tokenIssuers[${i}]`, k)) }),
    },
    ...(config.host === undefined ? {} : { host: config.host }),
    ...(config.port === undefined ? {} : { port: config.port }),
    ...(config.path === undefined ? {} : { path: config.path }),
    ...(config.metricsPath === undefined ? {} : { metricsPath: config.metricsPath }),
    ...(config.redis === undefined ? {} : { redis: config.redis }),
    ...(config.tls === undefined
      ? {}
      : {
          tls: {
            key: readFileSync(config.tls.keyFile, 'utf8'),
            cert: readFileSync(config.tls.certFile, 'utf8'),
          },
        }),
    rounds: {
      onEvent: (e) => {
        const line = progressLine(e);
        if (line !== undefined) print(line);
      },
      ...(config.waitForClientsMs === undefined
        ? {}
        : { waitForClientsMs: config.waitForClientsMs }),
      ...(config.stageTimeoutMs === undefined ? {} : { stageTimeoutMs: config.stageTimeoutMs }),
      ...(kernels === undefined ? {} : { kernels }),
    },
  });
  print(`listening on ${server.url}`);
  print(`server key ${toHex(server.transport.publicKey)}`);
  const rounds = config.rounds ?? 1;
  let failed = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      try {
        if (config.redis !== undefined) {
          const outcome = await server.runScaledRound();
          const result = outcome.result;
          print(
            result === undefined
              ? `shared round ${outcome.round}: this coordinator's cohort added ${outcome.contributed} clients`
              : `shared round ${outcome.round}: released by this coordinator with ${result.participants.length} participants`,
          );
          if (result !== undefined && config.results !== undefined)
            writeFileSync(
              config.results,
              `${JSON.stringify({
                round: result.round,
                sharedRound: outcome.round,
                participants: result.participants,
                dropped: result.dropped,
                privacy: result.privacy,
                sum: Array.from(result.sum),
                mean: Array.from(result.mean),
              })}\n`,
              { flag: 'a' },
            );
          continue;
        }
        const result = await server.runRound();
        if (config.results !== undefined)
          writeFileSync(
            config.results,
            `${JSON.stringify({
              round: result.round,
              serverRound: result.serverRound,
              participants: result.participants,
              dropped: result.dropped,
              stageDurationsMs: result.stageDurationsMs,
              privacy: result.privacy,
              sum: Array.from(result.sum),
              mean: Array.from(result.mean),
            })}\n`,
            { flag: 'a' },
          );
      } catch (e) {
        failed++;
        print(`round failed: ${(e as Error).message}`);
      }
    }
  } finally {
    await server.close();
  }
  return failed === 0 ? 0 : 1;
}

/** @internal Options of `privagg join`. */
export interface JoinOptions {
  readonly server: string;
  readonly serverKey: string;
  readonly clientId: string;
  readonly keyFile: string;
  readonly token?: string;
  readonly config: ServeConfig;
  readonly vector: readonly number[];
  readonly weight?: number;
  readonly rounds: number;
  readonly ca?: string;
}

/** @internal `privagg join`: contribute `vector` to `rounds` rounds, printing each outcome. */
export async function runJoin(
  options: JoinOptions,
  print: (line: string) => void,
): Promise<number> {
  const plan = planAggregation(options.config.plan);
  const key = loadKeyFile(options.keyFile, false);
  const client = await connectClient(options.server, {
    plan,
    clientId: options.clientId,
    secretKey: key.secretKey,
    serverPublicKey: hexKey('--server-key', options.serverKey),
    ...(options.token === undefined ? {} : { token: options.token.trim() }),
    ...(options.ca === undefined ? {} : { ca: readFileSync(options.ca, 'utf8') }),
  });
  print(`joined ${options.server} as ${client.clientId}`);
  let code = 0;
  try {
    for (let r = 0; r < options.rounds; r++) {
      const outcome = await client.contribute(
        options.vector,
        options.weight === undefined ? {} : { weight: options.weight },
      );
      print(
        `round ${outcome.round}: ${outcome.status}${outcome.reason === undefined ? '' : ` (${outcome.reason})`}`,
      );
      if (outcome.status !== 'completed') code = 1;
      if (outcome.status === 'disconnected') break;
    }
  } finally {
    await client.close();
  }
  return code;
}

/** @internal `privagg keygen`: write a new secret key file, print the public key. */
export function runKeygen(file: string, print: (line: string) => void): number {
  if (existsSync(file)) throw new TypeError(`${file} exists; refusing to overwrite a key`);
  const id = loadKeyFile(file, true);
  print(toHex(id.publicKey));
  return 0;
}

/** @internal `privagg token`: issue a token for a client with the issuer's key file. */
export function runToken(
  issuerFile: string,
  clientId: string,
  publicKeyHex: string,
  expiresInSeconds: number,
  print: (line: string) => void,
): number {
  const issuer = loadKeyFile(issuerFile, false);
  print(
    issueToken(
      {
        clientId,
        publicKey: hexKey('--public-key', publicKeyHex),
        expiresAt: Date.now() + Math.round(expiresInSeconds * 1000),
      },
      issuer.secretKey,
    ),
  );
  return 0;
}
