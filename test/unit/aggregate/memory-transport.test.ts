import { describe, expect, it } from 'vitest';
import {
  type ClientTransportEvent,
  createMemoryTransport,
  deterministicRngForTesting,
  isPrivaggError,
  planAggregation,
  type ServerTransportEvent,
} from '../../../src/index.ts';
import { HOSTILE_VALUES } from '../../helpers/hostile.ts';
import { throwsDocumented } from '../../helpers/error-code.ts';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function collect<E>(on: (h: (e: E) => void) => void): E[] {
  const out: E[] = [];
  on((e) => out.push(e));
  return out;
}

describe('createMemoryTransport honours the transport contract', () => {
  it('delivers copies, asynchronously, in order, after the connect event', async () => {
    const t = createMemoryTransport();
    const server = collect<ServerTransportEvent>((h) => t.server.onEvent(h));
    const a = t.connect('a');
    const client = collect<ClientTransportEvent>((h) => a.onEvent(h));
    const frame = Uint8Array.of(1, 2, 3);
    const sending = a.send(frame);
    frame[0] = 99; // the sender may reuse its buffer
    expect(server).toHaveLength(0); // nothing is delivered synchronously
    await sending;
    for (let i = 0; i < 20; i++) await a.send(Uint8Array.of(i));
    await t.server.send('a', Uint8Array.of(7, 7));
    await tick();
    expect(server[0]).toEqual({ type: 'connect', clientId: 'a' });
    const frames = server.flatMap((e) => (e.type === 'message' ? [[...e.frame]] : []));
    expect(frames[0]).toEqual([1, 2, 3]);
    expect(frames.slice(1).map((f) => f[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(client).toEqual([{ type: 'message', frame: Uint8Array.of(7, 7) }]);
  });

  it('queues events until a handler is set', async () => {
    const t = createMemoryTransport();
    const a = t.connect('a');
    await a.send(Uint8Array.of(5));
    await tick();
    const server = collect<ServerTransportEvent>((h) => t.server.onEvent(h));
    expect(server.map((e) => e.type)).toEqual(['connect', 'message']);
  });

  it('refuses frames above maxFrameBytes', async () => {
    const t = createMemoryTransport({ maxFrameBytes: 4 });
    const a = t.connect('a');
    await expect(a.send(new Uint8Array(5))).rejects.toThrow(RangeError);
    await expect(t.server.send('a', new Uint8Array(5))).rejects.toThrow(RangeError);
    await expect(a.send(new Uint8Array(4))).resolves.toBeUndefined();
  });

  it('reports disconnects to both sides, then stops; sends reject with CONNECTION_CLOSED', async () => {
    const t = createMemoryTransport();
    const server = collect<ServerTransportEvent>((h) => t.server.onEvent(h));
    const a = t.connect('a');
    const b = t.connect('b');
    const ca = collect<ClientTransportEvent>((h) => a.onEvent(h));
    await tick();
    t.server.disconnect('a', 'kicked');
    await a.close(); // idempotent after the disconnect
    await expect(a.send(Uint8Array.of(1))).rejects.toSatisfy(
      (e: unknown) => isPrivaggError(e) && e.code === 'CONNECTION_CLOSED',
    );
    await expect(t.server.send('a', Uint8Array.of(1))).rejects.toSatisfy(
      (e: unknown) => isPrivaggError(e) && e.code === 'CONNECTION_CLOSED',
    );
    await b.close();
    await tick();
    expect(ca).toEqual([{ type: 'disconnect', reason: 'kicked' }]);
    expect(server.filter((e) => e.type === 'disconnect')).toEqual([
      { type: 'disconnect', clientId: 'a', reason: 'kicked' },
      { type: 'disconnect', clientId: 'b', reason: 'client closed' },
    ]);
  });

  it('a reconnection replaces the old connection; close() ends everything', async () => {
    const t = createMemoryTransport();
    const server = collect<ServerTransportEvent>((h) => t.server.onEvent(h));
    const first = t.connect('a');
    const old = collect<ClientTransportEvent>((h) => first.onEvent(h));
    const second = t.connect('a');
    const fresh = collect<ClientTransportEvent>((h) => second.onEvent(h));
    await tick();
    expect(old).toEqual([{ type: 'disconnect', reason: 'replaced by a new connection' }]);
    await t.server.close();
    await tick();
    expect(fresh).toEqual([{ type: 'disconnect', reason: 'server closed' }]);
    expect(server.map((e) => e.type)).toEqual(['disconnect', 'connect', 'disconnect']);
    const late = t.connect('c');
    const lateEvents = collect<ClientTransportEvent>((h) => late.onEvent(h));
    await tick();
    expect(lateEvents).toEqual([{ type: 'disconnect', reason: 'server closed' }]);
  });

  it('applies backpressure above the high-water mark', async () => {
    const t = createMemoryTransport({ highWaterMarkBytes: 8, latencyMs: 20 });
    const a = t.connect('a');
    let small = false;
    await a.send(new Uint8Array(8)).then(() => {
      small = true;
    });
    expect(small).toBe(true);
    const t0 = performance.now();
    await a.send(new Uint8Array(8)); // 16 bytes queued: resolves once the first is delivered
    expect(performance.now() - t0).toBeGreaterThanOrEqual(10);
  });

  it('injects latency and frame loss for tests', async () => {
    const lossy = createMemoryTransport({
      dropRate: 1,
      rng: deterministicRngForTesting(new Uint8Array(32)),
    });
    const got = collect<ServerTransportEvent>((h) => lossy.server.onEvent(h));
    await lossy.connect('a').send(Uint8Array.of(1));
    await tick(5);
    expect(got.map((e) => e.type)).toEqual(['connect']);
    const slow = createMemoryTransport({ latencyMs: 30 });
    const seen = collect<ServerTransportEvent>((h) => slow.server.onEvent(h));
    await slow.connect('a').send(Uint8Array.of(1));
    await tick(5);
    expect(seen.map((e) => e.type)).toEqual(['connect']);
    await tick(40);
    expect(seen.map((e) => e.type)).toEqual(['connect', 'message']);
  });

  it('rejects hostile options and arguments with documented errors', () => {
    for (const { name, value } of HOSTILE_VALUES) {
      if (value === undefined) continue;
      // {} is a valid (empty) options object
      if (name !== 'object')
        expect(throwsDocumented(() => createMemoryTransport(value as never))).toBe(true);
      for (const key of ['maxFrameBytes', 'highWaterMarkBytes', 'latencyMs', 'dropRate', 'rng'])
        if (
          !(key === 'rng' && typeof value === 'function') &&
          !(key === 'dropRate' && value === 0.5)
        )
          expect(
            throwsDocumented(() => createMemoryTransport({ [key]: value } as never)),
            `${key} = ${name}`,
          ).toBe(true);
      if (typeof value !== 'string')
        expect(throwsDocumented(() => createMemoryTransport().connect(value as never))).toBe(true);
    }
    expect(throwsDocumented(() => createMemoryTransport().connect(''))).toBe(true);
  });
});

describe('plan.server and plan.client reject hostile arguments', () => {
  const plan = planAggregation({
    dimension: 2,
    clients: { expected: 3, minimum: 2 },
    clip: { l2: 1 },
    protection: { kind: 'secagg' },
    privacy: { kind: 'none' },
  });
  it('with TypeError or RangeError', async () => {
    const t = createMemoryTransport();
    for (const { name, value } of HOSTILE_VALUES) {
      expect(throwsDocumented(() => plan.server(value as never))).toBe(true);
      if (value !== undefined && name !== 'object')
        expect(throwsDocumented(() => plan.server(t.server, value as never))).toBe(true);
      for (const key of ['onEvent', 'rng', 'noiseRng', 'waitForClientsMs', 'stageTimeoutMs'])
        if (
          !(typeof value === 'function' && key !== 'waitForClientsMs' && key !== 'stageTimeoutMs')
        )
          if (value !== undefined)
            expect(
              throwsDocumented(() => plan.server(t.server, { [key]: value } as never)),
              `${key} = ${name}`,
            ).toBe(true);
      expect(throwsDocumented(() => plan.client(value as never, t.connect('x')))).toBe(true);
      expect(throwsDocumented(() => plan.client('x', value as never))).toBe(true);
    }
    const client = plan.client('y', t.connect('y'));
    for (const { name, value } of HOSTILE_VALUES) {
      expect(throwsDocumented(() => client.contribute(value as never))).toBe(true);
      if (value !== undefined && name !== 'object')
        expect(throwsDocumented(() => client.contribute([0, 0], value as never))).toBe(true);
    }
    expect(throwsDocumented(() => client.contribute([0, 0], { weight: 1 }))).toBe(true);
    expect(throwsDocumented(() => client.contribute([0, 0, 0]))).toBe(true);
    const server = plan.server(t.server);
    for (const { name, value } of HOSTILE_VALUES)
      if (value !== undefined && name !== 'object')
        await expect(server.runRound(value as never)).rejects.toSatisfy(
          (e: unknown) => e instanceof TypeError || e instanceof RangeError,
        );
    await server.close();
  });
});
