/**
 * The client transport over WebSocket, one implementation for Node (package `ws`, loaded lazily)
 * and browsers (the native `WebSocket`). It checks the server against a pinned Ed25519 key
 * before it says who it is, authenticates with its own key (registered on the server, or
 * carried by an operator-issued token), and resumes its session after a dropped connection
 * with no frame lost or repeated. No `node:` import on this path.
 * @module
 */
import {
  aBytes,
  aOptions,
  type ClientTransport,
  type ClientTransportEvent,
  ed25519PublicKeyFast,
  ed25519SignFast,
  ed25519VerifyFast,
  equalBytes,
  PrivaggError,
  type Rng,
  randomBytes,
} from '../core/index.ts';
import { tokenBytes, wrongServer } from './auth.ts';
import { Channel } from './channel.ts';
import { EventQueue, type Logger, optionalInteger, SILENT_LOGGER } from './events.ts';
import {
  AUTH_METHOD,
  aClientId,
  clientTranscript,
  DATA_HEADER_BYTES,
  decodeServerHello,
  decodeWelcome,
  encodeAuth,
  encodeClientHello,
  serverTranscript,
  type Welcome,
} from './wire.ts';

/**
 * A WebSocket class: the browser's `WebSocket`, or `ws`'s on Node. Called as `new C(url)`.
 * @since 0.1.0
 * @public
 */
export type WebSocketConstructor = new (url: string) => object;

/**
 * Options of {@link connectWebSocketTransport}.
 * @since 0.1.0
 * @public
 */
export interface WebSocketClientTransportOptions {
  /**
   * The server's pinned Ed25519 public key (32 bytes); required unless `auth` is `'insecure-none'`.
   * @defaultValue none
   */
  readonly serverPublicKey?: Uint8Array;
  /** This client's id (1 to 128 printable ASCII characters). */
  readonly clientId: string;
  /**
   * This client's 32-byte Ed25519 secret seed; required unless `auth` is `'insecure-none'`.
   * @defaultValue none
   */
  readonly secretKey?: Uint8Array;
  /**
   * An operator-issued token for this client id and key ({@link issueToken}); without one, the
   * server must have the client's public key registered.
   * @defaultValue none
   */
  readonly token?: string;
  /**
   * `'insecure-none'`: claim `clientId` without proof and accept any server (local tests only).
   * @defaultValue authenticated
   */
  readonly auth?: 'insecure-none';
  /**
   * The WebSocket class to use.
   * @defaultValue `ws` on Node (loaded on first use), the global `WebSocket` elsewhere
   */
  readonly WebSocket?: WebSocketConstructor;
  /**
   * Extra trusted CA certificates (PEM) for `wss://` on Node with the default `ws` class.
   * @defaultValue the system's
   */
  readonly ca?: string | Uint8Array;
  /**
   * Largest frame accepted from the server.
   * @defaultValue 64 MiB
   */
  readonly maxFrameBytes?: number;
  /**
   * Largest chunk this client sends or accepts (the server's limit applies when smaller).
   * @defaultValue 1 MiB
   */
  readonly chunkBytes?: number;
  /**
   * Send window: `send` waits while more unacknowledged bytes are queued.
   * @defaultValue 4 MiB
   */
  readonly highWaterMark?: number;
  /**
   * Time allowed for connecting and authenticating.
   * @defaultValue 10000 ms
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * A frame begun by the server must be complete within this time.
   * @defaultValue 30000 ms
   */
  readonly frameTimeoutMs?: number;
  /**
   * After a lost connection, keep trying to resume for this long (keep it below the server's
   * `reconnectGraceMs`); 0 turns reconnection off.
   * @defaultValue 20000 ms
   */
  readonly reconnectGraceMs?: number;
  /**
   * First delay between reconnection attempts (doubling up to 2 s).
   * @defaultValue 100 ms
   */
  readonly reconnectDelayMs?: number;
  /**
   * Where structured logs go.
   * @defaultValue silent
   */
  readonly logger?: Logger;
  /**
   * Randomness for nonces.
   * @defaultValue the CSPRNG
   */
  readonly rng?: Rng;
}

/**
 * A connected WebSocket client transport.
 * @since 0.1.0
 * @public
 */
export interface WebSocketClientTransport extends ClientTransport {
  /** The largest frame the server accepts. */
  readonly maxFrameBytes: number;
  /**
   * Drop the current connection without ending the session, as a network failure would (the
   * transport reconnects and resumes); for tests of resumption.
   */
  interruptForTesting(): void;
}

interface Socket {
  binaryType: string;
  readonly bufferedAmount: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

const OPTION_KEYS = [
  'serverPublicKey',
  'clientId',
  'secretKey',
  'token',
  'auth',
  'WebSocket',
  'ca',
  'maxFrameBytes',
  'chunkBytes',
  'highWaterMark',
  'handshakeTimeoutMs',
  'frameTimeoutMs',
  'reconnectGraceMs',
  'reconnectDelayMs',
  'logger',
  'rng',
] as const;

const MiB = 1024 * 1024;

/** Close codes after which reconnecting is pointless (the server or this client meant it). */
function isFinal(code: number): boolean {
  return (
    code === 1000 ||
    code === 1003 ||
    code === 1008 ||
    code === 1009 ||
    (code >= 4000 && code < 5000)
  );
}

async function defaultWebSocket(
  ca: string | Uint8Array | undefined,
  maxPayload: number,
): Promise<WebSocketConstructor> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node !== undefined) {
    // a computed specifier: browser bundlers leave it alone, so no `ws` in a browser bundle
    const spec = ['w', 's'].join('');
    const mod = (await import(/* @vite-ignore */ spec)) as {
      WebSocket: new (url: string, options: object) => object;
    };
    const Ws = mod.WebSocket;
    return class extends Ws {
      constructor(url: string) {
        super(url, { maxPayload, perMessageDeflate: false, ...(ca === undefined ? {} : { ca }) });
      }
    };
  }
  const Native = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Native === undefined)
    throw new PrivaggError('BACKEND_UNAVAILABLE', 'no WebSocket implementation in this runtime');
  return Native;
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * Connect to a server transport ({@link createWebSocketServerTransport}) and authenticate.
 * Resolves once the server has proved its pinned identity and accepted this client.
 * @param url - `ws://` or `wss://` address of the server
 * @param options - server key, client id and credentials, limits
 * @returns the connected transport
 * @throws {@link !TypeError} for wrong option types or unknown options
 * @throws {@link !RangeError} for out-of-range limits or a malformed token
 * @throws {@link index.PrivaggError} `UNAUTHENTICATED` when the server is not the pinned one or refuses
 * the credentials; `CONNECTION_CLOSED` when no connection can be made in time
 * @since 0.1.0
 * @public
 */
export async function connectWebSocketTransport(
  url: string,
  options: WebSocketClientTransportOptions,
): Promise<WebSocketClientTransport> {
  if (typeof url !== 'string') throw new TypeError('"url" expected string');
  if (!/^wss?:\/\//.test(url)) throw new RangeError('"url" expected a ws:// or wss:// address');
  aOptions('options', options, OPTION_KEYS);
  const insecure = options.auth === 'insecure-none';
  if (options.auth !== undefined && !insecure)
    throw new RangeError('"auth" expected "insecure-none" or nothing');
  aClientId('clientId', options.clientId);
  const clientId = options.clientId;
  let secretKey: Uint8Array | undefined;
  let publicKey: Uint8Array = new Uint8Array(32);
  let pinned: Uint8Array | undefined;
  let token: Uint8Array = new Uint8Array(0);
  if (!insecure) {
    aBytes('serverPublicKey', options.serverPublicKey, 32);
    aBytes('secretKey', options.secretKey, 32);
    pinned = options.serverPublicKey.slice();
    secretKey = options.secretKey.slice();
    publicKey = ed25519PublicKeyFast(secretKey);
    if (options.token !== undefined) token = tokenBytes(options.token);
  }
  const method = insecure
    ? AUTH_METHOD.insecureNone
    : token.length > 0
      ? AUTH_METHOD.token
      : AUTH_METHOD.key;
  const chunkBytes = optionalInteger('chunkBytes', options.chunkBytes, MiB, 64, 256 * MiB);
  const maxFrameBytes = optionalInteger(
    'maxFrameBytes',
    options.maxFrameBytes,
    64 * MiB,
    0,
    0xffffffff,
  );
  const highWaterMark = optionalInteger('highWaterMark', options.highWaterMark, 4 * MiB);
  const handshakeTimeoutMs = optionalInteger(
    'handshakeTimeoutMs',
    options.handshakeTimeoutMs,
    10_000,
  );
  const frameTimeoutMs = optionalInteger('frameTimeoutMs', options.frameTimeoutMs, 30_000);
  const reconnectGraceMs = optionalInteger('reconnectGraceMs', options.reconnectGraceMs, 20_000, 0);
  const reconnectDelayMs = optionalInteger('reconnectDelayMs', options.reconnectDelayMs, 100);
  const rng = options.rng ?? randomBytes;
  if (typeof rng !== 'function') throw new TypeError('"rng" expected function');
  const logger = options.logger ?? SILENT_LOGGER;
  const Ctor =
    options.WebSocket ?? (await defaultWebSocket(options.ca, chunkBytes + DATA_HEADER_BYTES));
  if (typeof Ctor !== 'function') throw new TypeError('"WebSocket" expected a constructor');

  const events = new EventQueue<ClientTransportEvent>(logger);
  let socket: Socket | undefined;
  let sessionId: Uint8Array = new Uint8Array(16);
  let serverMaxFrame = 0xffffffff;
  let finished = false;
  let reconnecting = false;

  const finish = (reason: string): void => {
    if (finished) return;
    finished = true;
    channel.close(reason);
    const s = socket;
    socket = undefined;
    try {
      s?.close(1000, 'client closing');
    } catch {
      // already closed
    }
    logger.info({ clientId, reason }, 'transport closed');
    events.emit({ type: 'disconnect', reason });
  };

  const channel = new Channel({
    chunkBytes,
    maxFrameBytes,
    highWaterMark,
    frameTimeoutMs,
    onFrame(frame) {
      events.emit({ type: 'message', frame });
    },
    onViolation(reason, detail) {
      logger.warn({ reason, detail }, 'server broke the protocol');
      finish(`server broke the protocol (${reason}: ${detail})`);
    },
    onDuplicate(seq) {
      logger.debug({ seq }, 'duplicate frame from the server dropped');
    },
  });

  /** One connection attempt: open, handshake; resolves with the socket and the server's welcome. */
  function handshake(): Promise<{ ws: Socket; welcome: Welcome }> {
    return new Promise((resolve, reject) => {
      let ws: Socket;
      try {
        ws = new Ctor(url) as Socket;
      } catch (cause) {
        reject(new PrivaggError('CONNECTION_CLOSED', 'cannot open the WebSocket', { cause }));
        return;
      }
      ws.binaryType = 'arraybuffer';
      const clientNonce = rng(32);
      let phase: 'hello' | 'welcome' | 'done' = 'hello';
      let serverNonce: Uint8Array | undefined;
      const fail = (e: PrivaggError, code: number): void => {
        if (phase === 'done') return;
        phase = 'done';
        clearTimeout(timer);
        try {
          ws.close(code, e.code);
        } catch {
          // already closed
        }
        reject(e);
      };
      const timer = setTimeout(
        () =>
          fail(
            new PrivaggError('CONNECTION_CLOSED', `no handshake within ${handshakeTimeoutMs} ms`),
            4000,
          ),
        handshakeTimeoutMs,
      );
      ws.onopen = () => {
        try {
          ws.send(encodeClientHello(clientNonce));
        } catch {
          // the close handler reports it
        }
      };
      ws.onerror = () => {};
      ws.onclose = (ev) => {
        const e =
          ev.code === 4001
            ? new PrivaggError('UNAUTHENTICATED', `the server refused this client (${ev.reason})`)
            : new PrivaggError(
                'CONNECTION_CLOSED',
                `connection closed during the handshake (code ${ev.code})`,
              );
        fail(e, 1000);
      };
      ws.onmessage = (ev) => {
        const packet = toBytes(ev.data);
        try {
          if (packet === undefined)
            throw new PrivaggError('MALFORMED_MESSAGE', 'text message from the server');
          if (phase === 'hello') {
            const hello = decodeServerHello(packet);
            if (pinned !== undefined && !equalBytes(hello.serverPublicKey, pinned))
              throw wrongServer('the server key is not the pinned one');
            if (
              !ed25519VerifyFast(
                hello.signature,
                serverTranscript(hello.serverPublicKey, hello.serverNonce, clientNonce),
                hello.serverPublicKey,
              )
            )
              throw wrongServer('bad server signature');
            serverNonce = hello.serverNonce;
            const body = {
              method,
              clientId,
              publicKey,
              token,
              sessionId,
              nextExpected: channel.recvNext,
            };
            const signature =
              secretKey === undefined
                ? new Uint8Array(64)
                : ed25519SignFast(
                    clientTranscript(hello.serverPublicKey, serverNonce, clientNonce, body),
                    secretKey,
                  );
            ws.send(encodeAuth({ ...body, signature }));
            phase = 'welcome';
            return;
          }
          if (phase === 'welcome') {
            const welcome = decodeWelcome(packet);
            phase = 'done';
            clearTimeout(timer);
            resolve({ ws, welcome });
          }
        } catch (e) {
          const err =
            e instanceof PrivaggError
              ? e
              : new PrivaggError('MALFORMED_MESSAGE', 'bad handshake message');
          fail(err, err.code === 'UNAUTHENTICATED' ? 4001 : 4000);
        }
      };
    });
  }

  function adopt(ws: Socket, welcome: Welcome): boolean {
    sessionId = welcome.sessionId;
    serverMaxFrame = welcome.maxFrameBytes;
    channel.limitChunk(welcome.chunkBytes);
    socket = ws;
    ws.onmessage = (ev) => {
      if (socket !== ws) return;
      const packet = toBytes(ev.data);
      if (packet === undefined) {
        finish('text message from the server');
        return;
      }
      channel.receive(packet);
    };
    ws.onclose = (ev) => {
      if (socket !== ws) return;
      socket = undefined;
      channel.detach();
      if (finished) return;
      if (isFinal(ev.code) || reconnectGraceMs === 0) {
        finish(
          `connection closed by the server (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`,
        );
        return;
      }
      logger.info({ clientId, code: ev.code }, 'connection lost; resuming');
      void reconnect();
    };
    return channel.attach(
      {
        send: (packet) => ws.send(packet),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
      },
      welcome.nextExpected,
    );
  }

  async function reconnect(): Promise<void> {
    if (reconnecting) return;
    reconnecting = true;
    const start = Date.now();
    let delay = reconnectDelayMs;
    try {
      while (!finished && Date.now() - start < reconnectGraceMs) {
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(2 * delay, 2000);
        if (finished) return;
        let result: { ws: Socket; welcome: Welcome };
        try {
          result = await handshake();
        } catch (e) {
          if (e instanceof PrivaggError && e.code === 'UNAUTHENTICATED') {
            finish(`reconnection refused: ${e.message}`);
            return;
          }
          continue;
        }
        if (finished) {
          result.ws.close(1000, 'client closing');
          return;
        }
        if (!result.welcome.resumed) {
          result.ws.close(1000, 'session expired');
          finish('the server no longer had this session');
          return;
        }
        if (!adopt(result.ws, result.welcome)) {
          finish('the server resumed at a frame this client cannot resend');
          return;
        }
        logger.info({ clientId }, 'session resumed');
        return;
      }
      finish(`could not reconnect within ${reconnectGraceMs} ms`);
    } finally {
      reconnecting = false;
    }
  }

  const first = await handshake();
  if (!adopt(first.ws, first.welcome)) {
    first.ws.close(4000, 'bad welcome');
    throw new PrivaggError('MALFORMED_MESSAGE', 'the server expects frames this client never sent');
  }
  logger.info({ clientId }, 'connected');

  return {
    clientId,
    get maxFrameBytes() {
      return serverMaxFrame;
    },
    onEvent(handler) {
      events.on(handler);
    },
    send(frame) {
      aBytes('frame', frame);
      if (frame.length > serverMaxFrame)
        return Promise.reject(
          new RangeError(
            `"frame" of ${frame.length} bytes exceeds the server's limit of ${serverMaxFrame}`,
          ),
        );
      return channel.send(frame);
    },
    interruptForTesting() {
      const s = socket;
      if (s === undefined) return;
      // 3000 is not a final code: the client treats it as a network loss and resumes
      try {
        s.close(3000, 'interrupted for testing');
      } catch {
        // closed
      }
    },
    async close() {
      finish('closed by the client');
    },
  };
}
