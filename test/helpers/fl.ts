/** Helpers for the network transport tests: a capturing logger and a raw WebSocket peer. */
import WebSocket from 'ws';
import {
  createWebSocketServerTransport,
  generateIdentity,
  type Identity,
  type Logger,
  type ServerTransportEvent,
  type WebSocketServerTransport,
  type WebSocketServerTransportOptions,
} from '../../src/fl/index.ts';
import { ed25519SignFast } from '../../src/core/index.ts';
import {
  AUTH_METHOD,
  clientTranscript,
  decodeServerHello,
  decodeWelcome,
  encodeAuth,
  encodeClientHello,
  type Welcome,
} from '../../src/fl/wire.ts';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every entry. */
export function captureLogger(): { logger: Logger; entries: LogEntry[]; reasons: () => string[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (fields: object, message: string): void => {
      entries.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return {
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    entries,
    reasons: () =>
      entries.filter((e) => e.level === 'warn').map((e) => String(e.fields.reason ?? '')),
  };
}

/** A server with a registered client key set, collecting its events. */
export async function startServer(
  options: Partial<WebSocketServerTransportOptions> = {},
  clientIds: readonly string[] = ['alice', 'bob'],
): Promise<{
  server: WebSocketServerTransport;
  identity: Identity;
  clients: Map<string, Identity>;
  events: ServerTransportEvent[];
  log: ReturnType<typeof captureLogger>;
}> {
  const identity = generateIdentity();
  const clients = new Map(clientIds.map((id) => [id, generateIdentity()]));
  const log = captureLogger();
  const server = await createWebSocketServerTransport({
    identity,
    auth: { clients: new Map([...clients].map(([id, k]) => [id, k.publicKey])) },
    logger: log.logger,
    ...options,
  });
  const events: ServerTransportEvent[] = [];
  server.onEvent((e) => events.push(e));
  return { server, identity, clients, events, log };
}

/** Wait until `check` holds (polling), or fail after `ms`. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw WebSocket peer that records what it receives and how it closed. */
export interface RawPeer {
  ws: WebSocket;
  received: Uint8Array[];
  closed: Promise<{ code: number; reason: string }>;
  next(): Promise<Uint8Array>;
}

export async function rawConnect(
  url: string,
  options: { autoPong?: boolean } = {},
): Promise<RawPeer> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  ws.binaryType = 'arraybuffer';
  const received: Uint8Array[] = [];
  let waiting: ((b: Uint8Array) => void) | undefined;
  ws.on('message', (d) => {
    const b = new Uint8Array(d as ArrayBuffer);
    if (waiting !== undefined) {
      const w = waiting;
      waiting = undefined;
      w(b);
    } else received.push(b);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return {
    ws,
    received,
    closed,
    next: () => {
      const b = received.shift();
      if (b !== undefined) return Promise.resolve(b);
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
  };
}

/** Run the client side of the handshake by hand; returns the raw peer and the welcome. */
export async function rawAuthenticate(
  url: string,
  clientId: string,
  key: Identity,
  resume?: { sessionId: Uint8Array; nextExpected: number },
  options: { autoPong?: boolean } = {},
): Promise<{ peer: RawPeer; welcome: Welcome; sent: Uint8Array[] }> {
  const peer = await rawConnect(url, options);
  const clientNonce = new Uint8Array(32).fill(7);
  const sent = [encodeClientHello(clientNonce)];
  peer.ws.send(sent[0] as Uint8Array);
  const hello = decodeServerHello(await peer.next());
  const body = {
    method: AUTH_METHOD.key,
    clientId,
    publicKey: key.publicKey,
    token: new Uint8Array(0),
    sessionId: resume?.sessionId ?? new Uint8Array(16),
    nextExpected: resume?.nextExpected ?? 1,
  };
  const signature = ed25519SignFast(
    clientTranscript(hello.serverPublicKey, hello.serverNonce, clientNonce, body),
    key.secretKey,
  );
  sent.push(encodeAuth({ ...body, signature }));
  peer.ws.send(sent[1] as Uint8Array);
  const welcome = decodeWelcome(await peer.next());
  return { peer, welcome, sent };
}

/** Frames delivered to the server from one client, in order. */
export function framesFrom(
  events: readonly ServerTransportEvent[],
  clientId: string,
): Uint8Array[] {
  return events.flatMap((e) => (e.type === 'message' && e.clientId === clientId ? [e.frame] : []));
}
