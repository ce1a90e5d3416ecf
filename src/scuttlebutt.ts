/**
 * @module scuttlebutt
 * The base class of every replicated model.
 *
 * Theory of operation: a model holds a vector clock, `sources` (for each source id, the newest
 * timestamp applied from it), and the subclass's state. Every update, local or remote, goes
 * through one pipeline: validate the change (the subclass's {@link Scuttlebutt.validateChange}) →
 * drop it as `old_data` if `sources` already has it → refuse it if its timestamp is too far in the
 * future → verify its signature → only then advance `sources` and the clock → `applyUpdate` →
 * offer it to every stream. Verification comes before the clock moves, so a forged update cannot
 * block its source (the original advanced the clock first, bug V2).
 */
import { EventEmitter } from 'node:events';
import { createError, type ErrorCode, LocalProtocolError, type ScuttlebuttError } from './errors.js';
import { type Stamped, TombstoneCollector, type TombstoneOptions, tombstoneTtlOf } from './models/_tombstones.js';
import { assertDuration, assertFunction, assertId } from './protocol/_assert.js';
import type { AuthHandler } from './protocol/auth.js';
import { HybridClock } from './protocol/clock.js';
import { encodeLine } from './protocol/codec.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS, type SessionLimits } from './protocol/limits.js';
import { type ResetCollector, Session, type SessionOptions } from './protocol/session.js';
import { type Clock, createClock, isForbiddenName, type Update } from './protocol/update.js';
import { ReplicationStream, type StreamOptions } from './stream/replication-stream.js';
import { createId } from './util.js';

const emitRaw = EventEmitter.prototype.emit;

/** `verify(update, cb)`: calls `cb(err, ok)`, synchronously or later. */
export type VerifyFunction = (update: Update, cb: (err: unknown, ok?: boolean) => void) => void;

/** The original's security object: sign local updates, verify remote ones. */
export interface SecurityOptions {
  /** Returns the signature of `[change, ts, source]`, appended as the update's 4th element. */
  sign?: (update: Update) => unknown;
  /** Checks a remote update's signature. */
  verify?: VerifyFunction;
  /** Makes this node's id (for instance a hash of its public key). */
  createId?: () => string;
  publicKey?: unknown;
}

/**
 * Something that takes a model's live updates: a {@link ReplicationStream}, or a transport's
 * session driver that is not a Node stream (the WebSocket client in a browser). Register it with
 * {@link Scuttlebutt.attach}.
 */
export interface UpdateSink {
  /**
   * A live update, local or accepted from another peer; never one this sink delivered itself.
   * `from` is where it came from (the sink or clone that delivered it; undefined for a local
   * update), so that a relay can treat updates from other relays differently.
   */
  offerUpdate(update: Update, from?: UpdateSink | Scuttlebutt<unknown>): void;
  /** Called once when the model is disposed: flush what is queued and end. */
  endReplication?(): void;
  /** The protocol session, when the sink drives one (resets need it; see `afterReset`). */
  readonly session?: Session;
  /**
   * Called when the model gave the sink's session something to send outside `offerUpdate` (a
   * reset snapshot or a catch-up, see `Session.requestReset`): poll the session for output.
   */
  wake?(): void;
}

/** Options of every model. A string is taken as the id, as in the original. */
export interface ScuttlebuttOptions extends SecurityOptions {
  /** This node's id; by default a random one (or `createId()` when signing). */
  id?: string;
  /** How far ahead of our wall clock a remote timestamp may be, in ms (default 60 000). */
  maxClockSkewMs?: number;
  /** The wall clock, in ms; for tests and simulations (default `Date.now`). */
  now?: () => number;
  /** Default limits for every stream of this model. */
  limits?: Partial<SessionLimits>;
  /**
   * Peer authentication and per-peer rights for every stream of this model (a stream's own
   * `auth` option overrides it; `auth: false` turns it off). Build it with
   * `createAuth` from `scuttlebutt-ts/security`.
   */
  auth?: AuthHandler;
}

/** Counters of refused updates (issue 5): every refusal is counted, and reported by an event. */
export interface SecurityStats {
  /** Updates whose signature verified. */
  verified: number;
  /** Updates refused by the verifier (`unverified_data`). */
  unverified: number;
  /** Updates refused by a stream's access policy (`unauthorized_data`). */
  unauthorized: number;
  /** Verifier errors (an unreachable key store) that were retried. */
  verifyRetries: number;
}

/** Why a change is refused: a message (code `ERR_SB_INVALID_UPDATE`), or a code and a message. */
export type { ResetCollector };

/** What a transport chooses of a session; the model supplies the rest (see {@link Scuttlebutt.createSession}). */
export type PeerSessionOptions = Omit<
  SessionOptions,
  'id' | 'localClock' | 'history' | 'encodeUpdate' | 'needsReset' | 'collectedClock' | 'beginReset' | 'sourcesVerified'
>;

export type ChangeProblem = string | { readonly code: ErrorCode; readonly message: string };

const problemCode = (problem: ChangeProblem): ErrorCode => (typeof problem === 'string' ? 'ERR_SB_INVALID_UPDATE' : problem.code);
const problemMessage = (problem: ChangeProblem): string => (typeof problem === 'string' ? problem : problem.message);

/** An update waiting for verification, with where it came from (it is not relayed back there). */
interface PendingUpdate<C> {
  readonly update: Update;
  readonly from: UpdateSink | Scuttlebutt<C> | undefined;
}

/** How many times a verifier that failed with an error (key store unreachable) is retried. */
const VERIFY_RETRIES = 5;
const VERIFY_RETRY_BASE_MS = 50;

/**
 * Base class for a replicated data model. A subclass implements {@link history} and
 * {@link applyUpdate}; any two instances replicate over `a.createStream()` piped both ways.
 *
 * @example
 * ```ts
 * class Counter extends Scuttlebutt {
 *   total = 0
 *   #log: Update[] = []
 *   add(n: number) { return this.localUpdate(n) }
 *   applyUpdate(u: Update) { this.total += u[0] as number; this.#log.push(u); return true }
 *   history(clock?: Clock) { return this.#log.filter((u) => filter(u, clock)) }
 * }
 * ```
 */
export abstract class Scuttlebutt<C = unknown> extends EventEmitter {
  /** This node's id: the source of its local updates. */
  id!: string;
  /** The vector clock: for each source, the newest timestamp applied from it. */
  readonly sources: Clock = createClock();
  /** Default stream limits. */
  readonly limits: Partial<SessionLimits>;
  readonly #clock: HybridClock;
  readonly #now: () => number;
  readonly #sign: ((update: Update) => unknown) | undefined;
  readonly #verify: VerifyFunction | undefined;
  readonly #auth: AuthHandler | undefined;
  /** Refused and verified updates, counted (see {@link SecurityStats}). */
  readonly securityStats: SecurityStats = { verified: 0, unverified: 0, unauthorized: 0, verifyRetries: 0 };
  readonly #streams = new Set<ReplicationStream>();
  readonly #sinks = new Set<UpdateSink>();
  readonly #clones = new Set<Scuttlebutt<C>>();
  /** Per source: updates waiting for an asynchronous verification of an earlier one. */
  readonly #verifying = new Map<string, PendingUpdate<C>[]>();
  /** The deletions this model collects, when it does (see {@link collectsTombstones}). */
  #tombstones: TombstoneCollector<Stamped> | null = null;
  #resetCheckQueued = false;
  /** Sessions delivering a reset snapshot to us, until it is in, with our other peers' clocks from before it. */
  readonly #resetting = new Map<Session, Map<Session, Clock>>();
  #lastEncoded: Update | null = null;
  #lastLine = '';
  #disposed = false;

  /** What the constructor got, so that {@link clone} makes a copy with the same options. */
  readonly #options: string | ScuttlebuttOptions | undefined;

  constructor(options?: string | ScuttlebuttOptions) {
    super();
    this.#options = options;
    this.setMaxListeners(Number.POSITIVE_INFINITY);
    const opts: ScuttlebuttOptions = typeof options === 'string' ? { id: options } : (options ?? {});
    if (typeof opts !== 'object') throw new TypeError(`"options" expected string or object, got ${typeof opts}`);
    if (opts.sign !== undefined) assertFunction('sign', opts.sign);
    if (opts.verify !== undefined) assertFunction('verify', opts.verify);
    this.#sign = opts.sign;
    this.#verify = opts.verify;
    this.#auth = opts.auth;
    this.#now = opts.now ? (assertFunction('now', opts.now) as () => number) : Date.now;
    this.#clock = new HybridClock(assertDuration('maxClockSkewMs', opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS));
    this.limits = Object.freeze({ ...opts.limits });
    const id = opts.id ?? (opts.sign && opts.verify && opts.createId ? opts.createId() : createId());
    this.setId(id);
  }

  /**
   * The updates newer than `sources` (all of them without it), ordered by timestamp then source.
   * @param sources - a vector clock of what the asker has
   */
  abstract history(sources?: Readonly<Clock> | null): Update<C>[];

  /**
   * Applies an update to the subclass's state. It has passed validation, the old-data check and
   * verification. Returns whether it changed anything (an update that lost a last-write-wins race
   * returns false).
   */
  abstract applyUpdate(update: Update<C>): boolean;

  /**
   * Checks a change before anything else; returns why this model cannot apply it (a message, or
   * a code and a message), or `null`. Override it: remote changes are untrusted JSON.
   */
  protected validateChange(_change: unknown): ChangeProblem | null {
    return null;
  }

  /**
   * What a stream replays to a peer; by default {@link history}. A subclass can return a lazy
   * iterable to avoid building the whole array for a full sync.
   */
  protected replay(sources: Readonly<Clock>): Iterable<Update> {
    return this.history(sources) as Iterable<Update>;
  }

  /**
   * Sets this node's id.
   * @throws TypeError for a non-string, RangeError for `""` or `"__proto__"`
   */
  setId(id: string): this {
    this.id = assertId('id', id);
    return this;
  }

  /** The current time on this model's wall clock (ms). */
  now(): number {
    return this.#now();
  }

  /**
   * Makes a local update `[change, ts, this.id]` with a fresh hybrid timestamp, signs it when
   * signing is on, and applies and replicates it.
   * @throws LocalProtocolError ERR_SB_INVALID_UPDATE for a change the model refuses, ERR_SB_DISPOSED
   */
  localUpdate(change: C): this {
    if (this.#disposed) throw new LocalProtocolError('ERR_SB_DISPOSED', 'the model was disposed');
    const problem = this.validateChange(change);
    if (problem !== null) throw new LocalProtocolError(problemCode(problem), problemMessage(problem));
    const ts = this.#clock.next(this.#now());
    const update: Update<C> = [change, ts, this.id];
    if (this.#sign) update[3] = this.#sign(update as Update);
    this.#commit(update as Update);
    return this;
  }

  /**
   * Takes an update from outside (a stream, a clone, a file): the whole pipeline. Returns `false`
   * for old data or a refused update, `true` once accepted (or queued for verification), and an
   * error for a malformed change, which the calling stream turns into its own error.
   */
  receiveUpdate(update: Update, from?: UpdateSink | Scuttlebutt<C>): boolean | ScuttlebuttError {
    if (this.#disposed) return false;
    const problem = this.validateChange(update[0]);
    if (problem !== null) {
      const error = createError(problemCode(problem), problemMessage(problem), { input: update });
      this.#signal('invalid', error, update);
      return error;
    }
    const source = update[2];
    const ts = update[1];
    const pending = this.#verifying.size === 0 ? undefined : this.#verifying.get(source);
    // Compared with what is committed only: an update still being verified may be a forgery, and
    // must not make a real update that arrives meanwhile look old (it is re-checked when its turn comes).
    const latest = this.sources[source];
    if (latest !== undefined && latest >= ts) {
      this.#signal('old_data', update);
      return false;
    }
    if (!this.#clock.accepts(ts, this.#now())) {
      this.#signal(
        'invalid',
        createError('ERR_SB_CLOCK_SKEW', `update from "${source}" is ${Math.round(ts - this.#now())} ms in the future`, { input: update }),
        update,
      );
      return false;
    }
    // Only a clone (same process, same id) is trusted to speak in our name unverified. The
    // original skipped verification for every update with our id, so any peer could write as us.
    if (this.#verify === undefined || (source === this.id && from instanceof Scuttlebutt)) {
      this.#commit(update, from);
      return true;
    }
    // Each queued update keeps the stream it came from, so it is relayed to every other one.
    if (pending !== undefined) {
      pending.push({ update, from });
      return true;
    }
    const queue: PendingUpdate<C>[] = [{ update, from }];
    this.#verifying.set(source, queue);
    this.#verifyNext(source, queue, 0);
    return true;
  }

  /**
   * Takes an update read back from this node's own durable storage (`scuttlebutt-ts/persist`).
   * The change is validated and old data is dropped as in {@link receiveUpdate}, but the update
   * is neither verified again nor refused for clock skew: it passed both when it was first
   * accepted, and the wall clock may have stepped back since (refusing it would lose it at the
   * next compaction). Synchronous: `_update` is emitted before this returns.
   * @param update - a validated `[change, ts, source, ...]` from storage
   * @returns `true` once committed (even if it lost a last-write-wins race), `false` for old
   *   data or a disposed model, an error for a change this model refuses
   */
  restoreUpdate(update: Update): boolean | ScuttlebuttError {
    if (this.#disposed) return false;
    const problem = this.validateChange(update[0]);
    if (problem !== null) return createError(problemCode(problem), problemMessage(problem), { input: update });
    const latest = this.sources[update[2]];
    if (latest !== undefined && latest >= update[1]) {
      this.#signal('old_data', update);
      return false;
    }
    this.#commit(update);
    return true;
  }

  #verifyNext(source: string, queue: PendingUpdate<C>[], attempt: number): void {
    const { update, from } = queue[0] as PendingUpdate<C>;
    let sync = true;
    let settled = false;
    const done = (err: unknown, ok?: boolean): void => {
      if (settled) return;
      settled = true;
      if (err && attempt < VERIFY_RETRIES && !this.#disposed) {
        // The key store is unreachable: retry, as the original's README asks, but within a bound.
        this.securityStats.verifyRetries++;
        setTimeout(() => this.#verifyNext(source, queue, attempt + 1), VERIFY_RETRY_BASE_MS * 2 ** attempt).unref?.();
        return;
      }
      if (!err && ok === true) {
        this.securityStats.verified++;
        if ((this.sources[source] ?? 0) < update[1]) this.#commit(update, from);
        else this.#signal('old_data', update);
      } else {
        this.securityStats.unverified++;
        this.#signal('unverified_data', update);
      }
      queue.shift();
      if (queue.length === 0) this.#verifying.delete(source);
      else if (sync) queueMicrotask(() => this.#verifyNext(source, queue, 0));
      else this.#verifyNext(source, queue, 0);
    };
    try {
      (this.#verify as VerifyFunction)(update, done);
    } catch (error) {
      done(error);
    }
    sync = false;
  }

  #commit(update: Update, from?: UpdateSink | Scuttlebutt<C>): void {
    this.sources[update[2]] = update[1];
    this.#clock.observe(update[1]);
    if (!this.applyUpdate(update as Update<C>)) return;
    emitRaw.call(this, '_update', update); // not #signal: no rest array on the hot path
    // While a reset snapshot comes in, remote updates are not relayed live: the snapshot's could
    // move a peer's clock past a deletion the sender collected and the peer never got, and any
    // other's could overtake a held-back one of the same source (the peer would then drop that
    // as old data). Once the snapshot is in, each other peer gets a reset or a catch-up instead
    // (see #afterReset). Local updates are never in a snapshot we take, so they go out at once.
    if (this.#resetting.size === 0 || from === undefined) {
      for (const stream of this.#streams) if (stream !== from) stream.offerUpdate(update);
      for (const sink of this.#sinks) if (sink !== from) sink.offerUpdate(update, from as UpdateSink | Scuttlebutt<unknown> | undefined);
    }
    for (const clone of this.#clones) if (clone !== from) clone.receiveUpdate(update, this);
  }

  /**
   * The original's `_update`: runs an update through the pipeline as if it came from a peer.
   * @returns whether it was accepted
   */
  _update(update: Update): boolean {
    const result = this.receiveUpdate(update);
    return result === true;
  }

  /** Emits an internal event with `EventEmitter`'s own `emit`, so subclasses that override `emit` (Events) are bypassed. */
  #signal(name: string, ...args: unknown[]): void {
    emitRaw.call(this, name, ...args);
  }

  /** For subclasses: emit a local event without replicating it. */
  protected emitLocal(name: string, ...args: unknown[]): boolean {
    return emitRaw.call(this, name, ...args);
  }

  /** Encodes an update as a line, once for all the streams it is offered to. */
  encodeUpdate(update: Update): string {
    if (update !== this.#lastEncoded) {
      this.#lastLine = encodeLine(update);
      this.#lastEncoded = update;
    }
    return this.#lastLine;
  }

  /**
   * For subclasses that replicate deletions: makes and registers the collector of their
   * tombstones, with the grace period of `options.tombstoneTtlMs`. When it collects (a finite
   * grace period), the model takes part in the reset extension: its streams announce `reset: 1`
   * and send a full snapshot to a peer whose clock is older than a collected deletion, and they
   * take such snapshots from peers (see {@link beginReset}).
   * @param drop - forgets one tombstone if it still is one; returns whether it did
   */
  protected collectsTombstones<T extends Stamped>(
    options: string | TombstoneOptions | undefined,
    drop: (tombstone: T) => boolean,
  ): TombstoneCollector<T> {
    const collector = new TombstoneCollector<T>(tombstoneTtlOf(options), this.#now, drop);
    this.#tombstones = collector as unknown as TombstoneCollector<Stamped>;
    collector.onCollected = () => {
      // Once per tick: a collection may drop many tombstones, a reset teach many sources.
      if (this.#resetCheckQueued) return;
      this.#resetCheckQueued = true;
      queueMicrotask(() => {
        this.#resetCheckQueued = false;
        for (const [session, wake] of this.#links()) if (session.requestReset()) wake();
      });
    };
    return collector;
  }

  /** How long a deletion is kept before it may be collected, in ms (`Infinity`: forever). */
  get tombstoneTtlMs(): number {
    return this.#tombstones?.ttlMs ?? Number.POSITIVE_INFINITY;
  }

  /** Every open link (streams, and sinks that drive a session): its session, and how to wake its adapter. */
  *#links(): Iterable<readonly [Session, () => void]> {
    for (const stream of this.#streams) yield [stream.session, () => stream.wake()];
    for (const sink of this.#sinks) if (sink.session !== undefined) yield [sink.session, () => sink.wake?.()];
  }

  /**
   * Drops deletions older than the model's `tombstoneTtlMs` (also run at every handshake and,
   * cheaply, after every deletion; call it to free memory sooner). A peer whose clock is older
   * than a collected deletion gets a reset. A no-op for a model that keeps its deletions.
   * @param nowMs - the time to measure against (default: the model's clock)
   * @returns how many deletions were dropped
   */
  collectTombstones(nowMs: number = this.now()): number {
    return this.#tombstones?.collect(nowMs) ?? 0;
  }

  /**
   * Whether this model collects deleted data and so takes part in the reset extension (a model
   * built with a finite `tombstoneTtlMs`).
   */
  get resetCapable(): boolean {
    return this.#tombstones?.enabled ?? false;
  }

  /**
   * Per source, the newest deletion this model collected (or learnt of in a reset); `null` for a
   * model that does not collect. Stored in a snapshot's header by `persist`.
   */
  get collectedHorizon(): Readonly<Clock> | null {
    return this.#tombstones?.enabled ? this.#tombstones.collected : null;
  }

  /**
   * @internal For `persist`, after a load: what a stored snapshot's header says the model had
   * seen and collected. A model that collects deletions takes the clock in (the updates it
   * covers were seen, also the deleted ones no longer stored, which must stay "old data") and
   * the collected horizon (so that returning peers still get a reset). Others ignore it.
   */
  restoreHorizon(clock: Readonly<Clock>, collected: Readonly<Clock> | undefined): void {
    const tombstones = this.#tombstones;
    if (tombstones === null || !tombstones.enabled) return;
    for (const source in clock) this.#cover(source, clock[source] as number);
    if (collected !== undefined) tombstones.learn(collected);
  }

  /** Moves the clock of `source` up to `ts` without an update: what it covers was seen, or collected. */
  #cover(source: string, ts: number): void {
    if ((this.sources[source] ?? 0) >= ts) return;
    this.sources[source] = ts;
    this.#clock.observe(ts);
  }

  /** Whether a peer with this clock may hold data this model collected (then it gets a reset). */
  needsResetFor(peerClock: Readonly<Clock>): boolean {
    return this.#tombstones?.needsResetFor(peerClock) ?? false;
  }

  /**
   * Starts taking a reset snapshot a peer sends, made at its clock `senderClock`: every update
   * of the snapshot is passed to `note`, and `finish` runs at its end. Returns `null` when this
   * model has nothing to drop (the default); the models that collect deletions drop what the
   * sender had seen and no longer holds.
   */
  beginReset(_senderClock: Readonly<Clock>): ResetCollector | null {
    return null;
  }

  #takeReset(session: Session, senderClock: Readonly<Clock>, senderCollected: Readonly<Clock>): ResetCollector | null {
    // A clock from the future would let one peer claim it had seen, and collected, writes nobody
    // made yet: ours would jump and refuse them as old data. Such a reset is refused, not taken.
    const nowMs = this.#now();
    for (const clock of [senderClock, senderCollected]) {
      for (const source in clock) {
        const ts = clock[source] as number;
        if (!this.#clock.accepts(ts, nowMs)) {
          this.#signal(
            'invalid',
            createError('ERR_SB_CLOCK_SKEW', `a reset claims "${source}" at ${ts}, ${Math.round(ts - nowMs)} ms in the future`),
          );
          return null;
        }
      }
    }
    const collector = this.beginReset(senderClock);
    const tombstones = this.#tombstones;
    if (collector === null || tombstones === null) return collector;
    // What our other peers hold now, before the snapshot's updates reach them: a relayed update
    // can move a peer's clock past a deletion it never got (collected by the sender), so whether
    // it needs a reset too is judged on its clock from before (see #afterReset).
    const before = new Map<Session, Clock>();
    for (const [other] of this.#links()) if (other !== session) before.set(other, { ...other.peerClock });
    this.#resetting.set(session, before);
    return {
      note: (update) => collector.note(update),
      finish: () => {
        collector.finish();
        // The snapshot's last updates are still queued as the session's events when its "SYNC"
        // is read; the adapter applies them in this same turn. Only then:
        queueMicrotask(() => {
          if (!this.#resetting.delete(session) || this.#disposed) return;
          // We now hold what the sender held at its clock, the deletions it collected included:
          // our clock says so, or every later handshake would ask for a reset again. A source
          // with an update still being verified keeps its clock, and its horizon is not taken
          // (we do not hold all the sender held of it yet; the sender resets peers for it).
          const learnt = createClock();
          for (const source in senderCollected) {
            const ts = senderCollected[source] as number;
            if (this.#verifying.has(source)) continue;
            this.#cover(source, ts);
            learnt[source] = ts;
          }
          tombstones.learn(learnt);
          this.#afterReset(session, before);
          this.#signal('_reset');
        });
      },
    };
  }

  /**
   * A reset from `session` is in (or its link closed half way): the snapshot's updates were not
   * relayed live, so every other peer gets a reset if, judged on its clock from before the
   * snapshot (its header's for one that connected meanwhile), it needs one, or else a catch-up
   * from that clock.
   */
  #afterReset(session: Session, before: ReadonlyMap<Session, Clock>): void {
    for (const [other, wake] of this.#links()) {
      if (other === session) continue;
      const clock = before.get(other) ?? other.remoteHeader?.clock ?? createClock();
      if (other.requestReset(clock) || other.catchUp()) wake();
    }
  }

  /** A link closed: a reset it was delivering will not finish; the others still need what it brought. */
  #linkClosed(session: Session): void {
    const before = this.#resetting.get(session);
    if (before === undefined) return;
    this.#resetting.delete(session);
    if (!this.#disposed) this.#afterReset(session, before);
  }

  /**
   * A protocol session with one peer, wired to this model: our id and clock, history replay, the
   * shared encoding of live updates, the reset extension when this model collects deleted data,
   * and signature awareness for `auth`. Every transport (the Node stream, `scuttlebutt-ts/net`)
   * builds its session here, so they all speak the same protocol.
   * @param options - the stream's flags, wrapper, limits and auth
   * @returns a session for the adapter to drive
   */
  createSession(options: PeerSessionOptions = {}): Session {
    const session: Session = new Session({
      ...options,
      id: this.id,
      localClock: () => this.sources,
      history: (clock) => this.replayFor(clock),
      encodeUpdate: (update) => this.encodeUpdate(update),
      ...(this.resetCapable && this.#tombstones !== null
        ? {
            needsReset: (clock: Readonly<Clock>) => this.needsResetFor(clock),
            collectedClock: () => (this.#tombstones as TombstoneCollector<Stamped>).collected,
          }
        : {}),
      beginReset: (clock, collected) => this.#takeReset(session, clock, collected),
      ...(options.auth === undefined ? {} : { sourcesVerified: this.verifies }),
    });
    return session;
  }

  /** The history a session or a stored snapshot replays (expired deletions collected first). */
  replayFor(sources: Readonly<Clock>): Iterable<Update> {
    // Expired deletions go first: a handshake or a stored snapshot carries none of them.
    this.collectTombstones();
    return this.replay(sources);
  }

  /**
   * A duplex stream that replicates this model with one peer. Pipe it both ways, once per peer:
   * `socket.pipe(model.createStream()).pipe(socket)`, or better `pipeline(socket, s, socket)`.
   * @param options - the original's stream options (`readable`, `writable`, `sendClock`, `clock`,
   *   `tail`, `meta`, `name`, `wrapper`) plus limits
   * @throws LocalProtocolError ERR_SB_DISPOSED
   * @example
   * ```ts
   * const s = a.createStream()
   * s.pipe(b.createStream()).pipe(s)
   * ```
   */
  createStream(options: StreamOptions = {}): ReplicationStream {
    if (this.#disposed) throw new LocalProtocolError('ERR_SB_DISPOSED', 'the model was disposed');
    const defaults: StreamOptions = this.#auth === undefined ? { limits: this.limits } : { limits: this.limits, auth: this.#auth };
    const stream = new ReplicationStream(this as unknown as Scuttlebutt, { ...defaults, ...options });
    this.#streams.add(stream);
    stream.once('close', () => {
      this.#streams.delete(stream);
      this.#linkClosed(stream.session);
      this.#signal('unstream', this.#streams.size);
    });
    stream.start();
    return stream;
  }

  /** A stream that only sends: `createStream({ ...options, writable: false })`. Pipe it to a file. */
  createReadStream(options: StreamOptions = {}): ReplicationStream {
    return this.createStream({ ...options, writable: false, readable: true });
  }

  /** A stream that only receives: `createStream({ ...options, readable: false })`. Pipe a file into it. */
  createWriteStream(options: StreamOptions = {}): ReplicationStream {
    return this.createStream({ ...options, writable: true, readable: false });
  }

  /**
   * Registers a sink for live updates: every update this model commits from now on, except the
   * ones the sink itself delivered (`receiveUpdate(update, sink)`), goes to `sink.offerUpdate`.
   * Transports that are not Node streams use it; `createStream` does the same for its streams.
   * @param sink - the receiver of live updates
   * @returns a function that detaches the sink (idempotent)
   * @throws LocalProtocolError ERR_SB_DISPOSED
   * @example
   * ```ts
   * const detach = model.attach({ offerUpdate: (u) => session.sendUpdate(u) })
   * socket.onclose = detach
   * ```
   */
  attach(sink: UpdateSink): () => void {
    if (this.#disposed) throw new LocalProtocolError('ERR_SB_DISPOSED', 'the model was disposed');
    this.#sinks.add(sink);
    return () => {
      this.#sinks.delete(sink);
      if (sink.session !== undefined) this.#linkClosed(sink.session);
    };
  }

  /** Number of open streams. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /**
   * A second instance with the same id and state, kept in sync synchronously in both directions
   * until either is disposed. The clone is built with `new this.constructor()`, so a subclass
   * whose constructor needs arguments should override `clone`.
   */
  clone(): this {
    // With the options this model was made with (schema, tombstoneTtlMs, limits…), as the
    // subclass passed them on; the original called the constructor with none.
    const Ctor = this.constructor as new (options?: string | ScuttlebuttOptions) => this;
    const copy = new Ctor(this.#options);
    copy.setId(this.id);
    for (const update of this.history()) copy.receiveUpdate(update as Update);
    this.#clones.add(copy as unknown as Scuttlebutt<C>);
    copy.#clones.add(this as unknown as Scuttlebutt<C>);
    const unlink = (): void => {
      this.#clones.delete(copy as unknown as Scuttlebutt<C>);
      copy.#clones.delete(this as unknown as Scuttlebutt<C>);
      this.#signal('unclone', this.#clones.size);
    };
    copy.once('dispose', unlink);
    this.once('dispose', unlink);
    return copy;
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Ends every stream, unlinks clones, and emits `dispose`. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#signal('dispose');
    for (const stream of [...this.#streams]) stream.endReplication();
    for (const sink of [...this.#sinks]) sink.endReplication?.();
  }

  /**
   * The model's default peer authentication (its `auth` option). Transports that drive a
   * `Session` themselves pass it as the session's `auth`, with `sourcesVerified: model.verifies`,
   * and report `refused` events with {@link reportUnauthorized}.
   */
  get authHandler(): AuthHandler | undefined {
    return this.#auth;
  }

  /** Whether this model verifies the signatures of remote updates (it was given `verify`). */
  get verifies(): boolean {
    return this.#verify !== undefined;
  }

  /**
   * Reports an update that a stream's access policy refused (used by the stream adapter): it is
   * counted in {@link securityStats} and emitted as `unauthorized_data` (update, error); it was
   * neither applied nor relayed, and the clock did not move.
   */
  reportUnauthorized(update: Update, error: ScuttlebuttError): void {
    this.securityStats.unauthorized++;
    this.#signal('unauthorized_data', update, error);
  }

  /** Reports an error that belongs to no stream (used by the stream adapter). */
  reportInvalid(error: ScuttlebuttError): void {
    this.#signal('invalid', error);
  }

  /** Whether a name is refused everywhere a key, event name or source goes. */
  static isForbiddenName(name: string): boolean {
    return isForbiddenName(name);
  }
}
