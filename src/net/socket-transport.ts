/**
 * @module net/socket-transport
 * A Node `net.Socket` (or `tls.TLSSocket`) as a {@link Transport}: the raw line-JSON wire of the
 * original package. Events that arrive before the connection opens the transport are kept, so a
 * socket can be wrapped as soon as it exists.
 */
import type { Socket } from 'node:net';
import { formatAddress } from './address.js';
import { DEFAULT_HIGH_WATER_MARK_BYTES } from './limits.js';
import type { Transport, TransportHandlers } from './transport.js';

/** Options of {@link createSocketTransport}. */
export interface SocketTransportOptions {
  /** `'tcp'` (default) or `'tls'`, for logs and metrics. */
  readonly kind?: string;
  /** Unsent bytes above which `send()` asks the caller to wait (default 256 KiB). */
  readonly highWaterMarkBytes?: number;
  /** TCP keep-alive probe delay in ms, so a dead host is noticed by the OS (default 30 000; `0` off). */
  readonly keepAliveProbeMs?: number;
}

type Pending = { readonly type: 'data'; readonly chunk: Uint8Array } | { readonly type: 'end' } | { readonly type: 'close' };

/**
 * Wraps a connected socket. The socket should have been created with `allowHalfOpen: true`, so
 * that a peer's FIN still lets our last output go out.
 * @param socket - a connected socket
 * @param options - kind, high-water mark, keep-alive
 * @returns a {@link Transport}
 * @example
 * ```ts
 * net.createServer({ allowHalfOpen: true }, (socket) => new PeerConnection(model, createSocketTransport(socket)).start())
 * ```
 */
export function createSocketTransport(socket: Socket, options: SocketTransportOptions = {}): Transport {
  const highWaterMark = options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES;
  const probe = options.keepAliveProbeMs ?? 30_000;
  socket.setNoDelay(true);
  if (probe > 0) socket.setKeepAlive(true, probe);
  let handlers: TransportHandlers | null = null;
  let pending: Pending[] = [];
  let lastError: Error | null = null;
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    if (handlers) handlers.onData(chunk);
    else pending.push({ type: 'data', chunk });
  });
  socket.on('drain', () => handlers?.onDrain());
  socket.on('end', () => {
    if (handlers) handlers.onEnd();
    else pending.push({ type: 'end' });
  });
  // Always listened: an unhandled 'error' on a socket would crash the process.
  socket.on('error', (error) => {
    lastError ??= error;
  });
  socket.on('close', () => {
    closed = true;
    if (handlers) handlers.onClose(lastError);
    else pending.push({ type: 'close' });
  });
  return {
    kind: options.kind ?? 'tcp',
    remoteAddress: formatAddress(socket.remoteAddress, socket.remotePort),
    get bufferedAmount() {
      return socket.writableLength;
    },
    open(h) {
      if (handlers) return;
      handlers = h;
      const queued = pending;
      pending = [];
      for (const event of queued) {
        if (event.type === 'data') h.onData(event.chunk);
        else if (event.type === 'end') h.onEnd();
        else h.onClose(lastError);
      }
    },
    send(chunk) {
      if (closed || socket.destroyed) return true;
      const ok = socket.write(chunk);
      // When this returns false, write() did too (the socket's own mark is 16 KiB), so 'drain' follows.
      return ok || socket.writableLength < highWaterMark;
    },
    end() {
      if (!socket.destroyed) socket.end();
    },
    destroy() {
      socket.destroy();
    },
  };
}
