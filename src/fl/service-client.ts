/**
 * `connectClient`: a round client of a plan over the WebSocket client transport, for Node and
 * browsers (no `node:` import on this path).
 * @module
 */
import type { AggregationPlan, RoundClient, RoundClientOptions } from '../index.ts';
import {
  connectWebSocketTransport,
  type WebSocketClientTransport,
  type WebSocketClientTransportOptions,
} from './ws-client.ts';

/**
 * Options of {@link connectClient}: the plan, the round client's options, and every option of
 * {@link connectWebSocketTransport}.
 * @since 0.1.0
 * @public
 */
export interface ConnectClientOptions extends WebSocketClientTransportOptions {
  /** The plan (the same as the server's, or the server refuses the client). */
  readonly plan: AggregationPlan;
  /**
   * Options of `plan.client`: `onRound` to supply updates when invited, `onEvent`, `rng`,
   * `kernels`.
   * @defaultValue none
   */
  readonly round?: RoundClientOptions;
}

/**
 * A round client connected over WebSocket.
 * @since 0.1.0
 * @public
 */
export interface NetworkRoundClient extends RoundClient {
  /** The transport underneath (its limits and state). */
  readonly transport: WebSocketClientTransport;
}

/**
 * Connect to a round server ({@link createServer}) and join its rounds as a client of `plan`.
 * @param url - the server's `ws://` or `wss://` address
 * @param options - the plan, round client options, and transport options (pinned server key, client id and credentials)
 * @returns the round client (contribute updates with `contribute`, or answer invitations with `round.onRound`)
 * @throws {@link !TypeError} for wrong option types or unknown options
 * @throws {@link !RangeError} for out-of-range options
 * @throws {@link index.PrivaggError} `UNAUTHENTICATED` when the server is not the pinned one or refuses the credentials; `CONNECTION_CLOSED` when it cannot be reached
 * @since 0.1.0
 * @public
 */
export async function connectClient(
  url: string,
  options: ConnectClientOptions,
): Promise<NetworkRoundClient> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('"options" expected an options object');
  const { plan, round, ...transportOptions } = options;
  if (typeof plan !== 'object' || plan === null || typeof plan.client !== 'function')
    throw new TypeError('"plan" expected a plan from planAggregation');
  const transport = await connectWebSocketTransport(url, transportOptions);
  let client: RoundClient;
  try {
    client = plan.client(transport.clientId, transport, round);
  } catch (e) {
    await transport.close();
    throw e;
  }
  return Object.freeze({
    transport,
    clientId: client.clientId,
    contribute: client.contribute.bind(client),
    events: client.events.bind(client),
    closed: client.closed,
    close: client.close.bind(client),
  });
}
