/**
 * @module update
 * The shapes on the wire and their validation: an update `[change, ts, source, ...extra]`, a
 * header `{id, clock, meta?}`, a vector clock `{source: ts}`. Validation is total: a value either
 * passes, or a {@link RemoteProtocolError} says why, before any state is touched.
 */
import { RemoteProtocolError } from '../errors.js';
import { MAX_UPDATE_EXTRAS } from './limits.js';

/**
 * One replicated change: `[change, ts, source]`, plus a signature (and anything else the source
 * added) after the third element, forwarded unchanged.
 */
export type Update<C = unknown> = [change: C, ts: number, source: string, ...extra: unknown[]];

/** A vector clock: for each source id, the greatest timestamp seen from it. Null-prototype. */
export type Clock = Record<string, number>;

/** The handshake message each side sends first. */
export interface Header {
  readonly id: string;
  readonly clock: Clock;
  readonly meta?: unknown;
  /** The peer-authentication offer (`protocol/auth.ts`); ignored by peers without the extension. */
  readonly auth?: unknown;
  /** `1` when the peer can take a reset (a full snapshot after we collected tombstones it lacks). */
  readonly reset?: 1;
  /**
   * In a stored snapshot's header only: per source, the newest deletion the model had collected
   * (so that it still resets returning peers after a restart).
   */
  readonly collected?: Clock;
}

/**
 * Whether a name may be used as a key, event name or source. Only `"__proto__"` is refused: every
 * store in this library is a `Map` or a null-prototype object, so `constructor` and
 * `hasOwnProperty` are ordinary names, but `__proto__` cannot be stored in the plain objects that
 * JavaScript peers (and `toJSON()` users) use.
 */
export function isForbiddenName(name: string): boolean {
  return name === '__proto__';
}

/** Creates an empty clock with no prototype, so any source id is a safe key. */
export function createClock(): Clock {
  return Object.create(null) as Clock;
}

/** Copies a clock into a fresh null-prototype object. */
export function copyClock(clock: Readonly<Clock>): Clock {
  const copy = createClock();
  for (const source in clock) copy[source] = clock[source] as number;
  return copy;
}

/**
 * Orders updates by timestamp, then by source id: the order of history on the wire.
 * @returns negative, zero or positive, as `Array.prototype.sort` expects
 */
export function compareUpdates(a: Update, b: Update): number {
  return a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

/**
 * Whether `update` is newer than what `clock` has seen from its source (the original's
 * `filter`): a missing entry means the clock has nothing from that source.
 */
export function isNewerThan(update: Update, clock: Readonly<Clock> | undefined | null): boolean {
  if (!clock) return true;
  const seen = clock[update[2]];
  return !seen || seen < update[1];
}

/**
 * Checks the shape of an update from a peer. The change itself is checked by the model.
 * @throws RemoteProtocolError ERR_SB_INVALID_UPDATE, ERR_SB_INVALID_TIMESTAMP, ERR_SB_FORBIDDEN_KEY
 */
export function validateUpdate(value: unknown[]): Update {
  if (value.length < 3) {
    throw new RemoteProtocolError('ERR_SB_INVALID_UPDATE', `update expected at least 3 elements, got ${value.length}`, { input: value });
  }
  if (value.length > 3 + MAX_UPDATE_EXTRAS) {
    throw new RemoteProtocolError(
      'ERR_SB_INVALID_UPDATE',
      `update expected at most ${3 + MAX_UPDATE_EXTRAS} elements, got ${value.length}`,
    );
  }
  const ts = value[1];
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts <= 0) {
    throw new RemoteProtocolError('ERR_SB_INVALID_TIMESTAMP', `update timestamp expected a finite number > 0, got ${String(ts)}`, {
      input: value,
    });
  }
  const source = value[2];
  if (typeof source !== 'string' || source.length === 0) {
    throw new RemoteProtocolError('ERR_SB_INVALID_UPDATE', 'update source expected a non-empty string', { input: value });
  }
  if (isForbiddenName(source)) {
    throw new RemoteProtocolError('ERR_SB_FORBIDDEN_KEY', 'update source must not be "__proto__"', { input: value });
  }
  return value as Update;
}

/**
 * Checks a header from a peer and returns it with its clock copied into a null-prototype object.
 * @throws RemoteProtocolError ERR_SB_INVALID_HEADER, ERR_SB_TOO_MANY_SOURCES, ERR_SB_FORBIDDEN_KEY
 */
export function validateHeader(value: Record<string, unknown>, maxSources: number): Header {
  const { id, clock, meta, auth, reset, collected } = value;
  if (typeof id !== 'string') {
    throw new RemoteProtocolError('ERR_SB_INVALID_HEADER', 'header "id" expected string', { input: value });
  }
  const copy = validateClock(value, clock, 'clock', maxSources);
  const header: { id: string; clock: Clock; meta?: unknown; auth?: unknown } =
    meta === undefined ? { id, clock: copy } : { id, clock: copy, meta };
  if (auth !== undefined) header.auth = auth;
  if (reset === 1) (header as { reset?: 1 }).reset = 1;
  if (collected !== undefined) (header as { collected?: Clock }).collected = validateClock(value, collected, 'collected', maxSources);
  return header;
}

/** Checks a vector clock of a header (`clock`, or `collected` in a stored one) and copies it. */
function validateClock(value: Record<string, unknown>, clock: unknown, name: string, maxSources: number): Clock {
  if (typeof clock !== 'object' || clock === null || Array.isArray(clock)) {
    throw new RemoteProtocolError('ERR_SB_INVALID_HEADER', `header "${name}" expected an object of timestamps`, { input: value });
  }
  const copy = createClock();
  let count = 0;
  for (const source of Object.keys(clock)) {
    if (++count > maxSources) {
      throw new RemoteProtocolError('ERR_SB_TOO_MANY_SOURCES', `header ${name} has more than ${maxSources} sources`);
    }
    if (isForbiddenName(source)) {
      throw new RemoteProtocolError('ERR_SB_FORBIDDEN_KEY', `header ${name} source must not be "__proto__"`);
    }
    const ts = (clock as Record<string, unknown>)[source];
    // A null or 0 entry means "nothing seen" to the original's filter; keep that meaning.
    if (ts === null || ts === 0) continue;
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
      throw new RemoteProtocolError('ERR_SB_INVALID_HEADER', `header ${name} entry "${source}" expected a finite number`, { input: value });
    }
    copy[source] = ts;
  }
  return copy;
}
