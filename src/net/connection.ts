/**
 * @module net/connection
 * Drives one replication {@link Session} over one {@link Transport}: the glue every transport
 * shares (TCP, `ws`, the browser's WebSocket). It makes no protocol decision; it moves bytes and
 * time, like `ws/lib/websocket.js` around its receiver and sender.
 *
 * Theory of operation:
 * - Input: each chunk goes to `session.receive()`, then every event is drained: updates go to
 *   `model.receiveUpdate(update, this)` (so the model's broadcast skips this peer), a protocol
 *   error closes the link with a typed error, `"SYNC"` both ways makes the connection `live`.
 * - Output: `pollTransmit()` is called only while the transport accepts more (`send()` returned
 *   true, or after `onDrain`), so history is produced at the reader's pace and a slow reader costs
 *   at most the transport's `highWaterMarkBytes` plus the session's `maxBufferedBytes`. Live updates from the
 *   model arrive through {@link UpdateSink.offerUpdate}; a microtask coalesces those of one tick
 *   into one chunk (one WebSocket message).
 * - Time: one interval per connection checks four deadlines: handshake (no header yet), idle (no
 *   input), drain (output blocked) and keep-alive (no output: send the line `0`, which every
 *   scuttlebutt peer ignores).
 * - Close: exactly one `close` event, with `null` for a clean end or the error that ended it
 *   (a typed {@link ScuttlebuttError}; a transport failure becomes `ERR_SB_CONNECTION_LOST` with
 *   the system error as `cause`). A peer that leaves before the sync completed is an error too.
 *
 * Platform-neutral: no Node import other than `node:events`, which the browser bundle swaps for a
 * small emitter.
 */
import { EventEmitter } from 'node:events';
import { createError, isScuttlebuttError, type ScuttlebuttError } from '../errors.js';
import type { AuthHandler } from '../protocol/auth.js';
import type { SessionLimits } from '../protocol/limits.js';
import { NEED_DATA, type Session } from '../protocol/session.js';
import type { Header, Update } from '../protocol/update.js';
import type { Scuttlebutt, UpdateSink } from '../scuttlebutt.js';
import { utf8Length } from './_utf8.js';
import { type ConnectionTimeouts, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_MS } from './limits.js';
import type { Transport } from './transport.js';

/** The keep-alive line: a JSON number, ignored by every scuttlebutt implementation. */
export const KEEP_ALIVE_LINE = '0\n';

/** How long a graceful close may take before the link is dropped, in ms. */
const CLOSE_TIMEOUT_MS = 5_000;

/** How often sync progress is reported at most, in ms. */
const PROGRESS_INTERVAL_MS = 100;

/** `syncing` until both sides sent `"SYNC"`, then `live`, then `closed`. */
export type ConnectionState = 'syncing' | 'live' | 'closed';

/** Where the initial sync is: what arrived so far and an estimate of the fraction done. */
export interface SyncProgress {
  /** History updates received so far. */
  readonly updates: number;
  /** Bytes received so far. */
  readonly bytes: number;
  /**
   * Estimated fraction of the history received, 0 to 1: how far the timestamps of the updates
   * received have come between the first one and the newest timestamp the peer announced in its
   * header (history is sent in timestamp order). 1 once the peer sent `"SYNC"`.
   */
  readonly fraction: number;
}

/** Counters of one connection, for logs and `/metrics`. */
export interface ConnectionStats {
  readonly updatesIn: number;
  readonly updatesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Updates received that the model already had (`old_data`) or refused as too far in the future. */
  readonly oldData: number;
  /** Updates received that `acceptUpdate` or the `auth` policy refused. */
  readonly refused: number;
  /** Milliseconds between the timestamp of the last update received and its arrival. */
  readonly lagMs: number;
  /** Output waiting for the peer: the session's queue plus the transport's buffer (bytes, approx.). */
  readonly queuedBytes: number;
  /** Times the session fell behind a slow reader and caught up from history. */
  readonly catchUps: number;
}

/** Options of a connection: the stream options that make sense on a network, timeouts, hooks. */
export interface ConnectionOptions extends Partial<ConnectionTimeouts> {
  /** Send anything (default true); see `StreamOptions.readable`. */
  readonly readable?: boolean;
  /** Accept updates (default true); see `StreamOptions.writable`. */
  readonly writable?: boolean;
  /** With `readable: false`, still send our clock (default: `true` when not readable). */
  readonly sendClock?: boolean;
  /** Sent in our header as `meta`. */
  readonly meta?: unknown;
  /** Overrides of the model's protocol limits. */
  readonly limits?: Partial<SessionLimits>;
  /**
   * Peer authentication and per-update rights (`createAuth` from `scuttlebutt-ts/security`, issue
   * 5): the session then proves our id, checks the peer's, and puts every incoming update to the
   * handler's `authorize`. Refused updates are counted (`updatesRefused`) and reported by the
   * model (`unauthorized_data`); the link stays up.
   */
  readonly auth?: AuthHandler;
  /** A label for logs (default `kind:remoteAddress`). */
  readonly name?: string;
  /**
   * Decides, per update, whether this peer may write it (default: all). The extension point for
   * per-peer rights: once signing lands, a hub can refuse updates whose verified source is not on
   * the peer's allow-list. A refused update is dropped and counted, and the link stays up.
   */
  readonly acceptUpdate?: (update: Update, connection: PeerConnection) => boolean;
  /**
   * How long to hold a live update back before offering it to this peer, in ms (default: never).
   * `from` is where the update came from (another connection, or undefined for a local write).
   * A relay that got an update from one relay and passes it to another can wait a moment: if the
   * peer sends the same update meanwhile (it got it by another path), it is not sent back. The
   * hub uses it so that in a ring of hubs no update crosses a link twice; see `hub.ts`.
   */
  readonly relayDelayMs?: (update: Update, from: unknown, to: PeerConnection) => number;
  /** Wall clock in ms (default `Date.now`); for tests. */
  readonly now?: () => number;
}

/** Most updates held back by `relayDelayMs` at once; beyond it all are released at once. */
const MAX_DEFERRED_UPDATES = 10_000;

/** An update held back by `relayDelayMs` until `due` (ms). */
interface Deferred {
  readonly update: Update;
  readonly due: number;
}

const finiteMin = (...values: number[]): number => Math.min(...values.filter((v) => Number.isFinite(v)));

function assertTimeout(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new RangeError(`"${name}" expected a number > 0 (or Infinity), got ${String(value)}`);
  }
  return value;
}

/**
 * One live replication link: a model, a session, a transport.
 *
 * Events: `header` (the peer's `{id, clock, meta}`), `progress` ({@link SyncProgress}, during the
 * initial sync), `live` (both sides sent `"SYNC"`), `authenticated` (the peer's proven id, with
 * `auth`), `close` (`Error | null`, exactly once).
 *
 * @example
 * ```ts
 * const conn = new PeerConnection(model, createTcpTransport(socket))
 * conn.on('close', (err) => err && log.warn({ peer: conn.name, code: err.code }))
 * conn.start()
 * ```
 */
export class PeerConnection extends EventEmitter implements UpdateSink {
  /** The protocol state machine (read-only use). */
  readonly session: Session;
  readonly transport: Transport;
  /** A label for logs: `kind:host:port` unless given. */
  readonly name: string;
  readonly #model: Scuttlebutt;
  readonly #timeouts: ConnectionTimeouts;
  readonly #acceptUpdate: ((update: Update, connection: PeerConnection) => boolean) | undefined;
  readonly #relayDelayMs: ((update: Update, from: unknown, to: PeerConnection) => number) | undefined;
  /** Updates held back by `relayDelayMs`, in the order they were offered. */
  #deferred: Deferred[] = [];
  /** The last update held back for each source. */
  readonly #heldBySource = new Map<string, Deferred>();
  #deferTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #now: () => number;
  #state: ConnectionState = 'syncing';
  #started = false;
  #detach: (() => void) | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #openedAt = 0;
  #lastInput = 0;
  #lastOutput = 0;
  #blockedSince = 0;
  #closingSince = 0;
  #outputEnded = false;
  #transportEnded = false;
  /** Whether the input so far stops in the middle of a line (the last chunk had no final newline). */
  #midLine = false;
  /** Whether our side asked to close (close(), a disposed model), as opposed to the peer ending. */
  #closedLocally = false;
  #pumpScheduled = false;
  #error: Error | null = null;
  // counters
  #bytesOut = 0;
  #oldData = 0;
  #refused = 0;
  #lagMs = 0;
  // sync progress
  #historyUpdates = 0;
  #progressLo = 0;
  #progressHi = 0;
  #progressLast = 0;
  #progressAt = 0;

  /**
   * @param model - the model to replicate
   * @param transport - an open transport to one peer
   * @param options - stream options, timeouts, hooks
   * @throws RangeError for a timeout that is not a number > 0
   */
  constructor(model: Scuttlebutt, transport: Transport, options: ConnectionOptions = {}) {
    super();
    this.#model = model;
    this.transport = transport;
    this.name = options.name ?? `${transport.kind}:${transport.remoteAddress}`;
    this.#timeouts = Object.freeze({
      keepAliveMs: assertTimeout('keepAliveMs', options.keepAliveMs, DEFAULT_KEEP_ALIVE_MS),
      idleTimeoutMs: assertTimeout('idleTimeoutMs', options.idleTimeoutMs, Number.POSITIVE_INFINITY),
      handshakeTimeoutMs: assertTimeout('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS),
      drainTimeoutMs: assertTimeout('drainTimeoutMs', options.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS),
    });
    this.#acceptUpdate = options.acceptUpdate;
    this.#relayDelayMs = options.relayDelayMs;
    this.#now = options.now ?? Date.now;
    const readable = options.readable ?? true;
    this.session = model.createSession({
      readable,
      writable: options.writable ?? true,
      sendClock: options.sendClock ?? !readable,
      ...(options.meta === undefined ? {} : { meta: options.meta }),
      limits: { ...model.limits, ...options.limits },
      ...(options.auth === undefined ? {} : { auth: options.auth }),
    });
  }

  /** `syncing`, `live` or `closed`. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The timeouts in force. */
  get timeouts(): ConnectionTimeouts {
    return this.#timeouts;
  }

  /** The peer's header, once it arrived. */
  get remoteHeader(): Header | null {
    return this.session.remoteHeader;
  }

  /** The error that closed the connection, if any. */
  get error(): Error | null {
    return this.#error;
  }

  /** A snapshot of the counters. */
  get stats(): ConnectionStats {
    const s = this.session.stats;
    return {
      updatesIn: s.updatesIn,
      updatesOut: s.updatesOut,
      bytesIn: s.bytesIn,
      bytesOut: this.#bytesOut,
      oldData: this.#oldData,
      refused: this.#refused,
      lagMs: this.#lagMs,
      queuedBytes: this.session.bufferedBytes + (this.#isClosed() ? 0 : this.transport.bufferedAmount),
      catchUps: s.catchUps,
    };
  }

  /**
   * Opens the transport's events, registers for the model's live updates and sends our header.
   * Call once.
   */
  start(): void {
    if (this.#started || this.#isClosed()) return;
    this.#started = true;
    const now = this.#now();
    this.#openedAt = now;
    this.#lastInput = now;
    this.#lastOutput = now;
    try {
      this.#detach = this.#model.attach(this);
    } catch (error) {
      this.destroy(error as ScuttlebuttError);
      return;
    }
    const t = this.#timeouts;
    const shortest = finiteMin(t.keepAliveMs, t.idleTimeoutMs, t.handshakeTimeoutMs, t.drainTimeoutMs, CLOSE_TIMEOUT_MS);
    this.#timer = setInterval(() => this.#tick(), Math.max(10, Math.min(1000, shortest / 4)));
    (this.#timer as { unref?: () => void }).unref?.();
    // The session starts before the transport delivers anything: input that arrived with the
    // opening handshake (a header in the same packet as the HTTP 101) is replayed by open().
    this.session.start();
    this.transport.open({
      onData: (chunk) => this.#onData(chunk),
      onDrain: () => this.#onDrain(),
      onEnd: () => this.#onEnd(),
      onClose: (error) => this.#onTransportClose(error),
    });
    this.#pump();
  }

  /** @internal The model gave the session output to send (see {@link UpdateSink.wake}). */
  wake(): void {
    this.#schedulePump();
  }

  /** @internal A live update from the model (see {@link UpdateSink}). */
  offerUpdate(update: Update, from?: unknown): void {
    // Too much held back (a flood): release it all now, in order, rather than grow without bound.
    if (this.#deferred.length >= MAX_DEFERRED_UPDATES) this.#releaseDeferred(true);
    if (this.#relayDelayMs !== undefined) {
      const delay = this.#relayDelayMs(update, from, this);
      // Updates of one source must go out in timestamp order (a peer drops an older one as old
      // data): an update whose source already has one held back waits behind it.
      const before = this.#heldBySource.get(update[2]);
      if (delay > 0 || before !== undefined) {
        const due = Math.max(this.#now() + delay, before?.due ?? 0);
        const entry = { update, due };
        this.#deferred.push(entry);
        this.#heldBySource.set(update[2], entry);
        this.#armDeferTimer();
        return;
      }
    }
    if (this.session.sendUpdate(update)) this.#schedulePump();
  }

  #armDeferTimer(): void {
    if (this.#deferTimer !== null || this.#deferred.length === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.#deferred) if (entry.due < next) next = entry.due;
    this.#deferTimer = setTimeout(() => this.#releaseDeferred(), Math.max(0, next - this.#now()));
  }

  #releaseDeferred(all = false): void {
    if (this.#deferTimer !== null) clearTimeout(this.#deferTimer);
    this.#deferTimer = null;
    if (this.#isClosed()) return;
    const now = this.#now();
    const kept: Deferred[] = [];
    const blocked = new Set<string>();
    let queued = false;
    for (const entry of this.#deferred) {
      const source = entry.update[2];
      if ((!all && entry.due > now) || blocked.has(source)) {
        kept.push(entry);
        blocked.add(source); // keep the ones after it in order
        continue;
      }
      if (this.#heldBySource.get(source) === entry) this.#heldBySource.delete(source);
      // The session skips it if the peer sent it meanwhile (its clock for that source moved).
      if (this.session.sendUpdate(entry.update)) queued = true;
    }
    this.#deferred = kept;
    if (queued) this.#schedulePump();
    this.#armDeferTimer();
  }

  /** @internal The model was disposed: end gracefully. */
  endReplication(): void {
    this.close();
  }

  /**
   * Ends gracefully: what is queued is sent, then the transport is ended; `close` follows with
   * `null` (or the error if the link fails meanwhile). The link is dropped if that takes longer
   * than 5 s.
   */
  close(): void {
    if (this.#isClosed() || this.#closingSince !== 0) return;
    if (!this.#started) {
      // Nothing was sent or received yet: there is nothing to flush.
      this.destroy(null);
      return;
    }
    this.#closingSince = this.#now();
    this.#closedLocally = true;
    this.session.close();
    this.#drainEvents();
    this.#pump();
  }

  /**
   * Drops the link at once. `close` is emitted with `error` (or `null`).
   * @param error - why, for the `close` event and logs
   */
  destroy(error?: Error | null): void {
    if (this.#isClosed()) return;
    this.#finish(error ?? null);
    this.transport.destroy(error ?? null);
  }

  #onData(chunk: Uint8Array | string): void {
    if (this.#isClosed() || this.session.state === 'ERROR') return;
    const now = this.#now();
    this.#lastInput = now;
    if (chunk.length > 0) this.#midLine = (typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1]) !== 10;
    this.session.receive(chunk);
    this.#drainEvents();
    if (this.#state === 'syncing' && this.session.remoteHeader !== null && now - this.#progressAt >= PROGRESS_INTERVAL_MS) {
      this.#progressAt = now;
      this.#emitProgress(false);
    }
    if (this.session.wantsToTransmit) this.#pump();
  }

  #onDrain(): void {
    if (this.#blockedSince === 0) return;
    this.#blockedSince = 0;
    this.#pump();
  }

  #onEnd(): void {
    if (this.#isClosed()) return;
    this.#lastInput = this.#now();
    if (this.#midLine) {
      // Every peer ends its lines; input that stops mid-line is a peer that died while sending,
      // not a last line to parse (a file without a final newline is another matter).
      this.destroy(createError('ERR_SB_CONNECTION_LOST', `${this.name} closed the connection in the middle of a line`));
      return;
    }
    this.session.receiveEnd();
    this.#drainEvents();
    if (this.#isClosed()) return;
    if (this.#closingSince === 0) this.#closingSince = this.#now();
    this.session.close();
    this.#drainEvents();
    this.#pump();
  }

  #onTransportClose(error: Error | null): void {
    if (this.#isClosed()) return;
    if (error !== null && isScuttlebuttError(error)) {
      this.#finish(error); // the transport named it already (ERR_SB_MESSAGE_TOO_LARGE for an oversized message)
    } else if (error !== null) {
      const code = (error as { code?: unknown }).code;
      const detail = typeof code === 'string' || typeof code === 'number' ? ` (${code})` : '';
      this.#finish(createError('ERR_SB_CONNECTION_LOST', `connection to ${this.name} failed${detail}: ${error.message}`, { cause: error }));
    } else if (this.#state === 'syncing' && !this.#closedLocally) {
      this.#finish(createError('ERR_SB_CONNECTION_LOST', `${this.name} closed the connection before the sync completed`));
    } else {
      this.#finish(null);
    }
  }

  #tick(): void {
    if (this.#isClosed()) return;
    const now = this.#now();
    const t = this.#timeouts;
    if (this.#closingSince !== 0 && now - this.#closingSince > CLOSE_TIMEOUT_MS) {
      this.destroy(null);
    } else if (this.session.remoteHeader === null && now - this.#openedAt > t.handshakeTimeoutMs) {
      this.destroy(createError('ERR_SB_HANDSHAKE_TIMEOUT', `${this.name} sent no header within ${t.handshakeTimeoutMs} ms`));
    } else if (now - this.#lastInput > t.idleTimeoutMs) {
      this.destroy(createError('ERR_SB_IDLE_TIMEOUT', `nothing arrived from ${this.name} for ${t.idleTimeoutMs} ms`));
    } else if (this.#blockedSince !== 0 && now - this.#blockedSince > t.drainTimeoutMs) {
      this.destroy(createError('ERR_SB_DRAIN_TIMEOUT', `${this.name} read none of its data for ${t.drainTimeoutMs} ms`));
    } else if (
      this.#blockedSince === 0 &&
      this.#closingSince === 0 &&
      now - this.#lastOutput >= t.keepAliveMs &&
      this.session.stats.unitsOut > 0 && // never before our header: it must be the first line
      !this.session.wantsToTransmit
    ) {
      this.#send(KEEP_ALIVE_LINE, now);
    }
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (!this.#started || this.#isClosed() || this.#transportEnded) return;
    const session = this.session;
    while (this.#blockedSince === 0) {
      const out = session.pollTransmit();
      this.#drainEvents();
      if (out === null || this.#isClosed()) break;
      // The json wrapper always hands out strings of whole lines.
      this.#send(out as string, this.#now());
    }
    if (this.#outputEnded && this.#blockedSince === 0 && !session.wantsToTransmit && !this.#isClosed()) {
      this.#transportEnded = true;
      if (this.#closingSince === 0) this.#closingSince = this.#now();
      this.transport.end();
    }
  }

  #send(text: string, now: number): void {
    this.#bytesOut += utf8Length(text);
    this.#lastOutput = now;
    if (!this.transport.send(text) && !this.#isClosed()) this.#blockedSince = now;
  }

  #drainEvents(): void {
    const session = this.session;
    for (let event = session.nextEvent(); event !== NEED_DATA; event = session.nextEvent()) {
      if (this.#isClosed()) continue;
      switch (event.type) {
        case 'update':
          this.#receive(event.update);
          break;
        case 'header':
          this.#startProgress(event.header);
          this.emit('header', event.header);
          break;
        case 'syncReceived':
          this.#emitProgress(true);
          break;
        case 'synced':
          this.#state = 'live';
          this.emit('live');
          break;
        case 'outputEnded':
          this.#outputEnded = true;
          break;
        case 'authenticated':
          this.emit('authenticated', event.id);
          break;
        case 'refused':
          // The session's access policy refused it: never applied nor relayed.
          this.#refused++;
          this.#model.reportUnauthorized(event.update, event.error);
          break;
        case 'error':
          this.#model.reportInvalid(event.error);
          this.destroy(event.error);
          break;
        default:
          break;
      }
    }
  }

  #receive(update: Update): void {
    if (this.#acceptUpdate !== undefined && !this.#acceptUpdate(update, this)) {
      this.#refused++;
      return;
    }
    const ts = update[1];
    this.#lagMs = Math.max(0, this.#now() - ts);
    if (this.#state === 'syncing') {
      if (this.#historyUpdates === 0) this.#progressLo = ts;
      this.#historyUpdates++;
      if (ts > this.#progressLast) this.#progressLast = ts;
    }
    const result = this.#model.receiveUpdate(update, this);
    if (result === false) this.#oldData++;
    else if (result !== true) this.destroy(result); // the model already emitted `invalid`
  }

  #startProgress(header: Header): void {
    const local = this.#model.sources;
    let hi = 0;
    for (const source in header.clock) {
      const ts = header.clock[source] as number;
      if (ts > (local[source] ?? 0) && ts > hi) hi = ts;
    }
    this.#progressHi = hi;
  }

  #emitProgress(done: boolean): void {
    let fraction = 1;
    if (!done) {
      const span = this.#progressHi - this.#progressLo;
      fraction = this.#historyUpdates === 0 || span <= 0 ? 0 : Math.min(1, Math.max(0, (this.#progressLast - this.#progressLo) / span));
    }
    const progress: SyncProgress = { updates: this.#historyUpdates, bytes: this.session.stats.bytesIn, fraction };
    this.emit('progress', progress);
  }

  /** A method, not a field read, so that TypeScript does not narrow it across calls that may close. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #finish(error: Error | null): void {
    if (this.#isClosed()) return;
    this.#state = 'closed';
    this.#error = error;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#deferTimer !== null) clearTimeout(this.#deferTimer);
    this.#deferTimer = null;
    this.#deferred = [];
    this.#heldBySource.clear();
    this.#detach?.();
    this.#detach = null;
    this.emit('close', error);
  }
}
