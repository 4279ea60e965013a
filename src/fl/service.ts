/**
 * `createServer`: a round server of a plan over the WebSocket server transport, with its round
 * events logged and counted in the metrics (rounds, dropouts, stage durations) next to the
 * transport's own counts. Node only.
 * @module
 */
import type {
  AggregationPlan,
  RoundEvent,
  RoundResult,
  RoundServer,
  RoundServerOptions,
  RunRoundOptions,
} from '../index.ts';
import { PrivaggError } from '../core/errors.ts';
import type { Logger } from './events.ts';
import { createScaledServer, type ScaledRoundResult, type ScaledServer } from './redis/scaled.ts';
import { RedisRoundStore } from './redis/store.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import {
  createWebSocketServerTransport,
  type WebSocketServerTransport,
  type WebSocketServerTransportOptions,
} from './ws-server.ts';

/**
 * Options of {@link createServer}: the plan, the round server's options, and every option of
 * {@link createWebSocketServerTransport}.
 * @since 0.1.0
 * @public
 */
export interface CreateServerOptions extends WebSocketServerTransportOptions {
  /** The plan every client must share. */
  readonly plan: AggregationPlan;
  /**
   * Options of `plan.server`: `onEvent`, `rng`, `noiseRng`, `waitForClientsMs`, `stageTimeoutMs`,
   * `verificationKeys`, `kernels`.
   * @defaultValue none
   */
  readonly rounds?: RoundServerOptions;
  /**
   * Scale out: run rounds together with the other coordinators sharing this Redis (each runs a
   * cohort of its own clients; the leader combines them), through
   * {@link NetworkRoundServer.runScaledRound}. Without it the server runs rounds alone.
   * @defaultValue none (single-process coordinator)
   */
  readonly redis?: {
    /** `redis://` or `rediss://` URL. */
    readonly url: string;
    /** Key prefix naming the service (shared by its coordinators). @defaultValue `'privagg'` */
    readonly prefix?: string;
    /** This coordinator's identity. @defaultValue random */
    readonly coordinatorId?: string;
    /** Most clients in this coordinator's cohort. @defaultValue `clients.expected` */
    readonly cohortSize?: number;
    /** Join window of a round, in ms. @defaultValue 2000 */
    readonly joinMs?: number;
    /** Deadline for the cohorts' partial sums, in ms from the opening. @defaultValue 60000 */
    readonly submitMs?: number;
  };
}

/**
 * A round server listening on WebSocket.
 * @since 0.1.0
 * @public
 */
export interface NetworkRoundServer extends RoundServer {
  /** The transport underneath (`url`, `publicKey`, `clients()`). */
  readonly transport: WebSocketServerTransport;
  /** The address clients connect to. */
  readonly url: string;
  /** The metrics: the transport's counts plus rounds, dropouts and stage durations. */
  readonly metrics: Metrics;
  /**
   * With `redis`: take part in the next round shared by every coordinator (call in a loop); the
   * leader's outcome carries the combined result. (`runRound` then refuses: rounds are shared.)
   * @returns this coordinator's outcome
   * @throws {@link index!PrivaggError} `INVALID_PARAMETER` without `redis`
   */
  runScaledRound(): Promise<ScaledRoundResult>;
}

function countEvent(metrics: Metrics, logger: Logger, e: RoundEvent): void {
  switch (e.type) {
    case 'round-started':
      metrics.increment('privagg_fl_rounds_started_total');
      logger.info(
        { round: e.round, cohortSize: e.cohortSize, available: e.available },
        'round started',
      );
      break;
    case 'stage-done':
      metrics.observe('privagg_fl_stage_seconds', e.durationMs / 1000, { stage: e.stage });
      logger.info(
        {
          round: e.round,
          stage: e.stage,
          received: e.received,
          expected: e.expected,
          durationMs: e.durationMs,
        },
        'stage done',
      );
      break;
    case 'client-dropped':
      metrics.increment('privagg_fl_dropouts_total', { stage: e.stage });
      logger.info(
        { round: e.round, clientId: e.clientId, stage: e.stage, reason: e.reason },
        'client dropped',
      );
      break;
    case 'frame-rejected':
      metrics.increment('privagg_fl_round_frames_rejected_total', { code: e.code });
      logger.warn(
        { round: e.round, clientId: e.clientId, reason: e.reason, code: e.code },
        'round frame rejected',
      );
      break;
    case 'client-refused':
      metrics.increment('privagg_fl_rejections_total', { reason: 'plan-refused' });
      logger.warn(
        { clientId: e.clientId, reason: 'plan-refused', detail: e.reason },
        'client refused by the round server',
      );
      break;
    case 'round-finished':
      metrics.increment('privagg_fl_rounds_total', { outcome: 'finished' });
      metrics.observe('privagg_fl_round_seconds', e.durationMs / 1000);
      logger.info(
        { round: e.round, participants: e.participants, durationMs: e.durationMs },
        'round finished',
      );
      break;
    case 'round-aborted':
      metrics.increment('privagg_fl_rounds_total', { outcome: 'aborted' });
      metrics.observe('privagg_fl_round_seconds', e.durationMs / 1000);
      logger.warn({ round: e.round, reason: e.reason, durationMs: e.durationMs }, 'round aborted');
      break;
    default:
      break;
  }
}

/**
 * Start a round server of `plan` on WebSocket: clients connect with {@link connectClient},
 * authenticate, and take part in the rounds `runRound` starts.
 * @param options - the plan, round server options, and transport options (identity, authentication, address, limits, logger, metrics)
 * @returns the running server
 * @throws {@link !TypeError} for wrong option types or unknown options
 * @throws {@link !RangeError} for out-of-range options
 * @throws {@link index.PrivaggError} `BACKEND_UNAVAILABLE` off Node
 * @example
 * ```ts
 * import { planAggregation } from 'privagg';
 * import { connectClient, createServer, generateIdentity } from 'privagg/fl';
 * const plan = planAggregation({ dimension: 3, clients: { expected: 2, minimum: 2 }, clip: { l2: 10 }, protection: { kind: 'none' }, privacy: { kind: 'none' } });
 * const identity = generateIdentity();
 * const keys = [generateIdentity(), generateIdentity()];
 * const quiet = { debug() {}, info() {}, warn() {}, error() {} };
 * const server = await createServer({ plan, identity, logger: quiet, auth: { clients: new Map([['a', keys[0].publicKey], ['b', keys[1].publicKey]]) } });
 * const clients = await Promise.all(['a', 'b'].map((id, i) => connectClient(server.url, { plan, clientId: id, secretKey: keys[i].secretKey, serverPublicKey: identity.publicKey })));
 * void clients[0].contribute([1, 2, 3]);
 * void clients[1].contribute([1, 0, 0]);
 * const result = await server.runRound({ waitForClientsMs: 5000 });
 * console.log(Array.from(result.sum).join(',')); // 2,2,3
 * await server.close();
 * ```
 * @since 0.1.0
 * @public
 */
export async function createServer(options: CreateServerOptions): Promise<NetworkRoundServer> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('"options" expected an options object');
  const { plan, rounds, redis, ...transportOptions } = options;
  if (redis !== undefined && (typeof redis !== 'object' || redis === null))
    throw new TypeError('"redis" expected an options object');
  if (typeof plan !== 'object' || plan === null || typeof plan.server !== 'function')
    throw new TypeError('"plan" expected a plan from planAggregation');
  if (rounds !== undefined && (typeof rounds !== 'object' || rounds === null))
    throw new TypeError('"rounds" expected an options object');
  const logger: Logger =
    transportOptions.logger ?? (await import('pino')).pino({ name: 'privagg-fl', level: 'info' });
  const metrics =
    transportOptions.metrics ??
    createMetrics(
      transportOptions.metricsPath === undefined ? {} : { path: transportOptions.metricsPath },
    );
  const transport = await createWebSocketServerTransport({ ...transportOptions, logger, metrics });
  const userOnEvent = rounds?.onEvent;
  const onEvent = (e: RoundEvent): void => {
    countEvent(metrics, logger, e);
    userOnEvent?.(e);
  };
  let server: RoundServer | undefined;
  let scaled: ScaledServer | undefined;
  let store: RedisRoundStore | undefined;
  try {
    if (redis === undefined) server = plan.server(transport, { ...rounds, onEvent });
    else {
      store = await RedisRoundStore.connect({
        url: redis.url,
        ...(redis.prefix === undefined ? {} : { prefix: redis.prefix }),
        ...(redis.coordinatorId === undefined ? {} : { coordinatorId: redis.coordinatorId }),
      });
      scaled = createScaledServer({
        plan,
        transport,
        store,
        ...(redis.cohortSize === undefined ? {} : { cohortSize: redis.cohortSize }),
        ...(redis.joinMs === undefined ? {} : { joinMs: redis.joinMs }),
        ...(redis.submitMs === undefined ? {} : { submitMs: redis.submitMs }),
        ...(rounds?.rng === undefined ? {} : { rng: rounds.rng }),
        ...(rounds?.noiseRng === undefined ? {} : { noiseRng: rounds.noiseRng }),
        ...(rounds?.kernels === undefined ? {} : { kernels: rounds.kernels }),
        onRoundEvent: onEvent,
        onEvent: (e) => logger.info({ ...e }, `scaled round ${e.type}`),
      });
    }
  } catch (e) {
    await store?.close();
    await transport.close();
    throw e;
  }
  const single = (): RoundServer => {
    if (server === undefined)
      throw new PrivaggError(
        'INVALID_PARAMETER',
        'this server shares rounds through Redis: call runScaledRound',
      );
    return server;
  };
  return Object.freeze({
    transport,
    url: transport.url,
    metrics,
    get readyClients() {
      return scaled?.readyClients ?? single().readyClients;
    },
    runRound: async (o?: RunRoundOptions): Promise<RoundResult> => await single().runRound(o),
    runScaledRound: async (): Promise<ScaledRoundResult> => {
      if (scaled === undefined)
        throw new PrivaggError('INVALID_PARAMETER', 'runScaledRound needs the "redis" option');
      return await scaled.runRound();
    },
    events: () => single().events(),
    close: async () => {
      if (scaled !== undefined) await scaled.close();
      else await single().close();
      await store?.close();
    },
  });
}
