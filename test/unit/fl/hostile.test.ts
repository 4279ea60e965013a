/**
 * Hostile traffic against the WebSocket server transport on loopback, bounded in count and
 * time: unauthenticated and malformed handshakes, replayed handshakes and frames, malformed and
 * oversized frames, a client that stalls mid-frame or in the handshake, a silent client, a
 * message flood and a connection flood. After each, the server is still up, an honest client's
 * frames arrive intact, and the rejection was logged with its reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { deterministicRngForTesting, ed25519SignFast } from '../../../src/core/index.ts';
import {
  connectWebSocketTransport,
  generateIdentity,
  type WebSocketServerTransportOptions,
} from '../../../src/fl/index.ts';
import {
  AUTH_METHOD,
  clientTranscript,
  decodeServerHello,
  encodeAck,
  encodeAuth,
  encodeClientHello,
  encodeData,
  encodeServerHello,
  serverTranscript,
} from '../../../src/fl/wire.ts';
import { framesFrom, rawAuthenticate, rawConnect, startServer, until } from '../../helpers/fl.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

const FAST: Partial<WebSocketServerTransportOptions> = {
  handshakeTimeoutMs: 300,
  frameTimeoutMs: 300,
  reconnectGraceMs: 200,
};

async function hostileServer(options: Partial<WebSocketServerTransportOptions> = {}) {
  const s = await startServer({ ...FAST, ...options });
  open.push(s.server);
  return s;
}

/** An honest client (bob) connects and a frame (300 kB by default) arrives byte for byte. */
async function honestStillWorks(
  s: Awaited<ReturnType<typeof hostileServer>>,
  size = 300_000,
): Promise<void> {
  const bob = s.clients.get('bob') as { secretKey: Uint8Array };
  const client = await connectWebSocketTransport(s.server.url, {
    serverPublicKey: s.identity.publicKey,
    clientId: 'bob',
    secretKey: bob.secretKey,
  });
  const frame = deterministicRngForTesting(new Uint8Array(32).fill(9))(size);
  const before = framesFrom(s.events, 'bob').length;
  await client.send(frame);
  await until(() => framesFrom(s.events, 'bob').length === before + 1, 5000, 'honest frame');
  expect(framesFrom(s.events, 'bob').at(-1)).toEqual(frame);
  await client.close();
}

describe('hostile traffic', () => {
  it('data before authenticating, text messages and garbage are refused and logged', async () => {
    const s = await hostileServer();
    const attempts = [
      encodeData(1, 3, 0, Uint8Array.of(1, 2, 3)),
      new Uint8Array(0),
      Uint8Array.of(0x50, 0x41, 9, 1),
    ];
    for (const packet of attempts) {
      const peer = await rawConnect(s.server.url);
      peer.ws.send(packet);
      expect((await peer.closed).code).toBe(4001);
    }
    const text = await rawConnect(s.server.url);
    text.ws.send('hello');
    expect((await text.closed).code).toBe(4001);
    expect(s.log.reasons().filter((r) => r === 'malformed-handshake')).toHaveLength(3);
    expect(s.log.reasons()).toContain('text-message');
    expect(s.events).toEqual([]);
    await honestStillWorks(s);
  });

  it('an oversized handshake message and an over-long WebSocket message are refused', async () => {
    const s = await hostileServer({ chunkBytes: 4096 });
    const a = await rawConnect(s.server.url);
    a.ws.send(new Uint8Array(3000));
    expect((await a.closed).code).toBe(4001);
    const b = await rawConnect(s.server.url);
    b.ws.send(new Uint8Array(10_000));
    expect((await b.closed).code).toBe(1009);
    await until(() => s.log.reasons().includes('oversized-message'), 2000, 'log');
    expect(s.log.reasons()).toContain('oversized-handshake');
    await honestStillWorks(s);
  });

  it('a forged signature for a registered key, and a replayed handshake, are refused', async () => {
    const s = await hostileServer();
    const alice = s.clients.get('alice') as { publicKey: Uint8Array; secretKey: Uint8Array };
    // a stranger presents alice's public key but signs with its own key
    const peer = await rawConnect(s.server.url);
    const nonce = new Uint8Array(32).fill(1);
    peer.ws.send(encodeClientHello(nonce));
    const hello = decodeServerHello(await peer.next());
    const body = {
      method: AUTH_METHOD.key,
      clientId: 'alice',
      publicKey: alice.publicKey,
      token: new Uint8Array(0),
      sessionId: new Uint8Array(16),
      nextExpected: 1,
    };
    const signature = ed25519SignFast(
      clientTranscript(hello.serverPublicKey, hello.serverNonce, nonce, body),
      generateIdentity().secretKey,
    );
    peer.ws.send(encodeAuth({ ...body, signature }));
    expect((await peer.closed).code).toBe(4001);
    expect(s.log.reasons()).toContain('bad-signature');
    // an eavesdropper replays alice's recorded CLIENT_HELLO and AUTH on a new connection: the
    // server's fresh nonce makes the recorded signature worthless
    const honest = await rawAuthenticate(s.server.url, 'alice', alice as never);
    const replay = await rawConnect(s.server.url);
    replay.ws.send(honest.sent[0] as Uint8Array);
    await replay.next();
    replay.ws.send(honest.sent[1] as Uint8Array);
    expect((await replay.closed).code).toBe(4001);
    expect(s.log.reasons().filter((r) => r === 'bad-signature')).toHaveLength(2);
    honest.peer.ws.close();
    await honestStillWorks(s);
  });

  it('replayed frames are dropped and logged, within a connection and across a resumption', async () => {
    const s = await hostileServer({ reconnectGraceMs: 2000 });
    const alice = s.clients.get('alice') as never;
    const first = await rawAuthenticate(s.server.url, 'alice', alice);
    const f1 = encodeData(1, 3, 0, Uint8Array.of(1, 2, 3));
    first.peer.ws.send(f1);
    first.peer.ws.send(f1);
    await until(() => s.log.reasons().includes('duplicate-frame'), 2000, 'duplicate');
    // the connection drops; alice resumes and her old frame is replayed on the new connection
    first.peer.ws.close();
    await first.peer.closed;
    const second = await rawAuthenticate(s.server.url, 'alice', alice, {
      sessionId: first.welcome.sessionId,
      nextExpected: 1,
    });
    expect(second.welcome.resumed).toBe(true);
    expect(second.welcome.nextExpected).toBe(2);
    second.peer.ws.send(f1);
    second.peer.ws.send(encodeData(2, 1, 0, Uint8Array.of(4)));
    await until(() => framesFrom(s.events, 'alice').length === 2, 2000, 'frame 2');
    expect(framesFrom(s.events, 'alice')).toEqual([Uint8Array.of(1, 2, 3), Uint8Array.of(4)]);
    expect(s.log.reasons().filter((r) => r === 'duplicate-frame')).toHaveLength(2);
    // a frame from the future (a gap) is a violation that ends the session
    second.peer.ws.send(encodeData(9, 1, 0, Uint8Array.of(5)));
    expect((await second.peer.closed).code).toBe(4000);
    expect(s.log.reasons()).toContain('sequence-gap');
    await until(() => s.events.some((e) => e.type === 'disconnect'), 2000, 'disconnect');
    await honestStillWorks(s);
  });

  it('malformed and oversized frames from an authenticated client end its session', async () => {
    const s = await hostileServer({ maxFrameBytes: 1000, chunkBytes: 512 });
    const alice = s.clients.get('alice') as never;
    const cases: [Uint8Array, string][] = [
      [encodeData(1, 5000, 0, new Uint8Array(10)), 'oversized-frame'],
      [encodeData(1, 10, 4, new Uint8Array(2)), 'malformed-chunk'],
      [encodeData(1, 10, 0, new Uint8Array(20)), 'malformed-chunk'],
      [encodeAck(7), 'bad-ack'],
      [encodeClientHello(new Uint8Array(32)), 'unexpected-packet'],
      [Uint8Array.of(1, 2, 3), 'malformed-packet'],
    ];
    for (const [packet, reason] of cases) {
      const { peer } = await rawAuthenticate(s.server.url, 'alice', alice);
      peer.ws.send(packet);
      expect((await peer.closed).code).toBe(4000);
      expect(s.log.reasons()).toContain(reason);
    }
    // every case ended alice's session (a disconnect event each)
    await until(
      () => s.events.filter((e) => e.type === 'disconnect').length === cases.length,
      2000,
      'disconnects',
    );
    await honestStillWorks(s, 1000);
  });

  it('a client that stalls mid-frame or mid-handshake is dropped on time', async () => {
    const s = await hostileServer({ chunkBytes: 512 });
    const alice = s.clients.get('alice') as never;
    const { peer } = await rawAuthenticate(s.server.url, 'alice', alice);
    const t0 = performance.now();
    peer.ws.send(encodeData(1, 1000, 0, new Uint8Array(512)));
    expect((await peer.closed).code).toBe(4000);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(s.log.reasons()).toContain('stalled-frame');
    expect(framesFrom(s.events, 'alice')).toEqual([]);
    const silent = await rawConnect(s.server.url);
    expect((await silent.closed).code).toBe(4001);
    expect(s.log.reasons()).toContain('handshake-timeout');
    await honestStillWorks(s);
  });

  it('a client that stops answering pings is dropped as idle', async () => {
    const s = await hostileServer({ pingIntervalMs: 50, idleTimeoutMs: 200 });
    const { peer } = await rawAuthenticate(
      s.server.url,
      'alice',
      s.clients.get('alice') as never,
      undefined,
      {
        autoPong: false,
      },
    );
    await peer.closed;
    expect(s.log.reasons()).toContain('idle-timeout');
    await honestStillWorks(s);
  });

  it('a message flood is cut off at the rate limit', async () => {
    const s = await hostileServer({ messagesPerSecond: 50 });
    const { peer } = await rawAuthenticate(s.server.url, 'alice', s.clients.get('alice') as never);
    for (let i = 1; i <= 300; i++) peer.ws.send(encodeData(i, 0, 0, new Uint8Array(0)));
    expect((await peer.closed).code).toBe(4000);
    expect(s.log.reasons()).toContain('rate-limit');
    // what arrived before the cut was delivered whole and in order
    const got = framesFrom(s.events, 'alice');
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(300);
    await honestStillWorks(s);
  });

  it('a connection flood is capped before the upgrade; the server recovers', async () => {
    const s = await hostileServer({ maxUnauthenticated: 8, maxConnections: 20 });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => rawConnect(s.server.url)),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(accepted.length).toBe(8);
    expect(refused.length).toBe(32);
    for (const r of refused) expect(String((r as PromiseRejectedResult).reason)).toContain('503');
    expect(s.log.reasons().filter((r) => r === 'too-many-unauthenticated')).toHaveLength(32);
    // the flood never authenticates: the handshake deadline frees the slots
    await until(
      () => s.log.reasons().filter((r) => r === 'handshake-timeout').length === 8,
      3000,
      'timeouts',
    );
    await honestStillWorks(s);
    expect(
      s.server.metrics.value('privagg_fl_rejections_total', { reason: 'too-many-unauthenticated' }),
    ).toBe(32);
  });

  it('the connection cap counts authenticated clients too', async () => {
    const s = await hostileServer({ maxConnections: 2 });
    const a = await rawAuthenticate(s.server.url, 'alice', s.clients.get('alice') as never);
    const b = await rawAuthenticate(s.server.url, 'bob', s.clients.get('bob') as never);
    await expect(rawConnect(s.server.url)).rejects.toThrow('503');
    expect(s.log.reasons()).toContain('too-many-connections');
    a.peer.ws.close();
    b.peer.ws.close();
    await Promise.all([a.peer.closed, b.peer.closed]);
    await until(() => s.server.metrics.value('privagg_fl_connections_open') === 0, 2000, 'closed');
    await new Promise((r) => setTimeout(r, 50));
    await honestStillWorks(s);
  });
});

describe('a hostile server', () => {
  async function fakeServer(answer: (ws: WebSocket, hello: Uint8Array) => void) {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) =>
      ws.once('message', (d) => answer(ws, new Uint8Array(d as Buffer))),
    );
    open.push({ close: () => new Promise<void>((r) => wss.close(() => r())) });
    return `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
  }
  const me = generateIdentity();

  it('a stranger presenting the pinned key without its secret cannot pose as the server', async () => {
    const real = generateIdentity();
    const stranger = generateIdentity();
    const url = await fakeServer((ws, hello) => {
      const clientNonce = hello.subarray(4);
      const serverNonce = new Uint8Array(32).fill(5);
      const signature = ed25519SignFast(
        serverTranscript(real.publicKey, serverNonce, clientNonce),
        stranger.secretKey,
      );
      ws.send(encodeServerHello({ serverPublicKey: real.publicKey, serverNonce, signature }));
    });
    await expect(
      connectWebSocketTransport(url, {
        serverPublicKey: real.publicKey,
        clientId: 'alice',
        secretKey: me.secretKey,
      }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a server that answers garbage, or nothing, fails the connection on time', async () => {
    const garbage = await fakeServer((ws) => ws.send(Uint8Array.of(1, 2, 3)));
    const opts = {
      serverPublicKey: generateIdentity().publicKey,
      clientId: 'alice',
      secretKey: me.secretKey,
    };
    await expect(connectWebSocketTransport(garbage, opts)).rejects.toMatchObject({
      code: 'MALFORMED_MESSAGE',
    });
    const silent = await fakeServer(() => {});
    const t0 = performance.now();
    await expect(
      connectWebSocketTransport(silent, { ...opts, handshakeTimeoutMs: 200 }),
    ).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
