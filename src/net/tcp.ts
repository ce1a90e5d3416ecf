/**
 * @module net/tcp
 * Raw line-JSON over TCP (or TLS): the original package's wire. {@link listen} accepts peers, each
 * with its own session and every error handled (a peer speaking HTTP to the port gets one log line
 * and is closed); {@link connect} dials a peer and keeps the link up. The README's "Gotchas"
 * (one stream per connection, error listeners on both sides, pipe both ways) are done here once.
 */
import { once } from 'node:events';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import {
  createServer as createTlsServer,
  type ConnectionOptions as TlsConnectionOptions,
  type TlsOptions,
  connect as tlsConnect,
} from 'node:tls';
import { createError } from '../errors.js';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { formatAddress } from './address.js';
import { PeerPool, type PeerPoolOptions } from './peer-pool.js';
import { ReconnectingPeer, type ReconnectOptions } from './reconnecting-peer.js';
import { createSocketTransport } from './socket-transport.js';
import type { Transport } from './transport.js';

/** Options of {@link listen}. */
export interface ListenOptions extends PeerPoolOptions {
  /** Port (default 0: any free port; read it from `server.port`). */
  readonly port?: number;
  /** Interface to bind (default `127.0.0.1`: loopback only). */
  readonly host?: string;
  /** TLS options (`key`, `cert`, `ca`, `requestCert`…): serve TLS instead of plain TCP. */
  readonly tls?: TlsOptions;
  /** Unsent bytes per peer above which we stop producing output for it (default 256 KiB). */
  readonly highWaterMarkBytes?: number;
  /** Use an existing pool (a hub shares one between TCP and WebSocket). */
  readonly pool?: PeerPool;
}

/** A listening TCP server of one model. */
export interface TcpServer {
  /** The Node server. */
  readonly server: Server;
  /** The connections. */
  readonly pool: PeerPool;
  /** The bound host. */
  readonly host: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  /**
   * Stops accepting, ends every connection gracefully, and resolves once the server is closed.
   * @returns a promise of nothing
   */
  close(): Promise<void>;
}

/**
 * Accepts peers on a TCP port; each connection replicates `model` with its own session.
 * @param model - the model to replicate
 * @param options - port, host, tls, cap, authorize, logger, timeouts
 * @returns the server, once listening
 * @throws the `listen` error (`EADDRINUSE`, `EACCES`)
 * @example
 * ```ts
 * const server = await listen(model, { port: 8471 })
 * // later
 * await server.close()
 * ```
 */
export async function listen(model: Scuttlebutt, options: ListenOptions = {}): Promise<TcpServer> {
  const { port, host, tls, highWaterMarkBytes, pool: shared, ...poolOptions } = options;
  const pool = shared ?? new PeerPool(model, poolOptions);
  const kind = tls ? 'tls' : 'tcp';
  const onSocket = (socket: Socket): void => {
    const remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    socket.on('error', () => {}); // reported through the transport, never thrown
    const admitted = pool.admit({ transport: kind, remoteAddress });
    if ('code' in admitted) {
      socket.destroy();
      return;
    }
    pool.add(createSocketTransport(socket, { kind, ...(highWaterMarkBytes === undefined ? {} : { highWaterMarkBytes }) }), admitted);
  };
  const server = tls ? createTlsServer({ ...tls, allowHalfOpen: true }, onSocket) : createServer({ allowHalfOpen: true }, onSocket);
  // A failed TLS handshake or a client reset before accept must not take the server down.
  server.on('tlsClientError', (error: Error, socket: Socket) => {
    pool.logger.warn('TLS handshake failed', { peer: `tls:${formatAddress(socket.remoteAddress, socket.remotePort)}`, error });
  });
  server.listen(port ?? 0, host ?? '127.0.0.1');
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  server.on('error', (error) => pool.logger.error('TCP server error', { error }));
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address : { address: host ?? '127.0.0.1', port: port ?? 0 };
  return {
    server,
    pool,
    host: bound.address,
    port: bound.port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (!shared) await pool.close();
      await closed;
    },
  };
}

/** Options of {@link connect}. */
export interface ConnectOptions extends ReconnectOptions {
  /** Host to dial (default `127.0.0.1`). */
  readonly host?: string;
  /** Port to dial. */
  readonly port: number;
  /** TLS options (`ca`, `servername`, `rejectUnauthorized`…): dial TLS instead of plain TCP. */
  readonly tls?: TlsConnectionOptions;
  /** Unsent bytes above which we stop producing output (default 256 KiB). */
  readonly highWaterMarkBytes?: number;
}

/**
 * Dials a peer over TCP (or TLS) and replicates `model` with it; reconnects with exponential
 * backoff and jitter after a drop, detects a dead peer with an idle timeout (30 s by default),
 * and reports its state (`connecting`, `syncing`, `live`, `closed`) and sync progress.
 * @param model - the model to replicate
 * @param options - host, port, tls, reconnect and connection options
 * @returns the peer, already dialing
 * @throws RangeError for a port that is not an integer in 1..65535
 * @example
 * ```ts
 * const peer = connect(model, { host: 'hub.example', port: 8471 })
 * peer.on('state', (state) => console.log(state))
 * await peer.whenLive()
 * ```
 */
export function connect(model: Scuttlebutt, options: ConnectOptions): ReconnectingPeer {
  const { host = '127.0.0.1', port, tls, highWaterMarkBytes, ...rest } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`"port" expected integer 1..65535, got ${String(port)}`);
  const kind = tls ? 'tls' : 'tcp';
  const dial = (signal: AbortSignal): Promise<Transport> =>
    new Promise((resolve, reject) => {
      const socket = tls
        ? tlsConnect({ ...tls, host, port, allowHalfOpen: true } as TlsConnectionOptions)
        : netConnect({ host, port, allowHalfOpen: true });
      const ready = tls ? 'secureConnect' : 'connect';
      const cleanup = (): void => {
        socket.off(ready, onReady);
        socket.off('error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      const onReady = (): void => {
        cleanup();
        resolve(createSocketTransport(socket, { kind, ...(highWaterMarkBytes === undefined ? {} : { highWaterMarkBytes }) }));
      };
      const onError = (error: Error): void => {
        cleanup();
        socket.destroy();
        const code = (error as { code?: string }).code ?? 'ERR_UNKNOWN';
        reject(createError('ERR_SB_CONNECTION_LOST', `cannot connect to ${formatAddress(host, port)} (${code})`, { cause: error }));
      };
      const onAbort = (): void => {
        cleanup();
        socket.destroy();
        reject(createError('ERR_SB_CONNECTION_LOST', `connecting to ${formatAddress(host, port)} timed out or was cancelled`));
      };
      socket.once(ready, onReady);
      socket.once('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  return new ReconnectingPeer(model, dial, { name: `${kind}:${formatAddress(host, port)}`, ...rest }).start();
}
