/**
 * `privagg/fl`: the network service. WebSocket transports that implement the transport contract
 * the round protocol runs on (`ServerTransport` / `ClientTransport`): binary frames chunked and
 * reassembled under size limits, backpressure, TLS, a pinned Ed25519 server identity, client
 * authentication by registered keys or operator-issued tokens, resumption after reconnection
 * without lost or repeated frames, structured logs (pino) and Prometheus metrics. The client
 * runs on Node and in browsers (`privagg/fl/client` is the browser-safe subset).
 * @module
 */
export {
  type Identity,
  type TokenClaims,
  generateIdentity,
  identityFromSecretKey,
  issueToken,
} from './auth.ts';
export type { Logger } from './events.ts';
export {
  type Metrics,
  type MetricLabels,
  type MetricsOptions,
  type MetricsResponse,
  createMetrics,
} from './metrics.ts';
export {
  type CreateServerOptions,
  type NetworkRoundServer,
  createServer,
} from './service.ts';
export {
  type ConnectClientOptions,
  type NetworkRoundClient,
  connectClient,
} from './service-client.ts';
export {
  type ServerAuthOptions,
  type WebSocketServerTransport,
  type WebSocketServerTransportOptions,
  createWebSocketServerTransport,
} from './ws-server.ts';
export {
  type WebSocketConstructor,
  type WebSocketClientTransport,
  type WebSocketClientTransportOptions,
  connectWebSocketTransport,
} from './ws-client.ts';
export type {
  ClientTransport,
  ClientTransportEvent,
  ServerTransport,
  ServerTransportEvent,
} from '../core/index.ts';
export {
  type ClaimOutcome,
  RedisRoundStore,
  type RedisRoundStoreOptions,
  type SharedRound,
} from './redis/store.ts';
export {
  createScaledServer,
  type ScaledRoundResult,
  type ScaledServer,
  type ScaledServerOptions,
} from './redis/scaled.ts';
export type { ScaledRoundEvent } from './redis/coordinator.ts';
