/**
 * @module net/reconnecting-peer
 * A client link that stays up: dial, replicate, and when the link drops, wait (exponential
 * backoff with jitter) and dial again, until {@link ReconnectingPeer.close}. Every new link starts
 * a fresh session whose header carries the model's current clock, so the peers exchange exactly
 * what they missed while apart.
 *
 * States: `connecting` (dialing, or waiting to dial again) → `syncing` (linked, history being
 * exchanged) → `live` (both sides sent `"SYNC"`) → back to `connecting` on a drop, or `closed`.
 * Transport-neutral: TCP and WebSocket (Node and browser) clients differ only in their `dial`.
 */
import { EventEmitter } from 'node:events';
import { createError, isScuttlebuttError } from '../errors.js';
import type { Scuttlebutt } from '../scuttlebutt.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { type ConnectionOptions, PeerConnection, type SyncProgress } from './connection.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS } from './limits.js';
import type { Transport } from './transport.js';

/** Where a {@link ReconnectingPeer} is. */
export type PeerState = 'connecting' | 'syncing' | 'live' | 'closed';

/** Opens one transport; rejects when it cannot (refused, timed out, `signal` aborted). */
export type Dial = (signal: AbortSignal) => Promise<Transport>;

/** Options of a reconnecting client. */
export interface ReconnectOptions extends ConnectionOptions, BackoffOptions {
  /** Dial again after a drop (default true). With `false` the first drop closes the peer. */
  readonly reconnect?: boolean;
  /** How long one dial may take in ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /**
   * Whether to dial again after `error` (default: yes, except after `ERR_SB_UNAUTHORIZED`, which
   * another attempt cannot fix).
   */
  readonly shouldRetry?: (error: Error | null, attempt: number) => boolean;
}

/** What `retry` events carry. */
export interface RetryInfo {
  /** 1 for the first retry after a drop or failed dial. */
  readonly attempt: number;
  /** Milliseconds until the next dial. */
  readonly delayMs: number;
  /** Why the last link or dial ended (`null`: a clean close by the peer). */
  readonly error: Error | null;
}

const defaultShouldRetry = (error: Error | null): boolean => !(isScuttlebuttError(error) && error.code === 'ERR_SB_UNAUTHORIZED');

/**
 * A replication link that reconnects. Events: `state` (the new {@link PeerState}), `connection`
 * (each new {@link PeerConnection}), `progress` ({@link SyncProgress}), `live`, `disconnect`
 * (`Error | null`: why a link ended), `retry` ({@link RetryInfo}), `close` (`Error | null`, once:
 * `null` after {@link close}, else the error that made it give up). It never emits `error`.
 *
 * @example
 * ```ts
 * const peer = new ReconnectingPeer(model, (signal) => dialTcp('127.0.0.1', 8471, signal))
 * peer.on('state', (s) => console.log(s))
 * peer.start()
 * await peer.whenLive()
 * ```
 */
export class ReconnectingPeer extends EventEmitter {
  readonly #model: Scuttlebutt;
  readonly #dial: Dial;
  readonly #options: ConnectionOptions;
  readonly #backoff: Backoff;
  readonly #reconnect: boolean;
  readonly #connectTimeoutMs: number;
  readonly #shouldRetry: (error: Error | null, attempt: number) => boolean;
  #state: PeerState = 'connecting';
  #started = false;
  #connection: PeerConnection | null = null;
  #dialing: AbortController | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #closeError: Error | null = null;
  #lastError: Error | null = null;
  #retries = 0;

  /**
   * @param model - the model to replicate
   * @param dial - opens a transport
   * @param options - connection options (clients default `idleTimeoutMs` to 30 s), backoff, retry policy
   */
  constructor(model: Scuttlebutt, dial: Dial, options: ReconnectOptions = {}) {
    super();
    this.#model = model;
    this.#dial = dial;
    const { reconnect, connectTimeoutMs, shouldRetry, initialDelayMs, maxDelayMs, random, ...connection } = options;
    this.#options = { idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS, ...connection };
    this.#backoff = new Backoff({
      ...(initialDelayMs === undefined ? {} : { initialDelayMs }),
      ...(maxDelayMs === undefined ? {} : { maxDelayMs }),
      ...(random === undefined ? {} : { random }),
    });
    this.#reconnect = reconnect ?? true;
    this.#connectTimeoutMs = connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#shouldRetry = shouldRetry ?? defaultShouldRetry;
  }

  /** `connecting`, `syncing`, `live` or `closed`. */
  get state(): PeerState {
    return this.#state;
  }

  /** The current link, if any. */
  get connection(): PeerConnection | null {
    return this.#connection;
  }

  /** Why the last link or dial ended, if it failed. */
  get lastError(): Error | null {
    return this.#lastError;
  }

  /** Starts dialing. Called by the `connect*` functions. */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    this.#attempt();
    return this;
  }

  /**
   * Resolves once the peer is (or next becomes) `live`; rejects if it closes first.
   * @returns a promise of nothing
   */
  whenLive(): Promise<void> {
    if (this.#state === 'live') return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(this.#closeError ?? new Error('the peer is closed'));
    return new Promise((resolve, reject) => {
      const onLive = (): void => {
        this.off('close', onClose);
        resolve();
      };
      const onClose = (error: Error | null): void => {
        this.off('live', onLive);
        reject(error ?? new Error('the peer closed before it was live'));
      };
      this.once('live', onLive);
      this.once('close', onClose);
    });
  }

  /**
   * Stops reconnecting and ends the current link gracefully (queued output is sent first).
   * @returns a promise that resolves once the link is closed
   */
  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.once('close', () => resolve()));
    this.#shutdown(null);
    return done;
  }

  #setState(state: PeerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  #attempt(): void {
    this.#retryTimer = null;
    if (this.#state === 'closed') return;
    this.#setState('connecting');
    const controller = new AbortController();
    this.#dialing = controller;
    const timer = setTimeout(() => controller.abort(), this.#connectTimeoutMs);
    let dialed: Promise<Transport>;
    try {
      dialed = this.#dial(controller.signal);
    } catch (error) {
      dialed = Promise.reject(error);
    }
    dialed.then(
      (transport) => {
        clearTimeout(timer);
        if (this.#dialing !== controller || this.#state === 'closed') {
          transport.destroy();
          return;
        }
        this.#dialing = null;
        this.#link(transport);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (this.#dialing !== controller) return;
        this.#dialing = null;
        const err =
          controller.signal.aborted && !isScuttlebuttError(error)
            ? createError('ERR_SB_CONNECTION_LOST', `connecting timed out after ${this.#connectTimeoutMs} ms`, { cause: error })
            : asError(error);
        this.#dropped(err);
      },
    );
  }

  #link(transport: Transport): void {
    const connection = new PeerConnection(this.#model, transport, this.#options);
    this.#connection = connection;
    connection.on('progress', (progress: SyncProgress) => this.emit('progress', progress));
    connection.on('live', () => {
      // A link that completes its sync while close() is flushing it does not bring the peer back.
      if (this.#state === 'closed') return;
      this.#backoff.reset();
      this.#retries = 0;
      this.#setState('live');
      this.emit('live');
    });
    connection.once('close', (error: Error | null) => {
      if (this.#connection === connection) this.#connection = null;
      this.emit('disconnect', error);
      if (this.#state === 'closed') return;
      this.#dropped(error);
    });
    this.#setState('syncing');
    this.emit('connection', connection);
    connection.start();
  }

  #dropped(error: Error | null): void {
    if (this.#state === 'closed') return;
    this.#lastError = error;
    this.#retries++;
    if (!this.#reconnect || !this.#shouldRetry(error, this.#retries)) {
      this.#shutdown(error);
      return;
    }
    const delayMs = this.#backoff.next();
    this.#setState('connecting');
    const info: RetryInfo = { attempt: this.#retries, delayMs, error };
    this.emit('retry', info);
    this.#retryTimer = setTimeout(() => this.#attempt(), delayMs);
  }

  #shutdown(error: Error | null): void {
    if (this.#state === 'closed') return;
    this.#closeError = error;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#dialing?.abort();
    this.#dialing = null;
    const connection = this.#connection;
    this.#setState('closed');
    if (connection !== null && connection.state !== 'closed') {
      connection.once('close', () => this.emit('close', error));
      connection.close();
    } else {
      this.emit('close', error);
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
