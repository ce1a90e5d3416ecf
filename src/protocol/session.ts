/**
 * @module session
 * One replication session (one stream, one peer) as a state machine, with no I/O.
 *
 * Theory of operation. Each direction runs on its own:
 *
 * - Outbound: `IDLE` → (`start()`) the header is queued → `AWAIT_HEADER` → (the peer's header
 *   arrives) → `REPLAY`: history newer than the peer's clock is pulled lazily, one chunk per
 *   `pollTransmit()`, so a slow reader bounds memory → `"SYNC"` → `LIVE`. `tail: false` ends
 *   output after `"SYNC"` (`ENDED`); `readable: false` is `SILENT` (at most a header is sent).
 * - Inbound: updates and `"SYNC"` are accepted in any state until `ERROR`; a second header is
 *   ignored (the original re-sent its history and leaked a listener, bug H2).
 *
 * The session keeps the peer's vector clock and moves it forward both for what it sends and for
 * what it receives, so nothing is ever sent twice over one link and nothing is echoed back to the
 * peer it came from (the original echoed every live update, bug E1). When output backs up beyond
 * `maxBufferedBytes`, live updates are not queued; the session only notes that it is behind, and
 * once the queue drains it catches up from `history(peerClock)`, which holds exactly what the
 * peer still lacks.
 *
 * Peer authentication (`options.auth`, issue 5) is a second, independent machine with its own
 * table, {@link AUTH_TRANSITIONS}: our header carries an offer (a fresh challenge); a peer whose
 * header carries one gets our proof right after our header and before any history; the peer's
 * proof moves it to `AUTHENTICATED` or fails the session. Every incoming update is then put to
 * `auth.authorize` with the authenticated peer id: a refused update becomes a `refused` event
 * instead of an `update` event, so no adapter can apply it by mistake. `protocol/auth.ts` has
 * the wire shapes.
 *
 * The adapter's loop: feed input with `receive()`, then drain `nextEvent()` until `NEED_DATA`;
 * call `pollTransmit()` while the transport accepts data, and again after each `nextEvent()`
 * drain and each `sendUpdate()`, since both can queue output.
 */
import { createError, LocalProtocolError, type RemoteProtocolError, type ScuttlebuttError } from '../errors.js';
import { AUTH_VERSION, type AuthHandler, type AuthProof, readAuthOffer } from './auth.js';
import { encodeLine, LineDecoder, MessageType, readMessage, SYNC } from './codec.js';
import { DEFAULT_MAX_BUFFERED_MESSAGES, DEFAULT_SESSION_LIMITS, type SessionLimits } from './limits.js';
import { type Clock, copyClock, createClock, type Header, type Update } from './update.js';

/** Takes a reset snapshot from a peer (the reset extension); see `Scuttlebutt.beginReset`. */
export interface ResetCollector {
  /** An update of the snapshot (applied or not: it shows the sender holds what it changes). */
  note(update: Update): void;
  /** The snapshot is complete. */
  finish(): void;
}

/** Returned by {@link Session.nextEvent} when every event has been handed out. */
export const NEED_DATA: unique symbol = Symbol('NEED_DATA');

/** What a session reports to its adapter. */
export type SessionEvent =
  | { readonly type: 'header'; readonly header: Header }
  | { readonly type: 'update'; readonly update: Update }
  | { readonly type: 'syncSent' }
  | { readonly type: 'syncReceived' }
  | { readonly type: 'synced' }
  | { readonly type: 'outputEnded' }
  /** The peer proved it holds the private key of `id` (auth extension). */
  | { readonly type: 'authenticated'; readonly id: string }
  /** The access policy refused an update (`ERR_SB_WRITE_DENIED`); it must not be applied or relayed. */
  | { readonly type: 'refused'; readonly update: Update; readonly error: RemoteProtocolError }
  | { readonly type: 'error'; readonly error: RemoteProtocolError };

/** Outbound states; every transition is in {@link OUTBOUND_TRANSITIONS}. */
export type OutboundState = 'IDLE' | 'AWAIT_HEADER' | 'REPLAY' | 'LIVE' | 'SILENT' | 'ENDED' | 'ERROR';

/** What moves the outbound side. */
export type OutboundTrigger =
  | 'start'
  | 'startReadOnly'
  | 'startSilent'
  | 'remoteHeader'
  | 'historyDone'
  | 'historyDoneNoTail'
  | 'close'
  | 'fail';

/**
 * Every outbound transition. A trigger missing from a state's row leaves the state unchanged
 * (for instance a second header in `LIVE`). `docs/PROTOCOL.md` draws this table.
 */
export const OUTBOUND_TRANSITIONS: Readonly<Record<OutboundState, Partial<Record<OutboundTrigger, OutboundState>>>> = {
  IDLE: { start: 'AWAIT_HEADER', startReadOnly: 'REPLAY', startSilent: 'SILENT', close: 'ENDED', fail: 'ERROR' },
  AWAIT_HEADER: { remoteHeader: 'REPLAY', close: 'ENDED', fail: 'ERROR' },
  REPLAY: { historyDone: 'LIVE', historyDoneNoTail: 'ENDED', close: 'ENDED', fail: 'ERROR' },
  LIVE: { close: 'ENDED', fail: 'ERROR' },
  SILENT: { close: 'ENDED', fail: 'ERROR' },
  ENDED: { fail: 'ERROR' },
  ERROR: {},
};

/**
 * States of peer authentication (the auth extension): `OFF` without `options.auth`; `OFFERED`
 * once our offer is in our header; then `AWAIT_PROOF` (the peer offered too, its proof must
 * come), `ANONYMOUS` (the peer did not offer: an old or unauthenticated peer), `AUTHENTICATED`
 * or `FAILED`.
 */
export type AuthState = 'OFF' | 'OFFERED' | 'AWAIT_PROOF' | 'ANONYMOUS' | 'AUTHENTICATED' | 'FAILED';

/** What moves peer authentication. */
export type AuthTrigger = 'enable' | 'peerOffered' | 'peerAnonymous' | 'proofValid' | 'proofInvalid' | 'fail';

/**
 * Every transition of peer authentication. A proof in any state but `AWAIT_PROOF` is a protocol
 * error (`ERR_SB_AUTH_FAILED`), and so is a proof that does not verify.
 */
export const AUTH_TRANSITIONS: Readonly<Record<AuthState, Partial<Record<AuthTrigger, AuthState>>>> = {
  OFF: { enable: 'OFFERED' },
  OFFERED: { peerOffered: 'AWAIT_PROOF', peerAnonymous: 'ANONYMOUS', fail: 'FAILED' },
  AWAIT_PROOF: { proofValid: 'AUTHENTICATED', proofInvalid: 'FAILED', fail: 'FAILED' },
  ANONYMOUS: { fail: 'FAILED' },
  AUTHENTICATED: { fail: 'FAILED' },
  FAILED: {},
};

/** How one side of a stream behaves; the original's stream options. */
export interface SessionOptions {
  /** Our id, sent in the header. */
  readonly id: string;
  /** Our vector clock at the moment the header is encoded. */
  readonly localClock: () => Readonly<Clock>;
  /** The updates newer than a clock, ordered by (ts, source). */
  readonly history: (clock: Readonly<Clock>) => Iterable<Update>;
  /** Send anything at all (default true). `false` sends nothing but, with `sendClock`, the header. */
  readonly readable?: boolean;
  /** Accept updates (default true). `false` ignores incoming updates. */
  readonly writable?: boolean;
  /** With `readable: false`, still send the header so the peer can send only what we lack. */
  readonly sendClock?: boolean;
  /** With `writable: false`, wait for the peer's header and send only what it lacks. */
  readonly clock?: boolean;
  /** Keep sending live updates after `"SYNC"` (default true). */
  readonly tail?: boolean;
  /** Sent in the header as `meta`. */
  readonly meta?: unknown;
  /** `'json'` (lines of text, default) or `'raw'` (JS values, for in-process streams). */
  readonly wrapper?: 'json' | 'raw';
  /** Limits; see `limits.ts`. */
  readonly limits?: Partial<SessionLimits>;
  /** Encodes an update as a line; lets the model encode a live update once for every stream. */
  readonly encodeUpdate?: (update: Update) => string;
  /** Peer authentication and per-peer rights (the auth extension, `protocol/auth.ts`). */
  readonly auth?: AuthHandler;
  /**
   * The reset extension: whether a peer with this clock may hold data we collected (deleted
   * keys whose tombstones are gone). When given, our header announces `reset: 1`; when the
   * peer announced it too and this returns true, our history is a full snapshot preceded by
   * `{reset: {clock, collected}}`, so the peer can drop what we no longer have.
   */
  readonly needsReset?: (peerClock: Readonly<Clock>) => boolean;
  /** With `needsReset`: per source, the newest deletion we collected (sent in a reset). */
  readonly collectedClock?: () => Readonly<Clock>;
  /**
   * The receiving side of the reset extension: called when the peer announces a snapshot made
   * at its `clock`, having collected deletions up to `collected`; the session then notes every update of the snapshot in the collector and
   * finishes it when the snapshot's `"SYNC"` arrives. Updates still queued as events at that
   * point belong to the snapshot, so the collector has already noted their keys.
   */
  readonly beginReset?: (senderClock: Readonly<Clock>, senderCollected: Readonly<Clock>) => ResetCollector | null;
  /** Whether the model verifies signatures, so an update's source is proven (passed to `auth.authorize`). */
  readonly sourcesVerified?: boolean;
}

/** Counters a session keeps, for logs and metrics. */
export interface SessionStats {
  updatesIn: number;
  updatesOut: number;
  bytesIn: number;
  /** Output handed out by `pollTransmit`, in UTF-16 code units (json) or messages (raw). */
  unitsOut: number;
  catchUps: number;
  /** Updates the access policy refused (auth extension). */
  updatesRefused: number;
  /** Reset snapshots sent (the reset extension). */
  resets: number;
}

type Queued = string | unknown;

/**
 * One replication session.
 *
 * @example
 * ```ts
 * const session = new Session({ id: 'A', localClock: () => model.sources, history: (c) => model.history(c) })
 * session.start()
 * session.receive(bytes)
 * for (let ev = session.nextEvent(); ev !== NEED_DATA; ev = session.nextEvent()) handle(ev)
 * for (let out = session.pollTransmit(); out !== null; out = session.pollTransmit()) socket.write(out)
 * ```
 */
export class Session {
  readonly id: string;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly sendClock: boolean;
  readonly waitForClock: boolean;
  readonly tail: boolean;
  readonly meta: unknown;
  readonly wrapper: 'json' | 'raw';
  readonly limits: SessionLimits;
  readonly stats: SessionStats = { updatesIn: 0, updatesOut: 0, bytesIn: 0, unitsOut: 0, catchUps: 0, updatesRefused: 0, resets: 0 };

  #state: OutboundState = 'IDLE';
  #remote: Header | null = null;
  readonly #peerClock: Clock = createClock();
  readonly #localClock: () => Readonly<Clock>;
  readonly #history: (clock: Readonly<Clock>) => Iterable<Update>;
  readonly #encodeUpdate: (update: Update) => string;
  readonly #decoder: LineDecoder;

  #queue: Queued[] = [];
  #queueHead = 0;
  #queuedUnits = 0;
  #headerPending = false;
  #replay: Iterator<Update> | null = null;
  #replayPending = false;
  #behind = false;
  readonly #needsReset: ((peerClock: Readonly<Clock>) => boolean) | undefined;
  /** The peer needs a reset: the next replay is a full snapshot. */
  #resetOwed = false;
  /** The replay under way is a reset snapshot: send every update, known to the peer or not. */
  #fullReplay = false;
  /** A reset asked for while live: sent once no replay is under way. */
  #resetRequested = false;
  /** The replay under way is a reset snapshot sent while live: it ends with its own `"SYNC"`. */
  #liveSnapshot = false;
  readonly #beginReset: ((senderClock: Readonly<Clock>, senderCollected: Readonly<Clock>) => ResetCollector | null) | undefined;
  readonly #collectedClock: (() => Readonly<Clock>) | undefined;
  /** We are receiving a reset snapshot, until its `"SYNC"`. */
  #inReset = false;
  /** What takes the snapshot being received (null when the model has nothing to drop). */
  #resetCollector: ResetCollector | null = null;
  /** `close()` was called while history was still owed: end output once it is sent. */
  #closing = false;
  #syncSent: boolean;
  #syncReceived: boolean;
  #syncedEmitted = false;
  #inputEnded = false;
  #errored: ScuttlebuttError | null = null;
  #events: SessionEvent[] = [];
  #eventHead = 0;
  readonly #auth: AuthHandler | undefined;
  readonly #sourcesVerified: boolean;
  #authState: AuthState = 'OFF';
  #challenge = '';
  #peerId: string | null = null;
  #proofPending: AuthProof | null = null;

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.readable = options.readable ?? true;
    this.writable = options.writable ?? true;
    this.sendClock = options.sendClock ?? false;
    this.waitForClock = options.clock ?? false;
    this.tail = options.tail ?? true;
    this.meta = options.meta;
    this.wrapper = options.wrapper ?? 'json';
    this.limits = Object.freeze({ ...DEFAULT_SESSION_LIMITS, ...options.limits });
    this.#localClock = options.localClock;
    this.#history = options.history;
    this.#needsReset = options.needsReset;
    this.#beginReset = options.beginReset;
    this.#collectedClock = options.collectedClock;
    this.#encodeUpdate = options.encodeUpdate ?? encodeLine;
    this.#decoder = new LineDecoder(this.limits.maxMessageBytes);
    this.#syncSent = !this.readable;
    this.#syncReceived = !this.writable;
    this.#auth = options.auth;
    this.#sourcesVerified = options.sourcesVerified ?? false;
    if (this.#auth !== undefined) {
      this.#challenge = this.#auth.createChallenge();
      this.#moveAuth('enable');
    }
  }

  /** The state of peer authentication; see {@link AUTH_TRANSITIONS}. */
  get authState(): AuthState {
    return this.#authState;
  }

  /** The peer's id once it proved it (auth extension); `null` while it is anonymous. */
  get peerId(): string | null {
    return this.#peerId;
  }

  #moveAuth(trigger: AuthTrigger): boolean {
    const next = AUTH_TRANSITIONS[this.#authState][trigger];
    if (next === undefined) return false;
    this.#authState = next;
    return true;
  }

  /** The outbound state. */
  get state(): OutboundState {
    return this.#state;
  }

  /** The peer's header, once it arrived. */
  get remoteHeader(): Header | null {
    return this.#remote;
  }

  /** What we know the peer has: its header clock, moved forward by every update either way. */
  get peerClock(): Readonly<Clock> {
    return this.#peerClock;
  }

  /** Queued output not yet handed out: UTF-16 code units (json) or messages (raw). */
  get bufferedBytes(): number {
    return this.#queuedUnits;
  }

  /** Whether both sides have sent `"SYNC"`. */
  get synced(): boolean {
    return this.#syncSent && this.#syncReceived;
  }

  /** Whether output is waiting: the adapter should call {@link pollTransmit}. */
  get wantsToTransmit(): boolean {
    if (this.#state === 'ERROR') return false;
    return (
      this.#headerPending ||
      this.#queueHead < this.#queue.length ||
      this.#replay !== null ||
      this.#replayPending ||
      (this.#state === 'LIVE' && (this.#behind || this.#resetRequested))
    );
  }

  /**
   * Replays from history what the peer lacks, once live (for updates that were not offered to
   * this session, such as a reset snapshot another peer sent us).
   * @returns whether a replay is owed: poll for output
   */
  catchUp(): boolean {
    if (this.#closing) return false;
    // During a replay already under way (its updates were picked when it began), the catch-up
    // pass after its "SYNC" brings them; before the replay begins, it will include them.
    if (this.#state !== 'LIVE' && !(this.#state === 'REPLAY' && this.#replay !== null)) return false;
    this.#behind = true;
    return true;
  }

  /**
   * Sends the peer a reset snapshot if it announced the extension and may hold data we have
   * collected (its clock, as we know it, is older than a collected deletion). Called by the model
   * when what it collected grew: after a reset it took from another peer, the deletion it learnt
   * of must reach this peer too, also when the session is already live (the snapshot then goes
   * out between live updates, followed by its own `"SYNC"`).
   * @param peerClock - what the peer is known to hold (default: the session's current view)
   * @returns whether a snapshot is owed: poll for output
   */
  requestReset(peerClock: Readonly<Clock> = this.#peerClock): boolean {
    if (this.#remote?.reset !== 1 || this.#needsReset === undefined || this.#closing) return false;
    if (this.#state !== 'REPLAY' && this.#state !== 'LIVE') return false;
    if (!this.#needsReset(peerClock)) return false;
    if (this.#state === 'REPLAY' && this.#replayPending) this.#resetOwed = true;
    else this.#resetRequested = true;
    return true;
  }

  #move(trigger: OutboundTrigger): boolean {
    const next = OUTBOUND_TRANSITIONS[this.#state][trigger];
    if (next === undefined) return false;
    this.#state = next;
    return true;
  }

  /**
   * Starts the session: queues the header (unless silent) and, for a read-only stream that does
   * not wait for the peer's clock, the whole history. Call once, right after construction.
   */
  start(): void {
    if (this.#state !== 'IDLE') throw new LocalProtocolError('ERR_SB_INVALID_ARGUMENT', 'start() was already called');
    if (!this.readable) {
      this.#headerPending = this.sendClock;
      this.#move('startSilent');
    } else if (!this.writable && !this.waitForClock) {
      // The original's createReadStream: dump everything without waiting (a file has no header).
      this.#headerPending = true;
      this.#move('startReadOnly');
      this.#replayPending = true;
    } else {
      this.#headerPending = true;
      this.#move('start');
    }
  }

  /**
   * Takes bytes (json wrapper). Events are available from {@link nextEvent} afterwards.
   * @throws LocalProtocolError ERR_SB_SESSION_ERRORED after the session failed
   */
  receive(chunk: Uint8Array | string): void {
    this.#assertUsable();
    if (this.#inputEnded) return;
    this.stats.bytesIn += chunk.length;
    let values: unknown[];
    try {
      values = this.#decoder.push(chunk);
    } catch (error) {
      this.#fail(error);
      return;
    }
    for (const value of values) {
      this.#handle(value);
      if (this.#errored) return;
    }
    if (this.#decoder.failure) this.#fail(this.#decoder.failure);
  }

  /**
   * Takes one message as a JS value (raw wrapper).
   * @throws LocalProtocolError ERR_SB_SESSION_ERRORED after the session failed
   */
  receiveMessage(value: unknown): void {
    this.#assertUsable();
    if (this.#inputEnded) return;
    this.#handle(value);
  }

  /** The peer ended its output: a last unterminated line is parsed, then our output ends too. */
  receiveEnd(): void {
    if (this.#errored || this.#inputEnded) return;
    try {
      for (const value of this.#decoder.end()) {
        this.#handle(value);
        if (this.#errored) return;
      }
      if (this.#decoder.failure) {
        this.#fail(this.#decoder.failure);
        return;
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#inputEnded = true;
  }

  #assertUsable(): void {
    if (this.#errored) {
      throw new LocalProtocolError('ERR_SB_SESSION_ERRORED', "can't receive data after the session failed", { cause: this.#errored });
    }
  }

  #handle(value: unknown): void {
    let message: ReturnType<typeof readMessage>;
    try {
      message = readMessage(value, this.limits.maxSourcesPerDigest);
    } catch (error) {
      this.#fail(error);
      return;
    }
    switch (message.type) {
      case MessageType.UPDATE: {
        if (!this.writable) return; // read-only stream: the original ignores incoming updates too
        const update = message.update;
        const seen = this.#peerClock[update[2]];
        // Recorded before the model sees it, so the model's broadcast skips this peer (no echo).
        if (seen === undefined || seen < update[1]) this.#peerClock[update[2]] = update[1];
        this.stats.updatesIn++;
        this.#resetCollector?.note(update);
        const denied = this.#auth === undefined ? null : this.#authorize(update);
        if (denied !== null) {
          this.stats.updatesRefused++;
          this.#events.push({ type: 'refused', update, error: denied });
          return;
        }
        // The decoded message already has the event's shape `{ type: 'update', update }`.
        this.#events.push(message);
        return;
      }
      case MessageType.HEADER: {
        if (this.#remote !== null) return; // a repeated header changes nothing (bug H2)
        const header = message.header;
        this.#remote = header;
        for (const source in header.clock) {
          const ts = header.clock[source] as number;
          const seen = this.#peerClock[source];
          if (seen === undefined || seen < ts) this.#peerClock[source] = ts;
        }
        this.#events.push({ type: 'header', header });
        const moved = this.#move('remoteHeader');
        if (this.#auth !== undefined) {
          this.#onPeerOffer(header.id, header.auth, moved);
          if (this.#errored) return;
        }
        if (moved) this.#replayPending = true;
        if (moved && header.reset === 1 && this.#needsReset?.(this.#peerClock) === true) this.#resetOwed = true;
        return;
      }
      case MessageType.RESET: {
        // With per-peer rights (auth), a reset could drop data the peer may not write: it is
        // taken as plain history (nothing dropped), as a peer without the extension would.
        // And only a model that collects (it announced `reset: 1`) takes one at all.
        if (!this.writable || this.#inReset || this.#auth !== undefined || this.#needsReset === undefined) return;
        this.#inReset = true;
        this.#resetCollector = this.#beginReset?.(message.clock, message.collected) ?? null;
        return;
      }
      case MessageType.AUTH_PROOF: {
        this.#onProof(message.proof);
        return;
      }
      case MessageType.SYNC: {
        if (this.#inReset) {
          this.#inReset = false;
          this.#resetCollector?.finish();
          this.#resetCollector = null;
        }
        if (this.#syncReceived) return;
        this.#syncReceived = true;
        this.#events.push({ type: 'syncReceived' });
        this.#maybeSynced();
        return;
      }
      default:
        return;
    }
  }

  /** The peer's header arrived: note its offer, and queue our proof before any history. */
  #onPeerOffer(peerHeaderId: string, authField: unknown, sendsHistory: boolean): void {
    const auth = this.#auth as AuthHandler;
    const offer = readAuthOffer(authField);
    if (offer === null) {
      this.#moveAuth('peerAnonymous');
      if (auth.required === true) {
        this.#fail(createError('ERR_SB_AUTH_REQUIRED', `peer "${peerHeaderId}" did not offer authentication`));
      }
      return;
    }
    this.#moveAuth('peerOffered');
    // Only a side that sends history proves itself: a silent side sends no update to authorise,
    // and a read-only dump already sent its history. A proof goes only to a peer that offered.
    if (!sendsHistory) return;
    try {
      this.#proofPending = auth.prove({ challenge: offer.challenge, id: this.id, peer: peerHeaderId });
    } catch {
      this.#proofPending = null; // we cannot prove: the peer keeps us anonymous (read-only)
    }
  }

  #onProof(proof: AuthProof): void {
    const auth = this.#auth;
    if (auth === undefined || this.#authState !== 'AWAIT_PROOF') {
      this.#fail(createError('ERR_SB_AUTH_FAILED', `unexpected auth proof (authentication is ${this.#authState})`));
      return;
    }
    const claimed = (this.#remote as Header).id;
    if (proof.id !== claimed) {
      this.#moveAuth('proofInvalid');
      this.#fail(createError('ERR_SB_AUTH_FAILED', `auth proof is for "${proof.id}" but the header claimed "${claimed}"`));
      return;
    }
    let ok = false;
    try {
      ok = auth.verify(proof, { challenge: this.#challenge, id: proof.id, peer: this.id }) === true;
    } catch {
      ok = false;
    }
    if (!ok) {
      this.#moveAuth('proofInvalid');
      this.#fail(createError('ERR_SB_AUTH_FAILED', `auth proof of "${proof.id}" does not verify`));
      return;
    }
    this.#moveAuth('proofValid');
    this.#peerId = proof.id;
    this.#events.push({ type: 'authenticated', id: proof.id });
  }

  #authorize(update: Update): RemoteProtocolError | null {
    let reason: string | null;
    try {
      reason = (this.#auth as AuthHandler).authorize(update, this.#peerId, this.#sourcesVerified);
    } catch (error) {
      reason = `the access policy failed: ${String(error)}`;
    }
    if (reason === null) return null;
    return createError('ERR_SB_WRITE_DENIED', reason, { input: update }) as RemoteProtocolError;
  }

  #maybeSynced(): void {
    if (this.#syncSent && this.#syncReceived && !this.#syncedEmitted) {
      this.#syncedEmitted = true;
      this.#events.push({ type: 'synced' });
    }
  }

  #fail(error: unknown): void {
    const err =
      error instanceof Error && 'code' in error
        ? (error as RemoteProtocolError)
        : (createError('ERR_SB_INVALID_UPDATE', String(error), { cause: error }) as RemoteProtocolError);
    this.#errored = err;
    this.#move('fail');
    this.#moveAuth('fail');
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedUnits = 0;
    this.#replay = null;
    this.#events.push({ type: 'error', error: err });
  }

  /**
   * The next event, or {@link NEED_DATA} when there are none. Call until `NEED_DATA` after every
   * `receive()`, `receiveEnd()` and `pollTransmit()`.
   */
  nextEvent(): SessionEvent | typeof NEED_DATA {
    if (this.#eventHead >= this.#events.length) {
      if (this.#eventHead > 0) {
        this.#events = [];
        this.#eventHead = 0;
      }
      return NEED_DATA;
    }
    const event = this.#events[this.#eventHead] as SessionEvent;
    this.#events[this.#eventHead++] = undefined as unknown as SessionEvent;
    return event;
  }

  /**
   * Offers a live update (local, or accepted from another stream). It is queued only if the peer
   * lacks it; while output is backed up it is left for the catch-up from history.
   * @returns whether it was queued
   */
  sendUpdate(update: Update): boolean {
    if (this.#closing) return false;
    if (this.#state !== 'LIVE') {
      // Before the header, the history still to be computed will carry it; during a replay
      // already under way (a snapshot), the catch-up pass after "SYNC" will.
      if (this.#state === 'REPLAY' && this.#replay !== null) this.#behind = true;
      return false;
    }
    const source = update[2];
    const seen = this.#peerClock[source];
    if (seen !== undefined && seen >= update[1]) return false;
    const limit = this.wrapper === 'raw' ? DEFAULT_MAX_BUFFERED_MESSAGES : this.limits.maxBufferedBytes;
    if (this.#behind || this.#replay !== null || this.#queuedUnits >= limit) {
      this.#behind = true;
      return false;
    }
    this.#peerClock[source] = update[1];
    this.#enqueueUpdate(update);
    return true;
  }

  #enqueueUpdate(update: Update): void {
    this.stats.updatesOut++;
    if (this.wrapper === 'raw') {
      this.#queue.push(update);
      this.#queuedUnits++;
    } else {
      const line = this.#encodeUpdate(update);
      this.#queue.push(line);
      this.#queuedUnits += line.length;
    }
  }

  #enqueueMessage(message: unknown): void {
    if (this.wrapper === 'raw') {
      this.#queue.push(message);
      this.#queuedUnits++;
    } else {
      const line = encodeLine(message);
      this.#queue.push(line);
      this.#queuedUnits += line.length;
    }
  }

  /** Our header, with a copy of our clock taken now (raw peers must not share our object, bug R1). */
  #header(): Header {
    const clock = copyClock(this.#localClock());
    const header: { id: string; clock: Clock; meta?: unknown; auth?: unknown } = this.meta
      ? { id: this.id, clock, meta: this.meta }
      : { id: this.id, clock };
    if (this.#auth !== undefined) header.auth = { v: AUTH_VERSION, challenge: this.#challenge, scheme: this.#auth.scheme };
    if (this.#needsReset !== undefined) (header as { reset?: 1 }).reset = 1;
    return header;
  }

  #fill(limit: number): void {
    if (this.#headerPending) {
      this.#headerPending = false;
      this.#enqueueMessage(this.#header());
    }
    if (this.#proofPending !== null) {
      // After our header, before any history: every update we send follows our proof.
      this.#enqueueMessage({ auth: this.#proofPending });
      this.#proofPending = null;
    }
    if (this.#resetRequested && this.#state === 'LIVE' && this.#replay === null) this.#startLiveSnapshot();
    else if (this.#replayPending) {
      this.#replayPending = false;
      if (this.#resetOwed) {
        this.#resetOwed = false;
        this.#startSnapshot();
      } else {
        this.#replay = this.#history(this.#peerClock)[Symbol.iterator]();
      }
    } else if (this.#replay === null && this.#behind && this.#state === 'LIVE') {
      this.#behind = false;
      this.#startCatchUp();
    }
    if (this.#replay === null) return;
    const clock = this.#peerClock;
    while (this.#queuedUnits < limit) {
      const next = (this.#replay as Iterator<Update>).next();
      if (next.done) {
        this.#replay = null;
        this.#fullReplay = false;
        if (this.#state === 'REPLAY') this.#finishReplay();
        else if (this.#liveSnapshot) {
          this.#liveSnapshot = false;
          this.#enqueueMessage(SYNC);
        }
        if (this.#resetRequested && this.#state === 'LIVE') {
          this.#startLiveSnapshot();
          continue;
        }
        // Updates offered during this pass wait for the next one: start it now, or nobody
        // would (the adapter only polls again when something is queued).
        if (!(this.#behind && this.#state === 'LIVE')) {
          if (this.#closing) this.#endOutput();
          return;
        }
        this.#behind = false;
        this.#startCatchUp();
        continue;
      }
      const update = next.value;
      const seen = clock[update[2]];
      if (seen === undefined || seen < update[1]) clock[update[2]] = update[1];
      // A reset snapshot is sent whole: the peer learns which keys we hold from it.
      else if (!this.#fullReplay) continue;
      this.#enqueueUpdate(update);
    }
  }

  /**
   * Replays what the peer lacks after live output fell behind; a full snapshot instead if a
   * deletion it lacks was collected meanwhile (incremental history would skip it for good).
   */
  #startCatchUp(): void {
    if (this.#remote?.reset === 1 && this.#needsReset?.(this.#peerClock) === true) {
      this.#startLiveSnapshot();
      return;
    }
    this.stats.catchUps++;
    this.#replay = this.#history(this.#peerClock)[Symbol.iterator]();
  }

  /** Starts a reset: `{reset: {clock, collected}}`, then every update we hold. */
  #startSnapshot(): void {
    this.#fullReplay = true;
    this.stats.resets++;
    const collected = this.#collectedClock?.();
    const clock = copyClock(this.#localClock());
    this.#enqueueMessage({ reset: collected === undefined ? { clock } : { clock, collected: copyClock(collected) } });
    this.#replay = this.#history(createClock())[Symbol.iterator]();
    // Once it has the snapshot the peer covers what we collected (it moves its clock too), so it
    // needs no further reset for it.
    if (collected !== undefined) {
      for (const source in collected) {
        // Never beyond what the snapshot covers (our clock), or the peer would miss updates.
        const ts = Math.min(collected[source] as number, clock[source] ?? 0);
        if ((this.#peerClock[source] ?? 0) < ts) this.#peerClock[source] = ts;
      }
    }
  }

  /** A reset while live: the snapshot goes out between live updates and ends with its own `"SYNC"`. */
  #startLiveSnapshot(): void {
    this.#resetRequested = false;
    this.#liveSnapshot = true;
    this.#startSnapshot();
  }

  #finishReplay(): void {
    this.#enqueueMessage(SYNC);
    this.#syncSent = true;
    this.#events.push({ type: 'syncSent' });
    this.#maybeSynced();
    if (!this.tail) {
      this.#move('historyDoneNoTail');
      this.#events.push({ type: 'outputEnded' });
    } else {
      this.#move('historyDone');
    }
  }

  /**
   * Hands out the next chunk of output, or `null` when there is none. Call it whenever the
   * transport can take more (`write()` returned true, or on `'drain'`), after `start()`, after
   * draining events and after `sendUpdate()`. History is produced lazily here, so calling it
   * only when the transport has room is what bounds memory.
   * @returns a string of whole lines (json) or an array of messages (raw)
   */
  pollTransmit(): string | unknown[] | null {
    if (this.#state === 'ERROR') return null;
    const raw = this.wrapper === 'raw';
    const limit = raw ? 256 : this.limits.maxChunkBytes;
    this.#fill(limit);
    const queue = this.#queue;
    const head = this.#queueHead;
    if (head >= queue.length) return null;
    let end = head;
    let units = 0;
    while (end < queue.length && (end === head || units < limit)) {
      units += raw ? 1 : (queue[end] as string).length;
      end++;
    }
    const slice = queue.slice(head, end);
    if (end >= queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else {
      this.#queueHead = end;
      if (end > 1024 && end * 2 > queue.length) {
        this.#queue = queue.slice(end);
        this.#queueHead = 0;
      }
    }
    this.#queuedUnits -= units;
    this.stats.unitsOut += units;
    return raw ? slice : (slice as string[]).join('');
  }

  /**
   * Ends our output once we have sent what we owe: a history replay under way is finished and
   * followed by `"SYNC"`, a pending catch-up pass is run, then output ends (`outputEnded`).
   * Updates offered after this call are not sent. Before the peer's header there is nothing
   * owed (we do not know its clock), so output ends at once. Used for a local `end()`, for
   * `dispose()` and when the peer ended; the original likewise drained what it had queued.
   */
  close(): void {
    const owed = this.#state === 'REPLAY' || (this.#state === 'LIVE' && (this.#behind || this.#replay !== null));
    if (owed) {
      this.#closing = true; // #fill ends output when the replay or catch-up is done
      return;
    }
    this.#endOutput();
  }

  #endOutput(): void {
    if (this.#move('close')) {
      this.#closing = false;
      this.#replay = null;
      this.#replayPending = false;
      this.#behind = false;
      this.#events.push({ type: 'outputEnded' });
    }
  }
}
