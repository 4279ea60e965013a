/**
 * Laws of the network transport: random frames cross a real loopback connection exact and in
 * order at any chunk size; random bytes from a peer (before or after authentication) never
 * throw out of a decoder or the channel, and the server answers every hostile packet by dropping
 * the connection with a logged reason (or, for a stale sequence number, by ignoring it) while an
 * honest client keeps working.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivaggError } from '../../../src/core/index.ts';
import { Channel } from '../../../src/fl/channel.ts';
import {
  type ClientTransport,
  type ClientTransportEvent,
  connectWebSocketTransport,
} from '../../../src/fl/index.ts';
import {
  decodeAck,
  decodeAuth,
  decodeClientHello,
  decodeData,
  decodeServerHello,
  decodeWelcome,
  PACKET,
  WIRE_VERSION,
} from '../../../src/fl/wire.ts';
import { framesFrom, rawAuthenticate, rawConnect, startServer, until } from '../../helpers/fl.ts';

/** Random packets, some with a valid header so they reach the deeper checks. */
const packet = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .tuple(fc.constantFrom(...Object.values(PACKET), 0, 99), fc.uint8Array({ maxLength: 80 }))
    .map(([type, body]) => Uint8Array.of(0x50, 0x41, WIRE_VERSION, type, ...body)),
);

describe('wire decoders and the channel on random bytes', () => {
  it('decoders fail only with MALFORMED_MESSAGE', () => {
    const decoders = [decodeClientHello, decodeServerHello, decodeAuth, decodeWelcome, decodeAck];
    fc.assert(
      fc.property(packet, (bytes) => {
        for (const decode of decoders) {
          try {
            decode(bytes);
          } catch (e) {
            if (!isPrivaggError(e) || e.code !== 'MALFORMED_MESSAGE') throw e;
          }
        }
        if (bytes.length >= 16) expect(decodeData(bytes).payload.length).toBe(bytes.length - 16);
      }),
    );
  });

  it('the channel never throws: every packet is a frame, a duplicate, an ack, or a violation', () => {
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 8 }), (packets) => {
        const outcomes: string[] = [];
        const ch = new Channel({
          chunkBytes: 64,
          maxFrameBytes: 256,
          highWaterMark: 1024,
          frameTimeoutMs: 10_000,
          onFrame: () => outcomes.push('frame'),
          onViolation: (reason) => outcomes.push(reason),
          onDuplicate: () => outcomes.push('duplicate'),
        });
        ch.attach({ send: () => {}, bufferedAmount: 0 }, 1);
        for (const p of packets) ch.receive(p);
        ch.close('done');
        for (const o of outcomes) expect(typeof o).toBe('string');
      }),
    );
  });
});

describe('over a loopback connection', () => {
  let s: Awaited<ReturnType<typeof startServer>>;
  let client: ClientTransport;
  const down: ClientTransportEvent[] = [];

  beforeAll(async () => {
    s = await startServer({ chunkBytes: 256, handshakeTimeoutMs: 500 });
    const alice = s.clients.get('alice') as { secretKey: Uint8Array };
    client = await connectWebSocketTransport(s.server.url, {
      serverPublicKey: s.identity.publicKey,
      clientId: 'alice',
      secretKey: alice.secretKey,
      chunkBytes: 256,
    });
    client.onEvent((e) => down.push(e));
  });
  afterAll(async () => {
    await client.close();
    await s.server.close();
  });

  it('random frames arrive exact and in order, both ways', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 6 }),
        async (frames) => {
          const upBefore = framesFrom(s.events, 'alice').length;
          const downBefore = down.length;
          await Promise.all([
            ...frames.map((f) => client.send(f)),
            ...frames.map((f) => s.server.send('alice', f)),
          ]);
          await until(
            () => framesFrom(s.events, 'alice').length === upBefore + frames.length,
            5000,
            'up',
          );
          await until(() => down.length === downBefore + frames.length, 5000, 'down');
          expect(framesFrom(s.events, 'alice').slice(upBefore)).toEqual(frames);
          expect(down.slice(downBefore)).toEqual(
            frames.map((frame) => ({ type: 'message', frame })),
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it('random packets before authentication: dropped with a logged reason', async () => {
    await fc.assert(
      fc.asyncProperty(packet, async (bytes) => {
        const warnings = s.log.reasons().length;
        const peer = await rawConnect(s.server.url);
        peer.ws.send(bytes);
        const { code } = await peer.closed;
        expect(code).toBe(4001);
        expect(s.log.reasons().length).toBeGreaterThan(warnings);
      }),
      { numRuns: 20 },
    );
  });

  it('random packets after authentication: dropped with a logged reason, or a stale number ignored', async () => {
    const bob = s.clients.get('bob') as never;
    await fc.assert(
      fc.asyncProperty(packet, async (bytes) => {
        const warnings = s.log.reasons().length;
        const { peer } = await rawAuthenticate(s.server.url, 'bob', bob);
        peer.ws.send(bytes);
        const closed = await Promise.race([
          peer.closed.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 150)),
        ]);
        if (closed) expect(s.log.reasons().length).toBeGreaterThan(warnings);
        else {
          // only a DATA packet with sequence number 0 (already "delivered") or an ACK of
          // nothing is harmless enough to be ignored
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          expect(bytes[3] === PACKET.data || bytes[3] === PACKET.ack).toBe(true);
          expect(view.getUint32(4, true)).toBe(0);
          peer.ws.close();
          await peer.closed;
        }
      }),
      { numRuns: 20 },
    );
    // the honest client is untouched
    // wait for this frame itself: an earlier test's last frame from alice may also be 3 bytes
    const before = framesFrom(s.events, 'alice').length;
    await client.send(Uint8Array.of(7, 7, 7));
    await until(() => framesFrom(s.events, 'alice').length > before, 2000, 'honest frame');
    expect(framesFrom(s.events, 'alice').at(-1)).toEqual(Uint8Array.of(7, 7, 7));
  });
});
