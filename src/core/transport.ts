/**
 * The transport contract between a round's server and its clients. A transport moves whole
 * binary frames between one server and many clients; it authenticates clients before they
 * appear, enforces its own size limits, and reports disconnects. What the frames mean is the
 * round protocol's business (see `plan.server` / `plan.client` in the root entry), so the same
 * protocol runs in memory, over WebSocket, or behind a scale-out store.
 *
 * Every implementation promises:
 * - a frame arrives whole and unmodified, or not at all (chunking is internal);
 * - frames from one peer arrive in the order it sent them;
 * - `clientId` is the authenticated identity of the peer (never a value the peer merely claims);
 * - `send` resolves once the frame is accepted for delivery and the transport's buffer is below
 *   its high-water mark (backpressure), and rejects with `CONNECTION_CLOSED` when the peer is gone;
 * - events for one peer stop after its `disconnect` event.
 * @module
 */

/**
 * What a server transport reports.
 * @since 0.1.0
 * @public
 */
export type ServerTransportEvent =
  | {
      /** An authenticated client connected (or reconnected). */
      readonly type: 'connect';
      /** The client's authenticated identity. */
      readonly clientId: string;
    }
  | {
      /** A whole frame from a client. */
      readonly type: 'message';
      /** The sender's authenticated identity. */
      readonly clientId: string;
      /** The frame's bytes (owned by the receiver). */
      readonly frame: Uint8Array;
    }
  | {
      /** A client is gone (closed, timed out, or disconnected by the server). */
      readonly type: 'disconnect';
      /** The client's identity. */
      readonly clientId: string;
      /** Why, in words that name no secret. */
      readonly reason: string;
    };

/**
 * The server's side of a transport: many authenticated clients.
 * @since 0.1.0
 * @public
 */
export interface ServerTransport {
  /**
   * Set the one event handler (a later call replaces it). Events that arrive before a handler is
   * set are queued and delivered when it is.
   * @param handler - called for every event, in arrival order
   */
  onEvent(handler: (event: ServerTransportEvent) => void): void;
  /**
   * Send one frame to a connected client.
   * @param clientId - the recipient's identity
   * @param frame - the bytes (the transport may keep a reference until delivered)
   * @returns resolves when accepted under the high-water mark
   */
  send(clientId: string, frame: Uint8Array): Promise<void>;
  /**
   * Disconnect one client.
   * @param clientId - the client's identity
   * @param reason - logged, and told to the client
   */
  disconnect(clientId: string, reason: string): void;
  /** Stop accepting clients and close every connection. */
  close(): Promise<void>;
}

/**
 * What a client transport reports.
 * @since 0.1.0
 * @public
 */
export type ClientTransportEvent =
  | {
      /** A whole frame from the server. */
      readonly type: 'message';
      /** The frame's bytes (owned by the receiver). */
      readonly frame: Uint8Array;
    }
  | {
      /** The connection is gone for good (reconnection, if any, already gave up). */
      readonly type: 'disconnect';
      /** Why, in words that name no secret. */
      readonly reason: string;
    };

/**
 * A client's side of a transport: one authenticated connection to the server.
 * @since 0.1.0
 * @public
 */
export interface ClientTransport {
  /** This client's identity as the server knows it. */
  readonly clientId: string;
  /**
   * Set the one event handler (a later call replaces it); earlier events are queued.
   * @param handler - called for every event, in arrival order
   */
  onEvent(handler: (event: ClientTransportEvent) => void): void;
  /**
   * Send one frame to the server.
   * @param frame - the bytes
   * @returns resolves when accepted under the high-water mark
   */
  send(frame: Uint8Array): Promise<void>;
  /** Close the connection. */
  close(): Promise<void>;
}
