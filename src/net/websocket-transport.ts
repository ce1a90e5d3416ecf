/**
 * @module net/websocket-transport
 * A WebSocket as a {@link Transport}: the browser's native `WebSocket` and the `ws` package's
 * (client or server side) both fit, through the standard `addEventListener` API. Each message we
 * send is one chunk of whole lines; each message received is taken as whole lines (a message
 * without a final `\n` gets one), so the wire inside is exactly the TCP protocol.
 *
 * Backpressure: `send()` returns false once `bufferedAmount` is above the high-water mark; the
 * transport then polls `bufferedAmount` (browsers have no drain event) and calls `onDrain`.
 * Platform-neutral: no Node import.
 */
import { isScuttlebuttError, RemoteProtocolError } from '../errors.js';
import { DEFAULT_HIGH_WATER_MARK_BYTES } from './limits.js';
import type { Transport, TransportHandlers } from './transport.js';

/** The part of the WebSocket API this transport uses (browser `WebSocket` or `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly url?: string;
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void): void;
  removeEventListener(type: string, listener: (event: never) => void): void;
  /** `ws` only: drop the connection without a closing handshake. */
  terminate?: () => void;
  /** `ws` only: its EventEmitter API, whose `message` hands out the received Buffer as is. */
  on?: (event: 'message', listener: (data: Uint8Array, isBinary: boolean) => void) => unknown;
}

/** Options of {@link createWebSocketTransport}. */
export interface WebSocketTransportOptions {
  /** `host:port` of the peer, for logs (default: from `socket.url`). */
  readonly remoteAddress?: string;
  /** Unsent bytes above which `send()` asks the caller to wait (default 256 KiB). */
  readonly highWaterMarkBytes?: number;
  /** How often `bufferedAmount` is polled while blocked, in ms (default 20). */
  readonly drainPollMs?: number;
}

const OPEN = 1;
const NEWLINE = 10;

type Pending = { readonly type: 'data'; readonly chunk: Uint8Array | string } | { readonly type: 'close'; readonly error: Error | null };

interface MessageEventLike {
  readonly data: unknown;
}
interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}
interface ErrorEventLike {
  readonly error?: unknown;
  readonly message?: string;
}

/**
 * Wraps an open WebSocket.
 * @param socket - an open WebSocket (browser or `ws`)
 * @param options - address for logs, high-water mark
 * @returns a {@link Transport}
 * @example
 * ```ts
 * wss.on('connection', (ws) => new PeerConnection(model, createWebSocketTransport(ws)).start())
 * ```
 */
export function createWebSocketTransport(socket: WebSocketLike, options: WebSocketTransportOptions = {}): Transport {
  const highWaterMark = options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES;
  const pollMs = options.drainPollMs ?? 20;
  // With `ws`, take each message as the Buffer it arrived in: its browser-style `message` event
  // would first decode text frames to a string, which the session would encode back to bytes
  // (twice the cost per update). Browsers give strings or ArrayBuffers.
  const nodeWs = typeof socket.on === 'function' && typeof socket.terminate === 'function';
  socket.binaryType = nodeWs ? 'nodebuffer' : 'arraybuffer';
  let handlers: TransportHandlers | null = null;
  let pending: Pending[] = [];
  let lastError: Error | null = null;
  let closed = false;
  let poll: ReturnType<typeof setInterval> | null = null;

  const deliver = (chunk: Uint8Array | string): void => {
    if (handlers) handlers.onData(chunk);
    else pending.push({ type: 'data', chunk });
  };
  const onMessage = (event: MessageEventLike): void => {
    const data = event.data;
    let chunk: Uint8Array | string;
    if (typeof data === 'string') chunk = data;
    else if (data instanceof ArrayBuffer) chunk = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) chunk = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return; // a Blob cannot happen with binaryType 'arraybuffer'
    deliver(chunk);
    // A message is whole lines: close a last line that came without its newline.
    const last = typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1];
    if (chunk.length > 0 && last !== NEWLINE) deliver('\n');
  };
  const onError = (event: ErrorEventLike): void => {
    const cause = event.error;
    if (lastError !== null) return;
    if (cause instanceof Error && (cause as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      lastError = new RemoteProtocolError('ERR_SB_MESSAGE_TOO_LARGE', `a WebSocket message exceeds maxPayload: ${cause.message}`, {
        cause,
      });
    } else {
      lastError = cause instanceof Error ? cause : new Error(event.message ?? 'WebSocket error');
    }
  };
  const onClose = (event: CloseEventLike): void => {
    closed = true;
    stopPolling();
    let error = lastError;
    // 1000 normal, 1001 going away, 1005 no status: a clean close. Anything else says what failed.
    if (error === null && event.code !== 1000 && event.code !== 1001 && event.code !== 1005) {
      error = Object.assign(new Error(`WebSocket closed with code ${event.code}${event.reason ? ` (${event.reason})` : ''}`), {
        code: `WS_CLOSE_${event.code}`,
      });
    }
    if (handlers) handlers.onClose(error);
    else pending.push({ type: 'close', error });
  };
  if (nodeWs) socket.on?.('message', (data) => onMessage({ data }));
  else socket.addEventListener('message', onMessage as (event: never) => void);
  socket.addEventListener('error', onError as (event: never) => void);
  socket.addEventListener('close', onClose as (event: never) => void);

  const stopPolling = (): void => {
    if (poll !== null) clearInterval(poll);
    poll = null;
  };
  const startPolling = (): void => {
    if (poll !== null) return;
    poll = setInterval(() => {
      if (closed) return stopPolling();
      if (socket.bufferedAmount < highWaterMark) {
        stopPolling();
        handlers?.onDrain();
      }
    }, pollMs);
  };

  return {
    kind: 'ws',
    remoteAddress: options.remoteAddress ?? hostOf(socket.url),
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    open(h) {
      if (handlers) return;
      handlers = h;
      const queued = pending;
      pending = [];
      for (const event of queued) {
        if (event.type === 'data') h.onData(event.chunk);
        else h.onClose(event.error);
      }
    },
    send(chunk) {
      if (closed || socket.readyState !== OPEN) return true;
      socket.send(chunk);
      if (socket.bufferedAmount < highWaterMark) return true;
      startPolling();
      return false;
    },
    end() {
      stopPolling();
      if (!closed) socket.close(1000);
    },
    destroy(error) {
      stopPolling();
      if (closed) return;
      const closeCode = error instanceof RemoteProtocolError ? error.closeCode : undefined;
      const timedOut = isScuttlebuttError(error) && (error.code === 'ERR_SB_DRAIN_TIMEOUT' || error.code === 'ERR_SB_IDLE_TIMEOUT');
      if (socket.terminate && (timedOut || closeCode === undefined)) {
        socket.terminate(); // a slow or dead peer would never complete a closing handshake
      } else if (closeCode !== undefined && socket.terminate) {
        socket.close(closeCode, error instanceof RemoteProtocolError ? error.code : '');
        const t = setTimeout(() => socket.terminate?.(), 1000);
        (t as { unref?: () => void }).unref?.();
      } else {
        socket.close(4000, isScuttlebuttError(error) ? error.code : 'closed'); // browsers may only send 1000 or 3000-4999
      }
    },
  };
}

function hostOf(url: string | undefined): string {
  if (!url) return 'unknown';
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
