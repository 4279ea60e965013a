/**
 * `privagg/fl/client`: the browser-safe part of `privagg/fl` (the client transport, identities
 * and tokens), with no `node:` import and no `ws` on its path. Node code may import it too.
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
  type ConnectClientOptions,
  type NetworkRoundClient,
  connectClient,
} from './service-client.ts';
export {
  type WebSocketConstructor,
  type WebSocketClientTransport,
  type WebSocketClientTransportOptions,
  connectWebSocketTransport,
} from './ws-client.ts';
export type { ClientTransport, ClientTransportEvent } from '../core/index.ts';
