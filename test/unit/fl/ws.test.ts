/**
 * The WebSocket transports on loopback: exact frames both ways (chunked and not), order,
 * backpressure, resumption without loss or repetition, authentication by registered key and
 * by token, the pinned server identity, disconnects, and argument checks.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deterministicRngForTesting, isPrivaggError } from '../../../src/core/index.ts';
import {
  type ClientTransportEvent,
  connectClient,
  connectWebSocketTransport,
  createServer,
  createWebSocketServerTransport,
  generateIdentity,
  issueToken,
  type WebSocketClientTransport,
  type WebSocketServerTransport,
} from '../../../src/fl/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';
import { captureLogger, framesFrom, startServer, until } from '../../helpers/fl.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

function track<T extends { close(): Promise<void> }>(x: T): T {
  open.push(x);
  return x;
}

function bytes(n: number, seed: number): Uint8Array {
  return deterministicRngForTesting(new Uint8Array(32).fill(seed))(n);
}

async function pair(serverOptions = {}, clientOptions = {}) {
  const s = await startServer(serverOptions);
  track(s.server);
  const alice = s.clients.get('alice');
  if (alice === undefined) throw new Error('no key');
  const client = track(
    await connectWebSocketTransport(s.server.url, {
      serverPublicKey: s.identity.publicKey,
      clientId: 'alice',
      secretKey: alice.secretKey,
      ...clientOptions,
    }),
  );
  const got: ClientTransportEvent[] = [];
  client.onEvent((e) => got.push(e));
  await until(() => s.events.some((e) => e.type === 'connect'), 2000, 'connect');
  return { ...s, client, got };
}

const clientFrames = (got: ClientTransportEvent[]) =>
  got.flatMap((e) => (e.type === 'message' ? [e.frame] : []));

describe('WebSocket transports', () => {
  it('deliver frames whole, exact and in order both ways, chunked across small chunks', async () => {
    const { server, client, events, got } = await pair({ chunkBytes: 1000 }, { chunkBytes: 1000 });
    const sizes = [0, 1, 999, 1000, 1001, 4096, 250_000];
    const up = sizes.map((n, i) => bytes(n, i + 1));
    const down = sizes.map((n, i) => bytes(n, i + 50));
    await Promise.all([
      ...up.map((f) => client.send(f)),
      ...down.map((f) => server.send('alice', f)),
    ]);
    await until(() => framesFrom(events, 'alice').length === up.length, 5000, 'frames up');
    await until(() => clientFrames(got).length === down.length, 5000, 'frames down');
    expect(framesFrom(events, 'alice')).toEqual(up);
    expect(clientFrames(got)).toEqual(down);
    expect(events[0]).toEqual({ type: 'connect', clientId: 'alice' });
    expect(server.clients()).toEqual(['alice']);
    expect(server.metrics.value('privagg_fl_frames_received_total')).toBe(up.length);
  });

  it('send waits for the window (backpressure) and still delivers everything', async () => {
    const { client, events } = await pair(
      { chunkBytes: 4096 },
      { highWaterMark: 8192, chunkBytes: 4096 },
    );
    const frames = Array.from({ length: 20 }, (_, i) => bytes(10_000, i + 1));
    // with an 8 kB window and 10 kB frames, send i may resolve only once frame i was acknowledged,
    // that is, delivered: the server has then received at least i + 1 frames
    const receivedWhenResolved: number[] = [];
    const pending = frames.map((f) =>
      client.send(f).then(() => receivedWhenResolved.push(framesFrom(events, 'alice').length)),
    );
    await Promise.all(pending);
    await until(() => framesFrom(events, 'alice').length === frames.length, 5000, 'frames');
    expect(framesFrom(events, 'alice')).toEqual(frames);
    receivedWhenResolved.forEach((received, i) => {
      expect(received).toBeGreaterThanOrEqual(i + 1);
    });
  });

  it('a dropped connection resumes the session: same client id, nothing lost or repeated', async () => {
    const { server, client, events, got, log } = await pair(
      { chunkBytes: 512 },
      { chunkBytes: 512, reconnectDelayMs: 20 },
    );
    const before = [bytes(3000, 1), bytes(10, 2)];
    for (const f of before) await client.send(f);
    (client as WebSocketClientTransport).interruptForTesting();
    // frames sent while the connection is down are queued and delivered after resumption
    const during = [bytes(5000, 3), bytes(1, 4)];
    const downDuring = bytes(7000, 5);
    await Promise.all([...during.map((f) => client.send(f)), server.send('alice', downDuring)]);
    await until(() => framesFrom(events, 'alice').length === 4, 5000, 'frames after resume');
    await until(() => clientFrames(got).length === 1, 5000, 'server frame after resume');
    expect(framesFrom(events, 'alice')).toEqual([...before, ...during]);
    expect(clientFrames(got)).toEqual([downDuring]);
    // one connect, no disconnect: the round protocol never saw the drop
    expect(events.filter((e) => e.type !== 'message')).toEqual([
      { type: 'connect', clientId: 'alice' },
    ]);
    expect(server.metrics.value('privagg_fl_resumed_total')).toBe(1);
    expect(log.entries.some((e) => e.message === 'client resumed')).toBe(true);
  });

  it('a client that does not come back within the grace period is reported disconnected', async () => {
    const { server, client, events } = await pair(
      { reconnectGraceMs: 100 },
      { reconnectGraceMs: 0 },
    );
    (client as WebSocketClientTransport).interruptForTesting();
    await until(() => events.some((e) => e.type === 'disconnect'), 3000, 'disconnect');
    const d = events.find((e) => e.type === 'disconnect');
    expect(d).toMatchObject({ type: 'disconnect', clientId: 'alice' });
    await expect(server.send('alice', new Uint8Array(1))).rejects.toMatchObject({
      code: 'CONNECTION_CLOSED',
    });
  });

  it('server disconnect reaches the client as a final disconnect; its sends then reject', async () => {
    const { server, client, got, events } = await pair();
    server.disconnect('alice', 'round over');
    await until(() => got.some((e) => e.type === 'disconnect'), 3000, 'client disconnect');
    expect((got.find((e) => e.type === 'disconnect') as { reason: string }).reason).toContain(
      'round over',
    );
    expect(events.at(-1)).toEqual({ type: 'disconnect', clientId: 'alice', reason: 'round over' });
    await expect(client.send(new Uint8Array(1))).rejects.toMatchObject({
      code: 'CONNECTION_CLOSED',
    });
  });

  it('a client that closes on purpose is reported disconnected at once (no grace period)', async () => {
    const { client, events } = await pair({ reconnectGraceMs: 60_000 });
    await client.close();
    await until(() => events.some((e) => e.type === 'disconnect'), 3000, 'disconnect');
  });

  it('events before a handler is set are queued', async () => {
    const s = track((await startServer()).server);
    const identity = generateIdentity();
    const bob = generateIdentity();
    const server = track(
      await createWebSocketServerTransport({
        identity,
        auth: { clients: new Map([['bob', bob.publicKey]]) },
        logger: captureLogger().logger,
      }),
    );
    const client = track(
      await connectWebSocketTransport(server.url, {
        serverPublicKey: identity.publicKey,
        clientId: 'bob',
        secretKey: bob.secretKey,
      }),
    );
    await client.send(Uint8Array.of(42));
    await new Promise((r) => setTimeout(r, 50));
    const seen: string[] = [];
    server.onEvent((e) => seen.push(e.type));
    expect(seen).toEqual(['connect', 'message']);
    expect(s.url).not.toBe(server.url);
  });

  it('rejects a frame over the server limit before sending it', async () => {
    const { client } = await pair({ maxFrameBytes: 100 });
    await expect(client.send(new Uint8Array(101))).rejects.toThrow(RangeError);
    await client.send(new Uint8Array(100));
  });
});

describe('authentication', () => {
  it('accepts an operator token bound to the client key; refuses it with another key', async () => {
    const { server, identity } = await startServer({}, []);
    track(server);
    const carol = generateIdentity();
    const token = issueToken(
      { clientId: 'carol', publicKey: carol.publicKey, expiresAt: Date.now() + 60_000 },
      identity.secretKey,
    );
    const ok = track(
      await connectWebSocketTransport(server.url, {
        serverPublicKey: identity.publicKey,
        clientId: 'carol',
        secretKey: carol.secretKey,
        token,
      }),
    );
    expect(ok.clientId).toBe('carol');
    const thief = generateIdentity();
    await expect(
      connectWebSocketTransport(server.url, {
        serverPublicKey: identity.publicKey,
        clientId: 'carol',
        secretKey: thief.secretKey,
        token,
      }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses expired tokens, tokens of an untrusted issuer, and tokens for another id', async () => {
    const { server, identity, log } = await startServer({}, []);
    track(server);
    const dave = generateIdentity();
    const other = generateIdentity();
    const cases: [string, string, string][] = [
      [
        issueToken(
          { clientId: 'dave', publicKey: dave.publicKey, expiresAt: Date.now() - 1 },
          identity.secretKey,
        ),
        'dave',
        'token-expired',
      ],
      [
        issueToken(
          { clientId: 'dave', publicKey: dave.publicKey, expiresAt: Date.now() + 60_000 },
          other.secretKey,
        ),
        'dave',
        'unknown-issuer',
      ],
      [
        issueToken(
          { clientId: 'erin', publicKey: dave.publicKey, expiresAt: Date.now() + 60_000 },
          identity.secretKey,
        ),
        'dave',
        'token-mismatch',
      ],
    ];
    for (const [token, clientId, reason] of cases) {
      await expect(
        connectWebSocketTransport(server.url, {
          serverPublicKey: identity.publicKey,
          clientId,
          secretKey: dave.secretKey,
          token,
        }),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(log.reasons()).toContain(reason);
    }
  });

  it('refuses an unregistered key and a registered id with the wrong key', async () => {
    const { server, identity, log } = await startServer();
    track(server);
    const mallory = generateIdentity();
    for (const clientId of ['mallory', 'alice']) {
      await expect(
        connectWebSocketTransport(server.url, {
          serverPublicKey: identity.publicKey,
          clientId,
          secretKey: mallory.secretKey,
        }),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    expect(log.reasons().filter((r) => r === 'unknown-client')).toHaveLength(2);
  });

  it('a client that pins another key refuses the server before saying who it is', async () => {
    const { server, clients, log } = await startServer();
    track(server);
    const alice = clients.get('alice') as { secretKey: Uint8Array };
    const err = await connectWebSocketTransport(server.url, {
      serverPublicKey: generateIdentity().publicKey,
      clientId: 'alice',
      secretKey: alice.secretKey,
    }).catch((e: unknown) => e);
    expect(isPrivaggError(err) && err.code).toBe('UNAUTHENTICATED');
    await new Promise((r) => setTimeout(r, 50));
    // the server never got an AUTH message from it: no authentication was attempted
    expect(log.entries.some((e) => e.fields.clientId === 'alice')).toBe(false);
  });

  it('insecure-none is opt-in by name, logged as a warning, and refused by an authenticating server', async () => {
    const log = captureLogger();
    const server = track(
      await createWebSocketServerTransport({ auth: 'insecure-none', logger: log.logger }),
    );
    expect(log.entries.some((e) => e.level === 'warn' && e.message.startsWith('INSECURE'))).toBe(
      true,
    );
    const c = track(
      await connectWebSocketTransport(server.url, { auth: 'insecure-none', clientId: 'anyone' }),
    );
    expect(c.clientId).toBe('anyone');
    const { server: secure } = await startServer();
    track(secure);
    await expect(
      connectWebSocketTransport(secure.url, { auth: 'insecure-none', clientId: 'alice' }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a server without an identity is refused unless insecure-none is named', async () => {
    await expect(
      createWebSocketServerTransport({ logger: captureLogger().logger }),
    ).rejects.toThrow(TypeError);
  });
});

describe('argument checks', () => {
  it('server options: unknown keys and bad limits throw TypeError or RangeError', async () => {
    const identity = generateIdentity();
    const logger = captureLogger().logger;
    await expect(
      createWebSocketServerTransport({ identity, logger, nope: 1 } as never),
    ).rejects.toThrow(TypeError);
    for (const h of HOSTILE_VALUES) {
      const err = await createWebSocketServerTransport({
        identity,
        logger,
        maxFrameBytes: h.value as number,
      }).then(
        async (s: WebSocketServerTransport) => {
          await s.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      if (h.value === undefined) expect(err).toBeUndefined();
      else expect(err instanceof TypeError || err instanceof RangeError, h.name).toBe(true);
    }
  });

  it('client options and url: hostile values throw TypeError or RangeError before connecting', async () => {
    const key = generateIdentity();
    for (const h of HOSTILE_VALUES) {
      const a = await connectWebSocketTransport(h.value as string, {
        clientId: 'a',
        auth: 'insecure-none',
      }).catch((e) => e);
      expect(a instanceof TypeError || a instanceof RangeError, h.name).toBe(true);
      // '32' is a valid client id
      const b = await connectWebSocketTransport('ws://127.0.0.1:1/', {
        clientId: (h.value === '32' ? '' : h.value) as string,
        serverPublicKey: key.publicKey,
        secretKey: key.secretKey,
      }).catch((e) => e);
      expect(b instanceof TypeError || b instanceof RangeError, h.name).toBe(true);
      const c = await connectWebSocketTransport('ws://127.0.0.1:1/', {
        clientId: 'a',
        serverPublicKey: h.value as Uint8Array,
        secretKey: key.secretKey,
      }).catch((e) => e);
      expect(c instanceof TypeError || c instanceof RangeError, h.name).toBe(true);
    }
    await expect(
      connectWebSocketTransport('ws://127.0.0.1:1/', {
        clientId: 'has space',
        auth: 'insecure-none',
      }),
    ).rejects.toThrow(RangeError);
    await expect(
      connectWebSocketTransport('ws://127.0.0.1:1/', {
        clientId: 'a',
        serverPublicKey: key.publicKey,
        secretKey: key.secretKey,
        token: 'not hex',
      }),
    ).rejects.toThrow(RangeError);
  });

  it('createServer and connectClient refuse a missing or hostile plan', async () => {
    const key = generateIdentity();
    for (const h of HOSTILE_VALUES) {
      await expect(
        createServer({ plan: h.value as never, identity: key, logger: captureLogger().logger }),
      ).rejects.toThrow(TypeError);
      await expect(
        connectClient('ws://127.0.0.1:1/', {
          plan: h.value as never,
          clientId: 'a',
          auth: 'insecure-none',
        }),
      ).rejects.toThrow(TypeError);
    }
  });

  it('a server that is not there: CONNECTION_CLOSED', async () => {
    const key = generateIdentity();
    await expect(
      connectWebSocketTransport('ws://127.0.0.1:1/', {
        clientId: 'a',
        serverPublicKey: key.publicKey,
        secretKey: key.secretKey,
      }),
    ).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });
});

describe('deployment shapes', () => {
  const haveOpenssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!haveOpenssl)(
    'serves wss:// with the given key and certificate; the client trusts a given CA',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'privagg-tls-'));
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-nodes',
            '-keyout',
            join(dir, 'key.pem'),
            '-out',
            join(dir, 'cert.pem'),
            '-days',
            '1',
            '-subj',
            '/CN=localhost',
            '-addext',
            'subjectAltName=IP:127.0.0.1',
          ],
          { stdio: 'ignore' },
        );
        const key = readFileSync(join(dir, 'key.pem'), 'utf8');
        const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
        const s = await startServer({ tls: { key, cert } });
        track(s.server);
        expect(s.server.url.startsWith('wss://127.0.0.1:')).toBe(true);
        const alice = s.clients.get('alice') as { secretKey: Uint8Array };
        const base = {
          serverPublicKey: s.identity.publicKey,
          clientId: 'alice',
          secretKey: alice.secretKey,
        };
        // without the CA the certificate is not trusted
        await expect(connectWebSocketTransport(s.server.url, base)).rejects.toMatchObject({
          code: 'CONNECTION_CLOSED',
        });
        const client = track(await connectWebSocketTransport(s.server.url, { ...base, ca: cert }));
        await client.send(Uint8Array.of(1, 2, 3));
        await until(() => framesFrom(s.events, 'alice').length === 1, 3000, 'frame over TLS');
        expect(framesFrom(s.events, 'alice')).toEqual([Uint8Array.of(1, 2, 3)]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('attaches to an existing HTTP server on a path, leaving its other requests alone', async () => {
    const http = createHttpServer((_req, res) => res.end('app'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const s = await startServer({ server: http, path: '/fl' });
      track(s.server);
      expect(s.server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/fl$/);
      const alice = s.clients.get('alice') as { secretKey: Uint8Array };
      const client = track(
        await connectWebSocketTransport(s.server.url, {
          serverPublicKey: s.identity.publicKey,
          clientId: 'alice',
          secretKey: alice.secretKey,
        }),
      );
      await client.send(Uint8Array.of(9));
      await until(() => framesFrom(s.events, 'alice').length === 1, 3000, 'frame');
      const port = (http.address() as { port: number }).port;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');
      await client.close();
      await s.server.close();
      // the caller's server is still listening after the transport closed
      expect(http.listening).toBe(true);
    } finally {
      http.close();
    }
  });
});
