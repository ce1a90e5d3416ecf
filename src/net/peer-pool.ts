/**
 * @module net/peer-pool
 * The connections a server accepted: admission (the `maxPeers` cap and the `authorize` hook),
 * one log line per connection that ends with an error (naming the peer and the error code),
 * counters of closed connections, and a graceful close of them all. Shared by the TCP and
 * WebSocket servers, so that a hub's cap covers both.
 */
import { EventEmitter } from 'node:events';
import { createError, isScuttlebuttError, type ScuttlebuttError } from '../errors.js';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { type ConnectionOptions, type ConnectionStats, PeerConnection } from './connection.js';
import { DEFAULT_MAX_PEERS } from './limits.js';
import { type Logger, silentLogger } from './logger.js';
import type { Transport } from './transport.js';

/** Who is connecting, as far as the transport knows before the first byte. */
export interface PeerInfo {
  /** `'tcp'`, `'tls'` or `'ws'`. */
  readonly transport: string;
  /** `host:port` of the peer. */
  readonly remoteAddress: string;
  /** The bearer token presented (WebSocket: `Authorization` header or `?token=`), if any. */
  readonly token?: string;
}

/** What a peer may do. Read: we send it our updates. Write: we apply its updates. */
export interface PeerRights {
  readonly read: boolean;
  readonly write: boolean;
}

/**
 * Decides what a connecting peer may do: `false` refuses it, `true` grants read and write, or
 * give {@link PeerRights}. Called once per connection, before any byte is exchanged. The
 * extension point for access control: once signing lands (issue 5), a hub can grant write only to
 * an allow-list of authenticated ids and read-only to the rest.
 */
export type Authorize = (peer: PeerInfo) => boolean | PeerRights;

/** Options of a {@link PeerPool}. */
export interface PeerPoolOptions extends ConnectionOptions {
  /** Most connections at once (default 1024); more are refused with `ERR_SB_TOO_MANY_PEERS`. */
  readonly maxPeers?: number;
  /** Per-connection access control (default: everyone reads and writes). */
  readonly authorize?: Authorize;
  /** Where connection events are logged (default: nowhere). */
  readonly logger?: Logger;
}

/** Counters summed over connections, open and closed. */
export interface PoolTotals {
  updatesIn: number;
  updatesOut: number;
  bytesIn: number;
  bytesOut: number;
  oldData: number;
  refused: number;
  /** Connections accepted since start. */
  accepted: number;
  /** Connections turned away, by error code. */
  readonly rejected: Record<string, number>;
}

/** Between two log lines about refused connections, in ms: a connect flood gives a few lines, not thousands. */
const REFUSAL_LOG_INTERVAL_MS = 5_000;

/**
 * Accepted connections of one model. Events: `connection` (a new {@link PeerConnection}),
 * `refused` (`{ peer, error }`).
 *
 * @example
 * ```ts
 * const pool = new PeerPool(model, { maxPeers: 100, logger })
 * const refusal = pool.admit({ transport: 'tcp', remoteAddress: '10.0.0.2:5000' })
 * if (typeof refusal === 'object' && 'code' in refusal) socket.destroy()
 * ```
 */
export class PeerPool extends EventEmitter {
  readonly model: Scuttlebutt;
  readonly maxPeers: number;
  readonly logger: Logger;
  readonly #authorize: Authorize | undefined;
  readonly #connectionOptions: ConnectionOptions;
  readonly #open = new Set<PeerConnection>();
  readonly #closedTotals = { updatesIn: 0, updatesOut: 0, bytesIn: 0, bytesOut: 0, oldData: 0, refused: 0 };
  #accepted = 0;
  readonly #rejected: Record<string, number> = Object.create(null) as Record<string, number>;
  #refusalsSinceLog = 0;
  #refusalLoggedAt = Number.NEGATIVE_INFINITY;
  #closing = false;

  /**
   * @param model - the model every connection replicates
   * @param options - cap, access control, logger, and the options of every connection
   * @throws RangeError for a `maxPeers` that is not an integer >= 1 (or Infinity)
   */
  constructor(model: Scuttlebutt, options: PeerPoolOptions = {}) {
    super();
    const { maxPeers, authorize, logger, ...connection } = options;
    const cap = maxPeers ?? DEFAULT_MAX_PEERS;
    if (cap !== Number.POSITIVE_INFINITY && (!Number.isInteger(cap) || cap < 1)) {
      throw new RangeError(`"maxPeers" expected integer >= 1 (or Infinity), got ${String(maxPeers)}`);
    }
    this.model = model;
    this.maxPeers = cap;
    this.#authorize = authorize;
    this.logger = logger ?? silentLogger;
    this.#connectionOptions = connection;
  }

  /** Open connections. */
  get size(): number {
    return this.#open.size;
  }

  /** The open connections. */
  connections(): IterableIterator<PeerConnection> {
    return this.#open.values();
  }

  /** Counters over every connection since start (open ones included). */
  get totals(): PoolTotals {
    const t = { ...this.#closedTotals };
    for (const c of this.#open) add(t, c.stats);
    return { ...t, accepted: this.#accepted, rejected: { ...this.#rejected } };
  }

  /**
   * Decides whether a new peer may connect: checks the cap, then the `authorize` hook.
   * @param peer - who is connecting
   * @returns its rights, or the error to refuse it with (`ERR_SB_TOO_MANY_PEERS`, `ERR_SB_UNAUTHORIZED`)
   */
  admit(peer: PeerInfo): PeerRights | ScuttlebuttError {
    let refusal: ScuttlebuttError | null = null;
    let rights: PeerRights = { read: true, write: true };
    if (this.#closing) {
      refusal = createError('ERR_SB_TOO_MANY_PEERS', 'the server is shutting down');
    } else if (this.#open.size >= this.maxPeers) {
      refusal = createError('ERR_SB_TOO_MANY_PEERS', `the server holds maxPeers (${this.maxPeers}) connections`);
    } else if (this.#authorize !== undefined) {
      let verdict: boolean | PeerRights;
      try {
        verdict = this.#authorize(peer);
      } catch (error) {
        this.logger.error('authorize hook threw; refusing the peer', {
          peer: `${peer.transport}:${peer.remoteAddress}`,
          error: asError(error),
        });
        verdict = false;
      }
      if (verdict === false) refusal = createError('ERR_SB_UNAUTHORIZED', 'the authorize hook refused the peer');
      else if (verdict !== true) rights = { read: Boolean(verdict.read), write: Boolean(verdict.write) };
    }
    if (refusal !== null) this.reject(peer, refusal);
    return refusal ?? rights;
  }

  /**
   * Records and logs a refused connection (rate-limited: one line per 5 s with a count).
   * @param peer - who was refused
   * @param error - why
   */
  reject(peer: PeerInfo, error: ScuttlebuttError): void {
    this.#rejected[error.code] = (this.#rejected[error.code] ?? 0) + 1;
    this.#refusalsSinceLog++;
    const now = Date.now();
    if (now - this.#refusalLoggedAt >= REFUSAL_LOG_INTERVAL_MS) {
      this.logger.warn('connection refused', {
        peer: `${peer.transport}:${peer.remoteAddress}`,
        code: error.code,
        reason: error.message,
        refusedSinceLastLine: this.#refusalsSinceLog,
      });
      this.#refusalLoggedAt = now;
      this.#refusalsSinceLog = 0;
    }
    this.emit('refused', { peer, error });
  }

  /**
   * Starts replicating over an admitted transport.
   * @param transport - the peer's transport
   * @param rights - from {@link admit}
   * @returns the started connection
   */
  add(transport: Transport, rights: PeerRights = { read: true, write: true }): PeerConnection {
    const connection = new PeerConnection(this.model, transport, {
      ...this.#connectionOptions,
      ...(rights.read ? {} : { readable: false, sendClock: true }),
      ...(rights.write ? {} : { writable: false }),
    });
    this.#accepted++;
    this.#open.add(connection);
    const log = this.logger;
    const openedAt = Date.now();
    let reached: 'syncing' | 'live' = 'syncing';
    connection.once('header', (header: { id: string }) => log.debug('peer header', { peer: connection.name, remoteId: header.id }));
    connection.once('live', () => {
      reached = 'live';
      log.debug('peer live', { peer: connection.name, syncMs: Date.now() - openedAt });
    });
    connection.once('close', (error: Error | null) => {
      this.#open.delete(connection);
      add(this.#closedTotals, connection.stats);
      const fields = {
        peer: connection.name,
        remoteId: connection.remoteHeader?.id ?? null,
        // How far it got: a link that closes while `syncing` left in the middle of its sync.
        state: reached,
        updatesIn: connection.stats.updatesIn,
        updatesOut: connection.stats.updatesOut,
      };
      if (error === null) log.info('peer disconnected', fields);
      else log.warn('peer closed with an error', { ...fields, code: errorCode(error), cause: causeCode(error), error: error.message });
    });
    this.emit('connection', connection);
    log.info('peer connected', { peer: connection.name, read: rights.read, write: rights.write });
    connection.start();
    return connection;
  }

  /**
   * Refuses new connections and ends every open one gracefully (queued output first).
   * @returns a promise that resolves once all are closed
   */
  async close(): Promise<void> {
    this.#closing = true;
    const pending = [...this.#open].map(
      (c) => new Promise<void>((resolve) => (c.state === 'closed' ? resolve() : c.once('close', () => resolve()))),
    );
    for (const c of this.#open) c.close();
    await Promise.all(pending);
  }
}

function add(totals: Omit<PoolTotals, 'accepted' | 'rejected'>, stats: ConnectionStats): void {
  totals.updatesIn += stats.updatesIn;
  totals.updatesOut += stats.updatesOut;
  totals.bytesIn += stats.bytesIn;
  totals.bytesOut += stats.bytesOut;
  totals.oldData += stats.oldData;
  totals.refused += stats.refused;
}

/** The stable code of an error: `ERR_SB_*`, or the system code (`ECONNRESET`), or `ERR_UNKNOWN`. */
export function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'ERR_UNKNOWN';
}

/** The system code under a typed error (`ECONNRESET` under `ERR_SB_CONNECTION_LOST`), if any. */
export function causeCode(error: Error): string | null {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (isScuttlebuttError(cause)) return cause.code;
  }
  return null;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
