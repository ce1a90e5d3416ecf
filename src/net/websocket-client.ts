/**
 * @module net/websocket-client
 * A reconnecting WebSocket client for browsers and Node: it drives a session straight from the
 * socket's messages (no Node stream), with the same contract as the TCP client. In a browser it
 * uses the native `WebSocket` and passes the token as `?token=` (browsers cannot set headers on a
 * WebSocket); `scuttlebutt-ts/net` in Node passes a `ws` factory that sends
 * `Authorization: Bearer`. Platform-neutral: no Node import.
 */
import { createError, type ScuttlebuttError } from '../errors.js';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { ReconnectingPeer, type ReconnectOptions } from './reconnecting-peer.js';
import type { Transport } from './transport.js';
import { createWebSocketTransport, type WebSocketLike } from './websocket-transport.js';

/** Makes a WebSocket for a URL (and the token, which the factory places). */
export type WebSocketFactory = (url: string, token: string | undefined) => WebSocketLike;

/** Options of {@link connectWebSocket}. */
export interface WebSocketClientOptions extends ReconnectOptions {
  /** The hub's WebSocket URL, e.g. `ws://127.0.0.1:8470/ws`. */
  readonly url: string;
  /** Bearer token of a hub started with `--token`. */
  readonly token?: string;
  /** Makes the socket (default: the global `WebSocket`, with the token as `?token=`). */
  readonly createSocket?: WebSocketFactory;
  /** Unsent bytes above which we stop producing output (default 256 KiB). */
  readonly highWaterMarkBytes?: number;
}

/**
 * The default factory: the global `WebSocket` (browsers, Node ≥ 22), token in the query string.
 * @throws LocalProtocolError ERR_SB_INVALID_ARGUMENT when there is no global `WebSocket`
 */
export const browserWebSocketFactory: WebSocketFactory = (url, token) => {
  const Native = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (Native === undefined) {
    throw createError('ERR_SB_INVALID_ARGUMENT', 'no global WebSocket here: in Node, use connectWebSocket from scuttlebutt-ts/net');
  }
  return new Native(token === undefined ? url : withToken(url, token));
};

/**
 * Adds `?token=` to a URL.
 * @param url - a ws:// or wss:// URL
 * @param token - the bearer token
 * @returns the URL with the token in its query
 */
export function withToken(url: string, token: string): string {
  const u = new URL(url);
  u.searchParams.set('token', token);
  return u.toString();
}

/**
 * Replicates `model` with a hub over WebSocket; reconnects with backoff after a drop, detects a
 * dead link with an idle timeout, reports state and sync progress.
 * @param model - the model to replicate
 * @param options - the URL, token, reconnect and connection options
 * @returns the peer, already dialing
 * @throws TypeError for a URL that is not ws:// or wss://
 * @example
 * ```ts
 * const peer = connectWebSocket(model, { url: 'ws://127.0.0.1:8470/ws' })
 * peer.on('state', (state) => (badge.textContent = state))
 * ```
 */
export function connectWebSocket(model: Scuttlebutt, options: WebSocketClientOptions): ReconnectingPeer {
  const { url, token, createSocket = browserWebSocketFactory, highWaterMarkBytes, ...rest } = options;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`"url" expected a ws:// or wss:// URL, got ${String(url)}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new TypeError(`"url" expected a ws:// or wss:// URL, got ${url}`);
  const dial = (signal: AbortSignal): Promise<Transport> =>
    new Promise((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = createSocket(url, token);
      } catch (error) {
        reject(error);
        return;
      }
      socket.binaryType = 'arraybuffer';
      let failure: Error | null = null;
      const cleanup = (): void => {
        socket.removeEventListener('open', onOpen as (event: never) => void);
        socket.removeEventListener('error', onError as (event: never) => void);
        socket.removeEventListener('close', onClose as (event: never) => void);
        signal.removeEventListener('abort', onAbort);
      };
      const onOpen = (): void => {
        cleanup();
        resolve(
          createWebSocketTransport(socket, {
            remoteAddress: parsed.host,
            ...(highWaterMarkBytes === undefined ? {} : { highWaterMarkBytes }),
          }),
        );
      };
      const onError = (event: { error?: unknown; message?: string }): void => {
        failure ??= event.error instanceof Error ? event.error : new Error(event.message ?? 'WebSocket error');
      };
      const onClose = (event: { code: number; reason: string }): void => {
        cleanup();
        reject(dialError(parsed.host, failure, event.code));
      };
      const onAbort = (): void => {
        cleanup();
        // Closing a socket that is still connecting makes `ws` emit 'error': keep a listener.
        socket.addEventListener('error', () => {});
        if (socket.terminate) socket.terminate();
        else socket.close();
        reject(createError('ERR_SB_CONNECTION_LOST', `connecting to ${parsed.host} timed out or was cancelled`));
      };
      socket.addEventListener('open', onOpen as (event: never) => void);
      socket.addEventListener('error', onError as (event: never) => void);
      socket.addEventListener('close', onClose as (event: never) => void);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  return new ReconnectingPeer(model, dial, { name: `ws:${parsed.host}`, ...rest }).start();
}

/** Names why an opening handshake failed; `ws` reports the HTTP status in its message. */
function dialError(host: string, failure: Error | null, closeCode: number): ScuttlebuttError {
  const status = /Unexpected server response: (\d+)/.exec(failure?.message ?? '')?.[1];
  if (status === '401') return createError('ERR_SB_UNAUTHORIZED', `${host} refused the token (HTTP 401)`, { cause: failure });
  if (status === '503') return createError('ERR_SB_TOO_MANY_PEERS', `${host} is full or shutting down (HTTP 503)`, { cause: failure });
  const detail = (failure as { code?: string } | null)?.code ?? (status ? `HTTP ${status}` : `close ${closeCode}`);
  return createError('ERR_SB_CONNECTION_LOST', `cannot connect to ${host} (${detail})`, { cause: failure });
}
