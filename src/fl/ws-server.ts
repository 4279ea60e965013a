/**
 * The server transport over WebSocket (Node, package `ws`): authenticated sessions that
 * survive reconnections, chunked sequenced frames, and limits on everything a stranger or a
 * hostile client can make the server hold (connections, unauthenticated connections, message
 * rate, bytes per second, frame size, reassembly memory, handshake and idle time).
 * @module
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { WebSocket as WsSocket, WebSocketServer as WsServer } from 'ws';
import {
  aBytes,
  aOptions,
  ed25519SignFast,
  ed25519VerifyFast,
  equalBytes,
  PrivaggError,
  type Rng,
  randomBytes,
  type ServerTransport,
  type ServerTransportEvent,
  toHex,
} from '../core/index.ts';
import { type generateIdentity, identityFromSecretKey, verifyToken } from './auth.ts';
import { Channel } from './channel.ts';
import { EventQueue, type Logger, optionalInteger } from './events.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import {
  AUTH_METHOD,
  type AuthMessage,
  clientTranscript,
  DATA_HEADER_BYTES,
  decodeAuth,
  decodeClientHello,
  encodeServerHello,
  encodeWelcome,
  MAX_HANDSHAKE_BYTES,
  serverTranscript,
} from './wire.ts';

/**
 * How the server authenticates clients. Clients always prove possession of an Ed25519 secret
 * key by signing a transcript that binds both connection nonces and the server's key; the
 * server accepts the key if it is registered for the client id (`clients`) or if the client
 * presents a token for that key signed by a trusted issuer (`tokenIssuers`).
 * @since 0.1.0
 * @public
 */
export interface ServerAuthOptions {
  /**
   * Pre-registered client public keys by client id (a map, or a lookup function).
   * @defaultValue none registered
   */
  readonly clients?:
    | ReadonlyMap<string, Uint8Array>
    | ((clientId: string) => Uint8Array | undefined);
  /**
   * Public keys whose tokens ({@link issueToken}) the server accepts; `[]` turns tokens off.
   * @defaultValue the server's own identity key
   */
  readonly tokenIssuers?: readonly Uint8Array[];
}

/**
 * Options of {@link createWebSocketServerTransport}.
 * @since 0.1.0
 * @public
 */
export interface WebSocketServerTransportOptions {
  /**
   * The server's Ed25519 identity (clients pin `publicKey`); required unless `auth` is
   * `'insecure-none'`.
   * @defaultValue none
   */
  readonly identity?: {
    /** The 32-byte Ed25519 secret seed ({@link generateIdentity}). */
    readonly secretKey: Uint8Array;
  };
  /**
   * Client authentication, or `'insecure-none'`: any client may claim any id (local tests only;
   * logged as a warning).
   * @defaultValue `{}` (tokens signed by the server's identity)
   */
  readonly auth?: ServerAuthOptions | 'insecure-none';
  /**
   * Address to listen on (ignored when `server` is given).
   * @defaultValue `'127.0.0.1'`
   */
  readonly host?: string;
  /**
   * Port to listen on; 0 picks a free one (ignored when `server` is given).
   * @defaultValue `0`
   */
  readonly port?: number;
  /**
   * An existing Node `http` or `https` server to attach to (the caller listens and closes it).
   * @defaultValue a new server owned by the transport
   */
  readonly server?: HttpServer | HttpsServer;
  /**
   * TLS key and certificate (PEM) for a server the transport creates: it then serves `wss://`.
   * @defaultValue none (plain `ws://`: use only on loopback or behind a TLS proxy)
   */
  readonly tls?: {
    /** The private key, PEM. */
    readonly key: string | Uint8Array;
    /** The certificate chain, PEM. */
    readonly cert: string | Uint8Array;
  };
  /**
   * The HTTP path of the WebSocket endpoint.
   * @defaultValue `'/'`
   */
  readonly path?: string;
  /**
   * Largest WebSocket message payload (one chunk of a frame).
   * @defaultValue 1 MiB
   */
  readonly chunkBytes?: number;
  /**
   * Largest frame a client may send.
   * @defaultValue 64 MiB
   */
  readonly maxFrameBytes?: number;
  /**
   * Send window per client: `send` waits while more unacknowledged bytes are queued.
   * @defaultValue 4 MiB
   */
  readonly highWaterMark?: number;
  /**
   * Reassembly memory for partial frames across all clients.
   * @defaultValue 256 MiB
   */
  readonly maxReassemblyBytes?: number;
  /**
   * Open connections (authenticated or not); more are refused with HTTP 503.
   * @defaultValue 10000
   */
  readonly maxConnections?: number;
  /**
   * Connections still in the handshake; more are refused with HTTP 503.
   * @defaultValue 256
   */
  readonly maxUnauthenticated?: number;
  /**
   * Time allowed to complete the handshake.
   * @defaultValue 10000 ms
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * A connection that sends nothing (not even a pong) for this long is dropped.
   * @defaultValue 60000 ms
   */
  readonly idleTimeoutMs?: number;
  /**
   * How often the server pings and checks idleness.
   * @defaultValue 20000 ms
   */
  readonly pingIntervalMs?: number;
  /**
   * A frame begun must be complete within this time, or the client is dropped.
   * @defaultValue 30000 ms
   */
  readonly frameTimeoutMs?: number;
  /**
   * A client whose connection drops may resume its session (same client id, no lost or
   * repeated frames) within this time; after it, the client is reported disconnected.
   * @defaultValue 30000 ms
   */
  readonly reconnectGraceMs?: number;
  /**
   * WebSocket messages per second per connection (twice that as a burst); a client over it is
   * dropped.
   * @defaultValue 2000
   */
  readonly messagesPerSecond?: number;
  /**
   * Bytes per second per connection (a burst of four chunks); a client over it is slowed down
   * (its socket paused), not dropped.
   * @defaultValue 256 MiB
   */
  readonly bytesPerSecond?: number;
  /**
   * Where structured logs go (a pino logger fits); every rejection is logged at `warn` with a
   * `reason`.
   * @defaultValue a pino logger at level `info`
   */
  readonly logger?: Logger;
  /**
   * Metrics the transport updates ({@link createMetrics}).
   * @defaultValue a private registry (see `metrics` on the transport)
   */
  readonly metrics?: Metrics;
  /**
   * Serve the metrics as Prometheus text on this path of the transport's own HTTP server.
   * @defaultValue not served
   */
  readonly metricsPath?: string;
  /**
   * Randomness for nonces and session ids.
   * @defaultValue the CSPRNG
   */
  readonly rng?: Rng;
  /**
   * The clock for token expiry, in milliseconds since the epoch.
   * @defaultValue `Date.now`
   */
  readonly now?: () => number;
}

/**
 * A running WebSocket server transport.
 * @since 0.1.0
 * @public
 */
export interface WebSocketServerTransport extends ServerTransport {
  /** `ws://host:port/path` (or `wss://`) to connect to; with an attached server, its address. */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** The server's identity public key (clients pin it). */
  readonly publicKey: Uint8Array;
  /** The metrics the transport updates. */
  readonly metrics: Metrics;
  /**
   * Ids of clients with a live session (connected or within their reconnection grace).
   * @returns the ids
   */
  clients(): string[];
}

const OPTION_KEYS = [
  'identity',
  'auth',
  'host',
  'port',
  'server',
  'tls',
  'path',
  'chunkBytes',
  'maxFrameBytes',
  'highWaterMark',
  'maxReassemblyBytes',
  'maxConnections',
  'maxUnauthenticated',
  'handshakeTimeoutMs',
  'idleTimeoutMs',
  'pingIntervalMs',
  'frameTimeoutMs',
  'reconnectGraceMs',
  'messagesPerSecond',
  'bytesPerSecond',
  'logger',
  'metrics',
  'metricsPath',
  'rng',
  'now',
] as const;

const MiB = 1024 * 1024;
/** Close codes: 4000 protocol violation, 4001 authentication failed, 4002 server closed. */
const CLOSE_VIOLATION = 4000;
const CLOSE_UNAUTHENTICATED = 4001;
const CLOSE_SERVER = 4002;

interface Session {
  readonly clientId: string;
  readonly sessionId: Uint8Array;
  readonly channel: Channel;
  conn: Conn | undefined;
  grace: ReturnType<typeof setTimeout> | undefined;
  ended: boolean;
}

interface Conn {
  readonly ws: WsSocket;
  readonly remote: string;
  readonly openedAt: number;
  state: 'hello' | 'auth' | 'open' | 'closed';
  clientNonce: Uint8Array | undefined;
  serverNonce: Uint8Array | undefined;
  session: Session | undefined;
  lastSeen: number;
  msgTokens: number;
  byteTokens: number;
  refilledAt: number;
  handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  paused: boolean;
}

function clip(text: string): string {
  // a WebSocket close reason is at most 123 bytes
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Start a WebSocket server transport: listen (or attach to `server`), authenticate clients with
 * pinned-server-key challenge-response, and deliver their frames as {@link ServerTransportEvent}s.
 * @param options - identity, authentication, address, limits, logging and metrics
 * @returns the running transport
 * @throws {@link !TypeError} for wrong option types or unknown options
 * @throws {@link !RangeError} for out-of-range limits
 * @throws {@link index.PrivaggError} `BACKEND_UNAVAILABLE` off Node (`ws` and `node:http` are required)
 * @example
 * ```ts
 * import { connectWebSocketTransport, createWebSocketServerTransport, generateIdentity, issueToken } from 'privagg/fl';
 * const identity = generateIdentity();
 * const server = await createWebSocketServerTransport({ identity, logger: { debug() {}, info() {}, warn() {}, error() {} } });
 * const alice = generateIdentity();
 * const token = issueToken({ clientId: 'alice', publicKey: alice.publicKey, expiresAt: Date.now() + 60_000 }, identity.secretKey);
 * const got = new Promise((resolve) => server.onEvent((e) => e.type === 'message' && resolve(e.frame)));
 * const client = await connectWebSocketTransport(server.url, { serverPublicKey: identity.publicKey, clientId: 'alice', secretKey: alice.secretKey, token });
 * await client.send(new Uint8Array([1, 2, 3]));
 * console.log(Array.from(await got).join(',')); // 1,2,3
 * await client.close();
 * await server.close();
 * ```
 * @since 0.1.0
 * @public
 */
export async function createWebSocketServerTransport(
  options: WebSocketServerTransportOptions,
): Promise<WebSocketServerTransport> {
  aOptions('options', options, OPTION_KEYS);
  const insecure = options.auth === 'insecure-none';
  const rng = options.rng ?? randomBytes;
  if (typeof rng !== 'function') throw new TypeError('"rng" expected function');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('"now" expected function');
  let secretKey: Uint8Array;
  if (options.identity === undefined) {
    if (!insecure)
      throw new TypeError(
        '"identity" is required (clients pin its public key) unless auth is "insecure-none"',
      );
    secretKey = rng(32);
  } else {
    aOptions('identity', options.identity, ['secretKey', 'publicKey']);
    aBytes('identity.secretKey', options.identity.secretKey, 32);
    secretKey = options.identity.secretKey.slice();
  }
  const identity = identityFromSecretKey(secretKey);
  let registered: (clientId: string) => Uint8Array | undefined = () => undefined;
  let issuers: readonly Uint8Array[] = [identity.publicKey];
  if (!insecure && options.auth !== undefined) {
    const auth = options.auth as ServerAuthOptions;
    aOptions('auth', auth, ['clients', 'tokenIssuers']);
    if (auth.clients instanceof Map) {
      const map = new Map<string, Uint8Array>();
      for (const [id, key] of auth.clients) {
        aBytes(`auth.clients[${JSON.stringify(String(id))}]`, key, 32);
        map.set(String(id), key.slice());
      }
      registered = (id) => map.get(id);
    } else if (typeof auth.clients === 'function') registered = auth.clients;
    else if (auth.clients !== undefined)
      throw new TypeError('"auth.clients" expected a Map or a function');
    if (auth.tokenIssuers !== undefined) {
      if (!Array.isArray(auth.tokenIssuers))
        throw new TypeError('"auth.tokenIssuers" expected an array');
      for (const k of auth.tokenIssuers) aBytes('auth.tokenIssuers[]', k, 32);
      issuers = auth.tokenIssuers.map((k) => k.slice());
    }
  }
  const path = options.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw new RangeError('"path" expected a string starting with /');
  const chunkBytes = optionalInteger('chunkBytes', options.chunkBytes, MiB, 64, 256 * MiB);
  const maxFrameBytes = optionalInteger(
    'maxFrameBytes',
    options.maxFrameBytes,
    64 * MiB,
    0,
    0xffffffff,
  );
  const highWaterMark = optionalInteger('highWaterMark', options.highWaterMark, 4 * MiB);
  const maxReassemblyBytes = optionalInteger(
    'maxReassemblyBytes',
    options.maxReassemblyBytes,
    256 * MiB,
    1,
    2 ** 40,
  );
  const maxConnections = optionalInteger('maxConnections', options.maxConnections, 10_000);
  const maxUnauthenticated = optionalInteger('maxUnauthenticated', options.maxUnauthenticated, 256);
  const handshakeTimeoutMs = optionalInteger(
    'handshakeTimeoutMs',
    options.handshakeTimeoutMs,
    10_000,
  );
  const idleTimeoutMs = optionalInteger('idleTimeoutMs', options.idleTimeoutMs, 60_000);
  const pingIntervalMs = optionalInteger('pingIntervalMs', options.pingIntervalMs, 20_000);
  const frameTimeoutMs = optionalInteger('frameTimeoutMs', options.frameTimeoutMs, 30_000);
  const reconnectGraceMs = optionalInteger('reconnectGraceMs', options.reconnectGraceMs, 30_000, 0);
  const messagesPerSecond = optionalInteger('messagesPerSecond', options.messagesPerSecond, 2000);
  const bytesPerSecond = optionalInteger(
    'bytesPerSecond',
    options.bytesPerSecond,
    256 * MiB,
    1,
    2 ** 40,
  );
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string') throw new TypeError('"host" expected string');
  const port = optionalInteger('port', options.port, 0, 0, 65535);
  if (
    options.metricsPath !== undefined &&
    (typeof options.metricsPath !== 'string' || !options.metricsPath.startsWith('/'))
  )
    throw new RangeError('"metricsPath" expected a string starting with /');
  if (options.tls !== undefined) aOptions('tls', options.tls, ['key', 'cert']);
  const metrics =
    options.metrics ??
    createMetrics(options.metricsPath === undefined ? {} : { path: options.metricsPath });

  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node === undefined)
    throw new PrivaggError(
      'BACKEND_UNAVAILABLE',
      'the WebSocket server transport runs on Node only',
    );
  const [http, https, wsModule] = await Promise.all([
    import('node:http'),
    import('node:https'),
    import('ws'),
  ]);
  const logger: Logger =
    options.logger ?? (await import('pino')).pino({ name: 'privagg-fl', level: 'info' });
  if (insecure)
    logger.warn(
      { auth: 'insecure-none' },
      'INSECURE: client authentication is off; any client may claim any id (local tests only)',
    );

  const events = new EventQueue<ServerTransportEvent>(logger);
  const sessions = new Map<string, Session>();
  const conns = new Set<Conn>();
  const sockets = new Set<Duplex>();
  let authenticated = 0;
  let reassembly = 0;
  let closing = false;

  const owned = options.server === undefined;
  const metricsPath = options.metricsPath;
  const onRequest = (req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    if (metricsPath !== undefined && metrics.handle(req, res)) return;
    res.writeHead(426, { 'Content-Type': 'text/plain' }).end('WebSocket endpoint\n');
  };
  const httpServer: HttpServer | HttpsServer =
    options.server ??
    (options.tls !== undefined
      ? https.createServer(
          { key: options.tls.key as string, cert: options.tls.cert as string },
          onRequest,
        )
      : http.createServer(onRequest));
  const wss: WsServer = new wsModule.WebSocketServer({
    noServer: true,
    maxPayload: chunkBytes + DATA_HEADER_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });

  function reject(reason: string, fields: object, message: string): void {
    metrics.increment('privagg_fl_rejections_total', { reason });
    logger.warn({ reason, ...fields }, message);
  }

  function gauges(): void {
    metrics.set('privagg_fl_connections_open', conns.size);
    metrics.set('privagg_fl_sessions_open', sessions.size);
  }

  function closeConn(conn: Conn, code: number, reason: string, detail: string): void {
    if (conn.state === 'closed') return;
    const wasOpen = conn.state === 'open';
    conn.state = 'closed';
    if (conn.handshakeTimer !== undefined) clearTimeout(conn.handshakeTimer);
    if (wasOpen) authenticated--;
    conns.delete(conn);
    gauges();
    try {
      conn.ws.close(code, clip(`${reason}: ${detail}`));
    } catch {
      // already closing
    }
    // a peer that never answers the close handshake is cut off
    setTimeout(() => conn.ws.terminate(), 1000).unref();
  }

  function endSession(session: Session, reason: string): void {
    if (session.ended) return;
    session.ended = true;
    if (session.grace !== undefined) clearTimeout(session.grace);
    session.channel.close(`client ${session.clientId} disconnected: ${reason}`);
    if (sessions.get(session.clientId) === session) sessions.delete(session.clientId);
    gauges();
    events.emit({ type: 'disconnect', clientId: session.clientId, reason });
  }

  function violation(conn: Conn, reason: string, detail: string): void {
    const clientId = conn.session?.clientId;
    reject(reason, { clientId, remote: conn.remote, detail }, 'connection dropped');
    const code = conn.state === 'open' ? CLOSE_VIOLATION : CLOSE_UNAUTHENTICATED;
    const session = conn.session;
    closeConn(conn, code, reason, detail);
    if (session !== undefined) endSession(session, `${reason}: ${detail}`);
  }

  function newSession(clientId: string): Session {
    const sessionRef: { s?: Session } = {};
    const channel = new Channel({
      chunkBytes,
      maxFrameBytes,
      highWaterMark,
      frameTimeoutMs,
      onFrame(frame) {
        metrics.increment('privagg_fl_frames_received_total');
        events.emit({ type: 'message', clientId, frame });
      },
      onViolation(reason, detail) {
        const conn = sessionRef.s?.conn;
        if (conn !== undefined) violation(conn, reason, detail);
      },
      onDuplicate(seq) {
        reject('duplicate-frame', { clientId, seq }, 'duplicate frame dropped (resend or replay)');
      },
      reserve(bytes) {
        if (reassembly + bytes > maxReassemblyBytes) return false;
        reassembly += bytes;
        return true;
      },
      release(bytes) {
        reassembly -= bytes;
      },
      onWrite(bytes) {
        metrics.increment('privagg_fl_bytes_sent_total', undefined, bytes);
      },
    });
    const session: Session = {
      clientId,
      sessionId: rng(16),
      channel,
      conn: undefined,
      grace: undefined,
      ended: false,
    };
    sessionRef.s = session;
    return session;
  }

  function authenticate(conn: Conn, m: AuthMessage): { ok: true } | { ok: false; reason: string } {
    if (insecure)
      return m.method === AUTH_METHOD.insecureNone
        ? { ok: true }
        : { ok: false, reason: 'method-not-enabled' };
    if (m.method === AUTH_METHOD.insecureNone) return { ok: false, reason: 'method-not-enabled' };
    let key: Uint8Array | undefined;
    if (m.method === AUTH_METHOD.key) {
      if (m.token.length !== 0) return { ok: false, reason: 'malformed-auth' };
      let found: Uint8Array | undefined;
      try {
        found = registered(m.clientId);
      } catch {
        found = undefined;
      }
      if (found === undefined || !equalBytes(found, m.publicKey))
        return { ok: false, reason: 'unknown-client' };
      key = found;
    } else {
      if (issuers.length === 0) return { ok: false, reason: 'method-not-enabled' };
      const check = verifyToken(m.token, issuers, now());
      if (!check.ok) return { ok: false, reason: check.reason };
      if (check.claims.clientId !== m.clientId || !equalBytes(check.claims.publicKey, m.publicKey))
        return { ok: false, reason: 'token-mismatch' };
      key = check.claims.publicKey;
    }
    const { signature, ...body } = m;
    const transcript = clientTranscript(
      identity.publicKey,
      conn.serverNonce as Uint8Array,
      conn.clientNonce as Uint8Array,
      body,
    );
    if (!ed25519VerifyFast(signature, transcript, key))
      return { ok: false, reason: 'bad-signature' };
    return { ok: true };
  }

  function onAuth(conn: Conn, m: AuthMessage): void {
    const result = authenticate(conn, m);
    if (!result.ok) {
      reject(result.reason, { clientId: m.clientId, remote: conn.remote }, 'authentication failed');
      closeConn(conn, CLOSE_UNAUTHENTICATED, 'unauthenticated', result.reason);
      return;
    }
    const resumeId = m.sessionId;
    let session = sessions.get(m.clientId);
    let resumed = false;
    if (
      session !== undefined &&
      !resumeId.every((b) => b === 0) &&
      equalBytes(session.sessionId, resumeId)
    ) {
      resumed = true;
    } else if (session !== undefined) {
      // a fresh start by a client that still had a session: the old one ends here
      const old = session;
      if (old.conn !== undefined)
        closeConn(old.conn, CLOSE_VIOLATION, 'replaced', 'a new session started');
      endSession(old, 'replaced by a new session');
      session = undefined;
    }
    if (session === undefined) session = newSession(m.clientId);
    if (session.conn !== undefined)
      closeConn(session.conn, CLOSE_VIOLATION, 'replaced', 'the session resumed elsewhere');
    if (session.grace !== undefined) clearTimeout(session.grace);
    session.grace = undefined;
    if (conn.handshakeTimer !== undefined) clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = undefined;
    conn.state = 'open';
    authenticated++;
    conn.session = session;
    session.conn = conn;
    sessions.set(m.clientId, session);
    const ws = conn.ws;
    const sock = {
      send: (packet: Uint8Array) => ws.send(packet),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    ws.send(
      encodeWelcome({
        sessionId: session.sessionId,
        resumed,
        nextExpected: session.channel.recvNext,
        chunkBytes,
        maxFrameBytes,
      }),
    );
    if (!session.channel.attach(sock, m.nextExpected)) {
      violation(
        conn,
        'bad-resume',
        `client expects frame ${m.nextExpected}, which cannot be resent`,
      );
      return;
    }
    metrics.increment('privagg_fl_authenticated_total');
    if (resumed) metrics.increment('privagg_fl_resumed_total');
    metrics.observe('privagg_fl_handshake_seconds', (performance.now() - conn.openedAt) / 1000);
    gauges();
    logger.info(
      { clientId: m.clientId, remote: conn.remote, resumed },
      resumed ? 'client resumed' : 'client authenticated',
    );
    if (!resumed) events.emit({ type: 'connect', clientId: m.clientId });
  }

  function rateOk(conn: Conn, bytes: number): boolean {
    const t = performance.now();
    const dt = (t - conn.refilledAt) / 1000;
    conn.refilledAt = t;
    conn.msgTokens = Math.min(2 * messagesPerSecond, conn.msgTokens + dt * messagesPerSecond);
    const byteBurst = Math.max(bytesPerSecond, 4 * (chunkBytes + DATA_HEADER_BYTES));
    conn.byteTokens = Math.min(byteBurst, conn.byteTokens + dt * bytesPerSecond);
    conn.msgTokens -= 1;
    conn.byteTokens -= bytes;
    if (conn.msgTokens < 0) return false;
    if (conn.byteTokens < 0 && !conn.paused) {
      conn.paused = true;
      conn.ws.pause();
      const wait = Math.ceil((-conn.byteTokens / bytesPerSecond) * 1000);
      setTimeout(() => {
        conn.paused = false;
        if (conn.state !== 'closed') conn.ws.resume();
      }, wait).unref();
    }
    return true;
  }

  function onMessage(conn: Conn, data: ArrayBuffer | Buffer | Buffer[], isBinary: boolean): void {
    if (conn.state === 'closed') return;
    conn.lastSeen = performance.now();
    if (!isBinary) {
      violation(conn, 'text-message', 'only binary messages are accepted');
      return;
    }
    const packet =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : Array.isArray(data)
          ? new Uint8Array(Buffer.concat(data))
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    metrics.increment('privagg_fl_bytes_received_total', undefined, packet.length);
    if (!rateOk(conn, packet.length)) {
      violation(conn, 'rate-limit', `over ${messagesPerSecond} messages per second`);
      return;
    }
    if (conn.state === 'open') {
      conn.session?.channel.receive(packet);
      return;
    }
    if (packet.length > MAX_HANDSHAKE_BYTES) {
      violation(conn, 'oversized-handshake', `handshake message of ${packet.length} bytes`);
      return;
    }
    try {
      if (conn.state === 'hello') {
        const clientNonce = decodeClientHello(packet);
        const serverNonce = rng(32);
        conn.clientNonce = clientNonce;
        conn.serverNonce = serverNonce;
        conn.state = 'auth';
        const signature = ed25519SignFast(
          serverTranscript(identity.publicKey, serverNonce, clientNonce),
          identity.secretKey,
        );
        conn.ws.send(
          encodeServerHello({ serverPublicKey: identity.publicKey, serverNonce, signature }),
        );
        return;
      }
      onAuth(conn, decodeAuth(packet));
    } catch (e) {
      violation(conn, 'malformed-handshake', (e as Error).message);
    }
  }

  function onConnection(ws: WsSocket, req: IncomingMessage): void {
    ws.binaryType = 'arraybuffer';
    const t = performance.now();
    const conn: Conn = {
      ws,
      remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      openedAt: t,
      state: 'hello',
      clientNonce: undefined,
      serverNonce: undefined,
      session: undefined,
      lastSeen: t,
      msgTokens: 2 * messagesPerSecond,
      byteTokens: Math.max(bytesPerSecond, 4 * (chunkBytes + DATA_HEADER_BYTES)),
      refilledAt: t,
      handshakeTimer: undefined,
      paused: false,
    };
    conns.add(conn);
    metrics.increment('privagg_fl_connections_total');
    gauges();
    conn.handshakeTimer = setTimeout(() => {
      if (conn.state === 'hello' || conn.state === 'auth')
        violation(conn, 'handshake-timeout', `no authentication within ${handshakeTimeoutMs} ms`);
    }, handshakeTimeoutMs);
    ws.on('message', (data, isBinary) => onMessage(conn, data as ArrayBuffer, isBinary));
    ws.on('pong', () => {
      conn.lastSeen = performance.now();
    });
    ws.on('error', (e) => {
      const code = (e as { code?: string }).code;
      const reason =
        code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'oversized-message' : 'socket-error';
      reject(
        reason,
        { clientId: conn.session?.clientId, remote: conn.remote, detail: e.message },
        'WebSocket error',
      );
    });
    ws.on('close', (code: number) => {
      const session = conn.session;
      const wasLive = conn.state !== 'closed';
      if (wasLive) {
        if (conn.state === 'open') authenticated--;
        conn.state = 'closed';
        if (conn.handshakeTimer !== undefined) clearTimeout(conn.handshakeTimer);
        conns.delete(conn);
        gauges();
      }
      if (session === undefined || session.conn !== conn || session.ended) return;
      session.conn = undefined;
      session.channel.detach();
      if (code === 1000) {
        // the client closed on purpose: no resumption to wait for
        endSession(session, 'closed by the client');
        return;
      }
      if (closing || reconnectGraceMs === 0) {
        endSession(session, 'connection lost');
        return;
      }
      logger.info(
        { clientId: session.clientId, graceMs: reconnectGraceMs },
        'connection lost; session kept for resumption',
      );
      session.grace = setTimeout(
        () => endSession(session, 'connection lost and not resumed in time'),
        reconnectGraceMs,
      );
    });
  }

  function refuse(socket: Duplex, status: number, reason: string, remote: string): void {
    reject(reason, { remote }, 'connection refused');
    try {
      socket.end(
        `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
    } catch {
      // gone
    }
    socket.destroy();
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const url = (req.url ?? '/').split('?')[0];
    if (url !== path) {
      if (owned) refuse(socket, 404, 'wrong-path', remote);
      return;
    }
    if (closing) {
      refuse(socket, 503, 'server-closing', remote);
      return;
    }
    if (sockets.size >= maxConnections) {
      refuse(socket, 503, 'too-many-connections', remote);
      return;
    }
    if (sockets.size - authenticated >= maxUnauthenticated) {
      refuse(socket, 503, 'too-many-unauthenticated', remote);
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req));
  };
  httpServer.on('upgrade', onUpgrade);

  const pinger = setInterval(() => {
    const t = performance.now();
    for (const conn of conns) {
      if (t - conn.lastSeen > idleTimeoutMs) {
        violation(conn, 'idle-timeout', `nothing received for ${idleTimeoutMs} ms`);
        conn.ws.terminate();
      } else {
        try {
          conn.ws.ping();
        } catch {
          // closing
        }
      }
    }
  }, pingIntervalMs);
  pinger.unref();

  if (owned) {
    await new Promise<void>((resolve, rejectListen) => {
      httpServer.once('error', rejectListen);
      httpServer.listen(port, host, () => {
        httpServer.off('error', rejectListen);
        resolve();
      });
    });
  }
  const address = httpServer.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const boundHost = typeof address === 'object' && address !== null ? address.address : host;
  const scheme = options.tls !== undefined || httpServer instanceof https.Server ? 'wss' : 'ws';
  const urlHost = boundHost.includes(':') ? `[${boundHost}]` : boundHost;
  logger.info(
    { url: `${scheme}://${urlHost}:${boundPort}${path}`, serverKey: toHex(identity.publicKey) },
    'listening',
  );

  return {
    url: `${scheme}://${urlHost}:${boundPort}${path}`,
    port: boundPort,
    publicKey: identity.publicKey.slice(),
    metrics,
    clients: () => [...sessions.keys()],
    onEvent(handler) {
      events.on(handler);
    },
    send(clientId, frame) {
      if (typeof clientId !== 'string')
        return Promise.reject(new TypeError('"clientId" expected string'));
      aBytes('frame', frame);
      const session = sessions.get(clientId);
      if (session === undefined)
        return Promise.reject(
          new PrivaggError('CONNECTION_CLOSED', `client ${clientId} is not connected`),
        );
      metrics.increment('privagg_fl_frames_sent_total');
      return session.channel.send(frame);
    },
    disconnect(clientId, reason) {
      if (typeof clientId !== 'string') throw new TypeError('"clientId" expected string');
      if (typeof reason !== 'string') throw new TypeError('"reason" expected string');
      const session = sessions.get(clientId);
      if (session === undefined) return;
      logger.info({ clientId, reason }, 'disconnecting client');
      if (session.conn !== undefined) closeConn(session.conn, CLOSE_SERVER, 'disconnected', reason);
      endSession(session, reason);
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(pinger);
      httpServer.off('upgrade', onUpgrade);
      for (const conn of [...conns])
        closeConn(conn, CLOSE_SERVER, 'server-closing', 'the server is shutting down');
      for (const session of [...sessions.values()]) endSession(session, 'server closed');
      // give close frames a moment to go out, then cut what is left
      for (let i = 0; i < 20 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (owned) {
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections?.();
        });
      }
      logger.info({}, 'closed');
    },
  };
}
