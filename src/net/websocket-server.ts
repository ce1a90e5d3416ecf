/**
 * @module net/websocket-server
 * The server side of the WebSocket transport, on the `ws` package: upgrades on one path (default
 * `/ws`) of an HTTP server, refuses with a plain HTTP status before any upgrade (401 for a missing
 * or wrong token, 503 when full, 404 for another path), limits each message to `maxPayloadBytes`
 * (ws closes with 1009 above it), and pings every client so that a dead browser is dropped.
 * Each message carries one or more lines of the same protocol as TCP.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { createError, type ScuttlebuttError } from '../errors.js';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { formatAddress } from './address.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './limits.js';
import { type PeerInfo, PeerPool, type PeerPoolOptions } from './peer-pool.js';
import { readToken, tokenMatches } from './token.js';
import { createWebSocketTransport, type WebSocketLike } from './websocket-transport.js';

/** Options of {@link attachWebSocketServer} and {@link listenWebSocket}. */
export interface WebSocketServerOptions extends PeerPoolOptions {
  /** The path that upgrades (default `/ws`). */
  readonly path?: string;
  /** Require this bearer token (`Authorization: Bearer` or `?token=`); refuse others with 401. */
  readonly token?: string;
  /** Largest message accepted, in bytes (default 1.25 MiB); ws closes with 1009 above it. */
  readonly maxPayloadBytes?: number;
  /** Unsent bytes per peer above which we stop producing output for it (default 256 KiB). */
  readonly highWaterMarkBytes?: number;
  /** Ping every client this often, and drop one that did not answer the last ping (default 30 000; `Infinity` off). */
  readonly heartbeatMs?: number;
  /** Use an existing pool (a hub shares one between TCP and WebSocket). */
  readonly pool?: PeerPool;
}

/** A WebSocket endpoint on an HTTP server. */
export interface WebSocketEndpoint {
  /** The connections. */
  readonly pool: PeerPool;
  /**
   * Handles an upgrade request; returns false (and does nothing) for another path, so that
   * several handlers can share a server.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Ends every WebSocket connection gracefully (unless the pool is shared) and stops pinging.
   * @returns a promise of nothing
   */
  close(): Promise<void>;
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 401: 'Unauthorized', 404: 'Not Found', 503: 'Service Unavailable' };

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  if (status === 401) headers.push('WWW-Authenticate: Bearer');
  socket.once('finish', () => socket.destroy());
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Creates a WebSocket endpoint for `model` and registers it on `server`'s `upgrade` event.
 * @param server - an HTTP(S) server
 * @param model - the model every connection replicates
 * @param options - path, token, limits, cap, logger, timeouts
 * @returns the endpoint
 * @example
 * ```ts
 * const http = createServer(app)
 * const ws = attachWebSocketServer(http, model, { token: process.env.SCUTTLEBUTT_TOKEN })
 * http.listen(8470)
 * ```
 */
export function attachWebSocketServer(server: Server, model: Scuttlebutt, options: WebSocketServerOptions = {}): WebSocketEndpoint {
  const endpoint = createWebSocketEndpoint(model, options);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!endpoint.handleUpgrade(req, socket, head)) refuse(socket, 404, 'no WebSocket endpoint here');
  });
  return endpoint;
}

/**
 * The endpoint without an HTTP server: call its `handleUpgrade` from your own `upgrade` handler.
 * @param model - the model every connection replicates
 * @param options - path, token, limits, cap, logger, timeouts
 * @returns the endpoint
 */
export function createWebSocketEndpoint(model: Scuttlebutt, options: WebSocketServerOptions = {}): WebSocketEndpoint {
  const { path = '/ws', token, maxPayloadBytes, highWaterMarkBytes, heartbeatMs = 30_000, pool: shared, ...poolOptions } = options;
  const pool = shared ?? new PeerPool(model, poolOptions);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    perMessageDeflate: false, // compression bombs and CPU: not worth it for small updates
    clientTracking: false,
  });
  const alive = new Map<WebSocket, boolean>();
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  if (Number.isFinite(heartbeatMs)) {
    heartbeat = setInterval(() => {
      for (const [ws, answered] of alive) {
        if (!answered) {
          pool.logger.warn('WebSocket peer did not answer a ping; dropping it', { peer: `ws:${remoteOf(ws)}` });
          ws.terminate();
          continue;
        }
        alive.set(ws, false);
        try {
          ws.ping();
        } catch {
          ws.terminate(); // not open any more: it is going away anyway
        }
      }
    }, heartbeatMs);
    heartbeat.unref();
  }
  const remotes = new WeakMap<WebSocket, string>();
  const remoteOf = (ws: WebSocket): string => remotes.get(ws) ?? 'unknown';

  return {
    pool,
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== path) return false;
      socket.on('error', () => {}); // a reset during the handshake is not our crash
      const remoteAddress = formatAddress(req.socket.remoteAddress, req.socket.remotePort);
      const presented = readToken(req, url);
      const info: PeerInfo =
        presented === undefined ? { transport: 'ws', remoteAddress } : { transport: 'ws', remoteAddress, token: presented };
      if (token !== undefined && !tokenMatches(presented, token)) {
        pool.reject(info, createError('ERR_SB_UNAUTHORIZED', presented === undefined ? 'no token presented' : 'wrong token'));
        refuse(socket, 401, 'a bearer token is required (Authorization: Bearer TOKEN, or ?token=TOKEN)');
        return true;
      }
      const admitted = pool.admit(info);
      if ('code' in admitted) {
        const refusal = admitted as ScuttlebuttError;
        refuse(socket, refusal.code === 'ERR_SB_UNAUTHORIZED' ? 401 : 503, refusal.message);
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        remotes.set(ws, remoteAddress);
        alive.set(ws, true);
        ws.on('pong', () => alive.set(ws, true));
        ws.on('message', () => alive.set(ws, true));
        ws.on('close', () => alive.delete(ws));
        const transport = createWebSocketTransport(ws as unknown as WebSocketLike, {
          remoteAddress,
          ...(highWaterMarkBytes === undefined ? {} : { highWaterMarkBytes }),
        });
        pool.add(transport, admitted);
      });
      return true;
    },
    async close() {
      if (heartbeat !== null) clearInterval(heartbeat);
      if (!shared) await pool.close();
      wss.close();
    },
  };
}

/** A standalone WebSocket server of one model. */
export interface WebSocketServerHandle extends WebSocketEndpoint {
  /** The HTTP server under it. */
  readonly server: Server;
  /** The bound host. */
  readonly host: string;
  /** The bound port. */
  readonly port: number;
  /** The URL clients connect to, e.g. `ws://127.0.0.1:8470/ws`. */
  readonly url: string;
}

/**
 * Listens for WebSocket peers on an HTTP server of its own (plain HTTP requests get 426).
 * @param model - the model to replicate
 * @param options - port (default 0), host (default `127.0.0.1`) and the endpoint options
 * @returns the server, once listening
 * @throws the `listen` error (`EADDRINUSE`, `EACCES`)
 * @example
 * ```ts
 * const server = await listenWebSocket(model, { port: 8470 })
 * connectWebSocket(other, { url: server.url })
 * ```
 */
export async function listenWebSocket(
  model: Scuttlebutt,
  options: WebSocketServerOptions & { readonly port?: number; readonly host?: string } = {},
): Promise<WebSocketServerHandle> {
  const { port = 0, host = '127.0.0.1', ...rest } = options;
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
    res.end('this endpoint speaks WebSocket\n');
  });
  const endpoint = attachWebSocketServer(server, model, rest);
  server.listen(port, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  server.on('error', (error) => endpoint.pool.logger.error('HTTP server error', { error }));
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address : { address: host, port };
  const path = rest.path ?? '/ws';
  return {
    ...endpoint,
    pool: endpoint.pool,
    server,
    host: bound.address,
    port: bound.port,
    url: `ws://${formatAddress(bound.address, bound.port)}${path}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await endpoint.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
