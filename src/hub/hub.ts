/**
 * @module hub/hub
 * The hub that `scuttlebutt serve` runs: one `Model`, loaded from storage, served to WebSocket
 * peers and the page over HTTP (default port 8470) and to raw line-JSON TCP peers, the original
 * package's wire (default port 8471), and linked to other hubs (`peers`, each another hub's TCP
 * port) so that several hubs form a mesh. No update crosses a link twice: each session records
 * what its peer has, in both directions.
 *
 * Theory of operation: {@link startHub} loads storage first, so that the first peer already sees
 * the stored history, then listens (HTTP + WebSocket, TCP), then dials the mesh. Every accepted
 * connection goes through one {@link PeerPool} (the `maxPeers` cap covers both ports). Every
 * connection that ends with an error gives one log line with the peer and the error code.
 * {@link Hub.close} stops listening, ends every connection gracefully (their queued output is
 * sent), flushes storage and closes it.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ConnectionOptions as TlsConnectionOptions, TlsOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Model } from '../models/model.js';
import { formatAddress, isLoopback, parseHostPort } from '../net/address.js';
import { type ConnectionOptions, PeerConnection } from '../net/connection.js';
import type { ConnectionTimeouts } from '../net/limits.js';
import { type Logger, silentLogger } from '../net/logger.js';
import { type Authorize, causeCode, errorCode, PeerPool } from '../net/peer-pool.js';
import type { ReconnectingPeer, ReconnectOptions } from '../net/reconnecting-peer.js';
import { connect, listen, type TcpServer } from '../net/tcp.js';
import { createWebSocketEndpoint, type WebSocketEndpoint } from '../net/websocket-server.js';
import type { Durability } from '../persist/index.js';
import type { AuthHandler } from '../protocol/auth.js';
import type { Update } from '../protocol/update.js';
import { fileStorage } from './file-storage.js';
import { type PeerEntry, renderHubMetrics } from './hub-metrics.js';
import { missingBundleScript } from './page.js';
import { createRequestHandler } from './routes.js';
import { type HubStorage, memoryStorage } from './storage.js';

/** Default HTTP + WebSocket port. */
export const DEFAULT_HUB_PORT = 8470;
/** Default raw TCP port. */
export const DEFAULT_HUB_TCP_PORT = 8471;
/** Default data directory, under the working directory. */
export const DEFAULT_DATA_DIR = './data';

/**
 * How long a hub holds back an update it got from another hub before relaying it to a third:
 * 25 ms towards a hub with a greater id than its own, twice that towards a smaller one.
 *
 * Why: in a mesh with cycles (a ring), a hub cannot know that a neighbour already has an update
 * it got by another path, so two hubs would relay it to each other at the same moment and it
 * would cross their link twice; and a hub that got a relayed copy before the original's direct
 * one would send it back to where it came from. Waiting lets the other copy arrive first (the
 * session then knows the peer has it and sends nothing), and the two different waits break the
 * tie between two relays. Updates from a hub's own clients are never held back. It is exact when
 * the links' latency is below the wait; a duplicate beyond that is harmless (dropped as old data).
 */
export const DEFAULT_RELAY_DELAY_MS = 25;

/** The header `meta` of every hub connection: how hubs recognise each other. */
export const HUB_META: Readonly<{ role: 'hub' }> = Object.freeze({ role: 'hub' });

/** Whether the peer of a connection announced itself as a hub. */
function isHub(connection: PeerConnection): boolean {
  const meta = connection.remoteHeader?.meta;
  return typeof meta === 'object' && meta !== null && (meta as { role?: unknown }).role === 'hub';
}

/** Options of {@link startHub}. */
export interface HubOptions {
  /** Interface to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** HTTP + WebSocket port (default 8470; 0: any free port). */
  readonly port?: number;
  /** Raw TCP port (default 8471; 0: any free port; `null`: no TCP). */
  readonly tcpPort?: number | null;
  /** Interface of the TCP port (default: `host`). */
  readonly tcpHost?: string;
  /** Data directory (default `./data`); `null` keeps the model in memory. Ignored with `storage`. */
  readonly dataDir?: string | null;
  /** A storage of your own (overrides `dataDir`). */
  readonly storage?: HubStorage;
  /** Durability of the default file storage (default `'fsync'`, group-committed). */
  readonly durability?: Durability;
  /** Other hubs to link with: `host:port` of their TCP ports. */
  readonly peers?: readonly string[];
  /** Bearer token required from HTTP and WebSocket clients (`/healthz` needs none). */
  readonly token?: string;
  /** Most accepted connections at once, TCP and WebSocket together (default 1024). */
  readonly maxPeers?: number;
  /** The hub model's id (default: random). */
  readonly id?: string;
  /**
   * Serve over TLS: HTTPS and WSS on `port`, TLS on `tcpPort` (at least `cert` and `key`, PEM).
   * Default: plain HTTP, WebSocket and TCP.
   */
  readonly tls?: TlsOptions;
  /** Dial the `peers` over TLS with these options (for instance `{ ca }`); default: plain TCP. */
  readonly peerTls?: TlsConnectionOptions;
  /**
   * Collect deletions after this many ms (default: keep forever); see `ModelOptions.tombstoneTtlMs`.
   * Ignored when `model` is given.
   */
  readonly tombstoneTtlMs?: number;
  /** Where to log (default: nowhere; the CLI logs JSON lines to stderr). */
  readonly logger?: Logger;
  /** Per-connection access control for accepted peers (the extension point for per-peer rights). */
  readonly authorize?: Authorize;
  /** Peer authentication and per-update rights for every connection (issue 5; see `ConnectionOptions.auth`). */
  readonly auth?: AuthHandler;
  /** Per-update access control (see `ConnectionOptions.acceptUpdate`). */
  readonly acceptUpdate?: (update: Update, connection: PeerConnection) => boolean;
  /** Timeouts of accepted connections. */
  readonly timeouts?: Partial<ConnectionTimeouts>;
  /** Relay delay between hubs in ms (default 25; 0 disables); see {@link DEFAULT_RELAY_DELAY_MS}. */
  readonly relayDelayMs?: number;
  /** Options of the mesh links (backoff, timeouts). */
  readonly peerOptions?: Omit<ReconnectOptions, 'name'>;
  /** WebSocket ping interval in ms (default 30 000). */
  readonly heartbeatMs?: number;
  /** Largest WebSocket message in bytes (default 1.25 MiB). */
  readonly maxPayloadBytes?: number;
  /** Path of the browser bundle (default: `dist/browser/scuttlebutt.js` of this package). */
  readonly browserBundle?: string;
  /** Serve this model instead of a new one. */
  readonly model?: Model;
}

/** A running hub. */
export interface Hub {
  /** The hub's model. */
  readonly model: Model;
  /** The accepted connections. */
  readonly pool: PeerPool;
  /** The HTTP server. */
  readonly http: Server;
  /** The TCP server, if any. */
  readonly tcp: TcpServer | null;
  /** The bound HTTP port. */
  readonly port: number;
  /** The bound TCP port, or null. */
  readonly tcpPort: number | null;
  /** The bound host. */
  readonly host: string;
  /** `http://…/`, `ws://…/ws`, `tcp host:port`. */
  readonly urls: { readonly http: string; readonly ws: string; readonly tcp: string | null };
  /** The mesh links by address. */
  readonly mesh: ReadonlyMap<string, ReconnectingPeer>;
  /** The storage. */
  readonly storage: HubStorage;
  /** The body of `/metrics`. */
  metrics(): string;
  /** The body of `/healthz`. */
  health(): Readonly<Record<string, unknown>>;
  /**
   * Graceful shutdown: stop listening, end every connection (queued output first), flush and
   * close storage. Safe to call twice (the same promise).
   * @returns a promise of nothing
   */
  close(): Promise<void>;
}

/** Finds the prebuilt browser bundle next to this module (source or build layout), or in the working directory. */
function findBundle(explicit: string | undefined): { code: string; map: string | null; path: string } | null {
  const candidates: string[] = [];
  if (explicit !== undefined) candidates.push(explicit);
  else {
    for (const rel of ['../../dist/browser/scuttlebutt.js', '../browser/scuttlebutt.js', './browser/scuttlebutt.js']) {
      try {
        candidates.push(fileURLToPath(new URL(rel, import.meta.url)));
      } catch {
        // no import.meta.url (a CommonJS build): fall through to the working directory
      }
    }
    candidates.push(`${process.cwd()}/dist/browser/scuttlebutt.js`);
  }
  for (const path of candidates) {
    try {
      const code = readFileSync(path, 'utf8');
      let map: string | null = null;
      try {
        map = readFileSync(`${path}.map`, 'utf8');
      } catch {
        map = null;
      }
      return { code, map, path };
    } catch {
      // try the next one
    }
  }
  return null;
}

/**
 * Starts a hub.
 * @param options - ports, storage, mesh, token, limits, logger
 * @returns the running hub
 * @throws the `listen` error (`EADDRINUSE`, `EACCES`), a storage error, RangeError for a bad `peers` entry
 * @example
 * ```ts
 * const hub = await startHub({ port: 0, tcpPort: 0, dataDir: null })
 * console.log(hub.urls.ws)
 * await hub.close()
 * ```
 */
export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const log = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const token = options.token === '' ? undefined : options.token;
  const peers = (options.peers ?? []).map((p) => ({ text: p, ...parseHostPort(p, 'peer') }));
  const model =
    options.model ??
    new Model({
      ...(options.id === undefined ? {} : { id: options.id }),
      ...(options.tombstoneTtlMs === undefined ? {} : { tombstoneTtlMs: options.tombstoneTtlMs }),
    });
  const startedAtMs = Date.now();
  const relayDelay = options.relayDelayMs ?? DEFAULT_RELAY_DELAY_MS;
  if (!Number.isFinite(relayDelay) || relayDelay < 0) throw new RangeError(`"relayDelayMs" expected a number >= 0, got ${relayDelay}`);

  const storage =
    options.storage ??
    (options.dataDir === null
      ? memoryStorage()
      : fileStorage(options.dataDir ?? DEFAULT_DATA_DIR, options.durability === undefined ? {} : { durability: options.durability }));
  await storage.load(model);
  log.info('storage loaded', { storage: storage.description, keys: model.size });

  if (!isLoopback(host) && token === undefined && options.authorize === undefined) {
    log.warn(
      'the hub listens beyond loopback without a token: anyone who can reach it can read and write; set --token or SCUTTLEBUTT_TOKEN',
      {
        host,
      },
    );
  }
  const tcpHost = options.tcpHost ?? host;
  if (options.tcpPort !== null && !isLoopback(tcpHost) && options.authorize === undefined) {
    log.warn(
      'the raw TCP port is not covered by the token (the original wire has no way to send one): bind it to loopback with --tcp-host, or --no-tcp',
      {
        tcpHost,
      },
    );
  }

  const connectionOptions: ConnectionOptions = {
    ...options.timeouts,
    meta: HUB_META,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.acceptUpdate === undefined ? {} : { acceptUpdate: options.acceptUpdate }),
    ...(relayDelay === 0
      ? {}
      : {
          relayDelayMs: (_update: Update, from: unknown, to: PeerConnection): number => {
            if (!(from instanceof PeerConnection) || !isHub(from) || !isHub(to)) return 0;
            return model.id < (to.remoteHeader?.id ?? '') ? relayDelay : 2 * relayDelay;
          },
        }),
  };
  const pool = new PeerPool(model, {
    ...connectionOptions,
    ...(options.maxPeers === undefined ? {} : { maxPeers: options.maxPeers }),
    ...(options.authorize === undefined ? {} : { authorize: options.authorize }),
    logger: log,
  });
  const ws: WebSocketEndpoint = createWebSocketEndpoint(model, {
    pool,
    path: '/ws',
    ...(token === undefined ? {} : { token }),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes }),
  });

  const found = findBundle(options.browserBundle);
  if (found === null)
    log.warn('the browser bundle is missing: the page will not work until `npm run build` (or node scripts/build-browser.mjs) has run');
  else log.debug('browser bundle', { path: found.path });
  const bundle = found ?? { code: missingBundleScript(), map: null };

  const mesh = new Map<string, ReconnectingPeer>();
  const meshClosed = { updatesIn: 0, updatesOut: 0, bytesIn: 0, bytesOut: 0, oldData: 0 };
  const peerEntries = (): PeerEntry[] => {
    const list: PeerEntry[] = [];
    for (const connection of pool.connections()) list.push({ role: 'client', connection });
    for (const peer of mesh.values()) if (peer.connection !== null) list.push({ role: 'mesh', connection: peer.connection });
    return list;
  };
  const health = (): Readonly<Record<string, unknown>> => ({
    status: 'ok',
    id: model.id,
    keys: model.size,
    peers: pool.size,
    mesh: [...mesh].map(([address, peer]) => ({ peer: address, state: peer.state })),
    uptimeSeconds: Math.round((Date.now() - startedAtMs) / 1000),
  });
  const metrics = (): string =>
    renderHubMetrics({
      id: model.id,
      keys: model.size,
      sources: Object.keys(model.sources).length,
      startedAtMs,
      pool,
      peers: peerEntries(),
      mesh: [...mesh].map(([address, peer]) => ({ address, state: peer.state })),
      meshClosed,
    });

  const handler = createRequestHandler({ token, bundle, health, metrics });
  const http = options.tls === undefined ? createServer(handler) : createHttpsServer(options.tls, handler);
  // A backstop against connection floods on the HTTP port; the pool's cap refuses WebSocket peers with 503 first.
  http.maxConnections = pool.maxPeers === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : pool.maxPeers + 64;
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;
  http.on('upgrade', (req, socket, head: Buffer) => {
    if (!ws.handleUpgrade(req, socket, head)) {
      socket.on('error', () => {});
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });
  http.on('clientError', (error: Error & { code?: string }, socket) => {
    log.debug('bad HTTP request', { code: error.code ?? 'ERR_UNKNOWN' });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  http.listen(options.port ?? DEFAULT_HUB_PORT, host);
  try {
    await Promise.race([once(http, 'listening'), once(http, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    await ws.close();
    await storage.close(); // release the data file's lock: a caller may retry on another port
    throw error;
  }
  http.on('error', (error) => log.error('HTTP server error', { error }));
  const httpAddress = http.address();
  const port = typeof httpAddress === 'object' && httpAddress !== null ? httpAddress.port : (options.port ?? DEFAULT_HUB_PORT);

  let tcp: TcpServer | null = null;
  if (options.tcpPort !== null) {
    try {
      tcp = await listen(model, {
        pool,
        host: tcpHost,
        port: options.tcpPort ?? DEFAULT_HUB_TCP_PORT,
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      });
    } catch (error) {
      http.close();
      await pool.close();
      await ws.close();
      await storage.close();
      throw error;
    }
  }

  for (const peer of peers) {
    if (mesh.has(peer.text)) continue;
    const link = connect(model, {
      host: peer.host,
      port: peer.port,
      ...connectionOptions,
      ...(options.peerTls === undefined ? {} : { tls: options.peerTls }),
      ...options.peerOptions,
    });
    mesh.set(peer.text, link);
    watchMeshPeer(link, peer.text, model, log, meshClosed);
  }

  const secure = options.tls !== undefined;
  const urls = {
    http: `${secure ? 'https' : 'http'}://${formatAddress(host, port)}/`,
    ws: `${secure ? 'wss' : 'ws'}://${formatAddress(host, port)}/ws`,
    tcp: tcp === null ? null : formatAddress(tcp.host, tcp.port),
  };
  log.info('hub listening', {
    id: model.id,
    http: urls.http,
    ws: urls.ws,
    tcp: urls.tcp,
    httpPort: port,
    tcpPort: tcp?.port ?? null,
    storage: storage.description,
    peers: peers.map((p) => p.text),
    token: token !== undefined,
  });

  let closing: Promise<void> | null = null;
  const hubStorage = storage;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      log.info('shutting down', { peers: pool.size, mesh: mesh.size });
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      const tcpClosed = tcp === null ? Promise.resolve() : new Promise<void>((resolve) => tcp?.server.close(() => resolve()));
      await Promise.all([...mesh.values()].map((peer) => peer.close()));
      await pool.close();
      await ws.close();
      try {
        await hubStorage.close();
      } catch (error) {
        log.error('storage failed to close', { error: error as Error });
      }
      http.closeAllConnections();
      await Promise.all([httpClosed, tcpClosed]);
      log.info('stopped', { keys: model.size });
    })();
    return closing;
  };

  return {
    model,
    pool,
    http,
    tcp,
    port,
    tcpPort: tcp?.port ?? null,
    host,
    urls,
    mesh,
    storage,
    metrics,
    health,
    close,
  };
}

/** Logs a mesh link's life: one line when it goes live, one per drop (with the code), quiet retries. */
function watchMeshPeer(
  link: ReconnectingPeer,
  address: string,
  model: Model,
  log: Logger,
  closedTotals: { updatesIn: number; updatesOut: number; bytesIn: number; bytesOut: number; oldData: number },
): void {
  let failures = 0;
  link.on('connection', (connection: PeerConnection) => {
    connection.once('header', (header: { id: string }) => {
      if (header.id === model.id) {
        log.warn('mesh peer is this hub itself; dropping the link', { peer: address });
        void link.close();
      }
    });
    connection.once('close', () => {
      const s = connection.stats;
      closedTotals.updatesIn += s.updatesIn;
      closedTotals.updatesOut += s.updatesOut;
      closedTotals.bytesIn += s.bytesIn;
      closedTotals.bytesOut += s.bytesOut;
      closedTotals.oldData += s.oldData;
    });
  });
  link.on('live', () => {
    failures = 0;
    log.info('mesh peer live', { peer: address, remoteId: link.connection?.remoteHeader?.id ?? null });
  });
  link.on('disconnect', (error: Error | null) => {
    if (error === null) log.info('mesh peer disconnected', { peer: address });
    else
      log.warn('mesh peer closed with an error', { peer: address, code: errorCode(error), cause: causeCode(error), error: error.message });
  });
  link.on('retry', (info: { attempt: number; delayMs: number; error: Error | null }) => {
    failures++;
    const fields = {
      peer: address,
      attempt: info.attempt,
      delayMs: info.delayMs,
      code: info.error === null ? null : errorCode(info.error),
    };
    if (failures === 1 || failures % 10 === 0) log.info('reconnecting to mesh peer', fields);
    else log.debug('reconnecting to mesh peer', fields);
  });
}
