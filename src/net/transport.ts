/**
 * @module net/transport
 * What a {@link PeerConnection} needs from a socket, and nothing more: send a chunk of lines,
 * say how much is still unsent, end, and report data, drain and close. A TCP socket, a `ws`
 * WebSocket and a browser's native WebSocket each get a small adapter to this shape, so that the
 * session-driving logic exists once.
 */

/** The callbacks a transport calls; set once by {@link Transport.open}. */
export interface TransportHandlers {
  /** Bytes or text arrived (whole lines for WebSocket, any split for TCP). */
  onData(chunk: Uint8Array | string): void;
  /** The transport can take output again after `send()` returned false. */
  onDrain(): void;
  /** The peer ended its output cleanly (TCP FIN); the transport stays open for our last output. */
  onEnd(): void;
  /** The transport is gone. `error` is set when it failed (reset, protocol error, close code). */
  onClose(error: Error | null): void;
}

/** A connected, message- or byte-oriented link to one peer. */
export interface Transport {
  /** `'tcp'`, `'tls'` or `'ws'`, for logs and metrics. */
  readonly kind: string;
  /** `host:port` of the peer, for logs. */
  readonly remoteAddress: string;
  /** Output accepted by {@link send} but not yet written to the network, in bytes. */
  readonly bufferedAmount: number;
  /** Starts delivering events. Call once. */
  open(handlers: TransportHandlers): void;
  /**
   * Sends one chunk of whole lines.
   * @returns false when more than the transport's `highWaterMarkBytes` are waiting: the caller
   *   should send nothing more until `onDrain`, which the transport then promises to call
   */
  send(chunk: string): boolean;
  /** Ends gracefully after what was sent: TCP `end()`, WebSocket close 1000. */
  end(): void;
  /**
   * Drops the link at once, discarding unsent output. A WebSocket closes with the error's
   * `closeCode` (1008, 1009) and code as reason when it can, else it is terminated.
   * @param error - why, if the link is dropped for a protocol error
   */
  destroy(error?: Error | null): void;
}
