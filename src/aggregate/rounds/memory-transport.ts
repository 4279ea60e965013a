/**
 * An in-memory transport: one server and any number of clients in the same process, honouring
 * the transport contract (whole copied frames in order, asynchronous delivery, a frame size
 * limit, backpressure, disconnect events), with optional latency and frame loss for tests.
 * @module
 */
import {
  aFunction,
  aInteger,
  aNumberInRange,
  aOptions,
  type ClientTransport,
  type ClientTransportEvent,
  drawWords,
  PrivaggError,
  type Rng,
  randomBytes,
  type ServerTransport,
  type ServerTransportEvent,
} from '../../core/index.ts';

/**
 * Options of {@link createMemoryTransport}.
 * @since 0.1.0
 * @public
 */
export interface MemoryTransportOptions {
  /** Largest frame `send` accepts; a larger one is refused with a `RangeError`. @defaultValue 64 MiB */
  readonly maxFrameBytes?: number;
  /** `send` resolves once the bytes queued towards the peer are at most this. @defaultValue 16 MiB */
  readonly highWaterMarkBytes?: number;
  /** Delay of every frame, in milliseconds (order is kept). @defaultValue 0 */
  readonly latencyMs?: number;
  /**
   * Probability that a frame is silently lost (for tests of deadlines only: real transports
   * deliver every frame or disconnect). @defaultValue 0
   */
  readonly dropRate?: number;
  /** Randomness of the frame loss. @defaultValue the CSPRNG */
  readonly rng?: Rng;
}

/**
 * An in-memory transport: the server side and a way to connect clients to it.
 * @since 0.1.0
 * @public
 */
export interface MemoryTransport {
  /** The server's side. */
  readonly server: ServerTransport;
  /**
   * Connect a client (a client already connected under this id is disconnected first, as a
   * reconnection would be).
   * @param clientId - the identity the server will see (1 to 256 characters)
   * @returns the client's side of the connection
   */
  connect(clientId: string): ClientTransport;
}

type Schedule = (fn: () => void, delayMs: number) => void;

const schedule: Schedule = (fn, delayMs) => {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (delayMs === 0 && immediate !== undefined) immediate(fn);
  else setTimeout(fn, delayMs);
};

/** One handler slot; events before a handler is set are queued. */
class EventSlot<E> {
  private handler: ((event: E) => void) | undefined;
  private readonly pending: E[] = [];

  set(handler: (event: E) => void): void {
    if (typeof handler !== 'function')
      throw new TypeError(`"handler" expected a function, got ${typeof handler}`);
    this.handler = handler;
    while (this.pending.length > 0 && this.handler === handler)
      this.call(this.pending.shift() as E);
  }

  emit(event: E): void {
    if (this.handler === undefined) this.pending.push(event);
    else this.call(event);
  }

  private call(event: E): void {
    try {
      (this.handler as (event: E) => void)(event);
    } catch (e) {
      // a handler's bug must surface, but not inside the transport's delivery loop
      queueMicrotask(() => {
        throw e;
      });
    }
  }
}

/** One direction of one connection: ordered delivery with a byte count for backpressure. */
class Channel {
  buffered = 0;
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  private readonly highWaterMark: number;

  constructor(highWaterMark: number) {
    this.highWaterMark = highWaterMark;
  }

  /** After `bytes` were queued: resolves when the queue is at most the high-water mark. */
  accepted(): Promise<void> {
    if (this.buffered <= this.highWaterMark) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  delivered(bytes: number): void {
    this.buffered -= bytes;
    if (this.buffered > this.highWaterMark) return;
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.resolve();
  }

  fail(reason: string): void {
    const w = this.waiters;
    this.waiters = [];
    this.buffered = 0;
    for (const x of w) x.reject(closed(reason));
  }
}

function closed(reason: string): PrivaggError {
  return new PrivaggError('CONNECTION_CLOSED', `connection closed: ${reason}`);
}

interface Link {
  readonly clientId: string;
  open: boolean;
  readonly toServer: Channel;
  readonly toClient: Channel;
  readonly clientEvents: EventSlot<ClientTransportEvent>;
}

/**
 * Create an in-memory transport. Frames are copied on `send` and delivered asynchronously, in
 * order per connection; `send` refuses frames above `maxFrameBytes` and rejects with
 * `CONNECTION_CLOSED` once the connection is gone; both sides get a `disconnect` event when a
 * connection ends, and nothing from that connection afterwards.
 *
 * @param options - size limit, backpressure, injected latency and loss
 * @returns the server side and `connect(clientId)`
 * @throws {@link !TypeError} for unknown options
 * @throws {@link !RangeError} for out-of-range options
 * @example
 * ```ts
 * import { createMemoryTransport } from 'privagg';
 * const transport = createMemoryTransport();
 * const got = new Promise((resolve) =>
 *   transport.server.onEvent((e) => e.type === 'message' && resolve(`${e.clientId}:${e.frame.length}`)),
 * );
 * await transport.connect('alice').send(Uint8Array.of(1, 2, 3));
 * console.log(await got); // alice:3
 * ```
 * @since 0.1.0
 * @public
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  aOptions('options', options, [
    'maxFrameBytes',
    'highWaterMarkBytes',
    'latencyMs',
    'dropRate',
    'rng',
  ]);
  const maxFrameBytes =
    options.maxFrameBytes === undefined ? 64 * 1024 * 1024 : options.maxFrameBytes;
  aInteger('options.maxFrameBytes', maxFrameBytes, 1, 2 ** 31);
  const highWaterMark =
    options.highWaterMarkBytes === undefined ? 16 * 1024 * 1024 : options.highWaterMarkBytes;
  aInteger('options.highWaterMarkBytes', highWaterMark, 0, 2 ** 40);
  const latency = options.latencyMs === undefined ? 0 : options.latencyMs;
  aInteger('options.latencyMs', latency, 0, 3_600_000);
  const dropRate = options.dropRate === undefined ? 0 : options.dropRate;
  aNumberInRange('options.dropRate', dropRate, 0, 1);
  const rng = options.rng === undefined ? randomBytes : options.rng;
  aFunction('options.rng', rng);
  const lost = (): boolean => dropRate > 0 && (drawWords(rng, 1)[0] as number) / 2 ** 32 < dropRate;

  const serverEvents = new EventSlot<ServerTransportEvent>();
  const links = new Map<string, Link>();
  let serverClosed = false;

  const checkFrame = (frame: Uint8Array): void => {
    if (!(frame instanceof Uint8Array)) throw new TypeError('"frame" expected a Uint8Array');
    if (frame.length > maxFrameBytes)
      throw new RangeError(
        `"frame" of ${frame.length} bytes exceeds the transport's maxFrameBytes ${maxFrameBytes}`,
      );
  };

  const end = (link: Link, reason: string): void => {
    if (!link.open) return;
    link.open = false;
    if (links.get(link.clientId) === link) links.delete(link.clientId);
    link.toServer.fail(reason);
    link.toClient.fail(reason);
    schedule(() => {
      serverEvents.emit({ type: 'disconnect', clientId: link.clientId, reason });
      link.clientEvents.emit({ type: 'disconnect', reason });
    }, 0);
  };

  const deliver = (
    link: Link,
    channel: Channel,
    frame: Uint8Array,
    to: (frame: Uint8Array) => void,
  ): Promise<void> => {
    if (!link.open) return Promise.reject(closed('the connection is gone'));
    if (lost()) return Promise.resolve();
    const copy = frame.slice();
    channel.buffered += copy.length;
    schedule(() => {
      if (!link.open) return;
      channel.delivered(copy.length);
      to(copy);
    }, latency);
    return channel.accepted();
  };

  const server: ServerTransport = {
    onEvent(handler) {
      serverEvents.set(handler);
    },
    async send(clientId, frame) {
      checkFrame(frame);
      const link = links.get(clientId);
      if (link === undefined) throw closed(`no client ${JSON.stringify(clientId)} is connected`);
      await deliver(link, link.toClient, frame, (f) =>
        link.clientEvents.emit({ type: 'message', frame: f }),
      );
    },
    disconnect(clientId, reason) {
      const link = links.get(clientId);
      if (link !== undefined) end(link, String(reason));
    },
    async close() {
      serverClosed = true;
      for (const link of [...links.values()]) end(link, 'server closed');
    },
  };

  return {
    server,
    connect(clientId: string): ClientTransport {
      if (typeof clientId !== 'string' || clientId.length < 1 || clientId.length > 256)
        throw new RangeError('"clientId" expected a string of 1 to 256 characters');
      const link: Link = {
        clientId,
        open: true,
        toServer: new Channel(highWaterMark),
        toClient: new Channel(highWaterMark),
        clientEvents: new EventSlot<ClientTransportEvent>(),
      };
      const previous = links.get(clientId);
      if (previous !== undefined) end(previous, 'replaced by a new connection');
      if (serverClosed) {
        link.open = false;
        schedule(() => link.clientEvents.emit({ type: 'disconnect', reason: 'server closed' }), 0);
      } else {
        links.set(clientId, link);
        schedule(() => {
          if (link.open) serverEvents.emit({ type: 'connect', clientId });
        }, 0);
      }
      return {
        clientId,
        onEvent(handler) {
          link.clientEvents.set(handler);
        },
        async send(frame) {
          checkFrame(frame);
          await deliver(link, link.toServer, frame, (f) =>
            serverEvents.emit({ type: 'message', clientId, frame: f }),
          );
        },
        async close() {
          end(link, 'client closed');
        },
      };
    },
  };
}
