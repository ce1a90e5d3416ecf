/**
 * @module replication-stream
 * The Node `Duplex` adapter around a {@link Session}: it moves bytes and calls the model, and
 * makes no protocol decision of its own.
 *
 * - Input: `_write` feeds the session and hands accepted updates to the model.
 * - Output: `_read` (demand) and a once-per-microtask flush (new live updates) pull chunks from
 *   `pollTransmit()` while `push()` accepts them, so history replay follows the reader's pace and
 *   a dozen live updates in one tick go out as one chunk.
 * - Errors: bad input destroys this stream with a typed error, reported once, and the model also
 *   emits `invalid`. An internal `error` listener keeps an unwatched stream from crashing the
 *   process (the original threw out of `write()`).
 */
import { Duplex } from 'node:stream';
import type { ScuttlebuttError } from '../errors.js';
import type { AuthHandler } from '../protocol/auth.js';
import type { SessionLimits } from '../protocol/limits.js';
import { NEED_DATA, type Session } from '../protocol/session.js';
import type { Header, Update } from '../protocol/update.js';
import type { Scuttlebutt } from '../scuttlebutt.js';

/** The original's stream options, plus limits. */
export interface StreamOptions {
  /** Send anything (default true). `false`: send nothing but, with `sendClock`, our header. */
  readable?: boolean;
  /** Accept updates (default true). `false`: ignore incoming updates. */
  writable?: boolean;
  /** With `readable: false`, still send our clock so the peer sends only what we lack. */
  sendClock?: boolean;
  /** With `writable: false`, wait for the peer's clock instead of dumping all history. */
  clock?: boolean;
  /** Keep sending live updates after `"SYNC"` (default true); `false` ends output after it. */
  tail?: boolean;
  /** Sent to the peer in the header; the peer's stream emits it as `header.meta`. */
  meta?: unknown;
  /** Set as `stream.name`; no effect on the protocol. */
  name?: string;
  /** `'json'` (bytes, default) or `'raw'` (JS objects, for in-process streams). */
  wrapper?: 'json' | 'raw';
  /** Overrides of the model's limits for this stream. */
  limits?: Partial<SessionLimits>;
  /**
   * Peer authentication and per-peer rights (`createAuth` from `scuttlebutt-ts/security`); by
   * default the model's `auth` option; `false` turns it off for this stream.
   */
  auth?: AuthHandler | false;
}

const noop = (): void => {};

/**
 * A duplex stream replicating one model with one peer. Events: `header` (the peer's
 * `{id, clock, meta}`), `syncSent`, `syncReceived` (and `syncRecieved`, the original's spelling),
 * `sync` and `synced` (once, when both sides sent `"SYNC"`), plus the usual stream events.
 * With `auth`: `authenticated` (the peer's proven id) and `unauthorized_data` (update, error)
 * for each update the access policy refused (also emitted by the model, and counted).
 */
export class ReplicationStream extends Duplex {
  /** The protocol state machine (read-only use: stats, peer clock, state). */
  readonly session: Session;
  /** `options.name`. */
  name: string | undefined;
  readonly #model: Scuttlebutt;
  #flushScheduled = false;
  #outputEnded = false;
  #pushedEnd = false;
  #errored = false;

  constructor(model: Scuttlebutt, options: StreamOptions) {
    const raw = options.wrapper === 'raw';
    if (options.wrapper !== undefined && options.wrapper !== 'json' && !raw) {
      throw new TypeError(`"wrapper" expected 'json' or 'raw', got ${String(options.wrapper)}`);
    }
    // json: output is bytes (a reader's read(n) can never split a character), while written
    // strings (the original's json wrapper emits strings) are decoded as text, without a detour
    // through a Buffer.
    super(
      raw ? { objectMode: true, allowHalfOpen: true, autoDestroy: true } : { decodeStrings: false, allowHalfOpen: true, autoDestroy: true },
    );
    this.#model = model;
    this.name = options.name;
    this.session = model.createSession({
      ...(options.readable === undefined ? {} : { readable: options.readable }),
      ...(options.writable === undefined ? {} : { writable: options.writable }),
      ...(options.sendClock === undefined ? {} : { sendClock: options.sendClock }),
      ...(options.clock === undefined ? {} : { clock: Boolean(options.clock) }),
      ...(options.tail === undefined ? {} : { tail: options.tail }),
      ...(options.meta === undefined ? {} : { meta: options.meta }),
      wrapper: raw ? 'raw' : 'json',
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.auth === undefined || options.auth === false ? {} : { auth: options.auth }),
    });
    // Never let a peer's garbage crash a process that forgot an 'error' listener.
    this.on('error', noop);
    this.on('finish', () => {
      // Nobody reads a write-only stream's (empty) output; drain it so the stream can close.
      if (!this.session.readable && !this.readableEnded) this.resume();
    });
    this.on('end', () => {
      // A read-only stream has nothing to wait for once its output ended.
      if (!this.session.writable && !this.writableEnded) this.end();
    });
  }

  /** @internal Starts the session; called by `createStream`. */
  start(): void {
    this.session.start();
    this.#scheduleFlush();
  }

  /** The peer's id once it proved it holds that id's private key (auth); `null` while anonymous. */
  get peerId(): string | null {
    return this.session.peerId;
  }

  /** The peer's header, once received. */
  get remoteHeader(): Header | null {
    return this.session.remoteHeader;
  }

  /** @internal A live update from the model. */
  offerUpdate(update: Update): void {
    // Also when not queued but behind: a catch-up pass must be polled for.
    if (this.session.sendUpdate(update) || this.session.wantsToTransmit) this.#scheduleFlush();
  }

  /** @internal The model gave the session output to send (see {@link UpdateSink.wake}). */
  wake(): void {
    this.#scheduleFlush();
  }

  /** Ends replication on this stream: queued output is flushed, then both sides end. */
  endReplication(): void {
    this.session.close();
    this.#drainEvents();
    this.#flush();
    if (!this.writableEnded) this.end();
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#errored) {
      callback();
      return;
    }
    if (this.session.wrapper === 'raw') this.session.receiveMessage(chunk);
    else this.session.receive(chunk as Uint8Array | string);
    this.#drainEvents();
    if (this.session.wantsToTransmit) this.#scheduleFlush();
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#errored) {
      this.session.receiveEnd();
      this.session.close();
      this.#drainEvents();
      this.#flush();
    }
    callback();
  }

  override _read(): void {
    this.#flush(true);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#errored = true;
    callback(error);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /**
   * Moves output from the session into the readable buffer while `push()` accepts it.
   * @param demanded - called from `_read`: Node wants data now and waits for a `push()`, so at
   *   least one chunk goes out. Otherwise (a scheduled flush), nothing is pushed while the
   *   reader's buffer is full: output stays in the session, bounded, with its catch-up from
   *   history, until `_read` asks again.
   */
  #flush(demanded = false): void {
    if (this.#errored || this.#pushedEnd || this.destroyed) return;
    const session = this.session;
    if (!demanded && this.readableLength >= this.readableHighWaterMark && !this.#outputEnded) return;
    for (;;) {
      const out = session.pollTransmit();
      if (out === null) break;
      let more = true;
      if (typeof out === 'string') more = this.push(out);
      else for (const message of out) more = this.push(message);
      this.#drainEvents();
      if (!more || this.#errored) return;
    }
    this.#drainEvents();
    if (this.#outputEnded && !session.wantsToTransmit && !this.#pushedEnd) {
      this.#pushedEnd = true;
      this.push(null);
    }
  }

  #drainEvents(): void {
    const session = this.session;
    for (let event = session.nextEvent(); event !== NEED_DATA; event = session.nextEvent()) {
      if (this.#errored) continue;
      switch (event.type) {
        case 'update': {
          const result = this.#model.receiveUpdate(event.update, this);
          if (typeof result === 'object') this.#fail(result, false);
          break;
        }
        case 'header':
          this.emit('header', event.header);
          break;
        case 'syncSent':
          this.emit('syncSent');
          break;
        case 'syncReceived':
          this.emit('syncReceived');
          this.emit('syncRecieved');
          break;
        case 'synced':
          this.emit('sync');
          this.emit('synced');
          break;
        case 'outputEnded':
          this.#outputEnded = true;
          break;
        case 'authenticated':
          this.emit('authenticated', event.id);
          break;
        case 'refused':
          // Never applied nor relayed: it does not reach the model's pipeline at all.
          this.#model.reportUnauthorized(event.update, event.error);
          this.emit('unauthorized_data', event.update, event.error);
          break;
        case 'error':
          this.#fail(event.error, true);
          break;
      }
    }
  }

  #fail(error: ScuttlebuttError, report: boolean): void {
    if (this.#errored) return;
    this.#errored = true;
    if (report) this.#model.reportInvalid(error);
    this.destroy(error);
  }
}
