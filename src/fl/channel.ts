/**
 * One end of a session: sequenced frames cut into chunks on the way out and reassembled on the
 * way in, acknowledged whole, kept until acknowledged so that a resumed connection resends
 * them, and bounded everywhere (frame size, one frame in flight per direction, a reassembly
 * deadline, a send window). A session outlives its connections: `attach` hands it a new socket.
 * @module
 * @internal
 */
import { PrivaggError } from '../core/index.ts';
import {
  DATA_HEADER_BYTES,
  decodeAck,
  decodeData,
  encodeAck,
  encodeData,
  PACKET,
  packetType,
} from './wire.ts';

/** @internal The part of a WebSocket the channel writes to. */
export interface PacketSocket {
  send(packet: Uint8Array): void;
  readonly bufferedAmount: number;
}

/** @internal Limits and callbacks of a channel. */
export interface ChannelOptions {
  /** Largest payload per DATA packet. */
  chunkBytes: number;
  /** Largest frame accepted from the peer. */
  maxFrameBytes: number;
  /** Send window: unacknowledged bytes above which `send` waits. */
  highWaterMark: number;
  /** A partial incoming frame must complete within this many milliseconds. */
  frameTimeoutMs: number;
  /** A whole frame arrived. */
  onFrame(frame: Uint8Array): void;
  /** The peer broke the protocol: the owner must drop the connection. */
  onViolation(reason: string, detail: string): void;
  /** A duplicate frame was dropped (a resend or a replay). */
  onDuplicate(seq: number): void;
  /** Reserve reassembly memory (false: refuse). */
  reserve?(bytes: number): boolean;
  /** Give reserved memory back. */
  release?(bytes: number): void;
  /** Bytes written to a socket (for metrics). */
  onWrite?(bytes: number): void;
}

interface Outgoing {
  readonly seq: number;
  readonly bytes: Uint8Array;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

const MAX_SEQ = 0xffffffff;

/** @internal */
export class Channel {
  private readonly o: ChannelOptions;
  private socket: PacketSocket | undefined;
  private nextSendSeq = 1;
  private readonly unacked: Outgoing[] = [];
  private unackedBytes = 0;
  /** Highest seq fully handed to a socket. */
  private writtenSeq = 0;
  /** Next unacked index to write, and the offset inside it. */
  private writeIndex = 0;
  private writeOffset = 0;
  private pumping = false;
  private waiters: Waiter[] = [];
  private closedError: PrivaggError | undefined;
  /** Next seq expected from the peer. */
  recvNext = 1;
  private partial: { seq: number; total: number; chunks: Uint8Array[]; got: number } | undefined;
  private partialTimer: ReturnType<typeof setTimeout> | undefined;
  private chunkLimit: number;

  constructor(options: ChannelOptions) {
    this.o = options;
    this.chunkLimit = options.chunkBytes;
  }

  /** Set the chunk size the peer accepts (never above this end's own). */
  limitChunk(bytes: number): void {
    this.chunkLimit = Math.max(1, Math.min(this.chunkLimit, bytes));
  }

  /**
   * Attach a new socket; `peerNextExpected` is the next seq the peer still needs. Returns false
   * (and attaches nothing) when the peer claims a seq this end never sent or already dropped.
   */
  attach(socket: PacketSocket, peerNextExpected: number): boolean {
    const oldest = this.unacked.length === 0 ? this.nextSendSeq : (this.unacked[0] as Outgoing).seq;
    if (peerNextExpected > this.nextSendSeq || peerNextExpected < oldest) return false;
    this.dropPartial();
    this.acknowledge(peerNextExpected - 1);
    this.socket = socket;
    this.writeIndex = 0;
    this.writeOffset = 0;
    this.pump();
    return true;
  }

  /** The socket is gone; frames stay queued until the next `attach` or `close`. */
  detach(): void {
    this.socket = undefined;
    this.dropPartial();
  }

  /** Queue one frame; resolves when written and the window is below the high-water mark. */
  send(frame: Uint8Array): Promise<void> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    if (this.nextSendSeq > MAX_SEQ)
      return Promise.reject(new PrivaggError('CONNECTION_CLOSED', 'sequence numbers exhausted'));
    const seq = this.nextSendSeq++;
    this.unacked.push({ seq, bytes: frame });
    this.unackedBytes += frame.length;
    const done = new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
    });
    this.pump();
    this.settle();
    return done;
  }

  /** Fail every pending send and stop; later sends reject with the same error. */
  close(reason: string): void {
    if (this.closedError !== undefined) return;
    this.closedError = new PrivaggError('CONNECTION_CLOSED', reason);
    this.socket = undefined;
    this.dropPartial();
    for (const w of this.waiters) w.reject(this.closedError);
    this.waiters = [];
    this.unacked.length = 0;
    this.unackedBytes = 0;
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    const acked =
      this.unacked.length === 0 ? this.nextSendSeq - 1 : (this.unacked[0] as Outgoing).seq - 1;
    for (const w of this.waiters) {
      if (w.seq <= acked || (w.seq <= this.writtenSeq && this.unackedBytes <= this.o.highWaterMark))
        w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private acknowledge(seq: number): void {
    let n = 0;
    while (n < this.unacked.length && (this.unacked[n] as Outgoing).seq <= seq) {
      this.unackedBytes -= (this.unacked[n] as Outgoing).bytes.length;
      n++;
    }
    if (n === 0) return;
    this.unacked.splice(0, n);
    if (this.writeIndex < n) {
      this.writeIndex = 0;
      this.writeOffset = 0;
    } else this.writeIndex -= n;
    this.settle();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pumpLoop().finally(() => {
      this.pumping = false;
      // sends queued after the loop's last look start it again
      if (this.socket !== undefined && this.unacked[this.writeIndex] !== undefined) this.pump();
    });
  }

  private async pumpLoop(): Promise<void> {
    let delay = 1;
    for (;;) {
      const socket = this.socket;
      if (socket === undefined || this.closedError !== undefined) return;
      const item = this.unacked[this.writeIndex];
      if (item === undefined) return;
      if (socket.bufferedAmount > this.o.highWaterMark) {
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 20);
        continue;
      }
      delay = 1;
      const end = Math.min(item.bytes.length, this.writeOffset + this.chunkLimit);
      const packet = encodeData(
        item.seq,
        item.bytes.length,
        this.writeOffset,
        item.bytes.subarray(this.writeOffset, end),
      );
      try {
        socket.send(packet);
      } catch {
        // the socket is closing; its close handler detaches, a later attach resumes
        if (this.socket === socket) this.socket = undefined;
        return;
      }
      this.o.onWrite?.(packet.length);
      if (end === item.bytes.length) {
        this.writeIndex++;
        this.writeOffset = 0;
        if (item.seq > this.writtenSeq) this.writtenSeq = item.seq;
        this.settle();
      } else {
        this.writeOffset = end;
      }
    }
  }

  private dropPartial(): void {
    if (this.partialTimer !== undefined) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    if (this.partial !== undefined) this.o.release?.(this.partial.got);
    this.partial = undefined;
  }

  /**
   * Handle one packet after the handshake. Protocol violations go to `onViolation` (the caller
   * closes the connection); nothing throws.
   */
  receive(packet: Uint8Array): void {
    let type: number;
    try {
      type = packetType(packet);
    } catch (e) {
      this.o.onViolation('malformed-packet', (e as Error).message);
      return;
    }
    if (type === PACKET.ack) {
      let seq: number;
      try {
        seq = decodeAck(packet);
      } catch (e) {
        this.o.onViolation('malformed-packet', (e as Error).message);
        return;
      }
      if (seq >= this.nextSendSeq) {
        this.o.onViolation('bad-ack', `acknowledgement of unsent frame ${seq}`);
        return;
      }
      this.acknowledge(seq);
      return;
    }
    if (type !== PACKET.data) {
      this.o.onViolation('unexpected-packet', `packet type ${type} after the handshake`);
      return;
    }
    if (packet.length < DATA_HEADER_BYTES) {
      this.o.onViolation('malformed-packet', 'DATA packet shorter than its header');
      return;
    }
    const c = decodeData(packet);
    const len = c.payload.length;
    if (len > this.o.chunkBytes) {
      this.o.onViolation('oversized-chunk', `chunk of ${len} bytes over ${this.o.chunkBytes}`);
      return;
    }
    if (c.total > this.o.maxFrameBytes) {
      this.o.onViolation(
        'oversized-frame',
        `frame of ${c.total} bytes over ${this.o.maxFrameBytes}`,
      );
      return;
    }
    if (c.offset + len > c.total || (len === 0 && c.total !== 0)) {
      this.o.onViolation('malformed-chunk', 'chunk outside its frame');
      return;
    }
    if (c.seq < this.recvNext) {
      // a resend or a replay of a frame already delivered: dropped whole, counted once
      if (c.offset === 0) this.o.onDuplicate(c.seq);
      return;
    }
    if (c.seq > this.recvNext) {
      this.o.onViolation('sequence-gap', `frame ${c.seq} while ${this.recvNext} is expected`);
      return;
    }
    let p = this.partial;
    if (p === undefined) {
      if (c.offset !== 0) {
        this.o.onViolation('malformed-chunk', 'a frame must start at offset 0');
        return;
      }
      p = { seq: c.seq, total: c.total, chunks: [], got: 0 };
      this.partial = p;
      if (c.total > len)
        this.partialTimer = setTimeout(() => {
          this.dropPartial();
          this.o.onViolation('stalled-frame', `frame incomplete after ${this.o.frameTimeoutMs} ms`);
        }, this.o.frameTimeoutMs);
    } else if (c.total !== p.total || c.offset !== p.got) {
      this.o.onViolation('malformed-chunk', 'chunk does not continue the frame in flight');
      return;
    }
    if (this.o.reserve !== undefined && !this.o.reserve(len)) {
      this.o.onViolation('memory-limit', 'reassembly memory of the server is exhausted');
      return;
    }
    p.chunks.push(c.payload.slice());
    p.got += len;
    if (p.got < p.total) return;
    const chunks = p.chunks;
    this.dropPartial();
    let frame: Uint8Array;
    if (chunks.length === 1) frame = chunks[0] as Uint8Array;
    else {
      frame = new Uint8Array(p.total);
      let at = 0;
      for (const ch of chunks) {
        frame.set(ch, at);
        at += ch.length;
      }
    }
    if (chunks.length === 0) frame = new Uint8Array(0);
    this.recvNext++;
    try {
      this.socket?.send(encodeAck(c.seq));
    } catch {
      // closing; the peer resends after resuming
    }
    this.o.onFrame(frame);
  }
}
