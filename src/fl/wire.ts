/**
 * The WebSocket wire format of `privagg/fl`: every WebSocket message is one binary packet with
 * the core codec header (`"PA" | version | type`). Four handshake packets authenticate both
 * ends; then DATA packets carry chunks of sequenced frames and ACK packets acknowledge whole
 * frames. Decoding is bounded and every failure is `MALFORMED_MESSAGE`.
 * @module
 * @internal
 */
import {
  ByteReader,
  ByteWriter,
  MAGIC,
  PrivaggError,
  aBytes,
  aInteger,
  utf8,
} from '../core/index.ts';

/** @internal Wire version. */
export const WIRE_VERSION = 1;
/** @internal Packet types. */
export const PACKET = {
  clientHello: 1,
  serverHello: 2,
  auth: 3,
  welcome: 4,
  data: 16,
  ack: 17,
} as const;
/** @internal Bytes of a DATA packet before its payload. */
export const DATA_HEADER_BYTES = 16;
/** @internal Longest client id in UTF-8 bytes. */
export const MAX_CLIENT_ID_BYTES = 128;
/** @internal Longest token in bytes. */
export const MAX_TOKEN_BYTES = 1024;
/** @internal Longest handshake packet (any packet before WELCOME). */
export const MAX_HANDSHAKE_BYTES = 2048;
/** @internal Authentication methods carried in AUTH. */
export const AUTH_METHOD = { insecureNone: 0, key: 1, token: 2 } as const;

const bad = (message: string): PrivaggError => new PrivaggError('MALFORMED_MESSAGE', message);

/** @internal The type byte of a packet (after checking magic and version), or an error. */
export function packetType(packet: Uint8Array): number {
  if (packet.length < 4) throw bad('packet shorter than its header');
  if (packet[0] !== MAGIC[0] || packet[1] !== MAGIC[1]) throw bad('not a privagg packet');
  if (packet[2] !== WIRE_VERSION) throw bad(`unsupported wire version ${packet[2]}`);
  return packet[3] as number;
}

/** @internal CLIENT_HELLO: the client's fresh nonce. */
export function encodeClientHello(clientNonce: Uint8Array): Uint8Array {
  aBytes('clientNonce', clientNonce, 32);
  return new ByteWriter(36).header(WIRE_VERSION, PACKET.clientHello).raw(clientNonce).finish();
}

/** @internal */
export function decodeClientHello(packet: Uint8Array): Uint8Array {
  const r = new ByteReader(packet, MAX_HANDSHAKE_BYTES);
  r.header(PACKET.clientHello, [WIRE_VERSION]);
  const nonce = r.raw(32);
  r.end();
  return nonce;
}

/** @internal SERVER_HELLO: the server's identity, its nonce and its signature over both nonces. */
export interface ServerHello {
  readonly serverPublicKey: Uint8Array;
  readonly serverNonce: Uint8Array;
  readonly signature: Uint8Array;
}

/** @internal */
export function encodeServerHello(m: ServerHello): Uint8Array {
  return new ByteWriter(132)
    .header(WIRE_VERSION, PACKET.serverHello)
    .raw(m.serverPublicKey)
    .raw(m.serverNonce)
    .raw(m.signature)
    .finish();
}

/** @internal */
export function decodeServerHello(packet: Uint8Array): ServerHello {
  const r = new ByteReader(packet, MAX_HANDSHAKE_BYTES);
  r.header(PACKET.serverHello, [WIRE_VERSION]);
  const m = { serverPublicKey: r.raw(32), serverNonce: r.raw(32), signature: r.raw(64) };
  r.end();
  return m;
}

/** @internal AUTH: who the client is, its credential, what it resumes, and its signature. */
export interface AuthMessage {
  readonly method: number;
  readonly clientId: string;
  readonly publicKey: Uint8Array;
  readonly token: Uint8Array;
  /** 16 bytes; all zero for a new session. */
  readonly sessionId: Uint8Array;
  /** The next frame sequence number the client expects from the server. */
  readonly nextExpected: number;
  readonly signature: Uint8Array;
}

/** @internal A client id must be 1..128 UTF-8 bytes of printable characters. */
export function aClientId(name: string, clientId: unknown): asserts clientId is string {
  if (typeof clientId !== 'string') throw new TypeError(`"${name}" expected string`);
  const n = utf8(clientId).length;
  if (n < 1 || n > MAX_CLIENT_ID_BYTES || !/^[\x21-\x7e]+$/.test(clientId))
    throw new RangeError(
      `"${name}" expected 1 to ${MAX_CLIENT_ID_BYTES} printable ASCII characters without spaces`,
    );
}

function writeAuthBody(w: ByteWriter, m: Omit<AuthMessage, 'signature'>): ByteWriter {
  aInteger('nextExpected', m.nextExpected, 1, 0xffffffff);
  return w
    .u8(m.method)
    .bytes(utf8(m.clientId))
    .raw(m.publicKey)
    .bytes(m.token)
    .raw(m.sessionId)
    .u32(m.nextExpected);
}

/** @internal */
export function encodeAuth(m: AuthMessage): Uint8Array {
  return writeAuthBody(new ByteWriter(256).header(WIRE_VERSION, PACKET.auth), m)
    .raw(m.signature)
    .finish();
}

/** @internal */
export function decodeAuth(packet: Uint8Array): AuthMessage {
  const r = new ByteReader(packet, MAX_HANDSHAKE_BYTES);
  r.header(PACKET.auth, [WIRE_VERSION]);
  const method = r.u8();
  if (method > AUTH_METHOD.token) throw bad(`unknown authentication method ${method}`);
  const idBytes = r.bytes(MAX_CLIENT_ID_BYTES, 1);
  let clientId: string;
  try {
    clientId = new TextDecoder('utf-8', { fatal: true }).decode(idBytes);
    aClientId('clientId', clientId);
  } catch {
    throw bad('client id is not printable ASCII of 1 to 128 bytes');
  }
  const m: AuthMessage = {
    method,
    clientId,
    publicKey: r.raw(32),
    token: r.bytes(MAX_TOKEN_BYTES),
    sessionId: r.raw(16),
    nextExpected: r.u32InRange('nextExpected', 1, 0xffffffff),
    signature: r.raw(64),
  };
  r.end();
  return m;
}

/** @internal The bytes a client signs: both nonces, the pinned server key and its AUTH fields. */
export function clientTranscript(
  serverPublicKey: Uint8Array,
  serverNonce: Uint8Array,
  clientNonce: Uint8Array,
  m: Omit<AuthMessage, 'signature'>,
): Uint8Array {
  const w = new ByteWriter(256).raw(utf8('privagg-fl/v1 client-auth'));
  w.raw(serverPublicKey).raw(serverNonce).raw(clientNonce);
  return writeAuthBody(w, m).finish();
}

/** @internal The bytes the server signs: its key and both nonces of this connection. */
export function serverTranscript(
  serverPublicKey: Uint8Array,
  serverNonce: Uint8Array,
  clientNonce: Uint8Array,
): Uint8Array {
  return new ByteWriter(128)
    .raw(utf8('privagg-fl/v1 server-auth'))
    .raw(serverPublicKey)
    .raw(serverNonce)
    .raw(clientNonce)
    .finish();
}

/** @internal WELCOME: the session, whether it resumed, and the limits the client must respect. */
export interface Welcome {
  readonly sessionId: Uint8Array;
  readonly resumed: boolean;
  /** The next frame sequence number the server expects from the client. */
  readonly nextExpected: number;
  readonly chunkBytes: number;
  readonly maxFrameBytes: number;
}

/** @internal */
export function encodeWelcome(m: Welcome): Uint8Array {
  return new ByteWriter(40)
    .header(WIRE_VERSION, PACKET.welcome)
    .raw(m.sessionId)
    .u8(m.resumed ? 1 : 0)
    .u32(m.nextExpected)
    .u32(m.chunkBytes)
    .u32(m.maxFrameBytes)
    .finish();
}

/** @internal */
export function decodeWelcome(packet: Uint8Array): Welcome {
  const r = new ByteReader(packet, MAX_HANDSHAKE_BYTES);
  r.header(PACKET.welcome, [WIRE_VERSION]);
  const sessionId = r.raw(16);
  const resumedByte = r.u8();
  if (resumedByte > 1) throw bad('resumed flag is not 0 or 1');
  const m: Welcome = {
    sessionId,
    resumed: resumedByte === 1,
    nextExpected: r.u32InRange('nextExpected', 1, 0xffffffff),
    chunkBytes: r.u32InRange('chunkBytes', 1, 0xffffffff),
    maxFrameBytes: r.u32InRange('maxFrameBytes', 0, 0xffffffff),
  };
  r.end();
  return m;
}

/** @internal One chunk of a frame. */
export interface DataChunk {
  readonly seq: number;
  readonly total: number;
  readonly offset: number;
  readonly payload: Uint8Array;
}

/** @internal A DATA packet: `header | seq u32 | total u32 | offset u32 | payload`. */
export function encodeData(
  seq: number,
  total: number,
  offset: number,
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(DATA_HEADER_BYTES + payload.length);
  out[0] = MAGIC[0];
  out[1] = MAGIC[1];
  out[2] = WIRE_VERSION;
  out[3] = PACKET.data;
  const v = new DataView(out.buffer);
  v.setUint32(4, seq, true);
  v.setUint32(8, total, true);
  v.setUint32(12, offset, true);
  out.set(payload, DATA_HEADER_BYTES);
  return out;
}

/** @internal Decode a DATA packet (the payload is a view into `packet`). */
export function decodeData(packet: Uint8Array): DataChunk {
  if (packet.length < DATA_HEADER_BYTES) throw bad('DATA packet shorter than its header');
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  return {
    seq: v.getUint32(4, true),
    total: v.getUint32(8, true),
    offset: v.getUint32(12, true),
    payload: packet.subarray(DATA_HEADER_BYTES),
  };
}

/** @internal An ACK packet: every frame up to `seq` arrived whole. */
export function encodeAck(seq: number): Uint8Array {
  return new ByteWriter(8).header(WIRE_VERSION, PACKET.ack).u32(seq).finish();
}

/** @internal */
export function decodeAck(packet: Uint8Array): number {
  const r = new ByteReader(packet, 8);
  r.header(PACKET.ack, [WIRE_VERSION]);
  const seq = r.u32();
  r.end();
  return seq;
}
